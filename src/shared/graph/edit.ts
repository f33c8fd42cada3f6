/**
 * Editing operations over TEN documents, as pure functions: each takes a document and an edit and
 * returns a new document plus the edit that undoes it (for undo/redo). Unchanged parts of the
 * document are shared, not copied, so keeping inverses on an undo stack is cheap.
 */
import { cloneJson } from '../json/clone';
import { locTarget } from './check';
import { MSG_KINDS, type MsgKind, type TenAppProperty, type TenConnection, type TenFlow, type TenGraph, type TenLoc, type TenNode, type TenPredefinedGraph } from './types';

/** One end of a connection as the editor names it. */
export interface EndRef {
  extension: string;
  app?: string;
}

/** An edit of one graph. */
export type GraphEdit =
  | { type: 'addNode'; node: TenNode; index?: number }
  | { type: 'removeNode'; name: string }
  | { type: 'renameNode'; from: string; to: string }
  | { type: 'connect'; kind: MsgKind; name: string; from: EndRef; to: EndRef }
  | { type: 'disconnect'; kind: MsgKind; name: string; from: EndRef; to: EndRef }
  | { type: 'setProperty'; node: string; path: readonly string[]; value: unknown }
  | { type: 'deleteProperty'; node: string; path: readonly string[] }
  | { type: 'setGroup'; node: string; group: string | undefined }
  /** Puts `node` in place of the node named `name` (the exact inverse of node-level edits). */
  | { type: 'replaceNode'; name: string; node: TenNode }
  /** Restores node and connection lists exactly (the inverse of structural edits). */
  | {
      type: 'restore';
      nodes: TenNode[];
      connections: TenConnection[] | undefined;
      /** Restored when given (a rename also rewrites these lists); `null` removes the list. */
      exposed?: { messages: unknown[] | null; properties: unknown[] | null };
    };

/** An edit of an app's property.json. */
export type PropertyEdit =
  | { type: 'editGraph'; graph: string; edit: GraphEdit }
  | { type: 'addGraph'; entry: TenPredefinedGraph; index?: number }
  | { type: 'removeGraph'; name: string };

/** The edited document and the edit that undoes it, or why the edit cannot apply. */
export type EditResult<D, E> = { ok: true; doc: D; inverse: E } | { ok: false; error: string };

const sameEnd = (l: TenLoc | TenConnection, e: EndRef): boolean => l.extension === e.extension && (l.app ?? undefined) === (e.app ?? undefined);
const endLoc = (e: EndRef): TenLoc => (e.app !== undefined ? { app: e.app, extension: e.extension } : { extension: e.extension });
const restoreOf = (g: TenGraph, withExposed = false): GraphEdit => {
  const edit: GraphEdit = { type: 'restore', nodes: g.nodes ?? [], connections: g.connections };
  if (withExposed) edit.exposed = { messages: g.exposed_messages ?? null, properties: g.exposed_properties ?? null };
  return edit;
};

function withParts(g: TenGraph, nodes: TenNode[], connections: TenConnection[] | undefined): TenGraph {
  const out: TenGraph = { ...g, nodes };
  if (connections === undefined) delete out.connections;
  else out.connections = connections;
  return out;
}

/** Renames every reference to extension `from` in a loc. */
function renameLoc<T extends TenLoc | TenConnection>(l: T, from: string, to: string): T {
  return l.extension === from ? { ...l, extension: to } : l;
}

