/**
 * The App on the host thread (TEN `ten_app_t`): addon registry, engines by graph id, built-in
 * app cmds (`ten:start_graph`, `ten:stop_graph`, `ten:close_app`), cross-graph delivery, and the
 * telemetry taps (event subscription, counter sampling, live-object report).
 */
import { randomUUID } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UNSPECIFIED_GROUP, type TenAppProperty, type TenGraph } from '../../shared/graph/types';
import type { TextRecord } from '../../shared/talk/talk';
import { parseJsonText } from '../../shared/json/text';
import type { GroupPython, GroupSample, LiveCounts, RuntimeEvent, TraceConfig, TraceRecord, ViolationPolicy } from '../core/protocol';
import { newWireMsg, type WireMsg } from '../core/wire';
import { readFileText } from '../core/regular_file';
import { GRAPH_PROXY } from '../../shared/graph/flatten';
import { checkAppFields, checkGraphShape } from '../../shared/graph/check';
import { AppNet, otherApps, type ConnectionSample, type DialPolicy, type NetEngine, type NetHost, type NetLive, type NetStartOptions } from '../protocol/net';
import { DEFAULT_LIMITS, listensOn, type TransportLimits } from '../protocol/transport';
import { DEFAULT_CACHE_DIR, ModuleBuilder } from './build';
import { Engine, STOPPED_WHILE_STARTING, type ChannelSample, type EngineHost, type InboundSample } from './engine';
import { defaultGroupLimitMb, defaultProcessLimitMb } from './memory';
import { flattenForRun, loadImportedGraph } from './flatten';
import { WorkerPool } from './pool';
import { DEFAULT_RING_BYTES } from '../routing/ring';
import { discoverAddons, pythonPathsFor, type AddonPackage } from './packages';
import { checkDebugpy, checkPython, chosenPython, claimDebugPort, pythonDebugFrom, pythonEnv, studioPythonDir, type PythonDebug } from './python';
import { leasePythonSpares, pythonProcesses, type PyProc, type PySpawnSpec } from './py_procs';

