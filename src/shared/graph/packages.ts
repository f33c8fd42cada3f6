/**
 * Checks that need installed packages: every addon is installed, and connected ports have
 * compatible message schemas (TEN `Graph::check` with a package cache).
 */
import { pointer } from '../json/located';
import type { Catalogue } from '../manifest/catalogue';
import { checkSchemaCompatible, UNRESOLVED_VALUE } from '../schema/value-schema';
import { flowsOf, notInstalledText, type GraphAt } from './check';
import { diag, type Diagnostic } from './diagnostics';
import type { TenGraph } from './types';

/** Addons TEN provides itself (`ten:` prefix); they are never installed as packages. */
export const isBuiltinTenAddon = (addon: string): boolean => addon.startsWith('ten:');

/** Options of {@link checkNodesInstalled}. */
export interface PackageCheckOptions {
  /**
   * The URI of the app whose packages the catalogue holds. Nodes that declare another `app` run
   * elsewhere and are not required here (TEN `check_for_single_app`). Undefined: check every node.
   */
  appUri?: string;
}

/**
 * Every extension node's addon is in the catalogue (or is a TEN built-in), with TEN's text for
 * one missing package (TEN lists all of them in one message; we report each at its node).
 */
export function checkNodesInstalled(graph: TenGraph, at: GraphAt, catalogue: Catalogue, opts: PackageCheckOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  (graph.nodes ?? []).forEach((n, i) => {
    if (n.type !== 'extension') return;
    if (opts.appUri !== undefined && n.app !== undefined && n.app !== opts.appUri) return;
    if (isBuiltinTenAddon(n.addon) || catalogue.get(n.addon)) return;
    out.push(
      diag(
        'E030',
        notInstalledText(n.app, n.addon),
        at.src,
        at.base + pointer('nodes', i, 'addon'),
      ),
    );
  });
  return out;
}

/**
 * For each flow between two extensions with known addons, the sender's out schema must be
 * compatible with the receiver's in schema; for cmds the receiver's result schema must be
 * compatible with the sender's. Flows by `names` are checked per name; `*` (any message) is skipped.
 */
export function checkConnectionsCompatible(graph: TenGraph, at: GraphAt, catalogue: Catalogue): Diagnostic[] {
  const out: Diagnostic[] = [];
  const addonOf = new Map<string, string>();
  for (const n of graph.nodes ?? []) if (n.type === 'extension') addonOf.set(`${n.app ?? ''}::${n.name}`, n.addon);
  (graph.connections ?? []).forEach((c, ci) => {
    if (c.extension === undefined) return;
    const srcAddon = addonOf.get(`${c.app ?? ''}::${c.extension}`);
    if (!srcAddon) return;
    for (const [kind, flows] of flowsOf(c)) {
      flows.forEach((f, fi) => {
        const names = f.names ?? (f.name !== undefined ? [f.name] : []);
        (f.dest ?? []).forEach((d, di) => {
          if (d.extension === undefined) return;
          const dstAddon = addonOf.get(`${d.app ?? ''}::${d.extension}`);
          if (!dstAddon) return;
          for (const name of names) {
            if (name === '*') continue;
            const sp = catalogue.port(srcAddon, kind, 'out', name);
            const tp = catalogue.port(dstAddon, kind, 'in', name);
            let r = checkSchemaCompatible(sp?.schema, tp?.schema);
            if (r.ok && kind === 'cmd') r = checkSchemaCompatible(tp?.resultSchema, sp?.resultSchema);
            if (!r.ok) {
              out.push(
                diag(
                  'E031',
                  `- connections[${ci}]: \n  - ${kind}[${fi}]:  Schema incompatible to [extension: ${d.extension}], ${r.error}`,
                  at.src,
                  at.base + pointer('connections', ci, kind, fi, 'dest', di),
                ),
              );
            }
          }
        });
      });
    }
  });
  return out;
}

/** `${env:NAME}` / `${env:NAME|default}`: resolved by TEN at start, so its type is not known yet. */
const ENV_PLACEHOLDER = /^\$\{env:[^}]*\}$/;

/** Replaces environment placeholders by {@link UNRESOLVED_VALUE}, so only literal values are type-checked. */
function withoutPlaceholders(v: unknown): unknown {
  if (typeof v === 'string' && ENV_PLACEHOLDER.test(v)) return UNRESOLVED_VALUE;
  if (Array.isArray(v)) return v.map(withoutPlaceholders);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = withoutPlaceholders(x);
    return out;
  }
  return v;
}

/**
 * Node properties against the addon's `api.property` schema (what TEN checks at
 * `on_configure_done`), merged over the package's own property.json like TEN does. Values written
 * as `${env:…}` placeholders are skipped: their type is only known once the environment is read.
 */
export function checkNodeProperties(
  graph: TenGraph,
  at: GraphAt,
  catalogue: Catalogue,
  validatorFor: (addon: string) => ((value: unknown) => { ok: true } | { ok: false; error: string }) | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  (graph.nodes ?? []).forEach((n, i) => {
    if (n.type !== 'extension' || n.property === undefined) return;
    const addon = catalogue.get(n.addon);
    const validate = addon && validatorFor(n.addon);
    if (!validate) return;
    const merged = { ...(addon.defaultProperty ?? {}), ...n.property };
    const r = validate(withoutPlaceholders(merged));
    if (!r.ok) {
      const path = /^((?:\.[A-Za-z0-9_]+|\[\d+\])+): /.exec(r.error)?.[1] ?? '';
      const ptr = path.replace(/\.([A-Za-z0-9_]+)/g, '/$1').replace(/\[(\d+)\]/g, '/$1');
      out.push(diag('E051', `nodes[${i}] '${n.name}' property${r.error.startsWith('.') ? '' : ': '}${r.error}`, at.src, at.base + pointer('nodes', i, 'property') + ptr));
    }
  });
  return out;
}