/** Applies one edit to a graph. Never mutates `graph`. */
export function applyGraphEdit(graph: TenGraph, edit: GraphEdit): EditResult<TenGraph, GraphEdit> {
  const nodes = graph.nodes ?? [];
  const conns = graph.connections ?? [];
  const find = (name: string): number => nodes.findIndex((n) => n.name === name);
  switch (edit.type) {
    case 'addNode': {
      if (find(edit.node.name) !== -1) return { ok: false, error: `A node named '${edit.node.name}' already exists.` };
      const at = Math.max(0, Math.min(edit.index ?? nodes.length, nodes.length));
      const next = [...nodes.slice(0, at), cloneJson(edit.node), ...nodes.slice(at)];
      return { ok: true, doc: withParts(graph, next, graph.connections), inverse: { type: 'removeNode', name: edit.node.name } };
    }
    case 'removeNode': {
      if (find(edit.name) === -1) return { ok: false, error: `No node named '${edit.name}'.` };
      const next = nodes.filter((n) => n.name !== edit.name);
      // Drop the node's own section and every destination pointing at it.
      const nextConns = conns
        .filter((c) => locTarget(c)?.name !== edit.name)
        .map((c) => pruneConnection(c, (l) => locTarget(l)?.name !== edit.name))
        .filter((c): c is TenConnection => c !== undefined);
      return { ok: true, doc: withParts(graph, next, graph.connections === undefined ? undefined : nextConns), inverse: restoreOf(graph) };
    }
    case 'renameNode': {
      const i = find(edit.from);
      if (i === -1) return { ok: false, error: `No node named '${edit.from}'.` };
      if (find(edit.to) !== -1) return { ok: false, error: `A node named '${edit.to}' already exists.` };
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(edit.to)) return { ok: false, error: `'${edit.to}' is not a valid node name (letters, digits, '_'; not starting with a digit).` };
      const next = nodes.map((n, k) => (k === i ? { ...n, name: edit.to } : n));
      const nextConns = conns.map((c) => {
        const renamed = renameLoc(c, edit.from, edit.to);
        const out: TenConnection = { ...renamed };
        for (const kind of MSG_KINDS) {
          if (!c[kind]) continue;
          out[kind] = c[kind]!.map((f) => {
            const nf: TenFlow = { ...f };
            if (f.dest) nf.dest = f.dest.map((l) => renameLoc(l, edit.from, edit.to));
            if (f.source) nf.source = f.source.map((l) => renameLoc(l, edit.from, edit.to));
            return nf;
          });
        }
        return out;
      });
      const doc = withParts(graph, next, graph.connections === undefined ? undefined : nextConns);
      for (const key of ['exposed_messages', 'exposed_properties'] as const) {
        if (Array.isArray(graph[key])) doc[key] = graph[key]!.map((e) => (isExtRef(e, edit.from) ? { ...(e as object), extension: edit.to } : e));
      }
      // Restoring (not renaming back) keeps any dangling reference to the new name as it was.
      return { ok: true, doc, inverse: restoreOf(graph, true) };
    }
    case 'connect': {
      for (const e of [edit.from, edit.to]) if (find(e.extension) === -1) return { ok: false, error: `No node named '${e.extension}'.` };
      const ci = conns.findIndex((c) => sameEnd(c, edit.from));
      const conn: TenConnection = ci === -1 ? { ...endLoc(edit.from) } : { ...conns[ci]! };
      const flows = [...(conn[edit.kind] ?? [])];
      const fi = flows.findIndex((f) => f.name === edit.name);
      if (fi === -1) flows.push({ name: edit.name, dest: [endLoc(edit.to)] });
      else {
        const f = flows[fi]!;
        if ((f.dest ?? []).some((l) => sameEnd(l, edit.to))) return { ok: false, error: `'${edit.name}' already flows from '${edit.from.extension}' to '${edit.to.extension}'.` };
        flows[fi] = { ...f, dest: [...(f.dest ?? []), endLoc(edit.to)] };
      }
      conn[edit.kind] = flows;
      const nextConns = ci === -1 ? [...conns, conn] : conns.map((c, k) => (k === ci ? conn : c));
      return { ok: true, doc: withParts(graph, nodes, nextConns), inverse: { type: 'disconnect', kind: edit.kind, name: edit.name, from: edit.from, to: edit.to } };
    }
    case 'disconnect': {
      const ci = conns.findIndex((c) => sameEnd(c, edit.from));
      const flow = ci === -1 ? undefined : conns[ci]![edit.kind]?.find((f) => f.name === edit.name);
      if (!flow || !(flow.dest ?? []).some((l) => sameEnd(l, edit.to))) {
        return { ok: false, error: `No ${edit.kind} '${edit.name}' flows from '${edit.from.extension}' to '${edit.to.extension}'.` };
      }
      const c = conns[ci]!;
      const flows = c[edit.kind]!
        .map((f) => (f.name === edit.name ? { ...f, dest: (f.dest ?? []).filter((l) => !sameEnd(l, edit.to)) } : f))
        .filter((f) => (f.dest?.length ?? 0) > 0 || (f.source?.length ?? 0) > 0);
      const nc: TenConnection = { ...c };
      if (flows.length) nc[edit.kind] = flows;
      else delete nc[edit.kind];
      const keep = MSG_KINDS.some((k) => nc[k]);
      const nextConns = keep ? conns.map((x, k) => (k === ci ? nc : x)) : conns.filter((_, k) => k !== ci);
      return { ok: true, doc: withParts(graph, nodes, nextConns), inverse: restoreOf(graph) };
    }
    case 'setProperty':
    case 'deleteProperty': {
      const i = find(edit.node);
      if (i === -1) return { ok: false, error: `No node named '${edit.node}'.` };
      if (edit.path.length === 0) return { ok: false, error: 'A property path needs at least one key.' };
      const node = nodes[i]!;
      if (node.type === 'selector') return { ok: false, error: `Selector node '${edit.node}' has no properties.` };
      const property = setPath(node.property ?? {}, edit.path, edit.type === 'setProperty' ? cloneJson(edit.value) : undefined);
      const nn = { ...node } as TenNode;
      if (Object.keys(property).length === 0) delete nn.property;
      else nn.property = property;
      return { ok: true, doc: withParts(graph, nodes.map((n, k) => (k === i ? nn : n)), graph.connections), inverse: { type: 'replaceNode', name: edit.node, node } };
    }
    case 'setGroup': {
      const i = find(edit.node);
      const node = nodes[i];
      if (!node || node.type !== 'extension') return { ok: false, error: `No extension node named '${edit.node}'.` };
      const nn = { ...node };
      if (edit.group === undefined) delete nn.extension_group;
      else nn.extension_group = edit.group;
      return { ok: true, doc: withParts(graph, nodes.map((n, k) => (k === i ? nn : n)), graph.connections), inverse: { type: 'replaceNode', name: edit.node, node } };
    }
    case 'replaceNode': {
      const i = find(edit.name);
      if (i === -1) return { ok: false, error: `No node named '${edit.name}'.` };
      if (edit.node.name !== edit.name && find(edit.node.name) !== -1) return { ok: false, error: `A node named '${edit.node.name}' already exists.` };
      return { ok: true, doc: withParts(graph, nodes.map((n, k) => (k === i ? edit.node : n)), graph.connections), inverse: { type: 'replaceNode', name: edit.node.name, node: nodes[i]! } };
    }
    case 'restore': {
      const doc = withParts(graph, edit.nodes, edit.connections);
      if (edit.exposed) {
        for (const [key, list] of [['exposed_messages', edit.exposed.messages], ['exposed_properties', edit.exposed.properties]] as const) {
          if (list === null) delete doc[key];
          else doc[key] = list;
        }
      }
      return { ok: true, doc, inverse: restoreOf(graph, edit.exposed !== undefined) };
    }
  }
}

