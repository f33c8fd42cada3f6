/**
 * Shared by `validate` and `flatten`: turns the command's path (an app folder, a property.json
 * or a graph JSON) into a loaded, checked model.
 */
import { stat } from 'node:fs/promises';
import { modelPath, nodeFiles } from '../host';
import { readFailure, readRegularText, whyUnreadable } from '../runtime/core/regular_file';
import { BUILTIN_ADDONS_DIR } from '../runtime/addons';
import {
  basenamePath,
  checkPropertyDocument,
  dirnamePath,
  flattenManifestApi,
  checkGraph,
  loadApp,
  loadPredefinedGraph,
  parseManifest,
  parseJsonDocument,
  predefinedGraphs,
  sourceOf,
  validateApp,
  type Diagnostic,
  type JsonDocument,
  type LocatedGraph,
} from '../shared';
import type { ParsedArgs } from './args';

/** What `validate` and `flatten` found in their input. */
export interface CheckedInput {
  diagnostics: Diagnostic[];
  /** The graphs that loaded (name → graph), for flatten. */
  graphs: { name: string; graph?: LocatedGraph }[];
  appDir?: string;
}

/** Unreadable input (exit code 2). */
export class UnreadableInput extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Loads and checks the input; throws {@link UnreadableInput} when it cannot be read at all. */
export async function checkInput(args: ParsedArgs): Promise<CheckedInput> {
  const target = args.positionals[0];
  if (target === undefined) throw new UnreadableInput('missing <app-dir | property.json | graph.json>');
  const path = modelPath(target);
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new UnreadableInput(`cannot read ${target}: ${readFailure(err)}`);
  }
  const graphName = typeof args.options.get('graph') === 'string' ? (args.options.get('graph') as string) : undefined;
  if (info.isDirectory()) {
    const packagesOpt = args.options.get('packages');
    const packageDirs = typeof packagesOpt === 'string' ? packagesOpt.split(',').map(modelPath) : [];
    // The studio's runtime provides its built-in addons to every app, so a graph using them is
    // not missing anything; `--no-builtins` checks against the app's own packages only, as TEN would.
    if (args.options.get('no-builtins') !== true) packageDirs.push(BUILTIN_ADDONS_DIR);
    const app = await loadApp(path, nodeFiles, { packageDirs });
    // A property.json that cannot be read at all is exit code 2; one that does not parse (a syntax
    // error, nesting too deep) is a located E001 among the diagnostics, exit code 1.
    if (!app.property && app.diagnostics.some((d) => d.code === 'E003' && d.file?.endsWith('/property.json'))) {
      throw new UnreadableInput(`cannot read ${target}/property.json: ${await whyUnreadable(`${path}/property.json`)}`);
    }
    const v = await validateApp(app, { files: nodeFiles, graph: graphName });
    return { diagnostics: v.diagnostics, graphs: v.graphs, appDir: path };
  }
  let text: string;
  try {
    text = await readRegularText(path);
  } catch (err) {
    throw new UnreadableInput(`cannot read ${target}: ${readFailure(err)}`);
  }
  const parsed = parseJsonDocument(text, path);
  if (!parsed.ok) return { diagnostics: parsed.diagnostics, graphs: [] };
  const doc: JsonDocument = parsed.doc;
  if (basenamePath(path) === 'manifest.json') {
    const m = parseManifest(text, path);
    const api = m.doc && isRecord(m.doc.value) ? m.doc.value.api : undefined;
    const flat = await flattenManifestApi(api, { files: nodeFiles, baseDir: dirnamePath(path), file: path });
    return { diagnostics: [...m.diagnostics, ...flat.diagnostics], graphs: [] };
  }
  if (isPropertyFile(path, doc.value)) {
    const diagnostics = checkPropertyDocument(doc);
    const graphs: CheckedInput['graphs'] = [];
    for (const [i, g] of predefinedGraphs(doc.value).entries()) {
      if (graphName !== undefined && g.name !== graphName) continue;
      const loaded = await loadPredefinedGraph(doc, i, { files: nodeFiles, baseDir: dirnamePath(path), appBaseDir: dirnamePath(path) });
      if (!loaded.ok) {
        if (isRecord(g.graph) && typeof g.graph.import_uri === 'string') diagnostics.push(...loaded.diagnostics);
        graphs.push({ name: String(g.name) });
        continue;
      }
      const checked = await checkGraph(loaded.graph.graph, loaded.graph.at, { files: nodeFiles, baseDir: loaded.graph.baseDir, appBaseDir: dirnamePath(path) });
      const found = checked.diagnostics.filter((d) => !diagnostics.some((x) => x.pointer === d.pointer && x.message === d.message));
      diagnostics.push(...found);
      graphs.push({ name: String(g.name), graph: loaded.graph });
    }
    return { diagnostics, graphs };
  }
  const at = { src: sourceOf(doc), base: '' };
  const { diagnostics } = await checkGraph(doc.value, at, { files: nodeFiles, baseDir: dirnamePath(path) });
  return { diagnostics, graphs: [{ name: '', graph: { graph: doc.value as LocatedGraph['graph'], at, baseDir: dirnamePath(path) } }] };
}

/** A `ten` section makes a property.json; otherwise graph fields make a graph, and the name decides. */
function isPropertyFile(path: string, value: unknown): boolean {
  if (!isRecord(value)) return basenamePath(path) === 'property.json';
  if (isRecord(value.ten) || isRecord(value._ten)) return true;
  if ('nodes' in value || 'connections' in value) return false;
  return basenamePath(path) === 'property.json';
}
