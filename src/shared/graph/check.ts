/**
 * TEN's graph rules: the shape the graph model needs, the `app` field rules, and the static
 * checks (`Graph::static_check`) that need no packages. Each rule reports TEN's text with a
 * stable code and a pointer into what the user wrote.
 */
import { pointer } from '../json/located';
import { diag, type Diagnostic, type SourceRef } from './diagnostics';
import { MSG_KINDS, type MsgKind, type TenConnection, type TenFlow, type TenGraph, type TenLoc, type TenNode } from './types';

/** Where a graph lives: its source file and the pointer of the graph object in it. */
export interface GraphAt {
  src: SourceRef;
  /** Pointer of the graph object (`""` for a standalone graph file). */
  base: string;
}

/** TEN's texts for the `app` field rules (`ten_rust` constants). */
export const ERR_APP_EMPTY = "the 'app' field can not be empty, remove the field if the graph is a single-app graph";
export const ERR_APP_MIXED = "Either all nodes should have 'app' declared, or none should, but not a mix of both.";
export const ERR_APP_SHOULD_NOT = "the 'app' field should not be declared, as not any node has declared it";
export const ERR_APP_SHOULD = "the 'app' field should be declared, as it has been declared in nodes";
export const ERR_LOCALHOST_SINGLE =
  "'localhost' is not allowed in graph definition, and the graph seems to be a single-app graph, just remove the 'app' field";
export const ERR_LOCALHOST_MULTI =
  "'localhost' is not allowed in graph definition, change the content of 'app' field to be consistent with 'ten::uri'";

/** A string as Rust's `{:?}` prints it (TEN formats the missing packages that way). */
function rustString(v: string): string {
  return `"${v.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)}"`;
}

/** TEN's text for an extension node whose addon is not installed (one package). */
export function notInstalledText(app: string | undefined, addon: string): string {
  return `The following packages are declared in nodes but not installed: [(${rustString(app ?? '')}, Extension, ${rustString(addon)})].`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Flow lists of a connection, in TEN's kind order. */
export function flowsOf(conn: TenConnection): [MsgKind, TenFlow[]][] {
  return MSG_KINDS.filter((k) => Array.isArray(conn[k])).map((k) => [k, conn[k]!]);
}

/** The name a node-or-loc names, with its role. */
export function locTarget(loc: TenLoc | TenConnection): { role: 'extension' | 'subgraph' | 'selector'; name: string } | undefined {
  if (isStr(loc.extension)) return { role: 'extension', name: loc.extension };
  if (isStr(loc.subgraph)) return { role: 'subgraph', name: loc.subgraph };
  if (isStr(loc.selector)) return { role: 'selector', name: loc.selector };
  return undefined;
}

/**
 * Checks that `graph` has the shape the model relies on (what TEN's deserializer enforces).
 * Later checks run only on graphs without shape errors, so they can trust the types.
 */
export function checkGraphShape(graph: unknown, at: GraphAt): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = (ptr: string, msg: string): void => void out.push(diag('E004', msg, at.src, at.base + ptr));
  if (!isRecord(graph)) {
    bad('', 'a graph must be a JSON object');
    return out;
  }
  // A graph without `nodes` is accepted (TEN defaults it to empty); the static check reports it.
  if (graph.nodes !== undefined && !Array.isArray(graph.nodes)) bad('/nodes', "'nodes' must be an array");
  else if (Array.isArray(graph.nodes)) {
    (graph.nodes ?? []).forEach((n, i) => {
      const p = pointer('nodes', i);
      if (!isRecord(n)) return bad(p, `nodes[${i}]: a node must be an object`);
      if (!isStr(n.name)) bad(`${p}/name`, `nodes[${i}]: missing field 'name'`);
      if (n.app !== undefined && !isStr(n.app)) bad(`${p}/app`, `nodes[${i}]: 'app' must be a string`);
      if (n.property !== undefined && !isRecord(n.property)) bad(`${p}/property`, `nodes[${i}]: 'property' must be an object`);
      switch (n.type) {
        case 'extension':
          if (!isStr(n.addon)) bad(`${p}/addon`, `nodes[${i}]: missing field 'addon'`);
          if (n.extension_group !== undefined && !isStr(n.extension_group)) bad(`${p}/extension_group`, `nodes[${i}]: 'extension_group' must be a string`);
          break;
        case 'subgraph':
          if (!isRecord(n.graph) || !isStr(n.graph.import_uri)) bad(`${p}/graph`, `nodes[${i}]: a subgraph node needs 'graph.import_uri'`);
          break;
        case 'selector':
          if (!isRecord(n.filter)) bad(`${p}/filter`, `nodes[${i}]: a selector node needs a 'filter' object`);
          break;
        default:
          bad(`${p}/type`, `nodes[${i}]: the type of the node must be one of extension/subgraph/selector`);
      }
    });
  }
  const checkLocs = (locs: unknown, p: string, label: string): void => {
    if (locs === undefined) return;
    if (!Array.isArray(locs)) return bad(p, `${label} must be an array`);
    locs.forEach((l, i) => {
      if (!isRecord(l)) return bad(`${p}/${i}`, `${label}[${i}] must be an object`);
      for (const k of ['app', 'extension', 'subgraph', 'selector'] as const) {
        if (l[k] !== undefined && !isStr(l[k])) bad(`${p}/${i}/${k}`, `${label}[${i}].${k} must be a string`);
      }
    });
  };
  if (graph.connections !== undefined) {
    if (!Array.isArray(graph.connections)) bad('/connections', "'connections' must be an array");
    else
      graph.connections.forEach((c, ci) => {
        const p = pointer('connections', ci);
        if (!isRecord(c)) return bad(p, `connections[${ci}] must be an object`);
        for (const k of ['app', 'extension', 'subgraph', 'selector'] as const) {
          if (c[k] !== undefined && !isStr(c[k])) bad(`${p}/${k}`, `connections[${ci}].${k} must be a string`);
        }
        for (const kind of MSG_KINDS) {
          const flows = c[kind];
          if (flows === undefined) continue;
          if (!Array.isArray(flows)) {
            bad(`${p}/${kind}`, `connections[${ci}].${kind} must be an array`);
            continue;
          }
          flows.forEach((f, fi) => {
            const fp = `${p}/${kind}/${fi}`;
            const label = `connections[${ci}].${kind}[${fi}]`;
            // TEN's context prefix for flow problems (`GraphConnection::validate_and_complete`).
            const ten = `connections[${ci}]: ${kind}[${fi}]`;
            if (!isRecord(f)) return bad(fp, `${label} must be an object`);
            if (f.name !== undefined && f.names !== undefined) bad(fp, `${ten}: Both 'name' and 'names' fields are specified, but they are mutually exclusive`);
            else if (f.name === undefined && f.names === undefined) bad(fp, `${ten}: Neither 'name' nor 'names' field is specified, but one must be provided`);
            if (f.name !== undefined && !isStr(f.name)) bad(`${fp}/name`, `${label}.name must be a string`);
            if (f.names !== undefined) {
              if (!Array.isArray(f.names) || !f.names.every(isStr)) bad(`${fp}/names`, `${label}.names must be an array of strings`);
              else if (f.names.length === 0) bad(`${fp}/names`, `${ten}: 'names' field is empty, must contain at least one name`);
            }
            checkLocs(f.dest, `${fp}/dest`, `${label}.dest`);
            checkLocs(f.source, `${fp}/source`, `${label}.source`);
          });
        }
      });
  }
  for (const key of ['exposed_messages', 'exposed_properties'] as const) {
    const list = graph[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every(isRecord)) bad(`/${key}`, `'${key}' must be an array of objects`);
  }
  return out;
}

