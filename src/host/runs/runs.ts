/**
 * Runs owned by the host: each run is its own runtime `App` (own threads, own addon registry,
 * nothing shared with other runs), started from a `GraphDocument` as edited. Runs outlive the
 * clients that started them, so a renderer that reloads lists them again and rebuilds its view
 * from `getRun`. All runs' telemetry leaves through one flush timer: at most one `telemetry`
 * event per `flushMs` (≥ 50 ms, so ≤ 20 per second) whatever the message rate.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { App, leasePythonSpares, type RuntimeEvent } from '../../runtime';
import { BUILTIN_ADDONS_DIR } from '../../runtime/addons';
import { parseTenLog, TenLogEmitters } from '../../runtime/app/ten_log';
import {
  buildCatalogue,
  HostError,
  type Catalogue,
  type GraphDocument,
  type RunNodePlan,
  type TalkTransportState,
  type HostEvent,
  type Recording,
  type RunBatch,
  type RunInfo,
  type RunPythonDebug,
  type RunSnapshot,
  type RunViolationPolicy,
  type TraceSettings,
  type TraceStep,
} from '../../shared';
import { formatBlockers, type NodeBlocker } from '../runnable';
import type { StandInChoice } from '../../shared/talk/choice';
import { WavError } from '../../shared/talk/wav';
import { readRegularFile, FileRefusedError } from '../../runtime/core/regular_file';
import { TalkRun } from '../talk/session';
import { blockersLeft, describeRunNodes, planStandIns, type StandInPlan } from './standins';
import { RunTelemetry, type TelemetryLimits } from './telemetry';
import { AppProcess, planApps, stopRemotePart } from './apps';

export interface RunManagerOptions {
  /** Folder holding `examples/<id>/` (an example document runs with that folder as its app). */
  resourcesDir: string;
  /** Package folders available to every run besides the built-in addons. */
  addonDirs?: string[];
  /** Where the built-in addon packages are (default: next to the runtime's sources). */
  builtinAddonsDir?: string;
  emit: (event: HostEvent) => void;
  /** Period of the telemetry stream (ms, at least 50). */
  flushMs?: number;
  /** Stopped runs kept for `listRuns`, `getRun` and recordings. */
  keepStopped?: number;
  limits?: Partial<TelemetryLimits>;
  /** Runtime stop timeout (ms) of each run's App. */
  stopTimeoutMs?: number;
  /** Runtime start timeout (ms) of each run's App: creation and each start phase of an extension. */
  startTimeoutMs?: number;
  /** The addon catalogue for an app folder (built-ins only without one), for stand-ins built from manifests. */
  catalogue?: (appDir: string | undefined) => Promise<Catalogue>;
}

interface Run {
  info: RunInfo;
  app: App;
  telemetry: RunTelemetry;
  stopping: Promise<void> | null;
  /** Apps of a graph spanning apps that the studio started as processes. */
  processes: AppProcess[];
  /** The run's talk, when it has local transports. */
  talk: TalkRun | null;
  /** The file emitters of the app's `ten.log` handlers. */
  logFiles: TenLogEmitters | null;
}

export class RunManager {
  private readonly runs = new Map<string, Run>();
  private readonly flushMs: number;
  private flushTimer: NodeJS.Timeout | null = null;

  /** The host keeps a spare Python interpreter between runs (each run is an App of its own). */
  private readonly releaseSpares = leasePythonSpares(1);

  constructor(private readonly options: RunManagerOptions) {
    this.flushMs = Math.max(50, options.flushMs ?? 50);
  }

