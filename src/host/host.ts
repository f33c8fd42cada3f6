/**
 * The electron-free host: implements every HostApi method once. Transports (Electron IPC, the
 * browser-mode WebSocket server) validate requests with `validateRequest` and call `handle`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDataDir, DocumentService, LAYOUT_SUFFIX } from './documents';
import { readRecording, RunManager, writeChromeTrace, writeJsonFile, type TelemetryLimits } from './runs';
import { EditorService } from './editor';
import { readRegularText } from '../runtime/core/regular_file';
import { listDirectory } from './directory';
import { resolveUserPath } from './documents/paths';
import {
  HostError,
  parseJsonText,
  validateLayout,
  type DocumentLayout,
  type ExampleSummary,
  type GraphDocument,
  type HostEvent,
  type HostMethod,
  type HostMethodTypes,
  type NativeDialogPurpose,
  type TenAppProperty,
  type VersionInfo,
} from '../shared';

export interface HostOptions {
  /** Folder holding `examples/<id>/` TEN app folders, each with a `studio.json` title. */
  resourcesDir: string;
  version: string;
  /**
   * Per-user studio data folder (recent files, recovery copies of unsaved edits). Defaults to
   * `TEN_STUDIO_DATA_DIR` or the platform's user data folder; tests pass a temporary folder.
   */
  dataDir?: string;
  /** Package folders every run can use besides the built-in addons (benchmarks add theirs). */
  addonDirs?: string[];
  /** Where the built-in addon packages are, for a bundled build whose code moved away from them. */
  builtinAddonsDir?: string;
  /** Telemetry stream period in ms (default 50, minimum 50: at most 20 events a second). */
  telemetryFlushMs?: number;
  /** Telemetry sampling period and buffer bounds (see `DEFAULT_LIMITS`). */
  telemetryLimits?: Partial<TelemetryLimits>;
  /**
   * The system's file dialog, where there is one (the Electron shell passes it): the chosen path,
   * or null when cancelled. Without it `choosePath` fails with `E_UNSUPPORTED`.
   */
  nativeDialog?: (purpose: NativeDialogPurpose, defaultPath: string | undefined) => Promise<string | null>;
}

export interface RequestContext {
  transport: 'electron' | 'browser';
}

type Handlers = {
  [M in HostMethod]: (
    params: HostMethodTypes[M]['params'],
    ctx: RequestContext,
  ) => Promise<HostMethodTypes[M]['result']>;
};

export class Host {
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private readonly handlers: Handlers;
  /** Documents on disk, recent files and recovery copies (the document methods delegate here). */
  readonly documents: DocumentService;
  /** Runs of documents and their telemetry (the run methods delegate here). */
  readonly runs: RunManager;
  /** The addon catalogue and document checks the graph editor asks for. */
  readonly editor: EditorService;