/** The problem with one location's `app` as TEN's `GraphLoc::validate_app_field` words it, or undefined. */
function locAppProblem(app: unknown, declared: 'none' | 'single' | 'multi'): string | undefined {
  if (typeof app === 'string') {
    if (app === 'localhost') return declared === 'multi' ? ERR_LOCALHOST_MULTI : ERR_LOCALHOST_SINGLE;
    if (declared === 'none') return ERR_APP_SHOULD_NOT;
    return undefined;
  }
  return declared === 'none' ? undefined : ERR_APP_SHOULD;
}

/**
 * TEN's `app` field rules (`Graph::validate_and_complete`), with TEN's texts and context
 * prefixes (`nodes[0]: …`, `connections[1]: cmd[0]: dest[2]: …`). TEN stops at the first
 * problem; we report each one at its place.
 *
 * - A node's `app` must not be empty.
 * - Either every extension node declares `app` or none does.
 * - `localhost` is never written explicitly (single-app wording when at most one app is named).
 * - When no node declares `app`, no connection end may; when the nodes do, every extension end
 *   must (subgraph and selector ends carry no app). TEN checks sections and `dest` entries; we
 *   check `source` entries the same way (TEN rejects them later, as an unknown extension).
 */
export function checkAppFields(graph: TenGraph, at: GraphAt): Diagnostic[] {
  const out: Diagnostic[] = [];
  const d = (code: 'E020' | 'E021' | 'E022' | 'E023' | 'E029', msg: string, ptr: string): void => void out.push(diag(code, msg, at.src, at.base + ptr));
  const nodes = graph.nodes ?? [];
  let declaredCount = 0;
  const uris = new Set<string>();
  nodes.forEach((n, i) => {
    if (typeof n.app !== 'string') return;
    if (n.app === '') d('E020', `nodes[${i}]: ${ERR_APP_EMPTY}`, pointer('nodes', i, 'app'));
    uris.add(n.app);
    declaredCount++;
  });
  if (out.length) return out;
  const extensionCount = nodes.filter((n) => n.type === 'extension').length;
  if (declaredCount !== 0 && declaredCount !== extensionCount) {
    const first = nodes.findIndex((n) => n.type === 'extension' && n.app === undefined);
    d('E021', ERR_APP_MIXED, first === -1 ? '/nodes' : pointer('nodes', first));
    return out;
  }
  const declared = uris.size === 0 ? 'none' : uris.size === 1 ? 'single' : 'multi';
  nodes.forEach((n, i) => {
    if (n.type === 'extension' && n.app === 'localhost') d('E023', `nodes[${i}]: ${declared === 'multi' ? ERR_LOCALHOST_MULTI : ERR_LOCALHOST_SINGLE}`, pointer('nodes', i, 'app'));
  });
  const codeOf = (msg: string): 'E022' | 'E023' | 'E029' => (msg === ERR_APP_SHOULD_NOT ? 'E022' : msg === ERR_APP_SHOULD ? 'E029' : 'E023');
  const checkLoc = (l: TenLoc | TenConnection, ptr: string, prefix: string): void => {
    if (l.extension === undefined && (l.subgraph !== undefined || l.selector !== undefined)) return;
    const msg = locAppProblem(l.app, declared);
    if (msg !== undefined) d(codeOf(msg), `${prefix}${msg}`, l.app === undefined ? ptr : `${ptr}/app`);
  };
  (graph.connections ?? []).forEach((c, ci) => {
    checkLoc(c, pointer('connections', ci), `connections[${ci}]: `);
    for (const [kind, flows] of flowsOf(c)) {
      flows.forEach((f, fi) => {
        for (const side of ['dest', 'source'] as const) {
          (f[side] ?? []).forEach((l, li) => checkLoc(l, pointer('connections', ci, kind, fi, side, li), `connections[${ci}]: ${kind}[${fi}]: ${side}[${li}]: `));
        }
      });
    }
  });
  return out;
}

