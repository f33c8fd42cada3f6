/**
 * An Engine runs one graph. It lives on the App's (host) loop — we map TEN's
 * `one_event_loop_per_engine: false`, TEN's default — and acts as the routing authority: it
 * plans the graph, gives every extension-group worker the routing table and a direct
 * MessageChannel to every other group, and then stays off the message path. Control (start,
 * stop, samples) and cross-graph traffic go through it.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { WORKER_SOURCE, type ModuleBuilder } from './build';
import type { WorkerPool } from './pool';
import type { PyProc } from './py_procs';
import { deepMerge } from '../core/props';
import type { SocketThread, TransportLimits } from '../protocol/transport';
import type { ProtocolError } from '../protocol/stream';
import type { FromWorker, GroupPython, GroupSample, HandleCounts, LifecyclePhase, LiveCounts, NodeSpec, RuntimeEvent, ToWorker, TraceConfig, TraceRecord, ViolationPolicy } from '../core/protocol';
import type { WireMsg } from '../core/wire';
import type { TenGraph } from '../../shared/graph/types';
import { notInstalledText } from '../../shared/graph/check';
import type { TextRecord } from '../../shared/talk/talk';
import type { AddonPackage } from './packages';
import { memoryGuard } from './memory';
import { planGraph } from './routes';
import { planRings, type PlannedRing } from '../routing/channels';
import { closeRing, ringCounters, type RingCounters } from '../routing/ring';
import type { InboundSource } from '../core/inflow';
import { GroupInflow } from './inflow';

const MB = 1024 * 1024;


export interface EngineHost {
  emit(ev: RuntimeEvent): void;
  fromGraph(engine: Engine, msg: WireMsg): void;
  /** Messages of the graph for another app, as TEN wire frames (protocol/group_links.ts). */
  framesToApp(engine: Engine, app: string, bytes: Uint8Array, count: number): void;
  /** The engine must stop (failed start, abort policy); the host stops and retires it. */
  requestStop(engine: Engine): void;
  addons(): Map<string, AddonPackage>;
  /** Ours: trace records a group posted (only while tracing is on). */
  traced(graphId: string, records: TraceRecord[], dropped: number): void;
  /** Ours: text tap records a group posted (only while the tap is on). */
  texted(graphId: string, records: TextRecord[], dropped: number): void;
  /** Ours: whether graphs start with the text tap on. */
  readonly textTap: boolean;
  builder: ModuleBuilder;
  pool: WorkerPool;
  /**
   * Ours: how a group with Python extensions starts its Python process (throws a readable error
   * when no usable interpreter is configured: the graph then fails before any thread starts).
   */
  pythonGroup(group: string, packageDirs: string[], graphId: string): GroupPython;
  /**
   * Ours: the Python process for a group (a spare started with the same interpreter, arguments and
   * environment, else a new one), and the port of its debugger when debugging is on (allocated
   * first: the configured port for the first process, the next free ones for the others).
   */
  pythonProcess(cfg: GroupPython): Promise<PyProc>;
  policy: ViolationPolicy;
  stopTimeoutMs: number;
  unansweredAfterMs: number;
  /** Limit on an extension's creation and on each of its start phases (configure, init, start). */
  startTimeoutMs: number;
  /** What one group may hold (heap plus buffers), and the process's resident memory limit (app/memory.ts). */
  groupMemoryLimitMb: number;
  processMemoryLimitMb: number;
  /** Bytes per ring between two groups (0: MessagePort batches only). */
  ringBytes: number;
  /** The limits of connections, those of what the host forwards to a group among them. */
  readonly transportLimits: TransportLimits;
  /**
   * A group's thread ended (crashed, exited, terminated, or after the graph's stop): cmds the
   * host handed to it and has not seen answered are answered by the net.
   */
  groupEnded(engine: Engine, group: string): void;
}

/** One ring between two groups of a graph, written by `from`'s thread and read by `to`'s. */
export interface ChannelSample extends RingCounters {
  from: string;
  to: string;
}

type Created = { ok: boolean; error?: string };

interface GroupWorker {
  group: string;
  /** The group's extensions, in creation order. */
  nodes: NodeSpec[];
  worker: Worker;
  exited: boolean;
  exit: Promise<void>;
  created: Promise<Created>;
  /** The group answered `created` (its extensions exist, or their creation failed). */
  answered: boolean;
  /** Live counts the group posted when its last extension closed (null until then). */
  /** Heap plus buffers the group last reported holding, and when. */
  heldBytes: number;
  reportedAt: number;
  /** Set when the engine ended the thread for a reason it reported itself (memory). */
  endReason: string | null;
  closedLive: LiveCounts | null;
  /** Resolves when the group's last extension has closed (its `closed` message). */
  closed: Promise<void>;
  resolveClosed: () => void;
  /** Answers the app's question at close: what keeps a closed group's thread alive. */
  resolveLeftover: ((handles: HandleCounts) => void) | null;
  /** Resolves when the thread's event loop has nothing left and it is ending by itself. */
  ending: Promise<void>;
  resolveEnding: () => void;
  endingSaid: boolean;
  /** Set while the app's question waits: the thread said it answers once its channels closed. */
  leftoverWait: (() => void) | null;
  /** What the host forwarded to the group from outside the graph and it has not taken yet (app/inflow.ts). */
  inflow: GroupInflow;
}

