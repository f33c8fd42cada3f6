/**
 * Graph flattening, in TEN's order: expand `names`, resolve selectors, turn `source` (reversed)
 * flows into forward `dest` flows, inline subgraphs, and (for a graph started as a subgraph of
 * another app) route `exposed_messages` through a `ten:graph_proxy` node. The user edits the
 * unflattened document; the runtime runs the flattened one, in which every flow has a single
 * `name` and only `dest`.
 */
import { dirnamePath, resolveImportUri, readFailureNote, type FileSource } from '../app/files';
import { cloneJson } from '../json/clone';
import { parseJson, pointer } from '../json/located';
import { stringifyJson } from '../json/text';
import { checkGraphShape } from './check';
import { diag, type Diagnostic, type SourceRef } from './diagnostics';
import { MSG_KINDS, type MsgKind, type TenConnection, type TenFlow, type TenGraph, type TenLoc, type TenNode } from './types';

const clone = <T>(v: T): T => cloneJson(v);

/** Identity of a connection's source or a destination: role, app and name. */
function endKey(l: TenLoc | TenConnection): string {
  const role = l.extension !== undefined ? 'extension' : l.subgraph !== undefined ? 'subgraph' : 'selector';
  return `${role}|${l.app ?? ''}|${l.extension ?? l.subgraph ?? l.selector ?? ''}`;
}

/** Only the addressing fields of a loc (what a reversed flow's dest should carry). */
function endOf(l: TenLoc | TenConnection): TenLoc {
  const out: TenLoc = {};
  if (l.app !== undefined) out.app = l.app;
  if (l.extension !== undefined) out.extension = l.extension;
  else if (l.subgraph !== undefined) out.subgraph = l.subgraph;
  else if (l.selector !== undefined) out.selector = l.selector;
  return out;
}

/** Expands every flow's `names` into one flow per name (TEN `expand_names_to_individual_items`). */
export function expandNames(graph: TenGraph): TenGraph {
  const g = clone(graph);
  for (const c of g.connections ?? []) {
    for (const kind of MSG_KINDS) {
      const flows = c[kind];
      if (!flows) continue;
      c[kind] = flows.flatMap((f) => {
        if (!Array.isArray(f.names)) return [f];
        const { names, ...rest } = f;
        return names.map((name) => ({ ...clone(rest), name }));
      });
    }
  }
  return g;
}

/** A selector filter (`{field, operator, value}` or `{and|or: [...]}`). */
type Filter = { field: string; operator: 'exact' | 'regex'; value: string } | { and: Filter[] } | { or: Filter[] };

function matches(filter: Filter, node: TenNode): boolean {
  if ('and' in filter) return filter.and.every((f) => matches(f, node));
  if ('or' in filter) return filter.or.some((f) => matches(f, node));
  const v: unknown = (node as Record<string, unknown>)[filter.field];
  if (typeof v !== 'string') return false;
  if (filter.operator === 'exact') return v === filter.value;
  try {
    return new RegExp(filter.value).test(v);
  } catch {
    return false;
  }
}

/** The extension nodes a selector node selects, in node order (TEN `get_nodes_by_selector_node_name`). */
export function selectNodes(graph: TenGraph, selectorName: string): TenNode[] | undefined {
  const sel = (graph.nodes ?? []).find((n) => n.type === 'selector' && n.name === selectorName);
  if (!sel || sel.type !== 'selector') return undefined;
  return (graph.nodes ?? []).filter((n) => n.type === 'extension' && matches(sel.filter as Filter, n));
}

/** Thrown inside flattening steps and turned into a located diagnostic by the caller. */
class FlattenError extends Error {
  constructor(
    message: string,
    readonly ptr: string,
    readonly code: Diagnostic['code'] = 'E027',
    /** The problem's place inside an imported subgraph file, when `ptr` is its import. */
    readonly inside?: { file: string; pointer: string },
  ) {
    super(message);
  }

