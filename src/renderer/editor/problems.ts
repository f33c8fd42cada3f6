/**
 * Places the graph model's diagnostics on the canvas: a JSON pointer into `property.json` becomes
 * the graph, node or connection it is about, so the problems panel can focus it and the canvas can
 * show a badge on it.
 */
import { MSG_KINDS, type Diagnostic, type MsgKind, type TenAppProperty, type TenGraph } from '../../shared';
import { edgeId } from '../canvas/graphView';

/** A diagnostic with what it is about on the canvas. */
export interface Problem {
  /** Stable within one validation: index in the host's answer. */
  id: number;
  code: string;
  message: string;
  pointer: string;
  line?: number;
  /** The predefined graph it is in, when it is in one. */
  graph?: string;
  node?: string;
  /** Canvas edge id (`<src>-<kind>-<msg>-<dest>`), when it is about one connection. */
  edge?: string;
  /** A property path under the node's `property` (for the inspector's field errors). */
  propertyPath?: string;
}

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** Locates each diagnostic in `property` (the document as it was validated). */
export function locateProblems(property: TenAppProperty, diagnostics: readonly Diagnostic[]): Problem[] {
  return diagnostics.map((d, id) => ({ id, code: d.code, message: d.message, pointer: d.pointer, ...(d.line !== undefined ? { line: d.line } : {}), ...place(property, d.pointer) }));
}

function place(property: TenAppProperty, pointer: string): Pick<Problem, 'graph' | 'node' | 'edge' | 'propertyPath'> {
  const parts = pointer.split('/').slice(1).map(unescape);
  if (parts[0] !== 'ten' || parts[1] !== 'predefined_graphs' || parts[2] === undefined) return {};
  const entry = property.ten?.predefined_graphs?.[Number(parts[2])];
  if (!entry) return {};
  const graphName = entry.name;
  if (parts[3] !== 'graph' || !('nodes' in entry.graph)) return { graph: graphName };
  const graph = entry.graph as TenGraph;
  const rest = parts.slice(4);
  if (rest[0] === 'nodes' && rest[1] !== undefined) {
    const node = graph.nodes?.[Number(rest[1])];
    if (!node) return { graph: graphName };
    const out: Pick<Problem, 'graph' | 'node' | 'propertyPath'> = { graph: graphName, node: node.name };
    if (rest[2] === 'property' && rest.length > 3) out.propertyPath = rest.slice(3).join('.');
    return out;
  }
  if (rest[0] === 'connections' && rest[1] !== undefined) {
    const conn = graph.connections?.[Number(rest[1])];
    const self = conn?.extension ?? conn?.subgraph ?? conn?.selector;
    if (!conn || !self) return { graph: graphName };
    const kind = rest[2] as MsgKind | undefined;
    const flow = kind && MSG_KINDS.includes(kind) && rest[3] !== undefined ? conn[kind]?.[Number(rest[3])] : undefined;
    const msg = flow?.name ?? flow?.names?.[0];
    if (!kind || !flow || msg === undefined) return { graph: graphName, node: self };
    if (rest[4] === 'dest' && rest[5] !== undefined) {
      const dest = flow.dest?.[Number(rest[5])];
      const target = dest?.extension ?? dest?.subgraph ?? dest?.selector;
      if (target) return { graph: graphName, edge: edgeId(self, kind, msg, target) };
    }
    if (rest[4] === 'source' && rest[5] !== undefined) {
      const src = flow.source?.[Number(rest[5])];
      const from = src?.extension ?? src?.subgraph ?? src?.selector;
      if (from) return { graph: graphName, edge: edgeId(from, kind, msg, self) };
    }
    const first = flow.dest?.[0];
    const target = first?.extension ?? first?.subgraph ?? first?.selector;
    return target ? { graph: graphName, edge: edgeId(self, kind, msg, target) } : { graph: graphName, node: self };
  }
  return { graph: graphName };
}

/** Per canvas item of one graph: how many problems it has and the first one's text. */
export interface BadgeInfo {
  count: number;
  first: string;
}

/** Badges of the nodes and edges of `graph`. */
export function badgesOf(problems: readonly Problem[], graph: string | null): { nodes: Record<string, BadgeInfo>; edges: Record<string, BadgeInfo> } {
  const nodes: Record<string, BadgeInfo> = {};
  const edges: Record<string, BadgeInfo> = {};
  for (const p of problems) {
    if (graph === null || p.graph !== graph) continue;
    const bucket = p.edge !== undefined ? edges : p.node !== undefined ? nodes : null;
    const key = p.edge ?? p.node;
    if (!bucket || key === undefined) continue;
    const seen = bucket[key];
    bucket[key] = seen ? { count: seen.count + 1, first: seen.first } : { count: 1, first: `${p.code} ${p.message}` };
  }
  return { nodes, edges };
}
