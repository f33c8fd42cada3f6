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
import { deepMerge } from '../core/props';
import type { FromWorker, GroupSample, HandleCounts, LiveCounts, NodeSpec, RuntimeEvent, ToWorker, TraceConfig, TraceRecord, ViolationPolicy } from '../core/protocol';
import type { WireMsg } from '../core/wire';
import type { TenGraph } from '../../shared/graph/types';
import type { TextRecord } from '../../shared/talk/talk';
import type { AddonPackage } from './packages';
import { planGraph } from './routes';


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
  policy: ViolationPolicy;
  stopTimeoutMs: number;
  unansweredAfterMs: number;
}

interface GroupWorker {
  group: string;
  worker: Worker;
  exited: boolean;
  exit: Promise<void>;
  created: Promise<{ ok: boolean; error?: string }>;
  /** Live counts the group posted when its last extension closed (null until then). */
  closedLive: LiveCounts | null;
  /** Resolves when the group's last extension has closed (its `closed` message). */
  closed: Promise<void>;
  resolveClosed: () => void;
  /** Answers the app's question at close: what keeps a closed group's thread alive. */
  resolveLeftover: ((handles: HandleCounts) => void) | null;
}

/** Ours: how long a closed group's thread may take to say what keeps it alive when the app closes. */
const LEFTOVER_ANSWER_MS = 1000;

