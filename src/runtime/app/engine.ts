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
import type { AddonPackage } from './packages';
import { planGraph } from './routes';


export interface EngineHost {
  emit(ev: RuntimeEvent): void;
  fromGraph(engine: Engine, msg: WireMsg): void;
  /** The engine must stop (failed start, abort policy); the host stops and retires it. */
  requestStop(engine: Engine): void;
  addons(): Map<string, AddonPackage>;
  /** Ours: trace records a group posted (only while tracing is on). */
  traced(graphId: string, records: TraceRecord[], dropped: number): void;
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
  closedLive: LiveCounts | null;
  /** Handles user code left open that kept the thread alive after its extensions closed. */
  leftover: HandleCounts | null;
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
    const plan = planGraph(this.graph);
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
        leftover: null,
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
      };
      worker.postMessage(init, Object.values(ports));
    }
    const results = await Promise.all([...this.workers.values()].map((w) => w.created));
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

  private async doStop(): Promise<void> {
    this.state = 'stopping';
    for (const w of this.workers.values()) this.post(w, { t: 'stop' });
    const ms = this.host.stopTimeoutMs;
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          w.exit.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms))),
        ]);
        clearTimeout(timer);
        if (timedOut && !w.exited) {
          // A thread that reported leftover handles is being terminated already.
          if (w.leftover === null) {
            this.host.emit({
              type: 'worker_terminated',
              ts: Date.now(),
              graphId: this.graphId,
              group: w.group,
              reason:
                w.closedLive === null
                  ? `Extension group '${w.group}' did not stop within ${ms} ms; its thread was terminated.`
                  : `Extension group '${w.group}' closed all its extensions, but its thread did not end within ${ms} ms (a callback still running after on_deinit_done?); terminated.`,
            });
          }
          await w.worker.terminate();
          await w.exit;
        }
      }),
    );
    this.state = 'stopped';
    // Threads for the next start boot now, while nothing else of this graph competes for the CPU.
    if (this.workerEntry) this.host.pool.refill(this.workerEntry, this.workers.size);
  }

  /** Sends a message from outside the graph (the App, another graph) to its destination extension. */
  deliver(msg: WireMsg): boolean {
    const g = this.extGroup.get(msg.dests[0]?.ext ?? '');
    const w = g === undefined ? undefined : this.workers.get(g);
    if (!w || w.exited) return false;
    this.post(w, { t: 'msgs', batch: [msg] });
    return true;
  }

  hasExtension(name: string): boolean {
    return this.extGroup.has(name);
  }

  /** Ours: turns message tracing on (a config) or off (null) in every group of the graph. */
  setTrace(config: TraceConfig | null): void {
    for (const w of this.workers.values()) this.post(w, { t: 'trace', config });
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

  /**
   * Every extension of the group closed, but handles user code left open kept its thread alive
   * past the grace (group.ts): reported as a leak, and the thread is terminated now rather than
   * at the stop timeout.
   */
  private terminateLeftover(w: GroupWorker, handles: HandleCounts): void {
    w.leftover = handles;
    const counts = Object.entries(handles);
    // Something Node does not list still counts as one.
    this.closedLive.handles += Math.max(1, counts.reduce((sum, [, n]) => sum + n, 0));
    const what = counts.length > 0 ? counts.map(([type, n]) => `${n} ${type}`).join(', ') : 'a handle Node does not list';
    this.host.emit({
      type: 'worker_terminated',
      ts: Date.now(),
      graphId: this.graphId,
      group: w.group,
      reason: `Extension group '${w.group}' closed all its extensions, but its thread was kept alive by ${what} after on_deinit_done; terminated. Clear timers and close sockets and servers in on_stop or on_deinit.`,
      handles,
    });
    void w.worker.terminate();
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
      case 'closed':
        w.closedLive = m.live;
        this.closedLive.extensions += m.live.extensions;
        this.closedLive.paths += m.live.paths;
        this.closedLive.timers += m.live.timers;
        return;
      case 'leftover':
        this.terminateLeftover(w, m.handles);
        return;
    }
  }
}