/** `app::name` identity of an extension within a (possibly multi-app) graph. */
const key = (app: string | undefined, name: string): string => `${app ?? ''}::${name}`;

/**
 * Which of TEN's static checks to run. TEN checks node uniqueness and references on the graph
 * as written (`pre`), and the rest on the flattened graph (`post`), where `names` are expanded and
 * `source` flows reversed. `all` runs everything on one graph, as TEN's unit tests do.
 */
export type StaticPhase = 'all' | 'pre' | 'post';

/**
 * TEN's static checks (no packages needed): at least one extension, unique node names, every
 * connection end exists, subgraph and selector references exist, one section per source,
 * unique message names per kind, and msg_conversion placement.
 */
export function staticCheck(graph: TenGraph, at: GraphAt, phase: StaticPhase = 'all'): Diagnostic[] {
  const out: Diagnostic[] = [];
  const pre = phase !== 'post';
  const post = phase !== 'pre';
  const d = (code: Diagnostic['code'], msg: string, ptr: string): void => {
    const isPre = code === 'E011' || code === 'E012' || code === 'E013' || code === 'E014' || code === 'E018' || code === 'E028';
    if (isPre ? pre : post) out.push(diag(code, msg, at.src, at.base + ptr));
  };
  const nodes: TenNode[] = graph.nodes ?? [];
  if (!nodes.some((n) => n.type === 'extension')) d('E010', 'No extension node is defined in graph.', '/nodes');

  const extensions = new Set<string>();
  const subgraphs = new Set<string>();
  const selectors = new Set<string>();
  nodes.forEach((n, i) => {
    const set: Set<string> = n.type === 'extension' ? extensions : n.type === 'subgraph' ? subgraphs : selectors;
    const k = key(typeof n.app === 'string' ? n.app : undefined, n.name);
    if (set.has(k)) {
      const msg =
        n.type === 'extension'
          ? `Duplicated extension was found in nodes[${i}], addon: ${n.addon}, name: ${n.name}.`
          : `Duplicated ${n.type} was found in nodes[${i}], name: ${n.name}.`;
      d('E011', msg, pointer('nodes', i, 'name'));
    }
    set.add(k);
  });
  const subgraphNames = new Set(nodes.filter((n) => n.type === 'subgraph').map((n) => n.name));

  /**
   * Checks one end: a connection's source (`flow` undefined) or a flow's dest/source entry, with
   * TEN's texts (`connection_extensions_exist.rs`, `subgraph_references.rs`).
   */
  const checkEnd = (loc: TenLoc | TenConnection, ptr: string, ci: number, flow?: { kind: MsgKind; fi: number; side: 'dest' | 'source'; li: number }): void => {
    const section = `connections[${ci}]`;
    const flowCtx = flow ? `${section}.${flow.kind}[${flow.fi}]` : section;
    const endCtx = flow ? `${flowCtx}.${flow.side}[${flow.li}]` : section;
    const t = locTarget(loc);
    if (!t) {
      d('E013', flow ? `Missing extension name in connection[${ci}].${flow.kind}[${flow.fi}].${flow.side}[${flow.li}]` : `Missing extension name in ${section}`, ptr);
      return;
    }
    switch (t.role) {
      case 'extension': {
        if (extensions.has(key(loc.app, t.name))) return;
        const colon = t.name.indexOf(':');
        // `<subgraph>:<extension>` addresses an extension inside a subgraph node.
        if (colon > 0) {
          const sub = t.name.slice(0, colon);
          if (subgraphNames.has(sub)) return;
          // `ten:` names TEN's built-in extensions, never a subgraph.
          if (sub !== 'ten') {
            d('E014', `The subgraph '${sub}' referenced in ${endCtx} (from extension '${t.name}') is not defined in nodes.`, `${ptr}/extension`);
            return;
          }
        }
        d(flow ? 'E013' : 'E012', `The extension declared in ${flowCtx} is not defined in nodes, extension: ${t.name}.`, `${ptr}/extension`);
        return;
      }
      case 'subgraph':
        if (!subgraphs.has(key(undefined, t.name))) d('E014', `The subgraph '${t.name}' ${flow ? 'referenced' : 'declared'} in ${endCtx} is not defined in nodes.`, `${ptr}/subgraph`);
        return;
      case 'selector':
        if (!selectors.has(key(undefined, t.name))) d('E018', `Can't find selector: ${t.name}`, `${ptr}/selector`);
        return;
    }
  };

  /** TEN's names of the kinds in its message-name and result-conversion texts (sic: `auto_frame`). */
  const MERGE_LABEL: Record<MsgKind, string> = { cmd: 'cmd', data: 'data', audio_frame: 'auto_frame', video_frame: 'video_frame' };
  const CONVERSION_LABEL: Record<MsgKind, string> = { cmd: 'cmd', data: 'data', audio_frame: 'audio frame', video_frame: 'video frame' };
  const sections = new Map<string, number>();
  (graph.connections ?? []).forEach((c, ci) => {
    const cp = pointer('connections', ci);
    checkEnd(c, cp, ci);
    const t = locTarget(c);
    if (t) {
      const k = `${t.role}:${key(c.app, t.name)}`;
      const first = sections.get(k);
      if (first !== undefined) {
        d('E015', `${t.role} '${t.name}' is defined in connection[${first}] and connection[${ci}], merge them into one section.`, cp);
      } else sections.set(k, ci);
    }
    for (const [kind, flows] of flowsOf(c)) {
      const seen = new Map<string, number>();
      flows.forEach((f, fi) => {
        const fp = `${cp}/${kind}/${fi}`;
        for (const name of f.names ?? (f.name !== undefined ? [f.name] : [])) {
          const prev = seen.get(name);
          if (prev !== undefined) {
            // TEN's text for one duplicate (`message_names.rs`; TEN joins several with newlines).
            d('E016', `- connection[${ci}]:\n  - Merge the following ${MERGE_LABEL[kind]} into one section:\n    '${name}' is defined in flow[${prev}] and flow[${fi}].`, fp);
          } else seen.set(name, fi);
        }
        for (const side of ['dest', 'source'] as const) {
          (f[side] ?? []).forEach((l, li) => {
            checkEnd(l, `${fp}/${side}/${li}`, ci, { kind, fi, side, li });
            if (side === 'dest' && kind !== 'cmd' && isRecord(l.msg_conversion) && l.msg_conversion.result !== undefined) {
              d('E017', `result conversion is not allowed for ${CONVERSION_LABEL[kind]} out msg`, `${fp}/dest/${li}/msg_conversion/result`);
            }
          });
        }
      });
    }
  });

  (graph.exposed_messages ?? []).forEach((m, i) => checkExposed(m, i, 'exposed_messages'));
  (graph.exposed_properties ?? []).forEach((m, i) => checkExposed(m, i, 'exposed_properties'));
  function checkExposed(m: unknown, i: number, list: string): void {
    if (!isRecord(m)) return;
    if (isStr(m.extension) && !extensions.has(key(undefined, m.extension)) && ![...extensions].some((e) => e.endsWith(`::${m.extension}`))) {
      d('E028', `${list}[${i}]: extension '${m.extension}' does not exist in the graph`, pointer(list, i, 'extension'));
    }
    if (isStr(m.subgraph) && !subgraphs.has(key(undefined, m.subgraph))) {
      d('E028', `${list}[${i}]: subgraph '${m.subgraph}' does not exist in the graph`, pointer(list, i, 'subgraph'));
    }
  }
  return out;
}
