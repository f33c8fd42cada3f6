/**
 * The whole check of one graph as TEN applies it before running it: parse-time rules, the
 * pre-flatten static checks on what the user wrote, flattening, the remaining static checks and
 * the package checks on the flattened graph. Problems found in the flattened graph are reported
 * at the place in the user's document they come from.
 */
import type { FileSource } from '../app/files';
import type { Catalogue } from '../manifest/catalogue';
import { compileValueSchema, type ValueValidator } from '../schema/value-schema';
import { flowsOf, staticCheck, type GraphAt } from './check';
import { diag, type Diagnostic } from './diagnostics';
import { parseTimeGraphCheck } from './document';
import { flattenGraph } from './flatten';
import { checkConnectionsCompatible, checkNodeProperties, checkNodesInstalled } from './packages';
import type { MsgKind, TenGraph } from './types';

/** What {@link checkGraph} may read: subgraph files and installed addons. */
export interface GraphCheckOptions {
  files?: FileSource;
  baseDir?: string;
  appBaseDir?: string;
  /** Installed addons; without it, package checks are skipped. */
  catalogue?: Catalogue;
  /** URI of the app the catalogue belongs to; nodes of other apps are not package-checked. */
  appUri?: string;
}

/** Problems found, plus the flattened graph when flattening succeeded. */
export interface GraphCheckResult {
  diagnostics: Diagnostic[];
  /** The flattened graph, when the graph got that far. */
  flat?: TenGraph;
}

/** Runs every check on one graph. Never throws. */
export async function checkGraph(graph: unknown, at: GraphAt, opts: GraphCheckOptions = {}): Promise<GraphCheckResult> {
  const parse = parseTimeGraphCheck(graph, at);
  if (parse.length) return { diagnostics: parse };
  const g = graph as TenGraph;
  const pre = staticCheck(g, at, 'pre');
  if (pre.length) return { diagnostics: pre };
  const flat = await flattenGraph(g, { files: opts.files, baseDir: opts.baseDir, appBaseDir: opts.appBaseDir, at });
  if (!flat.ok) return { diagnostics: flat.diagnostics };
  // Checks on the flattened graph run without a source, then are placed in the user's document.
  const flatAt: GraphAt = { src: {}, base: '' };
  const found = staticCheck(flat.graph, flatAt, 'post');
  if (opts.catalogue && found.length === 0) {
    found.push(
      ...checkNodesInstalled(flat.graph, flatAt, opts.catalogue, { appUri: opts.appUri }),
      ...checkConnectionsCompatible(flat.graph, flatAt, opts.catalogue),
      ...checkNodeProperties(flat.graph, flatAt, opts.catalogue, (addon) => propertyValidator(opts.catalogue!, addon)),
    );
  }
  const diagnostics = found.map((d) => diag(d.code, d.message, at.src, at.base + mapToSource(g, flat.graph, d.pointer)));
  return { diagnostics, flat: flat.graph };
}

/**
 * Maps a pointer into the flattened graph to the closest place in the graph as written: the same
 * node; the flow with that source, kind and name (found forward, or as a `source` entry of the
 * destination's section); or the section of that source.
 */
export function mapToSource(original: TenGraph, flat: TenGraph, ptr: string): string {
  const parts = ptr.split('/').slice(1);
  if (parts[0] === 'nodes' && parts[1] !== undefined) {
    const node = (flat.nodes ?? [])[Number(parts[1])];
    const i = node ? findNode(original, node.name) : -1;
    return i === -1 ? '/nodes' : `/nodes/${i}${parts.length > 2 ? '/' + parts.slice(2).join('/') : ''}`;
  }
  if (parts[0] !== 'connections' || parts[1] === undefined) return ptr;
  const conn = (flat.connections ?? [])[Number(parts[1])];
  if (!conn) return '/connections';
  const srcName = conn.extension ?? '';
  const conns = original.connections ?? [];
  const ci = conns.findIndex((c) => c.extension === srcName && c.app === conn.app);
  const kind = parts[2] as MsgKind | undefined;
  const flow = kind && parts[3] !== undefined ? conn[kind]?.[Number(parts[3])] : undefined;
  if (!kind || !flow?.name) return ci === -1 ? '/connections' : `/connections/${ci}`;
  const destName = parts[4] === 'dest' && parts[5] !== undefined ? flow.dest?.[Number(parts[5])]?.extension : undefined;
  if (ci !== -1) {
    const c = conns[ci]!;
    for (const [k, flows] of flowsOf(c)) {
      if (k !== kind) continue;
      const fi = flows.findIndex((f) => f.name === flow.name || f.names?.includes(flow.name!));
      if (fi === -1) continue;
      const di = destName === undefined ? -1 : (flows[fi]!.dest ?? []).findIndex((l) => l.extension === destName);
      if (di !== -1) return `/connections/${ci}/${kind}/${fi}/dest/${di}`;
      if (destName === undefined || (flows[fi]!.dest ?? []).length > 0) return `/connections/${ci}/${kind}/${fi}`;
    }
  }
  // A reversed flow: written in the destination's section as a `source` entry.
  for (const [cj, c] of conns.entries()) {
    if (destName !== undefined && c.extension !== destName) continue;
    const flows = c[kind] ?? [];
    for (const [fi, f] of flows.entries()) {
      if (f.name !== flow.name && !f.names?.includes(flow.name)) continue;
      const si = (f.source ?? []).findIndex((l) => l.extension === srcName);
      if (si !== -1) return `/connections/${cj}/${kind}/${fi}/source/${si}`;
    }
  }
  return ci === -1 ? '/connections' : `/connections/${ci}`;
}

/** Index of the node a flattened name comes from (`<subgraph>_<ext>` maps to the subgraph node). */
function findNode(g: TenGraph, name: string): number {
  const nodes = g.nodes ?? [];
  const exact = nodes.findIndex((n) => n.name === name);
  if (exact !== -1) return exact;
  return nodes.findIndex((n) => n.type === 'subgraph' && name.startsWith(`${n.name}_`));
}

/** Compiled property validators per catalogue and addon: compiling is the expensive part. */
const propertyValidators = new WeakMap<Catalogue, Map<string, ValueValidator | undefined>>();

function propertyValidator(catalogue: Catalogue, addon: string): ValueValidator | undefined {
  let byAddon = propertyValidators.get(catalogue);
  if (!byAddon) {
    byAddon = new Map();
    propertyValidators.set(catalogue, byAddon);
  }
  if (!byAddon.has(addon)) {
    const schema = catalogue.get(addon)?.propertySchema;
    byAddon.set(addon, schema ? compileValueSchema(schema) : undefined);
  }
  return byAddon.get(addon);
}