export interface AppOptions {
  /** App `property.json`: parsed, or a path to it (its folder becomes `appDir` by default). */
  property?: TenAppProperty | string;
  /** App folder; extension packages are read from `<appDir>/ten_packages/extension/`. */
  appDir?: string;
  /** More extension package folders (a package, or a folder of packages). */
  addonDirs?: string[];
  /** Receives every runtime event (lifecycle, logs, errors, violations, graph state). */
  onEvent?: (ev: RuntimeEvent) => void;
  /** Owner-violation policy; default `fail`. */
  violationPolicy?: ViolationPolicy;
  /** Ours: a group that has not closed this long after stop is terminated (default 5000 ms). */
  stopTimeoutMs?: number;
  /**
   * Ours: a cmd whose result has not arrived this long after it was sent is reported (a warning
   * and `waiting` in the sender's samples), long before its path timeout (default 5000 ms).
   */
  unansweredAfterMs?: number;
  /**
   * Ours: an extension's creation (its module's top-level code and `onCreateInstance`) and each
   * of its start phases (`on_configure`, `on_init`, `on_start`) must finish within this (default
   * 60000 ms); otherwise the graph start fails, naming the extension and the phase, and the
   * graph is stopped.
   */
  startTimeoutMs?: number;
  /**
   * Ours: bytes of each shared-memory ring between two groups a flow connects, per direction
   * (default 256 KiB, rounded up to a power of two; 0: MessagePort batches only). See
   * docs/runtime.md "Queues, wakes, batches".
   */
  ringBytes?: number;
  /**
   * Ours: at most this many booted, idle group threads kept for the next graph start (default 8;
   * 0 disables). The App keeps as many as the last started graph had groups.
   */
  spareThreads?: number;
  /** Where the JavaScript built for worker threads is kept (default: the user's private cache folder). */
  cacheDir?: string;
  /**
   * Whether the app stays up when its last graph ends. Default: the property's
   * `ten.long_running_mode`, else true (a studio host keeps its app); `ten-studio app` passes
   * TEN's default (the property's value, else false).
   */
  longRunning?: boolean;
  /**
   * The `long_running_mode` of the graphs started through this API and `auto_start` (a
   * start_graph cmd says its own): a long-running graph survives a client or a peer app that
   * leaves. Default: `longRunning` (a studio host must not lose graphs because a client left);
   * TEN's is false.
   */
  longRunningGraphs?: boolean;
  /** Ours: how connections to other apps are dialled (default TEN's: 5 retries every 500 ms). */
  dial?: DialPolicy;
  /**
   * Ours: limits of TEN protocol connections: the largest message accepted (`maxFrameBytes`,
   * default 64 MiB), and the output queued for a slow peer past which its data-like messages
   * are dropped (16 MiB) and past which it is closed (256 MiB). Inbound (docs/protocol.md,
   * "Robustness"): what the host forwarded to one extension group and it has not taken yet, past
   * which the host stops reading the connections that feed it (`inboundPauseMsgs` 4096,
   * `inboundPauseBytes` 16 MiB; read again below half), and past which a connection that cannot
   * be paused, or one holding this much while its graph starts, is closed (`inboundCloseMsgs`
   * 100 000, `inboundCloseBytes` 256 MiB).
   */
  transportLimits?: Partial<TransportLimits>;
  /**
   * Ours: the socket of a remote moves to the thread of the extension group that talks most
   * with that app, so a message between apps skips the host thread on both sides
   * (docs/protocol.md, "Threads on the path"). Default on; off with `false` or the environment
   * variable `TEN_STUDIO_GROUP_SOCKETS=0` (every socket then stays on the host thread).
   */
  groupSockets?: boolean;
  /**
   * Ours: what one group may hold, V8 heap plus buffers (default: a quarter of the memory the
   * process may use, 256 MiB to 4 GiB). A group past it is terminated and reported by name; the
   * other groups run on (see app/memory.ts).
   */
  groupMemoryLimitMb?: number;
  /**
   * Ours: resident memory of the whole process past which the group most likely to blame is
   * terminated (default: 80% of the memory the process may use). The smallest limit of the
   * process's Apps applies.
   */
  processMemoryLimitMb?: number;
  /**
   * Ours: the Python interpreter for Python extensions (default: `TEN_STUDIO_PYTHON`, the app
   * property `ten_studio.python`, else `python3`).
   */
  python?: string;
  /**
   * Ours, for test sessions: the Python extensions run in an existing Python process (the pytest
   * process that started us) reached through the returned port, instead of a spawned one.
   */
  pythonRelay?: (graphId: string, group: string) => MessagePort;
  /**
   * Ours: debug the Python extensions with debugpy, as TEN does with `TEN_ENABLE_PYTHON_DEBUG=true`
   * (the default comes from TEN's variables: `TEN_PYTHON_DEBUG_PORT`, default 5678;
   * `TEN_PYTHON_DEBUG_HOST`, default loopback). Each Python process listens before it imports its
   * group and waits for a client: the first on the port, the others on the next free ones; each
   * says where in a `python:debug` log event. `false` turns the variables' choice off.
   */
  pythonDebug?: boolean | { port?: number; host?: string };
  /**
   * Ours: Python interpreters kept started, our runtime imported, for the next Python group of the
   * same interpreter and environment (default 1; 0: none). See app/py_procs.ts.
   */
  sparePythons?: number;
  /**
   * Ours: nodes to run as another addon in this app's graphs (stand-ins for packages that cannot
   * run here): per predefined graph name, per extension node name, the addon and the node
   * property to use instead. Applied to the graph as flattened, never to the app's property.
   */
  replaceNodes?: Record<string, Record<string, NodeReplacement>>;
  /** Ours: graphs start with the text tap on (`onText`). */
  textTap?: boolean;
}

/** What a stand-in node runs: an addon and its property (the node's own is replaced, not merged). */
export interface NodeReplacement {
  addon: string;
  property: Record<string, unknown>;
}

/** Everything the App reports alive; all zero after close. */
export type AppLiveCounts = LiveCounts & NetLive;