/** What the host hears of a socket that moved to a group's thread (protocol/transport.ts `moved*`). */
export interface MovedSocketEvents {
  /** The group took the socket; what it handed over before must be passed on now. */
  adopted(): void;
  input(bytes: Uint8Array): void;
  error(e: ProtocolError | Error): void;
  eof(half: ProtocolError | null): void;
  closed(): void;
}

/** The answer standing in for a thread that responded but was still closing its own channels. */
const OWN_CLOSE_PENDING: HandleCounts = Object.freeze({}) as HandleCounts;

/** Thrown by `start` when a stop came while the graph was starting. */
export const STOPPED_WHILE_STARTING = 'The graph was stopped while it started.';

const isDataLike = (m: WireMsg): boolean => m.type === 'data' || m.type === 'audio_frame' || m.type === 'video_frame';

/**
 * What the host forwarded to one group from outside the graph (clients, other apps) and the group
 * has not taken yet, the most it has been, and the connections not read meanwhile (app/inflow.ts).
 */
export interface InboundSample {
  group: string;
  msgs: number;
  bytes: number;
  highWater: number;
  pausedReaders: number;
}

/** A frame the host received for an extension of the graph (`data`: a data-like message). */
export interface InboundFrame {
  ext: string;
  raw: Uint8Array;
  data: boolean;
}

export type EngineState = 'starting' | 'running' | 'stopping' | 'stopped';

export class Engine {
  readonly graphId: string;
  readonly name: string;
  state: EngineState = 'starting';
  private readonly host: EngineHost;
  private readonly graph: TenGraph;
  private readonly syncStopBeforeDeinit: boolean;
  private readonly workers = new Map<string, GroupWorker>();
  private readonly extGroup = new Map<string, string>();
  /** The rings between groups, sampled from shared memory. */
  private rings: PlannedRing[] = [];
  private stopping: Promise<void> | null = null;
  private workerEntry: URL | null = null;
  private stoppedGroups = 0;
  private samples = new Map<number, (s: GroupSample) => void>();
  private nextReq = 0;
  /** The last lifecycle phase each extension reported (host-side: a stuck thread cannot hide it). */
  private readonly phases = new Map<string, LifecyclePhase>();
  /** Timers of the start phases running now, by extension. */
  private readonly phaseTimers = new Map<string, NodeJS.Timeout>();
  /** Leaks reported by workers at close, summed. */
  readonly closedLive: LiveCounts = { engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0, processes: 0 };
  /** Python processes of the groups (process → group), until they exit or are killed. */
  private readonly procs = new Map<PyProc, string>();
  /** Exits of the processes killed: the stop waits for them (nothing is left running after it). */
  private readonly dying: Promise<void>[] = [];
  /** This app's URI (set at the start). */
  private appUri = '';
  /** Sockets of the graph's remotes that moved to a group's thread, by connection id. */
  private readonly sockets = new Map<number, { group: string; ev: MovedSocketEvents; timer: NodeJS.Timeout | null }>();

  constructor(host: EngineHost, graphId: string, name: string, graph: TenGraph, syncStopBeforeDeinit: boolean) {
    this.host = host;
    this.graphId = graphId;
    this.name = name;
    this.graph = graph;
    this.syncStopBeforeDeinit = syncStopBeforeDeinit;
  }

  /**
   * Creates every group and extension; resolves when all exist (TEN answers start_graph here).
   * Whatever fails or is stopped on the way ends every thread created so far before rejecting.
   */
  async start(appUri: string): Promise<void> {
    let failed: Created;
    try {
      failed = await this.create(appUri);
    } catch (e) {
      await this.stop();
      throw e;
    }
    // Stopped meanwhile (stop_graph, close_app, Stop): the stop has told every group and ended
    // those still creating; none is started.
    if (!failed.ok || this.stopping !== null) {
      const error = this.stopping !== null ? this.stoppedWhileStarting() : failed.error;
      await this.stop();
      throw new Error(error ?? 'An extension group failed to start.');
    }
    this.state = 'running';
    for (const w of this.workers.values()) this.post(w, { t: 'start' });
  }