  /** Starts a run of the document's chosen graphs; see `HostApi.startRun`. */
  async start(
    document: GraphDocument,
    graph: string | undefined,
    policy: RunViolationPolicy = 'fail',
    remoteApps: string[] = [],
    standIns?: Record<string, Record<string, StandInChoice>>,
    pythonDebug?: { port?: number },
  ): Promise<RunInfo> {
    const graphs = chooseGraphs(document, graph);
    let plan: ReturnType<typeof planApps>;
    try {
      plan = planApps(document, graphs, remoteApps);
    } catch (e) {
      throw new HostError('E_RUN', (e as Error).message);
    }
    const runId = randomUUID();
    const appDir = this.appDirOf(document);
    const addonDirs = this.addonDirs();
    const property = plan ? { ...document.property, ten: { ...document.property.ten, uri: plan.own } } : document.property;
    let standInPlan: StandInPlan;
    try {
      standInPlan = await planStandIns({ runId, document, graphs, appDir, addonDirs, catalogue: await this.catalogueOf(appDir), ...(standIns ? { overrides: standIns } : {}) });
    } catch (e) {
      // A package the run needs cannot be read (its manifest.json is a FIFO, …): the run's error.
      if (e instanceof HostError) throw e;
      throw new HostError('E_RUN', (e as Error).message);
    }
    // Every node that cannot start and has no stand-in, each with its reason, rather than the
    // runtime's first "not installed": the studio app's nodes, and those of the apps it starts as
    // processes (they run the same packages).
    let blockers: NodeBlocker[] = [];
    let nodes = 0;
    for (const uri of plan ? [plan.own, ...plan.processes] : [undefined]) {
      const found = blockersLeft(standInPlan, uri === undefined ? property : { ...property, ten: { ...property.ten, uri } }, graphs, appDir, addonDirs);
      blockers = blockers.concat(found.blockers);
      nodes += found.nodes;
    }
    if (blockers.length) throw new HostError('E_RUN', `${formatBlockers(blockers, nodes)}\nRun asks for a stand-in for each (or choose one in the node's inspector).`);
    const app = new App({
      property,
      appDir,
      addonDirs,
      violationPolicy: policy,
      ...(this.options.stopTimeoutMs !== undefined ? { stopTimeoutMs: this.options.stopTimeoutMs } : {}),
      ...(this.options.startTimeoutMs !== undefined ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      ...(Object.keys(standInPlan.replaceNodes).length ? { replaceNodes: standInPlan.replaceNodes } : {}),
      ...(standInPlan.transports.length ? { textTap: true } : {}),
      // The studio's choice, whatever TEN_ENABLE_PYTHON_DEBUG says in the host's environment.
      pythonDebug: pythonDebug ?? false,
    });
    const info: RunInfo = { runId, documentId: document.id, title: document.title, state: 'starting', graphs: [], startedAt: Date.now(), tracing: null };
    if (pythonDebug) info.pythonDebug = [];
    if (standInPlan.standIns.length) info.standIns = standInPlan.standIns;
    if (standInPlan.roles) info.talk = { transports: standInPlan.transports.map((t) => ({ graph: t.graph, node: t.node })), roles: standInPlan.roles };
    const telemetry = new RunTelemetry(app, runId, () => this.armFlush(), this.options.limits);
    const run: Run = { info, app, telemetry, stopping: null, processes: [], talk: null, logFiles: this.openLogFiles(document, appDir) };
    if (standInPlan.roles) {
      // The links listen before the graph starts: a transport announces itself once, on start.
      const talk = new TalkRun(app, standInPlan.transports, standInPlan.roles, { event: (ev) => telemetry.addTalk(ev), audio: (node, pcm, rate) => telemetry.addAudio(node, pcm, rate) });
      run.talk = talk;
      telemetry.transportState = () => [...talk.links.values()].map((l) => ({ ...l.state }));
    }
    for (const w of standInPlan.warnings) this.options.emit({ type: 'log', time: Date.now(), level: 'warn', source: 'run', message: w });
    this.runs.set(runId, run);
    app.onEvent((ev) => this.onRuntimeEvent(run, ev));
    if (run.logFiles) {
      const files = run.logFiles;
      app.onEvent((ev) => files.write(ev));
    }
    this.changed(run);
    run.telemetry.startSampling();
    if (plan) {
      try {
        await this.startApps(run, plan, appDir);
      } catch (e) {
        run.info.error = (e as Error).message;
        await this.finish(run, 'failed');
        throw new HostError('E_RUN', `The run could not start. ${run.info.error}`);
      }
    }
    const failures: string[] = [];
    for (const name of graphs) {
      if (run.stopping) break;
      try {
        await app.startGraph(name);
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message}`);
      }
    }
    if (run.stopping) {
      // Stopped while starting (Stop, or the host shutting down): the run ends as asked, and
      // says what its start had not finished.
      if (failures.length) run.info.error = failures.join('\n');
      await run.stopping;
      this.changed(run);
      return clone(run.info);
    }
    if (failures.length === graphs.length) {
      run.info.error = failures.join('\n');
      await this.finish(run, 'failed');
      throw new HostError('E_RUN', `The run could not start. ${run.info.error}`);
    }
    if (failures.length) run.info.error = failures.join('\n');
    if (run.info.state === 'starting') {
      run.info.state = 'running';
      this.changed(run);
    }
    return clone(run.info);
  }

  /** Every node of the graphs a run of `document` would start, for the Run dialog. */
  async plan(document: GraphDocument, graph: string | undefined): Promise<{ graphs: string[]; nodes: RunNodePlan[] }> {
    const graphs = chooseGraphs(document, graph);
    const appDir = this.appDirOf(document);
    const nodes = await describeRunNodes({ document, graphs, appDir, addonDirs: this.addonDirs(), catalogue: await this.catalogueOf(appDir) });
    return { graphs, nodes };
  }

  /** Joins, leaves, or drops the queued input of a run's transport. */
  talkControl(runId: string, node: string | undefined, action: 'join' | 'leave' | 'clear'): TalkTransportState {
    const link = this.talkLink(runId, node);
    if (action === 'join') link.join();
    else if (action === 'leave') link.leave();
    else link.clearInput();
    return { ...link.state };
  }

  /** Feeds microphone audio (16-bit little-endian mono at the transport's rate). */
  talkAudio(runId: string, node: string | undefined, pcmBase64: string): { queuedMs: number } {
    const link = this.talkLink(runId, node);
    const bytes = Buffer.from(pcmBase64, 'base64');
    const pcm = new Int16Array(bytes.byteLength / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
    link.feed(pcm, true);
    return { queuedMs: link.state.queuedMs };
  }

  /** Feeds a WAV file to a run's transport. */
  async talkFile(runId: string, node: string | undefined, path: string): Promise<{ durationMs: number; warnings: string[] }> {
    const link = this.talkLink(runId, node);
    let bytes: Uint8Array;
    try {
      bytes = (await readRegularFile(path)).bytes;
    } catch (e) {
      throw new HostError('E_IO', `Could not read ${path}: ${e instanceof FileRefusedError ? e.reason : (e as Error).message}`);
    }
    try {
      const r = await link.feedWav(bytes, path);
      return { durationMs: Math.round(r.info.durationMs), warnings: r.warnings };
    } catch (e) {
      if (e instanceof WavError) throw new HostError('E_PARSE', e.message);
      throw e;
    }
  }

  private talkLink(runId: string, node: string | undefined) {
    const run = this.get(runId);
    if (run.info.state !== 'running' && run.info.state !== 'starting') throw new HostError('E_RUN', `Run ${runId} is ${run.info.state}; talking needs a running run.`);
    if (!run.talk) throw new HostError('E_RUN', 'This run has no local transport: choose the transport stand-in for its RTC node (or use a local_transport node) and run again.');
    try {
      return run.talk.link(node);
    } catch (e) {
      throw new HostError('E_BAD_PARAMS', (e as Error).message);
    }
  }

  private addonDirs(): string[] {
    return [this.options.builtinAddonsDir ?? BUILTIN_ADDONS_DIR, ...(this.options.addonDirs ?? [])];
  }

  private async catalogueOf(appDir: string | undefined): Promise<Catalogue> {
    return this.options.catalogue ? this.options.catalogue(appDir) : buildCatalogue([]);
  }

  /** Stops a run and waits for its threads to exit. Stopping a stopped run returns it as it is. */
  async stop(runId: string): Promise<RunInfo> {
    const run = this.get(runId);
    if (run.info.state === 'stopped' || run.info.state === 'failed') return clone(run.info);
    await this.finish(run, 'stopped');
    return clone(run.info);
  }

  list(): RunInfo[] {
    const all = [...this.runs.values()].map((r) => clone(r.info));
    const live = (s: RunInfo['state']) => s === 'starting' || s === 'running' || s === 'stopping';
    return all.sort((a, b) => Number(live(b.state)) - Number(live(a.state)) || b.startedAt - a.startedAt);
  }

  snapshot(runId: string): RunSnapshot {
    const run = this.get(runId);
    const t = run.telemetry;
    return {
      run: clone(run.info),
      events: t.history(),
      metrics: t.latestMetrics(),
      traces: t.traces.toArray(),
      dropped: { ...t.dropped },
      ...(run.talk ? { talk: t.talk.toArray(), transports: [...run.talk.links.values()].map((l) => ({ ...l.state })) } : {}),
    };
  }

  setTracing(runId: string, tracing: TraceSettings | null): RunInfo {
    const run = this.get(runId);
    if (run.info.state !== 'running' && run.info.state !== 'starting') {
      throw new HostError('E_RUN', `Run ${runId} is ${run.info.state}; tracing applies to a running run.`);
    }
    run.info.tracing = tracing;
    for (const graphId of run.app.graphs()) run.app.setTrace(graphId, tracing);
    for (const p of run.processes) p.setTracing(tracing);
    this.changed(run);
    return clone(run.info);
  }

  /** Steps of one cmd and of its results from the trace history, oldest first. */
  followCmd(runId: string, cmdId: string): TraceStep[] {
    return this.get(runId)
      .telemetry.traces.toArray()
      .filter((s) => s.cmdId === cmdId)
      .sort((a, b) => a.ts - b.ts);
  }

  /** The run's history as a recording. */
  recording(runId: string): Recording {
    const run = this.get(runId);
    const t = run.telemetry;
    return {
      format: 'ten-studio-recording',
      version: 1,
      run: clone(run.info),
      savedAt: Date.now(),
      events: t.history(),
      metrics: t.metricsHistory(),
      traces: t.traces.toArray(),
      dropped: { ...t.dropped },
      ...(run.talk ? { talk: t.talk.toArray() } : {}),
    };
  }

  /** Stops every run (the host is shutting down). */
  async dispose(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => this.finish(r, 'stopped')));
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.releaseSpares();
  }

  /**
   * A graph spanning apps: the studio's app listens on its URI, the loopback apps start as
   * processes (their events join the run's stream), remote ones are left to the engine to reach.
   */
  private async startApps(run: Run, plan: NonNullable<ReturnType<typeof planApps>>, appDir: string | undefined): Promise<void> {
    run.info.apps = [
      { uri: plan.own, where: 'studio', state: 'starting' },
      ...plan.remote.map((uri) => ({ uri, where: 'remote' as const, state: 'running' as const })),
    ];
    for (const uri of plan.processes) {
      const p = new AppProcess(
        uri,
        appDir,
        (ev) => this.onProcessEvent(run, uri, ev),
        () => this.changed(run),
        {
          metricsMs: run.telemetry.limits.sampleMs,
          sample: (sample) => run.telemetry.addAppSample(uri, sample),
          trace: (graphId, records, dropped) => run.telemetry.addAppTrace(uri, graphId, records, dropped),
        },
      );
      run.processes.push(p);
      run.info.apps.splice(1, 0, p.info);
    }
    this.changed(run);
    await run.app.listen();
    run.info.apps[0]!.state = 'running';
    await Promise.all(run.processes.map((p) => p.listening()));
  }

  /**
   * An event of an app process: lifecycle, logs, errors, violations and connections join the
   * run's stream (tagged with the app where the event has room for it); its graph states do not
   * decide the run's (the studio's own app does).
   */
  private onProcessEvent(run: Run, uri: string, ev: RuntimeEvent): void {
    switch (ev.type) {
      case 'graph':
      case 'app_closed':
        return;
      case 'connection':
        run.telemetry.push({ ...ev, app: uri });
        return;
      case 'log':
        run.telemetry.push({ ...ev, message: `[${uri}] ${ev.message}` });
        return;
      default:
        run.telemetry.push(ev);
    }
  }

  private get(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new HostError('E_NOT_FOUND', `No run with id "${runId}" (listRuns shows the runs the host holds).`);
    return run;
  }

  /**
   * The file emitters of the app's `ten.log` handlers, which write their files as in the CLI (the
   * studio shows the logs itself, so console emitters are left out). What is wrong with the
   * configuration is said in the host's log and the run goes on; an untitled document has no
   * folder to write in.
   */
  private openLogFiles(document: GraphDocument, appDir: string | undefined): TenLogEmitters | null {
    const say = (level: 'warn' | 'error', message: string): void => this.options.emit({ type: 'log', time: Date.now(), level, source: 'run', message });
    const parsed = parseTenLog(document.property.ten?.log, appDir ?? '');
    for (const problem of parsed.errors) say('warn', `${document.title}: ${problem}; that handler is left out.`);
    for (const warning of parsed.warnings) say('warn', `${document.title}: ${warning}.`);
    const files = parsed.handlers.filter((h) => h.emitter.type === 'file');
    if (files.length === 0) return null;
    if (appDir === undefined) {
      say('warn', `${document.title}: ten.log has file emitters, but an untitled document has no folder; save it in an app folder to write them.`);
      return null;
    }
    return new TenLogEmitters(files, (problem) => say('error', `${document.title}: ${problem}; the run goes on without it.`));
  }

  private appDirOf(document: GraphDocument): string | undefined {
    const o = document.origin;
    switch (o.kind) {
      case 'example':
        return join(this.options.resourcesDir, 'examples', o.exampleId);
      case 'untitled':
        return undefined;
      case 'app':
        return o.dir;
      case 'property':
      case 'graph':
        return dirname(o.file);
    }
  }

  private onRuntimeEvent(run: Run, ev: RuntimeEvent): void {
    if (ev.type === 'graph') {
      const g = run.info.graphs.find((x) => x.graphId === ev.graphId);
      if (g) g.state = ev.state;
      else run.info.graphs.push({ graphId: ev.graphId, name: ev.name, state: ev.state });
      // Graphs started later (a `ten:start_graph` cmd) are traced like the others.
      if (ev.state === 'started' && run.info.tracing) run.app.setTrace(ev.graphId, run.info.tracing);
      this.changed(run);
      const ended = run.info.graphs.every((x) => x.state === 'stopped' || x.state === 'start_failed');
      if (ended && run.info.state === 'running') void this.finish(run, 'stopped');
    } else if (ev.type === 'app_closed' && run.info.state === 'running') {
      void this.finish(run, 'stopped');
    } else if (ev.type === 'log' && ev.category === 'python:debug') {
      this.pythonDebugged(run, ev);
    }
  }

  /** A Python group's debugger listens, has a client, or could not start: where to attach, in the run's info. */
  private pythonDebugged(run: Run, ev: Extract<RuntimeEvent, { type: 'log' }>): void {
    const f = ev.fields as Partial<Omit<RunPythonDebug, 'graphId' | 'message'>> | undefined;
    if (!f || typeof f.group !== 'string' || typeof f.port !== 'number' || typeof f.host !== 'string' || typeof f.pid !== 'number') return;
    const state = f.state === 'attached' || f.state === 'error' ? f.state : 'listening';
    const list = (run.info.pythonDebug ??= []);
    const entry: RunPythonDebug = { graphId: ev.graphId, group: f.group, pid: f.pid, host: f.host, port: f.port, state, message: ev.message };
    const i = list.findIndex((d) => d.graphId === ev.graphId && d.group === f.group);
    if (i === -1) list.push(entry);
    else list[i] = entry;
    this.changed(run);
  }

  /** Stops the run's app (once), takes the last news, and prunes old stopped runs. */
  private finish(run: Run, state: 'stopped' | 'failed'): Promise<void> {
    run.stopping ??= (async () => {
      run.info.state = 'stopping';
      this.changed(run);
      await run.telemetry.sampleOnce();
      // Remote apps keep their (long-running) part of the graph unless told to stop it.
      const remote = (run.info.apps ?? []).filter((a) => a.where === 'remote');
      await Promise.all(remote.flatMap((a) => run.app.graphs().map((g) => stopRemotePart(a.uri, g))));
      try {
        await run.app.close();
      } catch (e) {
        run.info.error = `${run.info.error ? `${run.info.error}\n` : ''}Stopping failed: ${(e as Error).message}`;
      }
      await Promise.all(run.processes.map((p) => p.stop()));
      await run.logFiles?.close();
      for (const a of run.info.apps ?? []) if (a.where === 'studio') a.state = 'stopped';
      // After the close: the transports' last reports have come in; an open turn is reported.
      run.talk?.end();
      run.telemetry.stop();
      run.info.state = state;
      run.info.stoppedAt = Date.now();
      this.changed(run);
      this.prune();
    })();
    return run.stopping;
  }

  private prune(): void {
    const keep = this.options.keepStopped ?? 8;
    const stopped = [...this.runs.values()].filter((r) => r.info.state === 'stopped' || r.info.state === 'failed').sort((a, b) => b.info.startedAt - a.info.startedAt);
    for (const r of stopped.slice(keep)) this.runs.delete(r.info.runId);
  }

  private changed(run: Run): void {
    this.options.emit({ type: 'run.state', time: Date.now(), run: clone(run.info) });
  }

  private armFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
  }

  private flush(): void {
    this.flushTimer = null;
    const batches: RunBatch[] = [];
    for (const run of this.runs.values()) {
      const b = run.telemetry.takeBatch();
      if (b) batches.push(b);
    }
    if (batches.length) this.options.emit({ type: 'telemetry', time: Date.now(), batches });
  }
}

/** The graphs a run starts: the one named, else the `auto_start` ones, else the only one. */
export function chooseGraphs(document: GraphDocument, graph: string | undefined): string[] {
  const all: unknown = document.property.ten?.predefined_graphs ?? [];
  // The contract only checks that `property` is an object; its TEN content is checked here.
  if (!Array.isArray(all) || !all.every((g) => typeof g === 'object' && g !== null && typeof (g as { name?: unknown }).name === 'string')) {
    throw new HostError('E_BAD_PARAMS', 'startRun: "document.property.ten.predefined_graphs" must be an array of graphs, each with a "name".');
  }
  const graphs = all as { name: string; auto_start?: unknown }[];
  const names = graphs.map((g) => g.name);
  const list = names.length ? names.map((n) => `"${n}"`).join(', ') : 'none';
  if (graph !== undefined) {
    if (!names.includes(graph)) throw new HostError('E_BAD_PARAMS', `startRun: the document has no predefined graph "${graph}" (graphs: ${list}).`);
    return [graph];
  }
  const auto = graphs.filter((g) => g.auto_start === true).map((g) => g.name);
  if (auto.length) return auto;
  if (names.length === 1) return names;
  throw new HostError('E_BAD_PARAMS', `startRun: name the graph to run; the document has no auto_start graph (graphs: ${list}).`);
}

function clone<T>(x: T): T {
  return structuredClone(x);
}