/** Counters of the whole app, read by sampling (never pushed on the message path). */
export interface AppSample {
  ts: number;
  /**
   * Per graph; `unresponsive` lists groups that did not answer in time (busy or ended);
   * `channels` are the rings between groups, read from shared memory without asking any thread.
   */
  graphs: { graphId: string; name: string; state: string; groups: GroupSample[]; unresponsive?: string[]; channels?: ChannelSample[]; inbound?: InboundSample[] }[];
  /** Connections of TEN's protocol (to other apps and clients), with traffic per direction. */
  connections?: ConnectionSample[];
}

/** Receives trace records of a graph, plus how many its groups dropped since the last batch. */
export type TraceListener = (graphId: string, records: TraceRecord[], dropped: number) => void;

/** Receives text tap records of a graph, plus how many its groups dropped since the last batch. */
export type TextListener = (graphId: string, records: TextRecord[], dropped: number) => void;

/** What a graph start is given: a predefined graph's name or a graph document. */
export type GraphSource = string | { graph: TenGraph; name?: string };

export interface StartGraphOptions extends NetStartOptions {
  syncStopBeforeDeinit?: boolean;
  /**
   * The location that started the graph with a `start_graph` cmd (TEN's `host_loc`): a graph
   * with `exposed_messages` talks to it through TEN's graph proxy.
   */
  hostLoc?: { app: string; graph: string; extension: string };
}

/** The runtime's own packages every app has: TEN's graph proxy. */
const GRAPH_PROXY_DIR = fileURLToPath(new URL('../graph_proxy/', import.meta.url));
/** The studio's stand-in packages (interface and replay stand-ins), which only `replaceNodes` uses. */
export const STAND_INS_DIR = fileURLToPath(new URL('../stand_ins/', import.meta.url));

export class App implements EngineHost, NetHost {
  readonly uri: string;
  /** Whether the app stays up without graphs. */
  readonly longRunning: boolean;
  /** The long_running_mode of the graphs started through this API. */
  readonly longRunningGraphs: boolean;
  /** Listening, connections, remotes: TEN's msgpack protocol (src/runtime/protocol). */
  readonly net: AppNet;
  readonly policy: ViolationPolicy;
  readonly stopTimeoutMs: number;
  readonly unansweredAfterMs: number;
  readonly startTimeoutMs: number;
  readonly groupMemoryLimitMb: number;
  readonly processMemoryLimitMb: number;
  readonly ringBytes: number;
  readonly transportLimits: TransportLimits;
  readonly builder: ModuleBuilder;
  readonly pool: WorkerPool;
  private readonly property: TenAppProperty;
  private readonly appDir: string | undefined;
  private readonly addonDirs: string[];
  private addonCache: Map<string, AddonPackage> | null = null;
  private readonly engines = new Map<string, Engine>();
  /** Stopped graphs whose threads user code keeps alive; they end when the app closes. */
  private readonly lingering = new Set<Engine>();
  /** Starts of predefined graphs by name, while they run (a singleton started on demand waits here). */
  private readonly starting = new Map<string, Promise<string>>();
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly traceListeners = new Set<TraceListener>();
  private readonly textListeners = new Set<TextListener>();
  private readonly replaceNodes: Record<string, Record<string, NodeReplacement>>;
  readonly textTap: boolean;
  private closing: Promise<void> | null = null;
  private resolveClosed!: () => void;
  /** Resolves once the app has closed (by `close()` or a `ten:close_app` cmd). */
  readonly closed: Promise<void> = new Promise<void>((r) => (this.resolveClosed = r));
  private readonly retired: LiveCounts = { engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0, processes: 0 };
  private readonly pythonExe: string | undefined;
  private readonly pythonRelay: ((graphId: string, group: string) => MessagePort) | undefined;
  /** The debugger's settings, or why they are wrong (the first Python start fails with it). */
  private readonly pythonDebug: PythonDebug | Error | null;
  /** Releases this app's hold on the spare interpreters (at close). */
  private readonly releaseSpares: () => Promise<void>;
  /** The spec of the last process started for a group without debugging (spares are kept for it). */
  private pySpec: PySpawnSpec | null = null;

