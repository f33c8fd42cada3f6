/**
 * What the graph editor asks of the host: the addon catalogue (built-ins plus an app's packages)
 * and the graph model's whole check of a document. Both run here, not in the renderer, because
 * checking property values compiles ajv validators and the renderer's CSP forbids eval.
 */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILTIN_ADDONS_DIR, builtinAddonPackages } from '../runtime/addons';
import { discoverAddons } from '../runtime/app/packages';
import {
  appCatalogue,
  buildCatalogue,
  checkGraph,
  checkPropertyDocument,
  documentFromValue,
  HostError,
  loadApp,
  loadPackage,
  loadPredefinedGraph,
  predefinedGraphs,
  type AddonSummary,
  type Catalogue,
  type CatalogueEntry,
  type Diagnostic,
  type GraphDocument,
} from '../shared';
import { modelPath, nodeFiles } from './files';
import { packageRunnability } from './runnable';

export interface EditorServiceOptions {
  /** Folder of the built-in examples (`<dir>/<id>/property.json`), for an example's import_uris. */
  examplesDir: string;
  /** Folder holding the built-in addon packages; defaults to the runtime's own. */
  builtinAddonsDir?: string;
}

/** The name the graph model gives the in-memory document in its diagnostics. */
const DOCUMENT_FILE = 'property.json';

export class EditorService {
  private builtins: Promise<CatalogueEntry[]> | undefined;

  constructor(private readonly options: EditorServiceOptions) {}

  /** Built-in addon entries, read once: they only change with the studio itself. */
  private builtinEntries(): Promise<CatalogueEntry[]> {
    this.builtins ??= (async () => {
      const entries: CatalogueEntry[] = [];
      for (const pkg of builtinAddonPackages(this.options.builtinAddonsDir)) {
        const loaded = await loadPackage(modelPath(pkg.dir), nodeFiles);
        if (loaded) entries.push({ ...loaded.entry, source: 'builtin' });
      }
      return entries;
    })();
    return this.builtins;
  }

  /** The catalogue of an app folder's packages and the built-ins (built-ins only without a folder). */
  async catalogue(appDir: string | undefined): Promise<Catalogue> {
    const builtins = await this.builtinEntries();
    if (appDir === undefined) return buildCatalogue(builtins);
    const app = await loadApp(modelPath(appDir), nodeFiles);
    return appCatalogue(app, builtins);
  }

  /**
   * Every addon a node can use: the app's packages first (they may override a built-in), then
   * built-ins; each with its language and whether the studio's runtime can run it here.
   */
  async listAddons(appDir: string | undefined): Promise<AddonSummary[]> {
    const catalogue = await this.catalogue(appDir);
    const runnable = {
      app: appDir === undefined ? new Map() : discoverAddons(appDir, []),
      builtin: discoverAddons(undefined, [this.options.builtinAddonsDir ?? BUILTIN_ADDONS_DIR]),
    };
    return catalogue.addons
      .filter((a) => a.manifest.type === undefined || a.manifest.type === 'extension')
      .map((a) => {
        const summary: AddonSummary = { name: a.name, version: a.version, source: a.source, ports: a.ports };
        Object.assign(summary, packageRunnability(a.dir, a.manifest, runnable[a.source].has(a.name)));
        const description = englishText(a.manifest.description);
        if (description) summary.description = description;
        if (a.propertySchema) summary.propertySchema = a.propertySchema;
        if (a.defaultProperty) summary.defaultProperty = a.defaultProperty;
        return summary;
      })
      .sort((x, y) => x.name.localeCompare(y.name));
  }

  /**
   * The folder of a built-in example: an example runs with it as its app folder, so its own
   * packages (`ten_packages/extension`, e.g. Python ones) belong in its catalogue.
   */
  exampleDir(exampleId: string): string {
    if (!/^[\w.-]+$/.test(exampleId) || exampleId.startsWith('.')) throw new HostError('E_BAD_PARAMS', `No example '${exampleId}'.`);
    return join(this.options.examplesDir, exampleId);
  }

  /**
   * The graph model's checks over the document as edited (not as saved): property.json rules,
   * then each predefined graph with the catalogue. Pointers refer to `document.property`.
   */
  async validateDocument(document: GraphDocument): Promise<Diagnostic[]> {
    // Diagnostics carry the line and column of the text the document is saved as; that text is
    // written and located only when there is a diagnostic to place.
    const parsed = { doc: documentFromValue(document.property as unknown, DOCUMENT_FILE) };
    const baseDir = this.baseDir(document);
    const origin = document.origin;
    const appDir = origin.kind === 'app' ? modelPath(origin.dir) : origin.kind === 'example' ? modelPath(this.exampleDir(origin.exampleId)) : undefined;
    const catalogue = await this.catalogue(appDir);
    const out: Diagnostic[] = [...checkPropertyDocument(parsed.doc)];
    for (const [i] of predefinedGraphs(parsed.doc.value).entries()) {
      const loaded = await loadPredefinedGraph(parsed.doc, i, { files: nodeFiles, baseDir, appBaseDir: appDir ?? baseDir });
      if (!loaded.ok) {
        out.push(...loaded.diagnostics);
        continue;
      }
      const { graph, at } = loaded.graph;
      const checked = await checkGraph(graph, at, { files: nodeFiles, baseDir: loaded.graph.baseDir, appBaseDir: appDir ?? baseDir, catalogue });
      out.push(...checked.diagnostics);
    }
    return dedupe(out);
  }

  /** The folder relative import_uris of the document resolve against. */
  private baseDir(document: GraphDocument): string {
    const origin = document.origin;
    switch (origin.kind) {
      case 'example':
        return modelPath(join(this.options.examplesDir, origin.exampleId));
      case 'untitled':
        // No folder yet: relative to the home folder, as a path typed in Open would be.
        return modelPath(homedir());
      case 'app':
        return modelPath(origin.dir);
      case 'property':
        return modelPath(dirname(origin.file));
      case 'graph':
        return modelPath(dirname(origin.file));
    }
  }
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.code}|${d.pointer}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The `en-US` text of a manifest's localized field (`{locales: {"en-US": {content}}}`). */
function englishText(field: unknown): string | undefined {
  const locales = (field as { locales?: Record<string, { content?: unknown }> } | undefined)?.locales;
  const content = locales?.['en-US']?.content ?? Object.values(locales ?? {})[0]?.content;
  return typeof content === 'string' ? content : undefined;
}