  diagnostic(at: { src: SourceRef; base: string } | undefined): Diagnostic {
    const d = diag(this.code, this.message, at?.src, (at?.base ?? '') + this.ptr);
    if (this.inside) d.inside = this.inside;
    return d;
  }
}

/** Replaces selector ends by the extensions they select and drops the selector nodes. */
export function resolveSelectors(graph: TenGraph): TenGraph {
  // Unchanged graphs are returned as they are: callers treat results as read-only.
  if (!(graph.nodes ?? []).some((n) => n.type === 'selector')) return graph;
  const g = clone(graph);
  const expand = (l: TenLoc | TenConnection, ptr: string): TenLoc[] => {
    if (l.selector === undefined) return [l as TenLoc];
    const selected = selectNodes(graph, l.selector);
    if (!selected) throw new FlattenError(`Can't find selector: ${l.selector}`, `${ptr}/selector`, 'E018');
    return selected.map((n) => {
      const { selector: _s, ...rest } = l as TenLoc;
      const out: TenLoc = { ...clone(rest), extension: n.name };
      if (typeof n.app === 'string') out.app = n.app;
      return out;
    });
  };
  const connections: TenConnection[] = [];
  (g.connections ?? []).forEach((c, ci) => {
    for (const kind of MSG_KINDS) {
      c[kind]?.forEach((f, fi) => {
        for (const side of ['dest', 'source'] as const) {
          if (f[side]) f[side] = f[side]!.flatMap((l, li) => expand(l, pointer('connections', ci, kind, fi, side, li)));
        }
      });
    }
    for (const src of expand(c, pointer('connections', ci))) {
      const { selector: _s, ...rest } = c;
      connections.push({ ...clone(rest), ...endOf(src) });
    }
  });
  g.nodes = (g.nodes ?? []).filter((n) => n.type !== 'selector');
  g.connections = mergeConnections(connections);
  return g;
}

/** Merges connections with the same source, flows with the same kind+name, and identical dests. */
export function mergeConnections(connections: readonly TenConnection[]): TenConnection[] {
  const out: TenConnection[] = [];
  const bySource = new Map<string, TenConnection>();
  for (const c of connections) {
    const k = endKey(c);
    const existing = bySource.get(k);
    if (!existing) {
      const copy = clone(c);
      bySource.set(k, copy);
      out.push(copy);
      continue;
    }
    for (const kind of MSG_KINDS) {
      for (const f of c[kind] ?? []) addFlow(existing, kind, clone(f));
    }
  }
  return out;
}

/** Adds a flow to a connection, merging its dests into an existing flow of the same name. */
function addFlow(conn: TenConnection, kind: MsgKind, flow: TenFlow): void {
  const list = (conn[kind] ??= []);
  const same = flow.name !== undefined ? list.find((f) => f.name === flow.name && f.names === undefined) : undefined;
  if (!same) {
    list.push(flow);
    return;
  }
  for (const side of ['dest', 'source'] as const) {
    for (const l of flow[side] ?? []) {
      const target = (same[side] ??= []);
      if (!target.some((t) => stringifyJson(t) === stringifyJson(l))) target.push(l);
    }
  }
}

/**
 * Turns every `source` entry into a forward flow from that source to the flow's owner, merges
 * the result, and drops flows left without destinations.
 * TEN `convert_reversed_connections_to_forward_connections`.
 */