  constructor(opts: AppOptions = {}) {
    let property: TenAppProperty = {};
    let appDir = opts.appDir;
    if (typeof opts.property === 'string') {
      property = parseJsonText(readFileText(opts.property)) as TenAppProperty;
      appDir ??= dirname(resolve(opts.property));
    } else if (opts.property) {
      property = opts.property;
    }
    this.property = property;
    this.appDir = appDir;
    this.addonDirs = (opts.addonDirs ?? []).map((d) => resolve(d));
    this.builder = new ModuleBuilder(opts.cacheDir ?? DEFAULT_CACHE_DIR);
    this.groupMemoryLimitMb = opts.groupMemoryLimitMb ?? defaultGroupLimitMb();
    this.processMemoryLimitMb = opts.processMemoryLimitMb ?? defaultProcessLimitMb();
    this.pool = new WorkerPool(opts.spareThreads ?? 8, { maxOldGenerationSizeMb: this.groupMemoryLimitMb });
    this.uri = property.ten?.uri ?? 'localhost';
    this.policy = opts.violationPolicy ?? 'fail';
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
    this.unansweredAfterMs = opts.unansweredAfterMs ?? 5000;
    this.longRunning = opts.longRunning ?? property.ten?.long_running_mode !== false;
    this.longRunningGraphs = opts.longRunningGraphs ?? this.longRunning;
    this.transportLimits = { ...DEFAULT_LIMITS, ...opts.transportLimits };
    this.net = new AppNet(this, { dial: opts.dial, limits: this.transportLimits, groupSockets: opts.groupSockets ?? process.env.TEN_STUDIO_GROUP_SOCKETS !== '0' });
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.replaceNodes = opts.replaceNodes ?? {};
    this.textTap = opts.textTap ?? false;
    this.ringBytes = opts.ringBytes ?? DEFAULT_RING_BYTES;
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    this.pythonExe = opts.python;
    this.pythonRelay = opts.pythonRelay;
    let debug: PythonDebug | Error | null;
    try {
      debug = pythonDebugFrom(opts.pythonDebug);
    } catch (e) {
      debug = e as Error;
    }
    this.pythonDebug = debug;
    this.releaseSpares = leasePythonSpares(opts.sparePythons ?? 1);
  }

  /**
   * Listens on `ten.uri` when it names one (`msgpack://host:port/`; TEN: any URI but
   * `client:…`). An app that cannot listen closes itself, as in TEN; the promise rejects with
   * the reason.
   */
  async listen(): Promise<void> {
    if (!listensOn(this.uri) || this.net.listening) return;
    try {
      await this.net.listen();
    } catch (e) {
      const message = (e as Error).message;
      this.emit({ type: 'error', ts: Date.now(), graphId: '', extension: '', phase: 'listen', message, stack: '' });
      await this.close();
      throw e;
    }
  }

