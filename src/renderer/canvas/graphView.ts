/**
 * Projects a TEN graph onto canvas nodes and edges: one node per graph node, one edge per
 * (source, kind, message name, destination). `names` flows give one edge per name, and
 * `source` (reversed) flows are drawn in their real direction.
 */
import { MSG_KINDS, UNSPECIFIED_GROUP, type MsgKind, type TenGraph, type TenLoc, type TenNode } from '../../shared';

export type CanvasNode = {
  name: string;
  type: TenNode['type'];
  addon: string;
  group: string;
  property: Record<string, unknown>;
  position: { x: number; y: number };
};

export type CanvasEdge = {
  id: string;
  source: string;
  target: string;
  kind: MsgKind;
  msg: string;
};

export interface CanvasModel {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
}

function locName(loc: TenLoc): string | undefined {
  return loc.extension ?? loc.subgraph ?? loc.selector;
}

export function edgeId(source: string, kind: MsgKind, msg: string, target: string): string {
  return `${source}-${kind}-${msg}-${target}`;
}

export function graphToCanvas(graph: TenGraph): CanvasModel {
  const edges = new Map<string, CanvasEdge>();
  const add = (source: string | undefined, kind: MsgKind, msg: string, target: string | undefined) => {
    if (!source || !target) return;
    const id = edgeId(source, kind, msg, target);
    if (!edges.has(id)) edges.set(id, { id, source, target, kind, msg });
  };
  for (const conn of graph.connections ?? []) {
    const self = conn.extension ?? conn.subgraph ?? conn.selector;
    for (const kind of MSG_KINDS) {
      for (const flow of conn[kind] ?? []) {
        const names = flow.names ?? (flow.name !== undefined ? [flow.name] : []);
        for (const msg of names) {
          for (const dest of flow.dest ?? []) add(self, kind, msg, locName(dest));
          for (const src of flow.source ?? []) add(locName(src), kind, msg, self);
        }
      }
    }
  }
  const edgeList = [...edges.values()];
  const positions = layeredLayout(
    graph.nodes.map((n) => n.name),
    edgeList,
  );
  const nodes = graph.nodes.map<CanvasNode>((n) => ({
    name: n.name,
    type: n.type,
    addon: n.type === 'extension' ? n.addon : n.type,
    group: n.type === 'extension' ? (n.extension_group ?? UNSPECIFIED_GROUP) : '',
    property: (n.property as Record<string, unknown> | undefined) ?? {},
    position: positions.get(n.name) ?? { x: 0, y: 0 },
  }));
  return { nodes, edges: edgeList };
}

/** Columns by longest path from the sources (cycles broken by visit order), rows in order; long chains wrap. */
export function layeredLayout(
  names: readonly string[],
  edges: readonly { source: string; target: string }[],
): Map<string, { x: number; y: number }> {
  // Sources of each node's incoming edges, once: scanning every edge per node is O(n·e).
  const known = new Set(names);
  const incoming = new Map<string, string[]>();
  for (const e of edges) {
    if (e.source === e.target || !known.has(e.source)) continue;
    (incoming.get(e.target) ?? incoming.set(e.target, []).get(e.target)!).push(e.source);
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const done = layer.get(name);
    if (done !== undefined) return done;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    let d = 0;
    for (const source of incoming.get(name) ?? []) d = Math.max(d, depth(source) + 1);
    visiting.delete(name);
    layer.set(name, d);
    return d;
  };
  const rows = new Map<number, number>();
  const cells = new Map<string, { col: number; row: number }>();
  for (const name of names) {
    const col = depth(name);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    cells.set(name, { col, row });
  }
  // Long chains wrap into bands of `wrap` columns, one band below the other, so that a deep
  // graph stays a roughly square block that fits a screen instead of one endless row.
  const wrap = Math.max(MIN_WRAP_COLUMNS, Math.ceil(Math.sqrt(rows.size)));
  const bandRows: number[] = [];
  for (const [col, count] of rows) {
    const band = Math.floor(col / wrap);
    bandRows[band] = Math.max(bandRows[band] ?? 0, count);
  }
  const bandTop: number[] = [];
  for (let b = 0, y = 0; b < bandRows.length; b++) {
    bandTop[b] = y;
    y += ((bandRows[b] ?? 0) + 1) * ROW_GAP;
  }
  const positions = new Map<string, { x: number; y: number }>();
  for (const [name, { col, row }] of cells) {
    const band = Math.floor(col / wrap);
    positions.set(name, { x: (col % wrap) * COLUMN_GAP, y: bandTop[band]! + row * ROW_GAP });
  }
  return positions;
}

const COLUMN_GAP = 280;
// A running node with three port rows is ~170 px tall; rows closer than that overlap.
const ROW_GAP = 200;
const MIN_WRAP_COLUMNS = 12;

const GROUP_PALETTE = ['#4fa3f7', '#f2a93b', '#5ccf8a', '#c57cf5', '#f25f5c', '#2ec4b6', '#ffd166', '#9aa5b1', '#e07aa5', '#8fd14f', '#6c8cff', '#d9a066'];

/**
 * Colours of a graph's extension groups: by the group's place among the graph's group names in
 * sorted order, so that up to twelve groups never share a colour and the legend matches the canvas.
 */
export function groupColors(groups: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(groups)].sort((a, b) => a.localeCompare(b));
  return new Map(sorted.map((g, i) => [g, GROUP_PALETTE[i % GROUP_PALETTE.length]!]));
}

/** The messages each node sends (`out`) and receives (`in`) through the edges. */
export function usedPorts(edges: readonly CanvasEdge[]): Map<string, { direction: 'in' | 'out'; kind: MsgKind; name: string }[]> {
  const out = new Map<string, { direction: 'in' | 'out'; kind: MsgKind; name: string }[]>();
  const push = (node: string, direction: 'in' | 'out', kind: MsgKind, name: string) => {
    const list = out.get(node) ?? out.set(node, []).get(node)!;
    list.push({ direction, kind, name });
  };
  for (const e of edges) {
    push(e.source, 'out', e.kind, e.msg);
    push(e.target, 'in', e.kind, e.msg);
  }
  return out;
}
