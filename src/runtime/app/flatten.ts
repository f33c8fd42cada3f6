/**
 * Turns a graph as users write it (names, `source` flows, selectors, subgraphs) into the
 * flattened form the engine runs, with the shared flattener reading subgraph files from disk.
 */
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { flattenGraph } from '../../shared/graph/flatten';
import { resolveImportUri, type FileSource } from '../../shared/app/files';
import type { TenGraph } from '../../shared/graph/types';
import { parseJsonText } from '../../shared/json/text';
import { readFailure, readRegularText, whyUnreadable } from '../core/regular_file';

/** Graph files named by `import_uri`: only regular files up to 128 MiB are read (a FIFO is unreadable, not a hang). */
const diskFiles: FileSource = {
  async readText(path) {
    try {
      return await readRegularText(path);
    } catch {
      return null;
    }
  },
  unreadable: whyUnreadable,
  async listDir(path) {
    try {
      return await readdir(path);
    } catch {
      return null;
    }
  },
};

/** True when the graph already has only extension nodes and single-name forward flows. */
function isFlat(graph: TenGraph): boolean {
  if ((graph.nodes ?? []).some((n) => n.type !== 'extension')) return false;
  for (const c of graph.connections ?? []) {
    if (typeof c.extension !== 'string') return false;
    for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as const) {
      for (const f of c[kind] ?? []) if (typeof f.name !== 'string' || f.source !== undefined) return false;
    }
  }
  return true;
}

/**
 * The flattened graph, or an Error whose message lists the flattener's diagnostics.
 * `baseDir` resolves relative subgraph `import_uri`s; `appDir` resolves `${app_base_dir}`.
 */
export async function flattenForRun(
  graph: TenGraph,
  baseDir: string | undefined,
  appDir: string | undefined,
  hostLoc?: Record<string, unknown>,
): Promise<TenGraph> {
  // A graph with exposed_messages started by another graph talks to its starter through TEN's
  // graph proxy (src/runtime/graph_proxy), whose host_loc is the starter.
  const proxy = hostLoc !== undefined && (graph.exposed_messages ?? []).length > 0;
  if (!proxy && isFlat(graph)) return graph;
  const r = await flattenGraph(graph, { files: diskFiles, baseDir, appBaseDir: appDir, ...(proxy ? { graphProxy: { hostLoc } } : {}) });
  if (!r.ok) throw new Error(`The graph cannot be flattened: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.graph;
}

/**
 * A predefined graph given as `{"import_uri": …}`: the graph file, and its folder (which the
 * file's own relative subgraph imports resolve against).
 */
export async function loadImportedGraph(uri: string, appDir: string | undefined): Promise<{ graph: TenGraph; baseDir: string }> {
  const r = resolveImportUri(uri, appDir, appDir);
  if (!r.ok) throw new Error(r.error);
  let text: string;
  try {
    text = await readRegularText(r.path);
  } catch (e) {
    throw new Error(`Failed to load the graph of import_uri '${uri}': cannot read ${r.path}: ${readFailure(e)}`, { cause: e });
  }
  let graph: unknown;
  try {
    graph = parseJsonText(text);
  } catch (e) {
    throw new Error(`Failed to load the graph of import_uri '${uri}': ${r.path}: ${(e as Error).message}`);
  }
  if (graph === null || typeof graph !== 'object' || !Array.isArray((graph as TenGraph).nodes)) {
    throw new Error(`Failed to load the graph of import_uri '${uri}': ${r.path} has no "nodes" array.`);
  }
  return { graph: graph as TenGraph, baseDir: dirname(r.path) };
}