export function reverseConnections(graph: TenGraph): TenGraph {
  const hasSource = (graph.connections ?? []).some((c) => MSG_KINDS.some((k) => c[k]?.some((f) => (f.source?.length ?? 0) > 0)));
  if (!hasSource) return graph;
  const g = clone(graph);
  const forward: TenConnection[] = [];
  const added: TenConnection[] = [];
  for (const c of g.connections ?? []) {
    const kept: TenConnection = { ...c };
    for (const kind of MSG_KINDS) {
      const flows = c[kind];
      if (!flows) continue;
      const keptFlows: TenFlow[] = [];
      for (const f of flows) {
        const { source, ...rest } = f;
        for (const s of source ?? []) {
          const naming = f.names !== undefined ? { names: [...f.names] } : { name: f.name };
          added.push({ ...endOf(s), [kind]: [{ ...naming, dest: [endOf(c)] }] });
        }
        if ((rest.dest?.length ?? 0) > 0) keptFlows.push(rest);
      }
      if (keptFlows.length) kept[kind] = keptFlows;
      else delete kept[kind];
    }
    if (MSG_KINDS.some((k) => kept[k])) forward.push(kept);
  }
  g.connections = mergeConnections([...forward, ...added]);
  return g;
}

/** How to read subgraphs while flattening. */
export interface FlattenOptions {
  files?: FileSource;
  /** Folder of the file holding the graph; relative `import_uri`s resolve against it. */
  baseDir?: string;
  /** The app folder, for `${app_base_dir}` URIs. */
  appBaseDir?: string;
  /** Keep `exposed_messages`/`exposed_properties` (rewritten to flattened names). Default: drop. */
  preserveExposed?: boolean;
  /** Inject `ten:graph_proxy` for `exposed_messages` (a graph started as another graph's subgraph). */
  graphProxy?: { hostLoc?: Record<string, unknown> };
  /** Where the graph was written (for located errors). */
  at?: { src: SourceRef; base: string };
}

/** The flattened graph, or located problems that stopped flattening. */
export type FlattenResult = { ok: true; graph: TenGraph } | { ok: false; diagnostics: Diagnostic[] };

const MAX_DEPTH = 16;

/** TEN wraps every problem of its subgraph step in this (`Graph::flatten_graph`). */
const FLATTEN_PREFIX = 'Failed to flatten graph: ';

function withFlattenPrefix(message: string): string {
  return message.startsWith(FLATTEN_PREFIX) ? message : `${FLATTEN_PREFIX}${message}`;
}

