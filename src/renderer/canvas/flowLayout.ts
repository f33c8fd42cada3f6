/**
 * Where nodes go when the document does not say (no layout sidecar, or nodes it does not list),
 * and what "Auto layout" does: by data flow, left to right. Ranks are the longest path (dagre's
 * `longest-path` ranker), the order within a rank is dagre's crossing reduction, and each node is
 * as large as it will be drawn (`nodeGeometry`, with the addon's declared ports when they are
 * known, else the ports its connections use), so nothing overlaps. dagre routes a long edge
 * through bends the canvas does not draw (it draws one curve from end to end), so for a graph of
 * up to 40 nodes each of dagre's four alignments is tried and the one whose drawn edges cross
 * least, and run across fewest nodes, wins (`layoutQuality`).
 *
 * dagre costs about 100 ms for 100 nodes on a loaded machine and grows faster than linearly, so
 * graphs beyond `FLOW_LAYOUT_MAX_NODES` are placed by the linear `layeredLayout` (longest-path
 * columns, wrapped into bands) when they open; "Auto layout" always uses dagre.
 */
import dagre from '@dagrejs/dagre';
import type { AddonSummary, NodePosition } from '../../shared';
import { nodePorts } from '../editor/model';
import { layeredLayout, usedPorts, type CanvasModel } from './graphView';
import { layoutBoxes, layoutQuality } from './layoutQuality';
import { nodeGeometry } from './nodeGeometry';

export const FLOW_LAYOUT_MAX_NODES = 150;

/** Vertical space between nodes of a rank, and horizontal space between ranks (flow px). */
const NODE_SEP = 48;
const RANK_SEP = 120;
/** A running node shows its live strip above the ports, which the estimate leaves out. */
const LIVE_STRIP = 22;

/** dagre's placements tried for a graph this small; the most readable one wins (`layoutQuality`). */
const SEARCH_MAX_NODES = 40;
const ALIGNMENTS = [undefined, 'UL', 'UR', 'DL', 'DR'] as const;
/** Unconnected nodes go in rows of this many under the graph. */
const LOOSE_PER_ROW = 6;

type Size = { width: number; height: number };

function dagrePlacement(model: CanvasModel, names: readonly string[], sizes: ReadonlyMap<string, Size>, align: (typeof ALIGNMENTS)[number]): Map<string, NodePosition> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', ranker: 'longest-path', nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: 0, marginy: 0, ...(align ? { align } : {}) });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of names) g.setNode(name, { ...sizes.get(name)! });
  for (const e of model.edges) if (e.source !== e.target && g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, NodePosition>();
  for (const name of g.nodes()) {
    const n = g.node(name);
    // dagre places centres; the canvas positions top-left corners.
    out.set(name, { x: Math.round(n.x - n.width / 2), y: Math.round(n.y - n.height / 2) });
  }
  return out;
}

/** How readable a placement is, as one number to minimise: crossings and edges across nodes. */
function cost(positions: ReadonlyMap<string, NodePosition>, sizes: ReadonlyMap<string, Size>, model: CanvasModel): number {
  const q = layoutQuality(layoutBoxes(positions, sizes), model.edges);
  return 2 * q.crossings + q.throughNodes;
}

/** The size each node is drawn at (see the module comment). */
export function nodeSizes(model: CanvasModel, addons: Readonly<Record<string, AddonSummary>>): Map<string, Size> {
  const used = usedPorts(model.edges);
  const sizes = new Map<string, Size>();
  for (const n of model.nodes) {
    const addon = n.type === 'extension' ? addons[n.addon] : undefined;
    const { width, height } = nodeGeometry({ name: n.name, addon: n.addon, group: n.group, ...nodePorts(addon, used.get(n.name) ?? []) });
    sizes.set(n.name, { width, height: height + LIVE_STRIP });
  }
  return sizes;
}

/**
 * Top-left positions by data flow (see the module comment). Nodes without connections do not
 * belong to any rank: they go in rows under the graph instead of at the end of the flow.
 */
export function flowLayout(model: CanvasModel, addons: Readonly<Record<string, AddonSummary>>): Map<string, NodePosition> {
  const sizes = nodeSizes(model, addons);
  const linked = new Set<string>();
  for (const e of model.edges) {
    if (e.source === e.target) continue;
    linked.add(e.source);
    linked.add(e.target);
  }
  const connected = model.nodes.filter((n) => linked.has(n.name)).map((n) => n.name);
  const loose = model.nodes.filter((n) => !linked.has(n.name)).map((n) => n.name);
  let best = new Map<string, NodePosition>();
  if (connected.length > 0) {
    const tries = connected.length <= SEARCH_MAX_NODES ? ALIGNMENTS : ALIGNMENTS.slice(0, 1);
    let bestCost = Infinity;
    for (const align of tries) {
      const placed = dagrePlacement(model, connected, sizes, align);
      const c = tries.length > 1 ? cost(placed, sizes, model) : 0;
      if (c < bestCost) {
        best = placed;
        bestCost = c;
      }
      if (c === 0) break;
    }
  }
  let top = 0;
  let left = 0;
  for (const [name, p] of best) {
    top = Math.max(top, p.y + sizes.get(name)!.height + NODE_SEP);
    left = Math.min(left, p.x);
  }
  for (let i = 0; i < loose.length; i += LOOSE_PER_ROW) {
    const row = loose.slice(i, i + LOOSE_PER_ROW);
    let x = left;
    for (const name of row) {
      best.set(name, { x, y: top });
      x += sizes.get(name)!.width + NODE_SEP;
    }
    top += Math.max(...row.map((name) => sizes.get(name)!.height)) + NODE_SEP;
  }
  return best;
}

/** Positions for a graph shown without stored ones: `flowLayout`, or `layeredLayout` for a large graph. */
export function initialLayout(model: CanvasModel, addons: Readonly<Record<string, AddonSummary>>): Map<string, NodePosition> {
  if (model.nodes.length <= FLOW_LAYOUT_MAX_NODES) return flowLayout(model, addons);
  return layeredLayout(
    model.nodes.map((n) => n.name),
    model.edges,
  );
}