/** Thrown by `start` when a stop came while the graph was starting. */
export const STOPPED_WHILE_STARTING = 'The graph was stopped while it started.';

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
  private stopping: Promise<void> | null = null;
  private workerEntry: URL | null = null;
  private stoppedGroups = 0;
  private samples = new Map<number, (s: GroupSample) => void>();
  private nextReq = 0;
  /** Leaks reported by workers at close, summed. */
  readonly closedLive: LiveCounts = { engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0 };

  constructor(host: EngineHost, graphId: string, name: string, graph: TenGraph, syncStopBeforeDeinit: boolean) {
    this.host = host;
    this.graphId = graphId;
    this.name = name;
    this.graph = graph;
    this.syncStopBeforeDeinit = syncStopBeforeDeinit;
  }

  /** Creates every group and extension; resolves when all exist (TEN answers start_graph here). */
  async start(appUri: string): Promise<void> {
    // This app's part of the graph: nodes of other apps run there (app/routes.ts).
    const plan = planGraph(this.graph, appUri);
    const addons = this.host.addons();
    const byGroup = new Map<string, NodeSpec[]>();
    const entries = new Map<string, string>();
    for (const n of plan.nodes) {
      const pkg = addons.get(n.addon);
      if (!pkg) throw new Error(`Node '${n.name}' uses addon '${n.addon}', which is not installed.`);
      entries.set(pkg.entry, '');
    }
    // Build what the threads will import once, here, instead of compiling in every thread.
    const sources = [WORKER_SOURCE, ...entries.keys()];
    const urls = await this.host.builder.build(sources);
    if (this.stopping !== null) throw new Error(STOPPED_WHILE_STARTING);
    sources.forEach((s, i) => entries.set(s, urls[i]));
    for (const n of plan.nodes) {
      const pkg = addons.get(n.addon)!;
      const spec: NodeSpec = { name: n.name, addon: n.addon, entry: entries.get(pkg.entry)!, api: pkg.api, property: deepMerge(pkg.property, n.property ?? {}) };
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
    for (const g of groups) {
      const worker = this.host.pool.take(new URL(entries.get(WORKER_SOURCE)!), `ten:${this.name}:${g}`);
      let resolveCreated!: (r: { ok: boolean; error?: string }) => void;
      const created = new Promise<{ ok: boolean; error?: string }>((r) => (resolveCreated = r));
      let resolveClosed!: () => void;
      const closed = new Promise<void>((r) => (resolveClosed = r));
      const gw: GroupWorker = {
        group: g,
        worker,
        exited: false,
        exit: new Promise<void>((r) =>
          worker.once('exit', (code: number) => {
            gw.exited = true;
            resolveCreated({ ok: false, error: `The thread of group '${g}' exited during creation.` });
            if (this.state === 'running') {
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
        closedLive: null,
        closed,
        resolveClosed,
        resolveLeftover: null,
      };
      worker.on('message', (m: FromWorker) => this.onWorker(gw, m, resolveCreated));
      worker.on('error', (e) => this.host.emit({ type: 'error', ts: Date.now(), graphId: this.graphId, extension: '', phase: `thread:${g}`, message: e.message, stack: e.stack ?? '' }));
      this.workers.set(g, gw);
      const ports = peers.get(g)!;
      const init: ToWorker = {
        t: 'init',
        appUri,
        graphId: this.graphId,
        group: g,
        nodes: byGroup.get(g)!,
        groupOf: plan.groupOf,
        routes: plan.routes,
        peers: ports,
        policy: this.host.policy,
        syncStopBeforeDeinit: this.syncStopBeforeDeinit,
        unansweredAfterMs: this.host.unansweredAfterMs,
        ...(this.host.textTap ? { textTap: true } : {}),
      };
      worker.postMessage(init, Object.values(ports));
    }
    const results = await Promise.all([...this.workers.values()].map((w) => w.created));
    // Stopped meanwhile (stop_graph, close_app): the stop has told every group; none is started.
    if (this.stopping !== null) {
      await this.stopping;
      throw new Error(STOPPED_WHILE_STARTING);
    }
    const failed = results.find((r) => !r.ok);
    if (failed) {
      await this.stop();
      throw new Error(failed.error ?? 'An extension group failed to start.');
    }
    this.state = 'running';
    this.workerEntry = new URL(entries.get(WORKER_SOURCE)!);
    for (const w of this.workers.values()) this.post(w, { t: 'start' });
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
    for (const w of this.workers.values()) this.post(w, { t: 'stop' });
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
          this.host.emit({
            type: 'worker_terminated',
            ts: Date.now(),
            graphId: this.graphId,
            group: w.group,
            reason: `Extension group '${w.group}' did not stop within ${ms} ms; its thread was terminated.`,
          });
          await w.worker.terminate();
          await w.exit;
        }
      }),
    );
    this.state = 'stopped';
    // Threads for the next start boot now, while nothing else of this graph competes for the CPU.
    if (this.workerEntry) this.host.pool.refill(this.workerEntry, this.workers.size);
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
          let timer: NodeJS.Timeout | undefined;
          const answer = await Promise.race([
            new Promise<HandleCounts>((r) => {
              w.resolveLeftover = r;
              this.post(w, { t: 'leftover' });
            }),
            w.exit.then(() => 'exited' as const),
            new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), LEFTOVER_ANSWER_MS))),
          ]);
          clearTimeout(timer);
          w.resolveLeftover = null;
          if (answer === 'exited') return;
          // Nothing listed: the question itself woke a thread that was about to end.
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
   * Delivers messages from outside the graph (another app) with one post per group. A message's
   * `packed` buffer may be a view of bytes the caller does not own (a socket read): each group's
   * buffers are copied into one ArrayBuffer, which moves to the group with the batch. Messages
   * to unknown extensions are the caller's to refuse (see `hasExtension`).
   */
  deliverMany(msgs: WireMsg[]): void {
    const byWorker = new Map<GroupWorker, WireMsg[]>();
    for (const m of msgs) {
      const g = this.extGroup.get(m.dests[0]?.ext ?? '');
      const w = g === undefined ? undefined : this.workers.get(g);
      if (!w || w.exited) continue;
      let list = byWorker.get(w);
      if (!list) byWorker.set(w, (list = []));
      list.push(m);
    }
    for (const [w, batch] of byWorker) {
      let total = 0;
      for (const m of batch) if (m.packed !== null) total += m.packed.byteLength;
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
      w.worker.postMessage({ t: 'msgs', batch } satisfies ToWorker, transfer);
    }
  }

  /**
   * Delivers TEN wire frames received from the app `srcApp`, each for the extension `ext`: the
   * frames of each group are copied into one buffer, which moves to the group, and decoded there.
   */
  deliverFrames(frames: readonly { ext: string; raw: Uint8Array }[], srcApp: string): void {
    const byWorker = new Map<GroupWorker, Uint8Array[]>();
    for (const f of frames) {
      const g = this.extGroup.get(f.ext);
      const w = g === undefined ? undefined : this.workers.get(g);
      if (!w || w.exited) continue;
      let list = byWorker.get(w);
      if (!list) byWorker.set(w, (list = []));
      list.push(f.raw);
    }
    for (const [w, list] of byWorker) {
      let total = 0;
      for (const r of list) total += r.byteLength;
      const pack = new Uint8Array(total);
      let at = 0;
      for (const r of list) {
        pack.set(r, at);
        at += r.byteLength;
      }
      w.worker.postMessage({ t: 'frames', bytes: pack.buffer, length: total, srcApp } satisfies ToWorker, [pack.buffer]);
    }
  }

  hasExtension(name: string): boolean {
    return this.extGroup.has(name);
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
  async sample(timeoutMs = 1000): Promise<{ groups: GroupSample[]; unresponsive: string[] }> {
    const live = [...this.workers.values()].filter((w) => !w.exited);
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
    return { groups, unresponsive };
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

  private onWorker(w: GroupWorker, m: FromWorker, resolveCreated: (r: { ok: boolean; error?: string }) => void): void {
    switch (m.t) {
      case 'created':
        resolveCreated({ ok: m.ok, error: m.error });
        return;
      case 'events':
        for (const ev of m.events) this.host.emit(ev);
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
        w.closedLive = m.live;
        this.closedLive.extensions += m.live.extensions;
        this.closedLive.paths += m.live.paths;
        this.closedLive.timers += m.live.timers;
        w.resolveClosed();
        return;
      case 'leftover':
        w.resolveLeftover?.(m.handles);
        return;
    }
  }
}
