/**
 * TEN app folders: `manifest.json`, `property.json` and the packages installed under
 * `ten_packages/{extension,system}/*` (plus local `path` dependencies and extra package folders
 * the caller names), and the checks TEN runs over them.
 */
import { diag, type Diagnostic } from '../graph/diagnostics';
import { checkPropertyDocument, loadPredefinedGraph, parseJsonDocument, predefinedGraphs, type JsonDocument, type LocatedGraph } from '../graph/document';
import { checkGraph } from '../graph/validate';
import type { TenGraph } from '../graph/types';
import { buildCatalogue, type Catalogue, type CatalogueEntry } from '../manifest/catalogue';
import { flattenManifestApi, parseManifest, type TenManifest } from '../manifest/manifest';
import { basenamePath, joinPath, type FileSource } from './files';

/** One package found on disk. */
export interface InstalledPackage {
  dir: string;
  manifest: JsonDocument<TenManifest>;
  property?: JsonDocument<Record<string, unknown>>;
  entry: CatalogueEntry;
  diagnostics: Diagnostic[];
}

/** An app folder as loaded: its documents, packages, and problems found while reading them. */
export interface LoadedApp {
  dir: string;
  manifest?: JsonDocument<TenManifest>;
  property?: JsonDocument;
  packages: InstalledPackage[];
  /** Problems found while loading (unreadable or invalid files). */
  diagnostics: Diagnostic[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Loads a package folder (`manifest.json`, optional `property.json`), merging its interfaces.
 * Returns undefined when the folder has no manifest.
 */
export async function loadPackage(dir: string, files: FileSource, appBaseDir?: string): Promise<InstalledPackage | undefined> {
  const manifestFile = joinPath(dir, 'manifest.json');
  const text = await files.readText(manifestFile);
  if (text === null) return undefined;
  const m = parseManifest(text, manifestFile);
  if (!m.doc) {
    // Keep a placeholder named after the folder so the addon still shows up, with its problems.
    const placeholder: TenManifest = { type: 'extension', name: basenamePath(dir), version: '0.0.0' };
    return { dir, manifest: { file: manifestFile, value: placeholder }, entry: { manifest: placeholder, source: 'app', dir }, diagnostics: m.diagnostics };
  }
  const diagnostics = [...m.diagnostics];
  const manifest = m.doc.value;
  const flat = await flattenManifestApi(isRecord(manifest) ? manifest.api : undefined, { files, baseDir: dir, appBaseDir, file: manifestFile });
  diagnostics.push(...flat.diagnostics);
  const pkg: InstalledPackage = { dir, manifest: m.doc, entry: { manifest, api: flat.api, source: 'app', dir }, diagnostics };
  const propFile = joinPath(dir, 'property.json');
  const propText = await files.readText(propFile);
  if (propText !== null) {
    const p = parseJsonDocument<Record<string, unknown>>(propText, propFile);
    if (p.ok) {
      pkg.property = p.doc;
      if (isRecord(p.doc.value)) pkg.entry.property = p.doc.value;
      diagnostics.push(...checkPropertyDocument(p.doc));
    } else diagnostics.push(...p.diagnostics);
  }
  return pkg;
}

/** Options of {@link loadApp}. */
export interface LoadAppOptions {
  /** Extra folders holding `<name>/manifest.json` packages (e.g. a shared packages checkout). */
  packageDirs?: string[];
}

/** Loads an app folder and every package installed in it. Never throws. */
export async function loadApp(dir: string, files: FileSource, opts: LoadAppOptions = {}): Promise<LoadedApp> {
  const app: LoadedApp = { dir, packages: [], diagnostics: [] };
  const manifestFile = joinPath(dir, 'manifest.json');
  const mt = await files.readText(manifestFile);
  if (mt === null) app.diagnostics.push(diag('E003', `Cannot read ${manifestFile}`, { file: manifestFile }, ''));
  else {
    const m = parseManifest(mt, manifestFile);
    if (m.doc) app.manifest = m.doc;
    app.diagnostics.push(...m.diagnostics);
  }
  const propFile = joinPath(dir, 'property.json');
  const pt = await files.readText(propFile);
  if (pt === null) app.diagnostics.push(diag('E003', `Cannot read ${propFile}`, { file: propFile }, ''));
  else {
    const p = parseJsonDocument(pt, propFile);
    if (p.ok) app.property = p.doc;
    else app.diagnostics.push(...p.diagnostics);
  }
  const seen = new Set<string>();
  const addFrom = async (pkgDir: string): Promise<void> => {
    if (seen.has(pkgDir)) return;
    seen.add(pkgDir);
    const pkg = await loadPackage(pkgDir, files, dir);
    if (pkg) app.packages.push(pkg);
  };
  for (const kind of ['extension', 'system']) {
    const root = joinPath(dir, `ten_packages/${kind}`);
    for (const name of (await files.listDir(root)) ?? []) await addFrom(joinPath(root, name));
  }
  const deps = app.manifest?.value.dependencies;
  const missingPaths: { index: number; path: string }[] = [];
  if (Array.isArray(deps)) {
    for (const [index, d] of (deps as unknown[]).entries()) {
      if (!isRecord(d) || typeof d.path !== 'string') continue;
      const pkgDir = joinPath(dir, d.path);
      const before = app.packages.length;
      await addFrom(pkgDir);
      if (app.packages.length === before && !app.packages.some((p) => p.dir === pkgDir)) missingPaths.push({ index, path: d.path });
    }
  }
  for (const extra of opts.packageDirs ?? []) {
    for (const name of (await files.listDir(extra)) ?? []) await addFrom(joinPath(extra, name));
  }
  // A local dependency whose folder is missing matters only if no other folder provides the package.
  for (const m of missingPaths) {
    if (app.packages.some((p) => p.entry.manifest.name === basenamePath(m.path))) continue;
    app.diagnostics.push(
      diag('E032', `Local dependency '${m.path}' does not exist (no manifest.json in ${joinPath(dir, m.path)})`, { file: app.manifest?.file, doc: app.manifest?.located }, `/dependencies/${m.index}/path`),
    );
  }
  return app;
}

/** The catalogue of an app: its packages first (an app may override a built-in), then `builtins`. */
export function appCatalogue(app: LoadedApp, builtins: readonly CatalogueEntry[] = []): Catalogue {
  return buildCatalogue([...app.packages.map((p) => p.entry), ...builtins]);
}

/** Options of {@link validateApp}. */
export interface ValidateAppOptions {
  /** Only this predefined graph. */
  graph?: string;
  builtins?: readonly CatalogueEntry[];
  files: FileSource;
}

/** Everything found in an app, and each predefined graph as loaded. */
export type AppValidation = { diagnostics: Diagnostic[]; graphs: { name: string; graph?: LocatedGraph }[] };

/**
 * Everything TEN checks for an app: property.json (schema, graph entries, app rules), every
 * predefined graph's static checks, addons installed, and schema compatibility of connections.
 * Package manifests' own problems are reported too.
 */
export async function validateApp(app: LoadedApp, opts: ValidateAppOptions): Promise<AppValidation> {
  const diagnostics: Diagnostic[] = [...app.diagnostics];
  const graphs: AppValidation['graphs'] = [];
  if (!app.property) return { diagnostics, graphs };
  // Problems of a package matter when the app's graphs use it, or when it lives in the app.
  const used = new Set<string>();
  for (const info of predefinedGraphs(app.property.value)) {
    const nodes = isRecord(info.graph) && Array.isArray(info.graph.nodes) ? info.graph.nodes : [];
    for (const n of nodes) if (isRecord(n) && typeof n.addon === 'string') used.add(n.addon);
  }
  const inApp = joinPath(app.dir, 'ten_packages') + '/';
  for (const p of app.packages) if (used.has(p.entry.manifest.name) || p.dir.startsWith(inApp)) diagnostics.push(...p.diagnostics);
  diagnostics.push(...checkPropertyDocument(app.property));
  const catalogue = appCatalogue(app, opts.builtins);
  const entries = predefinedGraphs(app.property.value);
  if (opts.graph !== undefined && !entries.some((g) => g.name === opts.graph)) {
    diagnostics.push(diag('E004', `No predefined graph named '${opts.graph}'`, { file: app.property.file, doc: app.property.located }, '/ten/predefined_graphs'));
  }
  for (const [i, info] of entries.entries()) {
    if (opts.graph !== undefined && info.name !== opts.graph) continue;
    const loaded = await loadPredefinedGraph(app.property, i, { files: opts.files, baseDir: app.dir, appBaseDir: app.dir });
    if (!loaded.ok) {
      // Inline graph errors were already reported by checkPropertyDocument.
      if (isRecord(info.graph) && typeof info.graph.import_uri === 'string') diagnostics.push(...loaded.diagnostics);
      graphs.push({ name: String(info.name) });
      continue;
    }
    const { graph, at, baseDir } = loaded.graph;
    const checked = await checkGraph(graph, at, { files: opts.files, baseDir, appBaseDir: app.dir, catalogue, appUri: appUriOf(app) });
    diagnostics.push(...checked.diagnostics.filter((d) => !isInlineParseDiag(d, info.graph)));
    graphs.push({ name: String(info.name), graph: loaded.graph });
  }
  return { diagnostics: dedupe(diagnostics), graphs };
}

/**
 * The app's own URI (`ten.uri`). Without one, no `app` value names this app, so nodes that
 * declare an app are all remote ('' never matches: TEN forbids an empty app).
 */
function appUriOf(app: LoadedApp): string {
  const v = app.property?.value;
  const ten = isRecord(v) && isRecord(v.ten) ? v.ten : {};
  return typeof ten.uri === 'string' ? ten.uri : '';
}

/** Parse-time problems of inline graphs are already in checkPropertyDocument's output. */
function isInlineParseDiag(d: Diagnostic, graph: unknown): boolean {
  return isRecord(graph) && typeof graph.import_uri !== 'string' && (d.code === 'E004' || d.code.startsWith('E02'));
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.code}|${d.file}|${d.pointer}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A graph ready for the runtime: flattened, with the checks that found nothing blocking. */
export type RunnableGraph = { ok: true; graph: TenGraph; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Loads predefined graph `name` of an app, checks it, and returns the flattened graph the runtime
 * runs (every flow with a single `name` and only `dest`). Problems that stop a run (anything but
 * schema incompatibility warnings from packages) make it fail; errors point into the user's files.
 */
export async function prepareGraphForRun(app: LoadedApp, name: string, opts: { files: FileSource; builtins?: readonly CatalogueEntry[] }): Promise<RunnableGraph> {
  if (!app.property) return { ok: false, diagnostics: app.diagnostics };
  const index = predefinedGraphs(app.property.value).findIndex((g) => g.name === name);
  if (index === -1) {
    return { ok: false, diagnostics: [diag('E004', `No predefined graph named '${name}'`, { file: app.property.file, doc: app.property.located }, '/ten/predefined_graphs')] };
  }
  const loaded = await loadPredefinedGraph(app.property, index, { files: opts.files, baseDir: app.dir, appBaseDir: app.dir });
  if (!loaded.ok) return loaded;
  const { graph, at, baseDir } = loaded.graph;
  const checked = await checkGraph(graph, at, { files: opts.files, baseDir, appBaseDir: app.dir, catalogue: appCatalogue(app, opts.builtins), appUri: appUriOf(app) });
  const blocking = checked.diagnostics.filter((d) => d.code !== 'E031');
  if (blocking.length || !checked.flat) return { ok: false, diagnostics: checked.diagnostics };
  return { ok: true, graph: checked.flat, diagnostics: checked.diagnostics };
}