  constructor(private readonly options: HostOptions) {
    this.documents = new DocumentService({
      dataDir: options.dataDir ?? defaultDataDir(),
      warn: (message) => this.emit({ type: 'log', time: Date.now(), level: 'warn', source: 'documents', message }),
    });
    const docs = this.documents;
    this.runs = new RunManager({
      resourcesDir: options.resourcesDir,
      emit: (event) => this.emit(event),
      ...(options.addonDirs ? { addonDirs: options.addonDirs } : {}),
      ...(options.builtinAddonsDir ? { builtinAddonsDir: options.builtinAddonsDir } : {}),
      ...(options.telemetryFlushMs !== undefined ? { flushMs: options.telemetryFlushMs } : {}),
      ...(options.telemetryLimits ? { limits: options.telemetryLimits } : {}),
      catalogue: (appDir) => this.editor.catalogue(appDir),
    });
    const runs = this.runs;
    this.editor = new EditorService({
      examplesDir: this.examplesDir(),
      ...(options.builtinAddonsDir ? { builtinAddonsDir: options.builtinAddonsDir } : {}),
    });
    const editor = this.editor;
    this.handlers = {
      version: async (_p, ctx) => this.version(ctx),
      listExamples: async () => this.listExamples(),
      openExample: async (p) => this.openExample(p.id),
      openDocument: (p) => docs.open(p.path),
      saveDocument: (p) => docs.save(p.document, p.force ?? false),
      saveDocumentAs: (p) => docs.saveAs(p.document, p.path, p.overwrite ?? false),
      exportDocument: (p) => docs.export(p.document, p.path, p.format, p.graphName, p.overwrite ?? false),
      listRecent: () => docs.listRecent(),
      saveRecovery: (p) => docs.saveRecovery(p.document),
      listRecoveries: () => docs.listRecoveries(),
      restoreRecovery: (p) => docs.restoreRecovery(p.documentId),
      discardRecovery: (p) => docs.discardRecovery(p.documentId),
      startRun: (p) => runs.start(p.document, p.graph, p.violationPolicy, p.remoteApps, p.standIns, p.pythonDebug),
      planRun: (p) => runs.plan(p.document, p.graph),
      talkControl: async (p) => runs.talkControl(p.runId, p.node, p.action),
      talkAudio: async (p) => runs.talkAudio(p.runId, p.node, p.pcm),
      talkFile: (p) => runs.talkFile(p.runId, p.node, p.path),
      stopRun: (p) => runs.stop(p.runId),
      listRuns: async () => runs.list(),
      getRun: async (p) => runs.snapshot(p.runId),
      setTracing: async (p) => runs.setTracing(p.runId, p.tracing),
      followCmd: async (p) => runs.followCmd(p.runId, p.cmdId),
      saveRecording: (p) => writeJsonFile(p.path, runs.recording(p.runId), p.overwrite ?? false),
      openRecording: (p) => readRecording(p.path),
      exportChromeTrace: async (p) =>
        writeChromeTrace(
          p.source.kind === 'run' ? runs.recording(p.source.runId) : await readRecording(p.source.path),
          p.path,
          p.overwrite ?? false,
        ),
      listAddons: (p) => editor.listAddons(p.exampleId !== undefined ? editor.exampleDir(p.exampleId) : p.appDir),
      validateDocument: async (p) => ({ diagnostics: await editor.validateDocument(p.document) }),
      listDirectory: (p) => listDirectory(p),
      choosePath: async (p) => {
        if (!options.nativeDialog) {
          throw new HostError('E_UNSUPPORTED', 'choosePath: this host has no native file dialogs (browser mode); the studio browses folders with listDirectory instead.');
        }
        return { path: await options.nativeDialog(p.purpose, p.defaultPath === undefined ? undefined : resolveUserPath(p.defaultPath)) };
      },
    };
  }

  /** Runs one already-validated request. Failures are `HostError`s with a stable code. */
  async handle(method: HostMethod, params: unknown, ctx: RequestContext): Promise<unknown> {
    const handler = this.handlers[method] as (p: unknown, c: RequestContext) => Promise<unknown>;
    try {
      return await handler(params, ctx);
    } catch (err) {
      if (err instanceof HostError) throw err;
      this.emit({ type: 'log', time: Date.now(), level: 'error', source: 'host', message: String(err) });
      throw new HostError('E_INTERNAL', `${method} failed: ${(err as Error).message ?? String(err)}`);
    }
  }

  /** Stops every run (call before the process exits or a test ends). */
  dispose(): Promise<void> {
    return this.runs.dispose();
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: HostEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private version(ctx: RequestContext): VersionInfo {
    return {
      app: 'TEN Graph Studio',
      version: this.options.version,
      node: process.versions.node,
      platform: process.platform,
      transport: ctx.transport,
    };
  }

  private examplesDir(): string {
    return join(this.options.resourcesDir, 'examples');
  }

  async listExamples(): Promise<ExampleSummary[]> {
    const entries = await readdir(this.examplesDir(), { withFileTypes: true });
    const out: ExampleSummary[] = [];
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const studio = (await readJson(join(this.examplesDir(), entry.name, 'studio.json'))) as {
        title?: unknown;
        description?: unknown;
      };
      out.push({
        id: entry.name,
        title: typeof studio.title === 'string' ? studio.title : entry.name,
        description: typeof studio.description === 'string' ? studio.description : '',
      });
    }
    return out;
  }

  async openExample(id: string): Promise<GraphDocument> {
    const examples = await this.listExamples();
    const example = examples.find((e) => e.id === id);
    if (!example) {
      throw new HostError(
        'E_NOT_FOUND',
        `No built-in example "${id}". Available: ${examples.map((e) => e.id).join(', ')}.`,
      );
    }
    const property = (await readJson(join(this.examplesDir(), id, 'property.json'))) as TenAppProperty;
    // An example may come with its canvas layout (the sidecar a saved document would have).
    let layout: DocumentLayout | undefined;
    try {
      const stored = await readJson(join(this.examplesDir(), id, `property${LAYOUT_SUFFIX}`));
      if (validateLayout(stored) === null) layout = stored as DocumentLayout;
    } catch {
      layout = undefined;
    }
    return { id: `example:${id}`, title: example.title, origin: { kind: 'example', exampleId: id }, property, ...(layout ? { layout } : {}) };
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readRegularText(file);
  try {
    return parseJsonText(text);
  } catch (err) {
    throw new HostError('E_INTERNAL', `${file}: ${(err as Error).message}`);
  }
}
