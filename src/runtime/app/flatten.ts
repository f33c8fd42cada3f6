/**
 * Turns a graph as users write it (names, `source` flows, selectors, subgraphs) into the
 * flattened form the engine runs, with the shared flattener reading subgraph files from disk.
 */
import { readdir, readFile } from 'node:fs/promises';
import { flattenGraph } from '../../shared/graph/flatten';
import type { FileSource } from '../../shared/app/files';
import type { TenGraph } from '../../shared/graph/types';

const diskFiles: FileSource = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  },
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
export async function flattenForRun(graph: TenGraph, baseDir: string | undefined, appDir: string | undefined): Promise<TenGraph> {
  if (isFlat(graph)) return graph;
  const r = await flattenGraph(graph, { files: diskFiles, baseDir, appBaseDir: appDir });
  if (!r.ok) throw new Error(`The graph cannot be flattened: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.graph;
}