  /** Subscribes to runtime events; returns the unsubscribe function. */
  onEvent(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Ours: turns message tracing on (`config`) or off (`null`) for one running graph. Records
   * arrive in batches (one per group per loop turn) at `onTrace` listeners; `dropped` counts
   * records a group discarded because a turn produced more than it may post.
   */
  setTrace(graphId: string, config: TraceConfig | null): void {
    const engine = this.engines.get(graphId);
    if (!engine) throw new Error(`No running graph with id '${graphId}'.`);
    engine.setTrace(config);
  }

  /** Ours: turns the text tap on or off for one running graph (see `TextTap`). */
  setTextTap(graphId: string, on: boolean): void {
    const engine = this.engines.get(graphId);
    if (!engine) throw new Error(`No running graph with id '${graphId}'.`);
    engine.setTextTap(on);
  }

  /** Subscribes to text tap record batches; returns the unsubscribe function. */
  onText(listener: TextListener): () => void {
    this.textListeners.add(listener);
    return () => this.textListeners.delete(listener);
  }

  /** Subscribes to trace record batches; returns the unsubscribe function. */
  onTrace(listener: TraceListener): () => void {
    this.traceListeners.add(listener);
    return () => this.traceListeners.delete(listener);
  }

  /** Starts the predefined graphs marked `auto_start`. */
  async startAutoGraphs(): Promise<string[]> {
    const ids: string[] = [];
    for (const g of this.property.ten?.predefined_graphs ?? []) if (g.auto_start) ids.push(await this.startGraph(g.name));
    return ids;
  }

  /**
   * Starts a graph; resolves with its graph id once every extension is created (on_configure
   * follows), rejects with a readable error when the graph cannot start.
   */
  async startGraph(source: GraphSource, opts: StartGraphOptions = {}): Promise<string> {
    if (typeof source !== 'string') return this.doStartGraph(source, opts);
    const p = this.doStartGraph(source, opts);
    this.starting.set(source, p);
    try {
      return await p;
    } finally {
      if (this.starting.get(source) === p) this.starting.delete(source);
    }
  }

  private async doStartGraph(source: GraphSource, opts: StartGraphOptions): Promise<string> {
    if (this.closing) throw new Error('The app is closing.');
    let graph: TenGraph;
    let name: string;
    let baseDir = this.appDir;
    if (typeof source === 'string') {
      const pre = (this.property.ten?.predefined_graphs ?? []).find((g) => g.name === source);
      if (!pre) throw new Error(`Graph not found: no predefined graph named '${source}'.`);
      if ('nodes' in pre.graph) {
        graph = pre.graph as TenGraph;
      } else {
        const imported = await loadImportedGraph(pre.graph.import_uri, this.appDir);
        graph = imported.graph;
        baseDir = imported.baseDir;
      }
      name = source;
    } else {
      graph = source.graph;
      name = source.name ?? 'graph';
    }
    // TEN's checks when a graph is started (its validate_and_complete: the graph's shape, the
    // `app` field rules), in TEN's words; the first problem is the reason, as in TEN.
    const problem = graphProblem(graph);
    if (problem !== null) throw new Error(problem);
    // Names, `source` flows, selectors and subgraphs are flattened first; the engine runs flat graphs.
    graph = await flattenForRun(graph, baseDir, this.appDir, opts.hostLoc);
    if (typeof source === 'string' && this.replaceNodes[source]) graph = replaceNodes(graph, this.replaceNodes[source]);
    if (this.closing) throw new Error('The app is closing.');
    if (opts.syncStopBeforeDeinit && otherApps(graph, this.uri).length > 0) {
      throw new Error('sync_stop_before_deinit=true requires all nodes in the graph to belong to the same app, but nodes from multiple apps were found');
    }
    const graphId = opts.graphId ?? randomUUID();
    // The graph proxy compares a message's source graph with its own to tell inside from outside.
    for (const n of graph.nodes ?? []) if (n.type === 'extension' && n.addon === GRAPH_PROXY) n.property = { ...n.property, graph_id: graphId };
    const engine = new Engine(this, graphId, name, graph, opts.syncStopBeforeDeinit ?? false);
    this.engines.set(graphId, engine);
    this.emit({ type: 'graph', ts: Date.now(), graphId, name, state: 'starting' });
    try {
      // The graph's other apps start their part first (TEN answers start_graph bottom-up).
      await this.net.prepare(engine, graph, (n) => n.extension_group ?? UNSPECIFIED_GROUP, { ...opts, longRunningMode: opts.longRunningMode ?? this.longRunningGraphs });
      await engine.start(this.uri);
    } catch (e) {
      let detail = e instanceof Error ? e.message : String(e);
      if (detail.startsWith(STOPPED_WHILE_STARTING.slice(0, -1)) && this.closing) detail = `The app is closing: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`;
      // The start_graph it came from is answered with the reason before its connection closes.
      await this.net.engineStopped(engine, detail);
      this.retire(engine);
      this.emit({ type: 'graph', ts: Date.now(), graphId, name, state: 'start_failed', detail });
      throw e instanceof Error && e.message === detail ? e : new Error(detail);
    }
    this.net.started(engine);
    this.emit({ type: 'graph', ts: Date.now(), graphId, name, state: 'started' });
    return graphId;
  }

  /** Stops a graph and waits until all its threads have exited (or were terminated). */
  async stopGraph(graphId: string): Promise<void> {
    const engine = this.engines.get(graphId);
    if (!engine) throw new Error('Failed to find the engine to be shut down.');
    await this.stopEngine(engine);
  }

  /**
   * Stops every graph, then closes the app: threads that user code kept alive after their
   * graph stopped are reported with what keeps them and ended.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.engines.values()].map((e) => this.stopEngine(e)));
      // Then the connections no graph holds, and the listening endpoint.
      await this.net.close();
      const leaked = await Promise.all([...this.lingering].map((e) => e.endLeftovers()));
      for (const n of leaked) this.retired.handles += n;
      this.lingering.clear();
      await this.pool.close();
      await this.releaseSpares();
      // Spares for whoever else holds a lease (the studio host, which closes an App per run).
      if (this.pySpec !== null) pythonProcesses.keep(this.pySpec);
      this.emit({ type: 'app_closed', ts: Date.now() });
      this.resolveClosed();
    })();
    return this.closing;
  }

  /** Graph ids of the running graphs. */
  graphs(): string[] {
    return [...this.engines.keys()];
  }

  /** Samples runloop and extension counters of every running graph. */
  async sample(): Promise<AppSample> {
    const graphs = await Promise.all(
      [...this.engines.values()].map(async (e) => ({ graphId: e.graphId, name: e.name, state: e.state, ...(await e.sample()) })),
    );
    return { ts: Date.now(), graphs, connections: this.net.sample() };
  }

  /**
   * Live runtime objects: engines and threads now, plus what stopped graphs reported alive at
   * close (extensions, paths, timers) and the handles user code left open in threads that had
   * to be terminated for them. All zero once every graph has stopped cleanly.
   */
  live(): AppLiveCounts {
    const out: AppLiveCounts = { ...this.retired, engines: this.engines.size, threads: 0, ...this.net.live() };
    for (const e of this.engines.values()) {
      out.threads += e.liveThreads();
      out.extensions += e.liveExtensionsEstimate();
      out.processes += e.liveProcesses();
    }
    for (const e of this.lingering) out.threads += e.liveThreads();
    return out;
  }

  // ---- EngineHost ------------------------------------------------------------------------

  emit(ev: RuntimeEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (e) {
        console.error('runtime event listener failed:', e);
      }
    }
  }

