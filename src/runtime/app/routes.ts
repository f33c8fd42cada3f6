/**
 * Builds the routing table of a flattened graph: (kind, source extension, name) → destinations
 * in graph order. Accepts `name` or `names` and reversed `source` flows; subgraphs and selectors
 * must have been flattened before.
 *
 * With `appUri`, the plan is this app's part of a multi-app graph: only nodes of this app (or
 * without `app`) run here, only flows leaving them are routed here, and a destination in
 * another app keeps its app (messages to it go out through the App).
 */
import { UNSPECIFIED_GROUP, type TenGraph, type TenExtensionNode, type TenFlow, type MsgKind } from '../../shared/graph/types';
import { routeKey, type RouteDest } from '../core/protocol';

const KINDS: readonly MsgKind[] = ['cmd', 'data', 'audio_frame', 'video_frame'];

export interface GraphPlan {
  nodes: TenExtensionNode[];
  groupOf: Record<string, string>;
  routes: Record<string, RouteDest[]>;
}

function flowNames(f: TenFlow): string[] {
  if (typeof f.name === 'string') return [f.name];
  return Array.isArray(f.names) ? f.names.filter((n): n is string => typeof n === 'string') : [];
}

/** Throws an Error with a user-facing text when the graph is not runnable as given. */
export function planGraph(graph: TenGraph, appUri?: string): GraphPlan {
  const here = (app: string | undefined): boolean => appUri === undefined || !app || app === appUri;
  const nodes: TenExtensionNode[] = [];
  const groupOf: Record<string, string> = {};
  for (const [i, n] of (graph.nodes ?? []).entries()) {
    if (n.type !== 'extension') throw new Error(`Node '${n.name}' is a ${n.type}: the graph must be flattened before it runs.`);
    if (!here(n.app)) continue;
    // TEN's text (its check_extension_uniqueness).
    if (groupOf[n.name] !== undefined) throw new Error(`Duplicated extension was found in nodes[${i}], addon: ${n.addon}, name: ${n.name}.`);
    nodes.push(n);
    groupOf[n.name] = n.extension_group ?? UNSPECIFIED_GROUP;
  }
  const routes: Record<string, RouteDest[]> = {};
  const add = (kind: MsgKind, src: string, name: string, dest: RouteDest): void => {
    const key = routeKey(kind, src, name);
    (routes[key] ??= []).push(dest);
  };
  for (const c of graph.connections ?? []) {
    if (typeof c.extension !== 'string') throw new Error('A connection must name its source extension (flatten subgraphs and selectors first).');
    const src = c.extension;
    const srcHere = here(c.app);
    for (const kind of KINDS) {
      for (const flow of c[kind] ?? []) {
        for (const name of flowNames(flow)) {
          for (const d of flow.dest ?? []) {
            if (typeof d.extension !== 'string') throw new Error(`A destination of '${name}' from '${src}' is not an extension.`);
            if (srcHere) add(kind, src, name, here(d.app) ? { ext: d.extension, msgConversion: d.msg_conversion } : { ext: d.extension, msgConversion: d.msg_conversion, app: d.app });
          }
          for (const s of flow.source ?? []) {
            if (typeof s.extension !== 'string') throw new Error(`A source of '${name}' into '${src}' is not an extension.`);
            if (here(s.app)) add(kind, s.extension, name, srcHere ? { ext: src, msgConversion: s.msg_conversion } : { ext: src, msgConversion: s.msg_conversion, app: c.app });
          }
        }
      }
    }
  }
  return { nodes, groupOf, routes };
}
