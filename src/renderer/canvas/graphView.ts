/**
 * Projects a TEN graph onto canvas nodes and edges: one node per graph node, one edge per
 * (source, kind, message name, destination). `names` flows give one edge per name, and
 * `source` (reversed) flows are drawn in their real direction. Positions are not part of it:
 * they come from the layout sidecar or, for nodes it does not list, `flowLayout.ts`.
 */
import { MSG_KINDS, UNSPECIFIED_GROUP, type MsgKind, type TenGraph, type TenLoc, type TenNode } from '../../shared';

export type CanvasNode = {
  name: string;
  type: TenNode['type'];
  addon: string;
  group: string;
  property: Record<string, unknown>;
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
  const nodes = graph.nodes.map<CanvasNode>((n) => ({
    name: n.name,
    type: n.type,
    addon: n.type === 'extension' ? n.addon : n.type,
    group: n.type === 'extension' ? (n.extension_group ?? UNSPECIFIED_GROUP) : '',
    property: (n.property as Record<string, unknown> | undefined) ?? {},
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

/**
 * Group colours, each at least 4.5:1 against the node background (`--panel-2`) so a group's name
 * in its colour stays readable; neighbours in the list differ in hue or lightness.
 */
export const GROUP_PALETTE = [
  '#4fa3f7', '#f2a93b', '#5ccf8a', '#c57cf5', '#f25f5c', '#2ec4b6', '#ffd166', '#9aa5b1',
  '#e07aa5', '#8fd14f', '#6c8cff', '#d9a066', '#46d6e8', '#ffb3c1', '#c9d46c', '#a8b9ff',
] as const;

/** FNV-1a over the name's UTF-16 code units: a stable, well-spread 32-bit hash. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The palette slot a group's name asks for. */
export function preferredSlot(name: string): number {
  return nameHash(name) % GROUP_PALETTE.length;
}

/** Groups by hash, ties by name: the order in which groups claim their colours. */
function byHash(a: { name: string; hash: number }, b: { name: string; hash: number }): number {
  return a.hash - b.hash || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Colours of extension groups, derived from their names: each group takes the colour its name
 * hashes to, so a document opened fresh shows the same colours in every session, and nothing is
 * stored in the TEN JSON. When two groups ask for the same colour, the one with the smaller hash
 * keeps it and the other takes the next free one. A palette remembers the colour it gave each
 * group, so a group keeps its colour while other groups are added and removed, even when a
 * newcomer hashes to the same colour (the newcomer moves on instead), and a newcomer avoids the
 * colours of groups that were removed while others are free, so undoing a removal brings the
 * group back in its colour. Up to 16 groups shown together never share a colour.
 */
export class GroupPalette {
  private readonly given = new Map<string, number>();

  colors(groups: Iterable<string>): Map<string, string> {
    const size = GROUP_PALETTE.length;
    const ranked = [...new Set(groups)].map((name) => ({ name, hash: nameHash(name) })).sort(byHash);
    const taken = new Set<number>();
    const out = new Map<string, string>();
    const newcomers: typeof ranked = [];
    // Colours given before stay; of two groups given the same one apart, the smaller hash keeps it.
    for (const group of ranked) {
      const slot = this.given.get(group.name);
      if (slot === undefined || taken.has(slot)) newcomers.push(group);
      else {
        taken.add(slot);
        out.set(group.name, GROUP_PALETTE[slot]!);
      }
    }
    if (newcomers.length === 0) return out;
    const shown = new Set(ranked.map((g) => g.name));
    const removed = new Set<number>();
    for (const [name, slot] of this.given) if (!shown.has(name)) removed.add(slot);
    for (const { name, hash } of newcomers) {
      const slot = this.free(hash % size, taken, removed);
      taken.add(slot);
      this.given.set(name, slot);
      out.set(name, GROUP_PALETTE[slot]!);
    }
    return out;
  }

  /** From `start` on: the first slot neither taken nor a removed group's, else the first not taken, else `start`. */
  private free(start: number, taken: ReadonlySet<number>, removed: ReadonlySet<number>): number {
    const size = GROUP_PALETTE.length;
    let fallback = -1;
    for (let i = 0; i < size; i++) {
      const slot = (start + i) % size;
      if (taken.has(slot)) continue;
      if (!removed.has(slot)) return slot;
      if (fallback === -1) fallback = slot;
    }
    return fallback === -1 ? start : fallback;
  }
}

let current: { scope: number; palette: GroupPalette } = { scope: NaN, palette: new GroupPalette() };

/**
 * The colours of these groups in the document shown (`scope`: `StudioState.opened`, which Save As
 * keeps); the canvas, its minimap and the palette's legend agree. Another document starts afresh.
 */
export function groupColors(groups: Iterable<string>, scope: number): Map<string, string> {
  if (current.scope !== scope) current = { scope, palette: new GroupPalette() };
  return current.palette.colors(groups);
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