  /** Builds the modules, starts the group threads and waits until every group is created or one failed. */
  private async create(appUri: string): Promise<Created> {
    this.appUri = appUri;
    // This app's part of the graph: nodes of other apps run there (app/routes.ts).
    const plan = planGraph(this.graph, appUri);
    const addons = this.host.addons();
    const byGroup = new Map<string, NodeSpec[]>();
    const entries = new Map<string, string>();
    for (const n of plan.nodes) {
      const pkg = addons.get(n.addon);
      if (!pkg) throw new Error(notInstalledText(n.app, n.addon));
      if (pkg.runtime !== 'python') entries.set(pkg.entry, '');
    }
    // Python is checked before any thread starts: a missing interpreter is one clear error.
    const python = new Map<string, GroupPython>();
    const pyDirs = new Map<string, string[]>();
    for (const n of plan.nodes) {
      const pkg = addons.get(n.addon)!;
      if (pkg.runtime !== 'python') continue;
      const g = plan.groupOf[n.name];
      const dirs = pyDirs.get(g);
      if (dirs) dirs.push(pkg.dir!);
      else pyDirs.set(g, [pkg.dir!]);
    }
    for (const [g, dirs] of pyDirs) python.set(g, this.host.pythonGroup(g, dirs, this.graphId));
    // The processes start (or spares are taken) while the modules build.
    const pyStarted = this.startPython(python);
    pyStarted.catch(() => undefined);
    // Build what the threads will import once, here, instead of compiling in every thread.
    const sources = [WORKER_SOURCE, ...entries.keys()];
    let urls: string[];
    try {
      urls = await this.host.builder.build(sources, (message) => this.host.emit({ type: 'log', ts: Date.now(), graphId: this.graphId, extension: '', level: 4, message }));
      await pyStarted;
    } catch (e) {
      await pyStarted.catch(() => undefined);
      this.dropPython();
      throw e;
    }
    if (this.stopping !== null) {
      this.dropPython();
      return { ok: true };
    }
    sources.forEach((s, i) => entries.set(s, urls[i]));
    for (const n of plan.nodes) {
      const pkg = addons.get(n.addon)!;
      const property = deepMerge(pkg.property, n.property ?? {});
      const spec: NodeSpec =
        pkg.runtime === 'python'
          ? { name: n.name, addon: n.addon, entry: '', api: pkg.api, property, runtime: 'python', pyModule: pkg.pyModule, dir: pkg.dir }
          : { name: n.name, addon: n.addon, entry: entries.get(pkg.entry)!, api: pkg.api, property };
      const g = plan.groupOf[n.name];
      this.extGroup.set(n.name, g);
      let list = byGroup.get(g);
      if (!list) byGroup.set(g, (list = []));
      list.push(spec);
    }
    const groups = [...byGroup.keys()];
    const peers = new Map<string, Record<string, MessagePort>>(groups.map((g) => [g, {}]));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const ch = new MessageChannel();
        peers.get(groups[i])![groups[j]] = ch.port1;
        peers.get(groups[j])![groups[i]] = ch.port2;
      }
    }
    const rings = planRings(plan.groupOf, plan.routes, this.host.ringBytes);
    this.rings = rings.rings;
    this.workerEntry = new URL(entries.get(WORKER_SOURCE)!);
    for (const g of groups) {
      const nodes = byGroup.get(g)!;
      const ports = peers.get(g)!;
      const w = this.spawn(g, nodes);
      const init: ToWorker = {
        t: 'init',
        appUri,
        graphId: this.graphId,
        group: g,
        nodes,
        groupOf: plan.groupOf,
        routes: plan.routes,
        peers: ports,
        rings: rings.byGroup.get(g) ?? {},
        policy: this.host.policy,
        syncStopBeforeDeinit: this.syncStopBeforeDeinit,
        unansweredAfterMs: this.host.unansweredAfterMs,
        python: python.get(g),
        ...(this.host.textTap ? { textTap: true } : {}),
        inflow: w.inflow.sab,
      };
      const relay = python.get(g)?.relay;
      try {
        w.worker.postMessage(init, [...Object.values(ports), ...(relay ? [relay] : [])]);
      } catch (e) {
        throw new Error(unsendable(g, nodes, e));
      }
      this.attachPython(w);
    }
    // The first failure ends the wait: the other groups are stopped, not waited for.
    // A graph with none of its extensions in this app has no group to wait for.
    if (this.workers.size === 0) return { ok: true };
    return new Promise<Created>((resolve) => {
      let left = this.workers.size;
      for (const w of this.workers.values()) w.created.then((r) => (!r.ok ? resolve(r) : --left === 0 && resolve(r)));
    });
  }

  /**
   * Takes a thread for a group; its creation must be answered within the start timeout, counted
   * from when the thread took the init (booting a thread is not the extensions' time: two
   * hundred of them on two loaded cores take over a minute).
   */
  private spawn(g: string, nodes: NodeSpec[]): GroupWorker {
    const worker = this.host.pool.take(this.workerEntry!, `ten:${this.name}:${g}`);
    let resolveCreated!: (r: Created) => void;
    const created = new Promise<Created>((r) => (resolveCreated = r));
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    let resolveEnding!: () => void;
    const ending = new Promise<void>((r) => (resolveEnding = r));
    const ms = this.host.startTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const startTimer = (): void => {
      timer = setTimeout(() => {
        const x = nodes.find((n) => !this.phases.has(n.name)) ?? nodes[0];
        resolveCreated({
          ok: false,
          error: `Extension '${x.name}' (addon '${x.addon}', group '${g}') was not created within ${ms} ms: its module's top-level code or its addon's onCreateInstance never finished.`,
        });
      }, ms);
      timer.unref();
    };
    const gw: GroupWorker = {
      group: g,
      nodes,
      worker,
      exited: false,
      exit: new Promise<void>((r) =>
        worker.once('exit', (code: number) => {
          gw.exited = true;
          clearTimeout(timer);
          // Whatever the thread had not read is lost with it: writers to it fail from now on.
          for (const r of this.rings) if (r.to === g) closeRing(r.sab);
          // Its sockets closed with it: for the host, their peers are gone (EOF).
          for (const [id, sock] of this.sockets) {
            if (sock.group !== g) continue;
            this.sockets.delete(id);
            if (sock.timer !== null) clearTimeout(sock.timer);
            sock.ev.closed();
          }
          this.killProcesses(g);
          // What the host had forwarded and the thread had not taken is lost: data counted, cmds answered.
          gw.inflow.ended();
          this.host.groupEnded(this, g);
          resolveCreated({ ok: false, error: gw.endReason ?? `The thread of group '${g}' exited during creation.` });
          if (this.state === 'running' && gw.endReason === null) {
            // Not asked to stop: an extension ended the thread (process.exit, fatal error).
            // The other groups go on; sends to this group get "has been terminated" errors.
            this.host.emit({
              type: 'worker_terminated',
              ts: Date.now(),
              graphId: this.graphId,
              group: g,
              reason: `The thread of group '${g}' exited unexpectedly (exit code ${code}).`,
            });
          }
          r();
        }),
      ),
      created,
      answered: false,
      heldBytes: 0,
      reportedAt: 0,
      endReason: null,
      closedLive: null,
      closed,
      resolveClosed,
      resolveLeftover: null,
      ending,
      resolveEnding,
      endingSaid: false,
      leftoverWait: null,
      inflow: new GroupInflow(this.host.transportLimits, `extension group '${g}' of graph '${this.name}' (${this.graphId})`),
    };
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'creating') startTimer();
      else if (m.t === 'py_debug') {
        // Waiting for a debugger to attach is not the extensions' time: the limit starts again after.
        clearTimeout(timer);
        if (m.state !== 'listening' && !gw.answered) startTimer();
      } else
        this.onWorker(gw, m, (r) => {
          gw.answered = true;
          clearTimeout(timer);
          resolveCreated(r);
        });
    });
    worker.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        // V8 ended the thread at its heap limit (even inside a synchronous loop).
        this.ended(gw, `Extension group '${g}' of graph '${this.name}' ran out of its JavaScript heap (limit ${this.host.groupMemoryLimitMb} MB, groupMemoryLimitMb); its thread was terminated.`);
        return;
      }
      this.host.emit({ type: 'error', ts: Date.now(), graphId: this.graphId, extension: '', phase: `thread:${g}`, message: e.message, stack: e.stack ?? '' });
    });
    this.workers.set(g, gw);
    this.guard(gw);
    return gw;
  }

  /**
   * Puts the group under the process's memory guard (app/memory.ts) until its thread exits: the
   * guard may end it when the process holds too much, as the most likely cause.
   */
  private guard(w: GroupWorker): void {
    let elu = w.worker.performance.eventLoopUtilization();
    const unguard = memoryGuard.add({
      limitBytes: this.host.processMemoryLimitMb * MB,
      // A thread that said it is ending holds nothing of the user's and may sit in its exit.
      groups: () =>
        w.exited || w.endReason !== null || w.endingSaid
          ? []
          : [
              {
                label: `Extension group '${w.group}' of graph '${this.name}'`,
                heldBytes: w.heldBytes,
                reportedAt: w.reportedAt,
                utilization: () => {
                  const now = w.worker.performance.eventLoopUtilization();
                  const u = w.worker.performance.eventLoopUtilization(now, elu).utilization;
                  elu = now;
                  return u;
                },
                terminate: (reason) => this.ended(w, reason),
              },
            ],
    });
    void w.exit.then(unguard);
  }

  /** A group's report of what it holds; past its limit it is ended, named. */
  private held(w: GroupWorker, heapUsed: number, external: number): void {
    w.heldBytes = heapUsed + external;
    w.reportedAt = Date.now();
    const limit = this.host.groupMemoryLimitMb;
    if (w.heldBytes <= limit * MB) return;
    this.ended(
      w,
      `Extension group '${w.group}' of graph '${this.name}' holds ${Math.round(w.heldBytes / MB)} MB (heap ${Math.round(heapUsed / MB)} MB, buffers ${Math.round(external / MB)} MB), more than its limit of ${limit} MB (groupMemoryLimitMb); its thread was terminated.`,
    );
  }

  /** Ends a group's thread for a reason the engine reports (once); the other groups run on. */
  private ended(w: GroupWorker, reason: string): void {
    if (w.exited || w.endReason !== null) return;
    w.endReason = reason;
    this.host.emit({ type: 'worker_terminated', ts: Date.now(), graphId: this.graphId, group: w.group, reason });
    void w.worker.terminate();
  }

  /** Why a start the graph's stop interrupted failed: the extensions still being created. */
  private stoppedWhileStarting(): string {
    const pending = [...this.workers.values()].filter((w) => !w.answered).map((w) => {
      const x = w.nodes.find((n) => !this.phases.has(n.name)) ?? w.nodes[0];
      return `extension '${x.name}' (group '${w.group}')`;
    });
    return pending.length > 0 ? `${STOPPED_WHILE_STARTING.slice(0, -1)}: ${pending.join(', ')} ${pending.length > 1 ? 'were' : 'was'} still being created.` : STOPPED_WHILE_STARTING;
  }

  /** Two-phase close: "please stop" goes down to every group; each thread exits when its extensions are closed. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /**
   * The graph is stopped when every group has closed its extensions (TEN: the last
   * on_deinit_done), whether or not its thread has ended: a thread that user code keeps alive
   * (a timer, a socket) lives on with the app, as in TEN, and is ended by `endLeftovers` when
   * the app closes. A group whose extensions do not close within the stop timeout is terminated.
   */
  private async doStop(): Promise<void> {
    this.state = 'stopping';
    for (const t of this.phaseTimers.values()) clearTimeout(t);
    this.phaseTimers.clear();
    for (const w of this.workers.values()) {
      // A group still creating its extensions has nothing to stop in order (no lifecycle has
      // begun) and may never answer (a hung onCreateInstance): its thread ends now.
      if (w.answered) this.post(w, { t: 'stop' });
      else void w.worker.terminate();
    }
    const ms = this.host.stopTimeoutMs;
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          w.exit.then(() => false),
          w.closed.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms))),
        ]);
        clearTimeout(timer);
        if (timedOut && !w.exited && w.closedLive === null) {
          // A thread ended for its memory is reported already.
          if (w.endReason === null) {
            this.host.emit({
              type: 'worker_terminated',
              ts: Date.now(),
              graphId: this.graphId,
              group: w.group,
              reason: `Extension group '${w.group}' did not stop within ${ms} ms${this.stuckIn(w)}; its thread was terminated.`,
            });
          }
          this.killProcesses(w.group);
          await w.worker.terminate();
          await w.exit;
        }
      }),
    );
    await Promise.all(this.dying);
    this.state = 'stopped';
    // Threads for the next start boot now, while nothing else of this graph competes for the CPU.
    if (this.workerEntry) this.host.pool.refill(this.workerEntry, this.workers.size);
  }

  /** ` (extension 'x' was still in on_stop, …)`: the extensions of a group that had not closed. */
  private stuckIn(w: GroupWorker): string {
    const open = w.nodes.flatMap((n) => {
      const phase = this.phases.get(n.name);
      if (phase === 'on_deinit_done') return [];
      if (phase === undefined || phase === 'created') return [`extension '${n.name}' had not begun on_configure`];
      return [phase.endsWith('_done') ? `extension '${n.name}' had last finished ${phase}` : `extension '${n.name}' was still in ${phase}`];
    });
    return open.length > 0 ? ` (${open.join(', ')})` : '';
  }

  /**
   * Follows an extension's lifecycle: each start phase (on_configure, on_init, on_start) must
   * end within the start timeout. The timers are the host's, so an extension stuck in a loop
   * is caught as well as one whose promise never settles.
   */
  private track(extension: string, phase: LifecyclePhase): void {
    this.phases.set(extension, phase);
    const running = this.phaseTimers.get(extension);
    if (running) clearTimeout(running);
    this.phaseTimers.delete(extension);
    if (this.stopping || (phase !== 'on_configure' && phase !== 'on_init' && phase !== 'on_start')) return;
    const ms = this.host.startTimeoutMs;
    const timer = setTimeout(() => {
      this.phaseTimers.delete(extension);
      if (this.stopping) return;
      const message = `Extension '${extension}' did not finish ${phase} within ${ms} ms; the graph is stopped.`;
      this.host.emit({ type: 'error', ts: Date.now(), graphId: this.graphId, extension, phase, message, stack: '' });
      this.host.emit({ type: 'graph', ts: Date.now(), graphId: this.graphId, name: this.name, state: 'start_failed', detail: message });
      this.host.requestStop(this);
    }, ms);
    timer.unref();
    this.phaseTimers.set(extension, timer);
  }

  /**
   * The app is closing: every thread of this stopped graph still alive says what keeps it alive
   * (reported as `worker_terminated` with its handles) and is terminated. Returns the number of
   * leaked handles (a thread that does not answer counts as one).
   */
  async endLeftovers(): Promise<number> {
    let leaked = 0;
    await Promise.all(
      [...this.workers.values()]
        .filter((w) => !w.exited)
        .map(async (w) => {
          // A thread still closing its own channels says so and answers once they have
          // closed; a thread whose event loop has emptied ('ending') is only waited for. Under
          // load (100 groups on two loaded cores) closing or tearing down took seconds, and a
          // fixed second took every one of them for a stuck callback: a thread gets the stop
          // timeout to respond, and as long again to answer once it said it is closing.
          let timer: NodeJS.Timeout | undefined;
          const ms = this.host.stopTimeoutMs;
          const answer = await Promise.race([
            new Promise<HandleCounts>((r) => {
              w.resolveLeftover = r;
              w.leftoverWait = () => {
                clearTimeout(timer);
                timer = setTimeout(() => w.resolveLeftover?.(OWN_CLOSE_PENDING), ms);
              };
              this.post(w, { t: 'leftover' });
            }),
            w.exit.then(() => 'exited' as const),
            w.ending.then(() => 'ending' as const),
            new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), ms))),
          ]);
          clearTimeout(timer);
          w.resolveLeftover = null;
          w.leftoverWait = null;
          if (answer === 'exited') return;
          if (answer === 'ending') {
            // Its event loop emptied: it is being torn down and leaks nothing.
            let bound: NodeJS.Timeout | undefined;
            await Promise.race([w.exit, new Promise<void>((r) => (bound = setTimeout(r, ms)))]);
            clearTimeout(bound);
            if (!w.exited) await w.worker.terminate();
            return;
          }
          // Nothing listed (the question woke a thread about to end), or it responded but its
          // own channels were still closing: no handle of the user's is known, none is reported.
          if (answer !== 'silent' && Object.keys(answer).length === 0) {
            await w.worker.terminate();
            await w.exit;
            return;
          }
          let reason: string;
          if (answer === 'silent') {
            leaked += 1;
            reason = `Extension group '${w.group}' closed all its extensions, but its thread did not answer when the app closed (a callback still running after on_deinit_done?); terminated.`;
          } else {
            const counts = Object.entries(answer);
            leaked += counts.reduce((sum, [, n]) => sum + n, 0);
            const what = counts.map(([type, n]) => `${n} ${type}`).join(', ');
            reason = `Extension group '${w.group}' closed all its extensions, but its thread was kept alive by ${what} after on_deinit_done; terminated when the app closed. Clear timers and close sockets and servers in on_stop or on_deinit.`;
          }
          this.host.emit({
            type: 'worker_terminated',
            ts: Date.now(),
            graphId: this.graphId,
            group: w.group,
            reason,
            ...(answer === 'silent' ? {} : { handles: answer }),
          });
          await w.worker.terminate();
          await w.exit;
        }),
    );
    return leaked;
  }

  /** Sends a message from outside the graph (the App, another graph) to its destination extension. */
  deliver(msg: WireMsg): boolean {
    const g = this.extGroup.get(msg.dests[0]?.ext ?? '');
    const w = g === undefined ? undefined : this.workers.get(g);
    if (!w || w.exited) return false;
    this.post(w, { t: 'msgs', batch: [msg] });
    return true;
  }

  /**
   * Delivers messages from outside the graph (a client, another app) that `src` sent, with one
   * post per group. A message's `packed` buffer may be a view of bytes the caller does not own
   * (a socket read): each group's buffers are copied into one ArrayBuffer, which moves to the
   * group with the batch. Messages to unknown extensions are the caller's to refuse (see
   * `hasExtension`); those for a group whose thread has ended are counted as dropped on `src`
   * (cmds among them are answered by the net). What each group has not taken yet is flow
   * controlled (app/inflow.ts): `src` may be paused, or closed past the hard limit.
   */
  deliverMany(msgs: WireMsg[], src: InboundSource): void {
    const byWorker = new Map<GroupWorker, WireMsg[]>();
    let lost = 0;
    for (const m of msgs) {
      const g = this.extGroup.get(m.dests[0]?.ext ?? '');
      const w = g === undefined ? undefined : this.workers.get(g);
      if (!w || w.exited) {
        if (isDataLike(m)) lost++;
        continue;
      }
      let list = byWorker.get(w);
      if (!list) byWorker.set(w, (list = []));
      list.push(m);
    }
    if (lost > 0) src.dropped(lost);
    for (const [w, batch] of byWorker) {
      let total = 0;
      let data = 0;
      for (const m of batch) {
        if (m.packed !== null) total += m.packed.byteLength;
        if (isDataLike(m)) data++;
      }
      let transfer: ArrayBuffer[] = [];
      if (total > 0) {
        const pack = new Uint8Array(total);
        let at = 0;
        for (const m of batch) {
          const b = m.packed;
          if (b === null) continue;
          pack.set(b, at);
          m.packed = pack.subarray(at, at + b.byteLength);
          at += b.byteLength;
        }
        transfer = [pack.buffer];
      }
      w.worker.postMessage({ t: 'msgs', batch, flowBytes: total } satisfies ToWorker, transfer);
      w.inflow.add(src, batch.length, data, total);
    }
  }

  /**
   * Delivers TEN wire frames received from the app `srcApp` over `src`, each for the extension
   * `ext` (`data`: a data-like message): the frames of each group are copied into one buffer,
   * which moves to the group, and decoded there. Flow controlled and counted as `deliverMany`.
   */
  deliverFrames(frames: readonly InboundFrame[], srcApp: string, src: InboundSource): void {
    const byWorker = new Map<GroupWorker, InboundFrame[]>();
    let lost = 0;
    for (const f of frames) {
      const g = this.extGroup.get(f.ext);
      const w = g === undefined ? undefined : this.workers.get(g);
      if (!w || w.exited) {
        if (f.data) lost++;
        continue;
      }
      let list = byWorker.get(w);
      if (!list) byWorker.set(w, (list = []));
      list.push(f);
    }
    if (lost > 0) src.dropped(lost);
    for (const [w, list] of byWorker) {
      let total = 0;
      let data = 0;
      for (const f of list) {
        total += f.raw.byteLength;
        if (f.data) data++;
      }
      const pack = new Uint8Array(total);
      let at = 0;
      for (const f of list) {
        pack.set(f.raw, at);
        at += f.raw.byteLength;
      }
      w.worker.postMessage({ t: 'frames', bytes: pack.buffer, length: total, srcApp, flowCount: list.length } satisfies ToWorker, [pack.buffer]);
      w.inflow.add(src, list.length, data, total);
    }
  }

  hasExtension(name: string): boolean {
    return this.extGroup.has(name);
  }

  remoteGone(uri: string): void {
    for (const w of this.workers.values()) this.post(w, { t: 'remote_gone', app: uri });
  }

  extensionGone(name: string): boolean {
    const g = this.extGroup.get(name);
    return g !== undefined && this.workers.get(g)?.exited === true;
  }

  /**
   * The group whose extensions have the most flows (either way) with nodes of the app `uri`,
   * on a tie the one whose flow comes first in the graph; null when none has any, or its thread
   * is gone.
   */
  groupFor(uri: string): string | null {
    const counts = new Map<string, number>();
    const bump = (ext: string | undefined): void => {
      const g = ext === undefined ? undefined : this.extGroup.get(ext);
      if (g !== undefined) counts.set(g, (counts.get(g) ?? 0) + 1);
    };
    for (const c of this.graph.connections ?? []) {
      const srcApp = c.app || this.appUri;
      for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as const) {
        for (const f of c[kind] ?? []) {
          for (const d of f.dest ?? []) {
            const dstApp = d.app || this.appUri;
            if (srcApp === this.appUri && dstApp === uri) bump(c.extension);
            else if (srcApp === uri && dstApp === this.appUri) bump(d.extension);
          }
        }
      }
    }
    let best: string | null = null;
    let most = 0;
    for (const [g, n] of counts) {
      if (n > most) {
        best = g;
        most = n;
      }
    }
    const w = best === null ? undefined : this.workers.get(best);
    return w && !w.exited && w.endReason === null ? best : null;
  }

  /**
   * Hands a socket of one of the graph's remotes to the thread of `group`, which reads and
   * writes it from now on (protocol/group_socket.ts); what it reports comes to `ev`. Null when
   * that thread is gone (the caller then owns the descriptor still).
   */
  adoptSocket(group: string, id: number, handover: { fd: number; held: Uint8Array; consumed: number; frames: number }, peerApp: string, counters: SharedArrayBuffer, limits: TransportLimits, ev: MovedSocketEvents): SocketThread | null {
    const w = this.workers.get(group);
    if (!w || w.exited || w.endReason !== null || this.stopping !== null) return null;
    this.sockets.set(id, { group, ev, timer: null });
    w.worker.postMessage({ t: 'sock_adopt', id, ...handover, peerApp, graphName: this.name, counters, limits } satisfies ToWorker);
    return {
      name: `group ${group}`,
      write: (bytes, count) => {
        if (w.exited) return;
        const ab = bytes.buffer as ArrayBuffer;
        w.worker.postMessage({ t: 'sock_write', id, bytes: ab, length: bytes.byteLength, count } satisfies ToWorker, [ab]);
      },
      hold: (on) => this.post(w, { t: 'sock_hold', id, on }),
      close: (abort) => {
        if (w.exited) return;
        w.worker.postMessage({ t: 'sock_close', id, abort } satisfies ToWorker);
        // A thread that does not close it (a callback of the user's that never returns, after
        // on_deinit_done) would hold the remote, and the engine's stop, forever: it is ended,
        // which closes the socket.
        const sock = this.sockets.get(id);
        if (sock && sock.timer === null) {
          const ms = Math.max(this.host.stopTimeoutMs, 5000) + 2000;
          sock.timer = setTimeout(() => {
            if (!this.sockets.has(id) || w.exited) return;
            this.ended(w, `Extension group '${group}' did not close the socket of its remote ${peerApp} within ${ms} ms of being asked (a callback still running?); its thread was terminated.`);
          }, ms);
        }
      },
    };
  }

  private onSocket(m: Extract<FromWorker, { t: 'sock_in' | 'sock_error' | 'sock_eof' | 'sock_closed' | 'sock_adopted' }>): void {
    const sock = this.sockets.get(m.id);
    if (!sock) return;
    switch (m.t) {
      case 'sock_adopted': {
        // Every `to_remote` the group posted before this has been handled (one queue): written
        // on to the group now, then it may write on its own.
        sock.ev.adopted();
        const w = this.workers.get(sock.group);
        if (w && !w.exited) w.worker.postMessage({ t: 'sock_ready', id: m.id } satisfies ToWorker);
        return;
      }
      case 'sock_in':
        sock.ev.input(new Uint8Array(m.bytes, 0, m.length));
        return;
      case 'sock_error':
        sock.ev.error(m.located ?? new Error(m.message));
        return;
      case 'sock_eof':
        sock.ev.eof(m.half);
        return;
      case 'sock_closed':
        this.sockets.delete(m.id);
        if (sock.timer !== null) clearTimeout(sock.timer);
        sock.ev.closed();
        return;
    }
  }

  /** Ours: turns message tracing on (a config) or off (null) in every group of the graph. */
  setTrace(config: TraceConfig | null): void {
    for (const w of this.workers.values()) this.post(w, { t: 'trace', config });
  }

  /** Ours: turns the text tap on or off in every group of the graph. */
  setTextTap(on: boolean): void {
    for (const w of this.workers.values()) this.post(w, { t: 'text_tap', on });
  }

  /**
   * Samples every running group's counters. A group that has not answered within `timeoutMs`
   * (stuck in a callback, or its thread just ended) is listed as unresponsive instead of
   * holding the whole sample.
   */
  async sample(timeoutMs = 1000): Promise<{ groups: GroupSample[]; unresponsive: string[]; channels: ChannelSample[]; inbound: InboundSample[] }> {
    const channels = this.rings.map((r) => ({ from: r.from, to: r.to, ...ringCounters(r.sab) }));
    // Read from the host's own counts and shared memory: a group stuck in a callback shows here too.
    const inbound = [...this.workers.values()].map((w) => ({ group: w.group, ...w.inflow.sample() }));
    // A group the engine is ending (memory) is reported already, not unresponsive.
    const live = [...this.workers.values()].filter((w) => !w.exited && w.endReason === null);
    const answers = await Promise.all(
      live.map(
        (w) =>
          new Promise<GroupSample | null>((resolve) => {
            const reqId = this.nextReq++;
            const timer = setTimeout(() => {
              this.samples.delete(reqId);
              resolve(null);
            }, timeoutMs);
            timer.unref();
            this.samples.set(reqId, (s) => {
              clearTimeout(timer);
              resolve(s);
            });
            this.post(w, { t: 'sample', reqId });
          }),
      ),
    );
    const groups: GroupSample[] = [];
    const unresponsive: string[] = [];
    answers.forEach((a, i) => (a ? groups.push(a) : unresponsive.push(live[i].group)));
    return { groups, unresponsive, channels, inbound };
  }

  /** Python processes still running. */
  liveProcesses(): number {
    return this.procs.size;
  }

  /** Kills the Python processes of a group whose thread ended without seeing them exit. */
  private killProcesses(group: string): void {
    for (const [p, g] of this.procs) {
      if (g !== group) continue;
      p.kill();
      this.procs.delete(p);
      this.dying.push(new Promise<void>((r) => p.whenGone(r)));
    }
  }

  /**
   * Starts (or takes) the Python process of every Python group (not a test session's, whose
   * process runs already), each reported to its group thread from now on, and waits until all
   * listen for their group. A process that cannot start fails the graph's start.
   */
  private async startPython(python: Map<string, GroupPython>): Promise<void> {
    const started: [string, GroupPython, PyProc][] = [];
    for (const [g, cfg] of python) {
      if (cfg.relay) continue;
      const p = await this.host.pythonProcess(cfg);
      this.procs.set(p, g);
      p.whenGone(() => this.procs.delete(p));
      started.push([g, cfg, p]);
    }
    // What fails here fails the start, which ends these processes (dropPython).
    await Promise.all(
      started.map(async ([g, cfg, p]) => {
        try {
          cfg.sock = await p.listening;
        } catch (e) {
          throw new Error(`The Python process of group '${g}' (${cfg.exe}) could not start: ${(e as Error).message}`);
        }
        cfg.pid = p.pid;
      }),
    );
  }

  /** Ends the processes started for groups that got no thread (a start that failed or was stopped first). */
  private dropPython(): void {
    for (const p of this.procs.keys()) {
      p.kill();
      this.dying.push(new Promise<void>((r) => p.whenGone(r)));
    }
    this.procs.clear();
  }

  /** Passes the output and exit of a group's Python process to its thread (what came before the init first). */
  private attachPython(w: GroupWorker): void {
    for (const [p, g] of this.procs) {
      if (g !== w.group) continue;
      p.attach({
        output: (level, text) => this.post(w, { t: 'py_out', level, text }),
        exit: (code, signal) => this.post(w, { t: 'py_exit', code, signal }),
      });
    }
  }

  liveThreads(): number {
    let n = 0;
    for (const w of this.workers.values()) if (!w.exited) n++;
    return n;
  }

  liveExtensionsEstimate(): number {
    let n = 0;
    for (const w of this.workers.values()) if (!w.exited) n += [...this.extGroup.values()].filter((g) => g === w.group).length;
    return n;
  }

  private post(w: GroupWorker, m: ToWorker): void {
    if (!w.exited) w.worker.postMessage(m);
  }

  private onWorker(w: GroupWorker, m: FromWorker, resolveCreated: (r: Created) => void): void {
    switch (m.t) {
      case 'created':
        resolveCreated({ ok: m.ok, error: m.error });
        return;
      case 'events':
        for (const ev of m.events) {
          if (ev.type === 'lifecycle') this.track(ev.extension, ev.phase);
          this.host.emit(ev);
        }
        return;
      case 'sample': {
        const r = this.samples.get(m.reqId);
        this.samples.delete(m.reqId);
        r?.(m.sample);
        return;
      }
      case 'to_app':
        this.host.fromGraph(this, m.msg);
        return;
      case 'to_remote':
        this.host.framesToApp(this, m.app, new Uint8Array(m.bytes, 0, m.length), m.count);
        return;
      case 'sock_in':
      case 'sock_error':
      case 'sock_eof':
      case 'sock_closed':
      case 'sock_adopted':
        this.onSocket(m);
        return;
      case 'start_failed':
        this.host.emit({ type: 'graph', ts: Date.now(), graphId: this.graphId, name: this.name, state: 'start_failed', detail: m.error });
        this.host.requestStop(this);
        return;
      case 'abort':
        this.host.emit({ type: 'error', ts: Date.now(), graphId: this.graphId, extension: '', phase: 'violation', message: `Graph aborted by the violation policy: ${m.reason}`, stack: '' });
        this.host.requestStop(this);
        return;
      case 'stopped':
        // sync_stop_before_deinit: nobody deinits until every group has stopped.
        if (++this.stoppedGroups === this.workers.size) for (const x of this.workers.values()) this.post(x, { t: 'deinit' });
        return;
      case 'trace':
        this.host.traced(this.graphId, m.records, m.dropped);
        return;
      case 'text':
        this.host.texted(this.graphId, m.records, m.dropped);
        return;
      case 'closed':
        // Its runloop is closed: nothing more is taken, and the connections held for it are read again.
        w.inflow.ended();
        w.closedLive = m.live;
        this.closedLive.extensions += m.live.extensions;
        this.closedLive.paths += m.live.paths;
        this.closedLive.timers += m.live.timers;
        this.closedLive.handles += m.live.handles;
        w.resolveClosed();
        return;
      case 'leftover':
        w.resolveLeftover?.(m.handles);
        return;
      case 'ending':
        w.endingSaid = true;
        w.resolveEnding();
        return;
      case 'leftover_wait':
        w.leftoverWait?.();
        return;
      case 'memory':
        this.held(w, m.heapUsed, m.external);
        return;
      case 'inflow':
        w.inflow.drained();
        return;
    }
  }
}

/**
 * Why a group's init could not be posted to its thread, naming the node whose properties the
 * structured clone refused (a property nested thousands deep overflows its stack).
 */
function unsendable(group: string, nodes: NodeSpec[], e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  for (const n of nodes) {
    try {
      structuredClone(n.property);
    } catch (inner) {
      const reason = inner instanceof Error ? inner.message : String(inner);
      const hint = inner instanceof RangeError ? ' (nested too deep?)' : '';
      return `The properties of node '${n.name}' (group '${group}') cannot be passed to its thread: ${reason}${hint}.`;
    }
  }
  return `Group '${group}' cannot be passed to its thread: ${why}.`;
}