  traced(graphId: string, records: TraceRecord[], dropped: number): void {
    for (const l of this.traceListeners) l(graphId, records, dropped);
  }

  texted(graphId: string, records: TextRecord[], dropped: number): void {
    for (const l of this.textListeners) l(graphId, records, dropped);
  }

  addons(): Map<string, AddonPackage> {
    const own = Object.keys(this.replaceNodes).length ? [GRAPH_PROXY_DIR, STAND_INS_DIR] : [GRAPH_PROXY_DIR];
    this.addonCache ??= discoverAddons(this.appDir, [...own, ...this.addonDirs]);
    return this.addonCache;
  }

  pythonGroup(group: string, packageDirs: string[], graphId: string): GroupPython {
    const paths = [studioPythonDir(), ...pythonPathsFor(packageDirs)];
    if (this.pythonRelay) return { exe: '', paths, env: {}, relay: this.pythonRelay(graphId, group) };
    const chosen = this.pythonExe ? { exe: this.pythonExe, from: 'the run options' } : chosenPython(this.property);
    const { exe } = checkPython(chosen.exe, chosen.from);
    if (this.pythonDebug instanceof Error) throw this.pythonDebug;
    if (this.pythonDebug) checkDebugpy(exe);
    // Started with our packages on the path only (what a spare can have been started with); the
    // group's own paths are the process's to add when it takes the group.
    return {
      exe,
      paths,
      env: pythonEnv([studioPythonDir()]),
      pythonpath: pythonEnv(paths).PYTHONPATH,
      ...(this.pythonDebug ? { debug: { ...this.pythonDebug } } : {}),
    };
  }

  async pythonProcess(cfg: GroupPython): Promise<PyProc> {
    const args = ['-X', 'utf8', '-m', 'ten_studio_py.host'];
    if (!cfg.debug) {
      const spec: PySpawnSpec = { exe: cfg.exe, args, env: cfg.env, cwd: process.cwd() };
      this.pySpec = spec;
      return pythonProcesses.take(spec);
    }
    // Debugging: a process of its own (never a spare) listening on a port no other process of this host has.
    const claim = await claimDebugPort(cfg.debug.host, cfg.debug.port);
    cfg.debug.port = claim.port;
    const env = { ...cfg.env, TEN_ENABLE_PYTHON_DEBUG: 'true', TEN_PYTHON_DEBUG_HOST: cfg.debug.host, TEN_PYTHON_DEBUG_PORT: String(claim.port) };
    // Breakpoints in the standard library hold only without frozen modules (debugpy warns otherwise).
    const p = pythonProcesses.take({ exe: cfg.exe, args: ['-X', 'frozen_modules=off', ...args], env, cwd: process.cwd() });
    p.whenGone(claim.release);
    return p;
  }

