/**
 * How readable a placement is, measured on the edges as the canvas draws them (React Flow's
 * bezier from the middle of the source's right side to the middle of the target's left side,
 * sampled): pairs of edges that cross, and edges drawn across a node that is not one of their
 * ends. `flowLayout` uses it to pick among dagre's placements; the tests report it.
 */
import type { NodePosition } from '../../shared';

export interface LayoutBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutQuality {
  /** Pairs of edges between four distinct nodes that cross. */
  crossings: number;
  /** (edge, node) pairs where the edge passes through a node that is not one of its ends. */
  throughNodes: number;
  /** Edges drawn from right to left, against the flow. */
  backwards: number;
}

type Point = readonly [number, number];
const SAMPLES = 16;

/** React Flow's default bezier between a right-side source and a left-side target, as a polyline. */
function bezier(s: Point, t: Point): Point[] {
  const dx = t[0] - s[0];
  // React Flow's control offset: half the distance forwards, a curl backwards (curvature 0.25).
  const offset = dx >= 0 ? 0.5 * dx : 0.25 * 25 * Math.sqrt(-dx);
  const c1: Point = [s[0] + offset, s[1]];
  const c2: Point = [t[0] - offset, t[1]];
  const out: Point[] = [];
  for (let i = 0; i <= SAMPLES; i++) {
    const u = i / SAMPLES;
    const v = 1 - u;
    out.push([
      v * v * v * s[0] + 3 * v * v * u * c1[0] + 3 * v * u * u * c2[0] + u * u * u * t[0],
      v * v * v * s[1] + 3 * v * v * u * c1[1] + 3 * v * u * u * c2[1] + u * u * u * t[1],
    ]);
  }
  return out;
}

function segmentsCross(a: Point, b: Point, c: Point, d: Point): boolean {
  const den = (b[0] - a[0]) * (d[1] - c[1]) - (b[1] - a[1]) * (d[0] - c[0]);
  if (den === 0) return false;
  const t = ((c[0] - a[0]) * (d[1] - c[1]) - (c[1] - a[1]) * (d[0] - c[0])) / den;
  const u = ((c[0] - a[0]) * (b[1] - a[1]) - (c[1] - a[1]) * (b[0] - a[0])) / den;
  return t > 0 && t < 1 && u > 0 && u < 1;
}

function polylinesCross(p: readonly Point[], q: readonly Point[]): boolean {
  for (let i = 1; i < p.length; i++) for (let j = 1; j < q.length; j++) if (segmentsCross(p[i - 1]!, p[i]!, q[j - 1]!, q[j]!)) return true;
  return false;
}

function throughBox(p: readonly Point[], b: LayoutBox): boolean {
  return p.some(([x, y]) => x > b.x && x < b.x + b.width && y > b.y && y < b.y + b.height);
}

/** Measures a placement of boxes (top-left positions and sizes) with these edges. */
export function layoutQuality(
  boxes: ReadonlyMap<string, LayoutBox>,
  edges: readonly { source: string; target: string }[],
): LayoutQuality {
  const seen = new Set<string>();
  const drawn: { source: string; target: string; points: Point[] }[] = [];
  let backwards = 0;
  for (const e of edges) {
    const key = `${e.source}\n${e.target}`;
    const a = boxes.get(e.source);
    const b = boxes.get(e.target);
    if (seen.has(key) || !a || !b || e.source === e.target) continue;
    seen.add(key);
    const s: Point = [a.x + a.width, a.y + a.height / 2];
    const t: Point = [b.x, b.y + b.height / 2];
    if (t[0] < s[0]) backwards++;
    drawn.push({ source: e.source, target: e.target, points: bezier(s, t) });
  }
  let crossings = 0;
  for (let i = 0; i < drawn.length; i++) {
    for (let j = i + 1; j < drawn.length; j++) {
      const a = drawn[i]!;
      const b = drawn[j]!;
      if (a.source === b.source || a.source === b.target || a.target === b.source || a.target === b.target) continue;
      if (polylinesCross(a.points, b.points)) crossings++;
    }
  }
  let throughNodes = 0;
  for (const e of drawn) for (const [name, box] of boxes) if (name !== e.source && name !== e.target && throughBox(e.points, box)) throughNodes++;
  return { crossings, throughNodes, backwards };
}

/** Boxes from positions and sizes. */
export function layoutBoxes(positions: ReadonlyMap<string, NodePosition>, sizes: ReadonlyMap<string, { width: number; height: number }>): Map<string, LayoutBox> {
  const out = new Map<string, LayoutBox>();
  for (const [name, p] of positions) {
    const size = sizes.get(name);
    if (size) out.set(name, { x: p.x, y: p.y, width: size.width, height: size.height });
  }
  return out;
}