/** TEN prints an exposed message type with Rust's `{:?}`: `cmd_in` is `CmdIn`. */
function rustVariant(type: string): string {
  return type.replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

/**
 * Flattens a graph completely: names → selectors → reversed connections → subgraphs
 * (→ graph proxy when asked). The result has only extension nodes and forward flows with a
 * single `name`. Never throws; failures are diagnostics located in the user's document.
 */
export async function flattenGraph(graph: TenGraph, opts: FlattenOptions = {}): Promise<FlattenResult> {
  const at = opts.at ?? { src: {}, base: '' };
  try {
    let g = await flattenInner(graph, opts.baseDir, opts, 0, at);
    // The proxy is built from exposed_messages, so before they are dropped.
    if (opts.graphProxy) g = injectGraphProxy(g, opts.graphProxy.hostLoc);
    if (!opts.preserveExposed) {
      delete g.exposed_messages;
      delete g.exposed_properties;
    }
    return { ok: true, graph: g };
  } catch (err) {
    if (err instanceof FlattenError) return { ok: false, diagnostics: [err.diagnostic(at)] };
    throw err;
  }
}

async function flattenInner(
  graph: TenGraph,
  baseDir: string | undefined,
  opts: FlattenOptions,
  depth: number,
  at: { src: SourceRef; base: string },
): Promise<TenGraph> {
  let g = reverseConnections(resolveSelectors(expandNames(graph)));
  if (!(g.nodes ?? []).some((n) => n.type === 'subgraph')) return g;
  if (depth >= MAX_DEPTH) throw new FlattenError(`${FLATTEN_PREFIX}Subgraphs nested more than ${MAX_DEPTH} levels (a cycle?)`, '/nodes', 'E026');
  const subs = new Map<string, TenGraph>();
  for (const [i, n] of (g.nodes ?? []).entries()) {
    if (n.type !== 'subgraph') continue;
    const uri = n.graph.import_uri;
    const ptr = pointer('nodes', i, 'graph', 'import_uri');
    if (uri === '') throw new FlattenError(`${FLATTEN_PREFIX}Subgraph node '${n.name}' has an empty import_uri`, ptr, 'E026');
    const res = resolveImportUri(uri, baseDir, opts.appBaseDir);
    if (!res.ok) throw new FlattenError(`${FLATTEN_PREFIX}${res.error}`, ptr, 'E026');
    const text = opts.files ? await opts.files.readText(res.path) : null;
    // TEN's texts (`load_graph_from_uri`), plus what TEN leaves out: the reason the file is not a graph.
    if (text === null) throw new FlattenError(`${FLATTEN_PREFIX}Failed to read content file from ${res.path}${await readFailureNote(opts.files, res.path)}`, ptr, 'E026');
    const parsed = parseJson(text);
    if (!parsed.ok) throw new FlattenError(`${FLATTEN_PREFIX}Failed to parse graph file from ${res.path} (${parsed.error.message})`, ptr, 'E026');
    const shape = checkGraphShape(parsed.doc.value, { src: { file: res.path }, base: '' });
    if (shape.length) throw new FlattenError(`${FLATTEN_PREFIX}Failed to parse graph file from ${res.path} (${shape[0]!.message})`, ptr, 'E026');
    try {
      subs.set(n.name, await flattenInner(parsed.doc.value as TenGraph, dirnamePath(res.path), { ...opts, preserveExposed: true }, depth + 1, at));
    } catch (err) {
      // A problem inside the subgraph's file is reported at the node that imports it, in TEN's words.
      if (err instanceof FlattenError) throw new FlattenError(withFlattenPrefix(err.message), ptr, err.code, err.inside ?? { file: res.path, pointer: err.ptr });
      throw err;
    }
  }
  g = inlineSubgraphs(g, subs);
  return g;
}

interface ExposedMessage {
  type: string;
  name: string;
  extension?: string;
  subgraph?: string;
}

/** Inlines already-flattened subgraphs into `g` (TEN `flatten_subgraphs`). */
function inlineSubgraphs(g: TenGraph, subs: Map<string, TenGraph>): TenGraph {
  const prefixed = (sub: string, ext: string): string => `${sub}_${ext}`;
  const exposedTarget = (sub: string, type: string, name: string, ptr: string): string => {
    const inner = subs.get(sub);
    if (!inner) throw new FlattenError(`${FLATTEN_PREFIX}Subgraph '${sub}' not found`, ptr);
    const list = inner.exposed_messages as ExposedMessage[] | undefined;
    if (!list) throw new FlattenError(`${FLATTEN_PREFIX}Subgraph '${sub}' does not have exposed_messages defined`, ptr);
    const hit = list.find((m) => m.type === type && m.name === name);
    if (!hit) throw new FlattenError(`${FLATTEN_PREFIX}Message '${name}' of type '${rustVariant(type)}' is not exposed by subgraph '${sub}'`, ptr);
    if (!hit.extension) throw new FlattenError(`${FLATTEN_PREFIX}Exposed message '${name}' in subgraph '${sub}' does not specify an extension`, ptr);
    return prefixed(sub, hit.extension);
  };
  /** Rewrites `<subgraph>:<extension>` ends to the flattened extension name. */
  const colonForm = (l: TenLoc | TenConnection): void => {
    if (typeof l.extension !== 'string') return;
    const colon = l.extension.indexOf(':');
    if (colon > 0 && subs.has(l.extension.slice(0, colon))) l.extension = prefixed(l.extension.slice(0, colon), l.extension.slice(colon + 1));
  };

  const nodes: TenNode[] = [];
  const connections: TenConnection[] = [];
  const innerConnections: TenConnection[] = [];
  const nodeIndex = new Map((g.nodes ?? []).map((n, i) => [n, i] as const));
  for (const n of g.nodes ?? []) {
    if (n.type !== 'subgraph') {
      nodes.push(n);
      continue;
    }
    const inner = subs.get(n.name)!;
    const exposedProps = (inner.exposed_properties ?? []) as { extension?: string; name: string }[];
    for (const sn of inner.nodes ?? []) {
      const copy = clone(sn);
      copy.name = prefixed(n.name, sn.name);
      nodes.push(copy);
    }
    // The subgraph node's properties reach the inner extensions its exposed_properties name.
    for (const [k, v] of Object.entries(n.property ?? {})) {
      const ptr = pointer('nodes', nodeIndex.get(n)!, 'property', k);
      if (!inner.exposed_properties) {
        throw new FlattenError(`${FLATTEN_PREFIX}Subgraph '${n.name}' does not have exposed_properties defined, but properties are specified in the subgraph node`, ptr);
      }
      const target = exposedProps.find((p) => p.name === k)?.extension;
      if (target === undefined) throw new FlattenError(`${FLATTEN_PREFIX}Property '${k}' specified in subgraph node '${n.name}' is not exposed by the subgraph`, ptr);
      const node = nodes.find((x) => x.name === prefixed(n.name, target));
      if (node && node.type === 'extension') node.property = { ...(node.property ?? {}), [k]: clone(v) };
    }
    for (const c of inner.connections ?? []) {
      const copy = clone(c);
      if (copy.extension !== undefined) copy.extension = prefixed(n.name, copy.extension);
      for (const kind of MSG_KINDS) {
        for (const f of copy[kind] ?? []) for (const d of f.dest ?? []) if (d.extension !== undefined) d.extension = prefixed(n.name, d.extension);
      }
      innerConnections.push(copy);
    }
  }
  (g.connections ?? []).forEach((c, ci) => {
    const cp = pointer('connections', ci);
    colonForm(c);
    for (const kind of MSG_KINDS) {
      c[kind]?.forEach((f, fi) => {
        (f.dest ?? []).forEach((d, di) => {
          colonForm(d);
          if (d.subgraph !== undefined) {
            const ext = exposedTarget(d.subgraph, `${kind}_in`, f.name ?? '', pointer('connections', ci, kind, fi, 'dest', di, 'subgraph'));
            delete d.subgraph;
            d.extension = ext;
          }
        });
      });
    }
    if (c.subgraph === undefined) {
      connections.push(c);
      return;
    }
    // A connection from a whole subgraph: each flow leaves from the extension exposing it.
    for (const kind of MSG_KINDS) {
      c[kind]?.forEach((f, fi) => {
        const ext = exposedTarget(c.subgraph!, `${kind}_out`, f.name ?? '', `${cp}/${kind}/${fi}`);
        connections.push({ extension: ext, [kind]: [f] });
      });
    }
  });
  const out: TenGraph = { ...g, nodes, connections: mergeConnections([...connections, ...innerConnections]) };
  const rewriteExposed = (list: unknown[] | undefined, isMsg: boolean): unknown[] | undefined =>
    list?.map((e) => {
      const m = clone(e) as ExposedMessage;
      if (m.subgraph === undefined) return m;
      const inner = subs.get(m.subgraph);
      const innerList = ((isMsg ? inner?.exposed_messages : inner?.exposed_properties) ?? []) as ExposedMessage[];
      const hit = innerList.find((x) => x.name === m.name && (!isMsg || x.type === m.type));
      if (hit?.extension) {
        const sub = m.subgraph;
        delete m.subgraph;
        m.extension = prefixed(sub, hit.extension);
      }
      return m;
    });
  if (out.exposed_messages) out.exposed_messages = rewriteExposed(out.exposed_messages, true);
  if (out.exposed_properties) out.exposed_properties = rewriteExposed(out.exposed_properties, false);
  return out;
}

/** Name and addon of the node TEN injects for `exposed_messages`. */
export const GRAPH_PROXY = 'ten:graph_proxy';

/**
 * Adds a `ten:graph_proxy` extension and routes every exposed message through it: `*_in`
 * messages flow from the proxy to the exposing extension, `*_out` messages to the proxy.
 * Returns the graph unchanged when nothing is exposed.
 */
export function injectGraphProxy(graph: TenGraph, hostLoc?: Record<string, unknown>): TenGraph {
  const exposed = (graph.exposed_messages ?? []) as ExposedMessage[];
  if (exposed.length === 0) return graph;
  if ((graph.nodes ?? []).some((n) => n.name === GRAPH_PROXY)) {
    const i = (graph.nodes ?? []).findIndex((n) => n.name === GRAPH_PROXY);
    throw new FlattenError(`Graph already contains a node named '${GRAPH_PROXY}', cannot inject graph_proxy`, pointer('nodes', i, 'name'), 'E011');
  }
  const g = clone(graph);
  const added: TenConnection[] = [];
  exposed.forEach((m, i) => {
    const ext = m.extension;
    if (ext === undefined) {
      throw new FlattenError(
        m.subgraph !== undefined
          ? 'Subgraph references in exposed_messages are not supported for graph_proxy injection. Please flatten the graph first.'
          : "exposed_messages entry must specify either 'extension' or 'subgraph'",
        pointer('exposed_messages', i),
        'E028',
      );
    }
    if (!(g.nodes ?? []).some((n) => n.type === 'extension' && n.name === ext)) {
      throw new FlattenError(`Extension '${ext}' referenced in exposed_messages does not exist in the graph`, pointer('exposed_messages', i, 'extension'), 'E028');
    }
    const split = splitExposedType(m.type);
    if (!split) throw new FlattenError(`exposed_messages[${i}]: unknown type '${String(m.type)}'`, pointer('exposed_messages', i, 'type'), 'E004');
    const [kind, dir] = split;
    if (dir === 'in') added.push({ extension: GRAPH_PROXY, [kind]: [{ name: m.name, dest: [{ extension: ext }] }] });
    else added.push({ extension: ext, [kind]: [{ name: m.name, dest: [{ extension: GRAPH_PROXY }] }] });
  });
  const proxy: TenNode = { type: 'extension', name: GRAPH_PROXY, addon: GRAPH_PROXY };
  if (hostLoc) proxy.property = { host_loc: clone(hostLoc) };
  g.nodes = [...(g.nodes ?? []), proxy];
  g.connections = mergeConnections([...(g.connections ?? []), ...added]);
  return g;
}

/** Like {@link injectGraphProxy} but reports a missing extension as a diagnostic. */
export function injectGraphProxyChecked(graph: TenGraph, hostLoc?: Record<string, unknown>, at?: { src: SourceRef; base: string }): FlattenResult {
  try {
    return { ok: true, graph: injectGraphProxy(graph, hostLoc) };
  } catch (err) {
    if (err instanceof FlattenError) return { ok: false, diagnostics: [err.diagnostic(at)] };
    throw err;
  }
}

function splitExposedType(type: unknown): [MsgKind, 'in' | 'out'] | undefined {
  const m = typeof type === 'string' ? /^(cmd|data|audio_frame|video_frame)_(in|out)$/.exec(type) : null;
  return m ? [m[1] as MsgKind, m[2] as 'in' | 'out'] : undefined;
}

/** True when `v` looks like a flattened graph: only extension nodes, single names, dest only. */
export function isFlat(graph: TenGraph): boolean {
  return (
    (graph.nodes ?? []).every((n) => n.type === 'extension') &&
    (graph.connections ?? []).every(
      (c) => c.extension !== undefined && MSG_KINDS.every((k) => (c[k] ?? []).every((f) => f.name !== undefined && f.names === undefined && f.source === undefined)),
    )
  );
}