function isExtRef(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as { extension?: unknown }).extension === name;
}

/** Keeps only dests accepted by `keep`; drops flows and sections left empty. */
function pruneConnection(c: TenConnection, keep: (l: TenLoc) => boolean): TenConnection | undefined {
  const out: TenConnection = { ...c };
  let changed = false;
  for (const kind of MSG_KINDS) {
    const flows = c[kind];
    if (!flows) continue;
    const next = flows
      .map((f) => {
        const dest = f.dest?.filter(keep);
        const source = f.source?.filter(keep);
        if (dest?.length === f.dest?.length && source?.length === f.source?.length) return f;
        changed = true;
        const nf: TenFlow = { ...f };
        if (dest) nf.dest = dest;
        if (source) nf.source = source;
        return nf;
      })
      .filter((f) => (f.dest?.length ?? 0) + (f.source?.length ?? 0) > 0);
    if (next.length !== flows.length) changed = true;
    if (next.length) out[kind] = next;
    else delete out[kind];
  }
  if (!changed) return c;
  return MSG_KINDS.some((k) => out[k]) ? out : undefined;
}

/** Copy-on-write set (or delete, for `undefined`) of a nested key; empty parents are removed. */
function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (rest.length === 0) {
    if (value === undefined) delete out[head];
    else Object.defineProperty(out, head, { value, enumerable: true, writable: true, configurable: true });
    return out;
  }
  const child = obj[head];
  const base = typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
  const next = setPath(base, rest, value);
  if (Object.keys(next).length === 0 && value === undefined) delete out[head];
  else Object.defineProperty(out, head, { value: next, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Applies one edit to a property.json value. Never mutates `doc`. */
export function applyPropertyEdit(doc: TenAppProperty, edit: PropertyEdit): EditResult<TenAppProperty, PropertyEdit> {
  const ten = doc.ten ?? {};
  const graphs = ten.predefined_graphs ?? [];
  const withGraphs = (next: TenPredefinedGraph[]): TenAppProperty => ({ ...doc, ten: { ...ten, predefined_graphs: next } });
  switch (edit.type) {
    case 'editGraph': {
      const i = graphs.findIndex((g) => g.name === edit.graph);
      const entry = graphs[i];
      if (!entry) return { ok: false, error: `No predefined graph named '${edit.graph}'.` };
      if ('import_uri' in entry.graph && typeof entry.graph.import_uri === 'string') {
        return { ok: false, error: `Graph '${edit.graph}' is imported from ${entry.graph.import_uri}; edit that file instead.` };
      }
      const r = applyGraphEdit(entry.graph as TenGraph, edit.edit);
      if (!r.ok) return r;
      return { ok: true, doc: withGraphs(graphs.map((g, k) => (k === i ? { ...g, graph: r.doc } : g))), inverse: { type: 'editGraph', graph: edit.graph, edit: r.inverse } };
    }
    case 'addGraph': {
      if (graphs.some((g) => g.name === edit.entry.name)) return { ok: false, error: `A graph named '${edit.entry.name}' already exists.` };
      const at = Math.max(0, Math.min(edit.index ?? graphs.length, graphs.length));
      return { ok: true, doc: withGraphs([...graphs.slice(0, at), cloneJson(edit.entry), ...graphs.slice(at)]), inverse: { type: 'removeGraph', name: edit.entry.name } };
    }
    case 'removeGraph': {
      const i = graphs.findIndex((g) => g.name === edit.name);
      if (i === -1) return { ok: false, error: `No predefined graph named '${edit.name}'.` };
      return { ok: true, doc: withGraphs(graphs.filter((_, k) => k !== i)), inverse: { type: 'addGraph', entry: graphs[i]!, index: i } };
    }
  }
}