  requestStop(engine: Engine | NetEngine): void {
    const e = this.engines.get(engine.graphId);
    if (e) void this.stopEngine(e);
  }

  // ---- NetHost ----------------------------------------------------------------------------

  engineById(graphId: string): Engine | undefined {
    return this.engines.get(graphId);
  }

  /** TEN's lookup of a connection's `dest.graph`: see `engineFor`. */
  async resolveGraph(graph: string): Promise<Engine | null> {
    return this.engineFor(graph);
  }

  groupEnded(engine: Engine): void {
    this.net.groupEnded(engine);
  }

  framesToApp(from: Engine, app: string, bytes: Uint8Array, count: number): void {
    this.net.framesFromLocal(from, app, bytes, count);
  }

  /** Built-in app cmds, cross-graph and cross-app messages sent by an extension. */
  fromGraph(from: Engine, msg: WireMsg): void {
    const to = msg.dests[0]?.app;
    if (to && to !== this.uri) {
      // Another app: over the graph's remote for it (TEN's msgpack protocol).
      this.net.fromLocal(from, msg);
      return;
    }
    switch (msg.type) {
      case 'start_graph':
        this.onStartGraphCmd(from, msg);
        return;
      case 'stop_graph': {
        // No graph id: the sender's own graph (TEN's engine stops itself).
        const id = typeof msg.props.graph_id === 'string' && msg.props.graph_id !== '' ? msg.props.graph_id : from.graphId;
        const target = this.engines.get(id);
        if (!target) {
          this.reply(from, msg, 1, 'Failed to find the engine to be shut down.');
          return;
        }
        // As TEN's app: another graph's stop is answered once that graph has closed; a graph
        // that stops itself gets no answer (it is gone when the answer would come).
        void this.stopEngine(target).then(() => {
          if (target !== from) this.reply(from, msg, 0, 'close engine done');
        });
        return;
      }
      case 'close_app':
        // No answer, as in TEN: the app closes, and the sender with it.
        void this.close();
        return;
      case 'cmd':
      case 'cmd_result':
      case 'data':
      case 'audio_frame':
      case 'video_frame':
      case 'timer':
      case 'timeout':
      case 'trigger_life_cycle': {
        const d = msg.dests[0];
        const found = this.engineFor(d?.graph ?? '');
        if (found instanceof Promise) void found.then((e) => this.deliverTo(from, msg, e));
        else this.deliverTo(from, msg, found);
        return;
      }
    }
  }

  /**
   * The engine a message's `dest.graph` names (TEN `ten_app_handle_in_msg`): a graph id, else the
   * name of a singleton predefined graph, started on demand when it is not running yet.
   */
  private engineFor(graph: string): Engine | null | Promise<Engine | null> {
    const byId = this.engines.get(graph);
    if (byId) return byId;
    const pre = (this.property.ten?.predefined_graphs ?? []).find((g) => g.name === graph);
    if (!pre?.singleton) return null;
    for (const e of this.engines.values()) if (e.name === graph && e.state === 'running') return e;
    if (this.closing) return null;
    const start = this.starting.get(graph) ?? this.startGraph(graph);
    return start.then(
      (id) => this.engines.get(id) ?? null,
      () => null,
    );
  }

  private deliverTo(from: Engine, msg: WireMsg, target: Engine | null): void {
    const dataLike = msg.type === 'cmd_result' || msg.type === 'data' || msg.type === 'audio_frame' || msg.type === 'video_frame';
    const d = msg.dests[0];
    if (!target) {
      if (!dataLike) this.reply(from, msg, 1, 'Graph not found.');
      else if (msg.type !== 'cmd_result') this.emit({ type: 'log', ts: Date.now(), graphId: from.graphId, extension: msg.src.ext, level: 3, message: `Discard message to non-existent graph '${d?.graph ?? ''}'.` });
      return;
    }
    // A graph named by a predefined name travels on with its id (TEN rewrites names before dispatch).
    if (d && d.graph !== target.graphId) msg.dests = [{ ...d, graph: target.graphId }];
    if (!target.deliver(msg) && !dataLike) this.reply(from, msg, 1, 'Failed to find destination.');
  }

  private onStartGraphCmd(from: Engine, msg: WireMsg): void {
    const p = msg.props;
    let source: GraphSource | null = null;
    if (typeof p.predefined_graph_name === 'string') source = p.predefined_graph_name;
    else if (typeof p.graph_json === 'string') {
      try {
        source = { graph: parseJsonText(p.graph_json) as TenGraph };
      } catch (e) {
        this.reply(from, msg, 1, `Invalid graph JSON: ${(e as Error).message}`);
        return;
      }
    }
    if (source === null) {
      this.reply(from, msg, 1, 'The start_graph cmd names no graph.');
      return;
    }
    const hostLoc = { app: msg.src.app, graph: msg.src.graph, extension: msg.src.ext };
    // The cmd's own long_running_mode (TEN's field, false unless set), not the app's default.
    this.startGraph(source, { syncStopBeforeDeinit: p.sync_stop_before_deinit === true, longRunningMode: p.long_running_mode === true, hostLoc }).then(
      (graphId) => this.reply(from, msg, 0, '', { graph_id: graphId }),
      (e: unknown) => this.reply(from, msg, 1, e instanceof Error ? e.message : String(e)),
    );
  }

  private reply(from: Engine, cmd: WireMsg, status: number, detail: string, extra: Record<string, unknown> = {}): void {
    const r = newWireMsg('cmd_result', cmd.name);
    r.status = status;
    r.cmdId = cmd.cmdId;
    r.origName = cmd.name;
    r.origType = cmd.type;
    r.props = { ...extra, ...(detail ? { detail } : {}) };
    r.src = { app: this.uri, graph: '', ext: '' };
    r.dests = [{ ...cmd.src }];
    const back = this.engines.get(cmd.src.graph) ?? from;
    back.deliver(r);
  }

  private async stopEngine(engine: Engine): Promise<void> {
    if (engine.state === 'stopped') return;
    this.emit({ type: 'graph', ts: Date.now(), graphId: engine.graphId, name: engine.name, state: 'stopping' });
    await engine.stop();
    // Two-phase close: the graph's remotes close once its extensions have.
    await this.net.engineStopped(engine);
    this.retire(engine);
    for (const e of this.lingering) if (e.liveThreads() === 0) this.lingering.delete(e);
    if (engine.liveThreads() > 0) this.lingering.add(engine);
    this.emit({ type: 'graph', ts: Date.now(), graphId: engine.graphId, name: engine.name, state: 'stopped' });
    // Interpreters for the next start start now, while nothing of this graph competes for the CPU
    // (as the spare threads: engine.ts).
    if (this.pySpec !== null && !this.closing) pythonProcesses.keep(this.pySpec);
    // An app not in long_running_mode exits when its last graph closes.
    if (this.engines.size === 0 && !this.closing && !this.longRunning) void this.close();
  }

  private retire(engine: Engine): void {
    if (!this.engines.delete(engine.graphId)) return;
    this.retired.extensions += engine.closedLive.extensions;
    this.retired.paths += engine.closedLive.paths;
    this.retired.timers += engine.closedLive.timers;
    this.retired.handles += engine.closedLive.handles;
    this.retired.processes += engine.liveProcesses();
  }
}

/** TEN's start-time problem with a graph (its shape, then the `app` field rules), or null. */
function graphProblem(graph: unknown): string | null {
  const at = { src: {}, base: '' };
  const shape = checkGraphShape(graph, at);
  const first = shape.length > 0 ? shape[0] : checkAppFields(graph as TenGraph, at)[0];
  return first === undefined ? null : first.message;
}

/** The graph with the named extension nodes running as other addons (a copy; `graph` is not changed). */
function replaceNodes(graph: TenGraph, with_: Record<string, NodeReplacement>): TenGraph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      const r = n.type === 'extension' ? with_[n.name] : undefined;
      return r ? { ...n, addon: r.addon, property: r.property } : n;
    }),
  };
}
