/**
 * One extension group on its worker thread (TEN extension thread): owns the runloop, the group's
 * extensions, the routing table of the graph, direct channels to the other groups, and the
 * events it reports to the engine.
 *
 * Delivery: same group → the receiver's handler is called synchronously (re-entrant, as in
 * TEN); another group → appended to that group's outbox and posted as one batch per loop turn
 * (FIFO per channel); another graph or a built-in app cmd → through the App on the host thread.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, type MessagePort } from 'node:worker_threads';
import { registeredAddon } from '../api/addon';
import { installRuntimeHooks } from '../api/hooks';
import type { LogLevel } from '../api/log_level';
import { getProp, setProp, type PropObject } from '../core/props';
import {
  type FromWorker,
  type GroupInit,
  type GroupSample,
  type HandleCounts,
  type LifecyclePhase,
  type LiveCounts,
  type RouteDest,
  type RuntimeEvent,
  type ToWorker,
  type ViolationPolicy,
} from '../core/protocol';
import { Runloop } from '../core/runloop';
import { declaresSchemas, loadSchemaCompiler } from '../core/schema';
import { cloneWire, decodePeer, isCmdType, newWireMsg, PeerEncoder, PeerIndex, wireBuf, type RouteKind, type WireLoc, type WireMsg } from '../core/wire';
import { ExtRuntime } from './extension_rt';
import { Tracer } from './tracer';

/** A resolved destination of one send. */
export interface Target {
  loc: WireLoc;
  /** `[loc]`, shared: message dests are replaced, never mutated. */
  dests: WireLoc[];
  conversion: unknown;
  /** The receiver when it runs in this group: a send calls it without any lookup. */
  local: ExtRuntime | null;
}

interface ConversionRule {
  path?: string;
  conversion_mode?: string;
  value?: unknown;
  original_path?: string;
}

/**
 * Values after which an outbox posts at once (~1000 data messages): a sender looping without
 * yielding still feeds the next group while it runs, and batches stay small enough for the
 * young generation instead of piling up a whole burst in one array.
 */
const OUTBOX_FLUSH_VALUES = 8192;
/** Packed buffer bytes after which an outbox posts at once (frames up to PACK_MAX_BYTES). */
const OUTBOX_FLUSH_BYTES = 1 << 20;

/**
 * Ours: how long a group thread whose extensions have all closed may stay alive for handles
 * user code left open (a timer's last tick, a socket closing); meanwhile misuse of a closed
 * ten_env is still reported. Then the group reports what is left and the engine terminates it.
 */
const LEFTOVER_GRACE_MS = 300;

/** The longest delay `setInterval` takes; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Batches messages for one peer group (flat encoding); flushed once per loop turn or when full. */
class Outbox {
  readonly port: MessagePort;
  closed = false;
  private readonly encoder: PeerEncoder;

  constructor(port: MessagePort, index: PeerIndex) {
    this.port = port;
    this.encoder = new PeerEncoder(index);
  }

  /**
   * True when the batch is big enough to post now rather than at the end of the turn. Large
   * frame buffers go in the transfer list with no duplicate check here: scanning the list per
   * message made a batch quadratic (see flush).
   */
  push(w: WireMsg): boolean {
    const e = this.encoder;
    e.encode(w);
    return e.size >= OUTBOX_FLUSH_VALUES || e.packedBytes >= OUTBOX_FLUSH_BYTES;
  }

  flush(): void {
    const taken = this.encoder.take();
    if (taken === null) return;
    const { values: batch, transfer } = taken;
    try {
      this.port.postMessage(batch, transfer);
    } catch (e) {
      // Two messages of the batch share one buffer (unlockBuf with the same ArrayBuffer): the
      // port refuses duplicates before sending anything, so post again with each buffer once.
      if (!(e instanceof Error && e.name === 'DataCloneError')) throw e;
      this.port.postMessage(batch, [...new Set(transfer)]);
    }
  }
}

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  parentPort!.postMessage(m, transfer);
}

export class GroupRuntime {
  readonly appUri: string;
  readonly graphId: string;
  readonly group: string;
  readonly runloop: Runloop<WireMsg>;
  private readonly exts = new Map<string, ExtRuntime>();
  /** The extension whose callback is running synchronously right now ('' between callbacks). */
  current = '';
  private readonly groupOf: Map<string, string>;
  private readonly targets: Map<string, Map<string, Map<string, Target[]>>>;
  private readonly locs = new Map<string, { loc: WireLoc; dests: WireLoc[] }>();
  private readonly locOfBound = (ext: string): { loc: WireLoc; dests: WireLoc[] } => this.locOf(ext);
  private readonly peers = new Map<string, Outbox>();
  private readonly peerIndex: PeerIndex;
  private readonly policy: ViolationPolicy;
  private readonly syncStopBeforeDeinit: boolean;
  private events: RuntimeEvent[] = [];
  private flushArmed = false;
  private readonly dirty = new Set<Outbox>();
  private pathTimer: NodeJS.Timeout | null = null;
  /** Ours: message tracing; null (off) unless the host asks, so the message path pays one check. */
  private tracer: Tracer | null = null;
  /** `ten:timer` timers by `${extension}\u0000${timer_id}`. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closing = false;
  private closed = false;
  private readonly flushBound = (): void => this.flush();

  constructor(init: GroupInit) {
    this.appUri = init.appUri;
    this.graphId = init.graphId;
    this.group = init.group;
    this.policy = init.policy;
    this.syncStopBeforeDeinit = init.syncStopBeforeDeinit;
    this.groupOf = new Map(Object.entries(init.groupOf));
    this.targets = this.buildTargets(init.routes);
    this.runloop = new Runloop<WireMsg>(`group:${init.group}`, (m) => this.onInbound(m), (e) => this.reportError('', 'runloop', e));
    this.peerIndex = new PeerIndex(this.groupOf.keys(), this.locOfBound);
    for (const [g, port] of Object.entries(init.peers)) {
      const box = new Outbox(port, this.peerIndex);
      this.peers.set(g, box);
      port.on('message', (batch: unknown[]) => this.receiveBatch(batch));
      port.on('close', () => {
        box.closed = true;
        this.peerClosed(g);
      });
    }
    for (const spec of init.nodes) this.exts.set(spec.name, new ExtRuntime(this, spec));
    for (const byKind of this.targets.values())
      for (const byName of byKind.values())
        for (const targets of byName.values())
          for (const t of targets) if (this.groupOf.get(t.loc.ext) === this.group) t.local = this.exts.get(t.loc.ext) ?? null;
    installRuntimeHooks({
      sentMutation: (object, method) => this.violation(object, `${method} on a message after its owner sent it`, new Error().stack ?? ''),
    });
  }

  /** Imports every addon module and creates the instances (before on_configure, as TEN). */
  async create(): Promise<void> {
    if ([...this.exts.values()].some((x) => declaresSchemas(x.spec.api))) await loadSchemaCompiler();
    const imported = new Set<string>();
    for (const x of this.exts.values()) {
      if (!imported.has(x.spec.entry)) {
        imported.add(x.spec.entry);
        await import(x.spec.entry);
      }
      const Ctor = registeredAddon(x.spec.addon);
      if (!Ctor) throw new Error(`Addon '${x.spec.addon}' was not registered by ${x.spec.entry} (missing @RegisterAddonAsExtension("${x.spec.addon}")?).`);
      const instance = await new Ctor().onCreateInstance(x.env, x.name);
      x.adopt(instance);
      this.lifecycle(x.name, 'created');
    }
  }

  handleControl(m: ToWorker): void {
    switch (m.t) {
      case 'init':
        return;
      case 'start':
        this.startPathTimer();
        for (const x of this.exts.values()) this.runloop.postTaskTail(() => x.beginLifecycle());
        return;
      case 'stop':
        this.closing = true;
        if (this.exts.size === 0) this.runloop.postTaskTail(() => this.maybeClose());
        for (const x of this.exts.values()) this.runloop.postTaskTail(() => x.requestStop());
        return;
      case 'deinit':
        for (const x of this.exts.values()) this.runloop.postTaskTail(() => x.allowDeinit());
        return;
      case 'sample':
        post({ t: 'sample', reqId: m.reqId, sample: this.sample() });
        return;
      case 'msgs':
        this.runloop.postMsgs(m.batch);
        return;
      case 'trace':
        this.tracer = m.config ? new Tracer(m.config, this.group) : null;
        return;
    }
  }

  /**
   * A peer group's thread ended (stopped first, or died): cmds still waiting on its extensions
   * will never be answered, so their OUT paths fail now instead of at a path timeout — an
   * extension awaiting such a result in on_stop would otherwise hold the whole stop.
   */
  private peerClosed(group: string): void {
    const gone = new Set<string>();
    for (const [ext, g] of this.groupOf) if (g === group) gone.add(ext);
    this.runloop.postTaskTail(() => {
      for (const x of this.exts.values()) x.failPathsTo(gone, 'The destination extension has been terminated.');
    });
  }

  /** A batch from a peer group: decoded and appended to the runloop in one go. */
  private receiveBatch(batch: unknown[]): void {
    this.runloop.postMsgs(decodePeer(batch, this.peerIndex, this.locOfBound));
  }

  /**
   * The location of an extension of this graph and its one-element dests, created once and
   * frozen: messages share them (sends replace `src`/`dests`, nothing mutates them).
   */
  locOf(ext: string): { loc: WireLoc; dests: WireLoc[] } {
    let l = this.locs.get(ext);
    if (!l) {
      const loc = Object.freeze({ app: this.appUri, graph: this.graphId, ext }) as WireLoc;
      l = { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] };
      this.locs.set(ext, l);
    }
    return l;
  }

  private startPathTimer(): void {
    let every = Infinity;
    for (const x of this.exts.values()) every = Math.min(every, x.checkIntervalMs);
    if (!Number.isFinite(every)) return;
    this.pathTimer = setInterval(() => {
      const now = Date.now();
      for (const x of this.exts.values()) x.checkPaths(now);
    }, Math.min(every, MAX_TIMER_MS));
  }

  // ---- routing ---------------------------------------------------------------------------

  /** Destinations of a send: explicit dests win, else the graph's flows for (kind, src, name). */
  resolveDests(w: WireMsg, kind: RouteKind, src: string): Target[] | null {
    if (w.dests.length > 0) {
      return w.dests.map((d) => {
        const loc = { app: d.app || this.appUri, graph: d.graph || this.graphId, ext: d.ext };
        return { loc, dests: [loc], conversion: undefined, local: null };
      });
    }
    // `*` flows exist only in ExtensionTester graphs: everything goes to the other side.
    const byName = this.targets.get(src)?.get(kind);
    if (!byName) return null;
    return byName.get(w.name) ?? byName.get('*') ?? null;
  }

  /**
   * Resolved destinations per source extension, kind and name, built once: a send looks them up
   * with three map reads and allocates nothing. Their locations are shared and never mutated.
   */
  private buildTargets(routes: Record<string, RouteDest[]>): Map<string, Map<string, Map<string, Target[]>>> {
    const out = new Map<string, Map<string, Map<string, Target[]>>>();
    for (const [key, flows] of Object.entries(routes)) {
      if (flows.length === 0) continue;
      const [kind, src, name] = key.split('\u0000');
      let byKind = out.get(src);
      if (!byKind) out.set(src, (byKind = new Map()));
      let byName = byKind.get(kind);
      if (!byName) byKind.set(kind, (byName = new Map()));
      byName.set(
        name,
        flows.map((f) => ({ ...this.locOf(f.ext), conversion: f.msgConversion, local: null })),
      );
    }
    return out;
  }

  clone(w: WireMsg): WireMsg {
    return cloneWire(w);
  }

  /** Applies a `per_property` msg_conversion to a copy addressed to one destination. */
  convert(c: WireMsg, conversion: unknown): void {
    const mc = conversion as { type?: unknown; rules?: unknown; keep_original?: unknown } | null;
    if (!mc || mc.type !== 'per_property' || !Array.isArray(mc.rules)) return;
    const orig = c.props;
    const props: PropObject = mc.keep_original === true ? structuredClone(orig) : {};
    for (const r of mc.rules as ConversionRule[]) {
      if (typeof r?.path !== 'string') continue;
      const v = r.conversion_mode === 'fixed_value' ? r.value : getProp(orig, r.original_path ?? r.path);
      if (r.path === 'ten.name') {
        if (typeof v === 'string') c.name = v;
        continue;
      }
      if (v !== undefined) setProp(props, r.path, structuredClone(v));
    }
    c.props = props;
  }

  /** Delivers an addressed message (one dest) from a local extension. */
  deliver(w: WireMsg, from: string): void {
    const d = w.dests[0];
    const traced = this.tracer !== null && this.traceSent(w, from);
    if (d.app && d.app !== this.appUri) return this.undeliverable(w, from, 'Failed to find destination.');
    if (d.graph && d.graph !== this.graphId) {
      this.toApp(w);
      return;
    }
    const g = this.groupOf.get(d.ext);
    if (g === undefined) return this.undeliverable(w, from, 'Failed to find destination.');
    if (g === this.group) {
      const x = this.exts.get(d.ext);
      if (!x) return this.undeliverable(w, from, `The extension[${d.ext}] is invalid.`);
      if (traced) this.receiveTraced(x, w, from);
      else x.receive(w);
      return;
    }
    const box = this.peers.get(g);
    if (!box || box.closed) return this.undeliverable(w, from, 'The destination extension has been terminated.');
    const full = box.push(w);
    if (traced) this.tracer!.record('queued', w, from, d.ext);
    if (full) {
      box.flush();
      return;
    }
    this.dirty.add(box);
    this.armFlush();
  }

  /**
   * Delivers to a receiver of this group resolved from the graph (`Target.local`): the same
   * as `deliver` without its lookups, unless tracing needs the general path.
   */
  deliverLocal(x: ExtRuntime, w: WireMsg, from: string): void {
    if (this.tracer !== null) this.deliver(w, from);
    else x.receive(w);
  }

  /** A message that arrived from another group or the App. */
  private onInbound(w: WireMsg): void {
    const ext = w.dests[0]?.ext ?? '';
    const x = this.exts.get(ext);
    if (x) {
      if (this.tracer !== null && this.tracer.wants(w, w.src.ext, ext)) this.receiveTraced(x, w, w.src.ext);
      else x.receive(w);
      return;
    }
    if (isCmdType(w.type)) this.replyError(w, ext, `The extension[${ext}] is invalid.`);
  }

  /** Tracing: records the `sent` step of a message on a traced edge; true when it is traced. */
  private traceSent(w: WireMsg, from: string): boolean {
    const dest = w.dests[0]?.ext ?? '';
    if (!this.tracer!.wants(w, from, dest)) return false;
    this.tracer!.record('sent', w, from, dest);
    this.armFlush();
    return true;
  }

  /** Tracing: delivers and records the `delivered` step with the synchronous handler time. */
  private receiveTraced(x: ExtRuntime, w: WireMsg, src: string): void {
    // The receiver may re-key the message (a cmd around a loop, a result going upstream).
    const cmdId = w.cmdId;
    const t0 = performance.now();
    x.receive(w);
    this.tracer!.record('delivered', w, src, x.name, performance.now() - t0, cmdId);
    this.armFlush();
  }

  /** A cmd cannot reach its destination: the sender gets an ERROR result; data is dropped. */
  private undeliverable(w: WireMsg, from: string, text: string): void {
    if (isCmdType(w.type)) {
      // Posted, so the sender's send call returns before its result handler runs.
      this.runloop.postTaskTail(() => this.replyError(w, w.dests[0]?.ext ?? '', text));
    } else if (w.type !== 'cmd_result') {
      this.log(from, 3, `Dropped ${w.type} '${w.name}': ${text}`, undefined, undefined);
    }
  }

  /** Answers a cmd that never reached a handler (no IN path) with an ERROR result. */
  replyError(w: WireMsg, from: string, text: string): void {
    const r = newWireMsg('cmd_result', w.name);
    r.status = 1;
    r.cmdId = w.cmdId;
    r.origName = w.name;
    r.origType = w.type;
    r.props.detail = text;
    r.src = { app: this.appUri, graph: this.graphId, ext: from };
    r.dests = [{ ...w.src }];
    if (r.dests[0].ext === '' && r.dests[0].graph === '') return;
    this.deliver(r, from);
  }

  /**
   * `ten:timer` (props `timer_id`, `timeout_us`, `times`; times ≤ 0 = until cancelled): answered
   * OK at once, then a `ten:timeout` cmd with the `timer_id` goes to the requester per tick. The
   * engine's timers in TEN; here they live in the requester's group, off the host thread.
   * `timeout_us` < 0 cancels the timer with that id. Integers beyond 2^53 arrive as `bigint`: an
   * id keeps all its digits, a timeout or count is taken as the nearest double (see
   * `MAX_TIMER_MS` for the longest timeout).
   */
  startTimer(w: WireMsg, x: ExtRuntime): void {
    const { timer_id: rawId, timeout_us: rawUs, times: rawTimes } = w.props;
    const id = typeof rawId === 'number' || typeof rawId === 'string' || typeof rawId === 'bigint' ? String(rawId) : '0';
    const us = typeof rawUs === 'number' || typeof rawUs === 'bigint' ? Number(rawUs) : 0;
    const times = typeof rawTimes === 'number' || typeof rawTimes === 'bigint' ? Number(rawTimes) : 1;
    const key = `${x.name}\u0000${id}`;
    const prev = this.timers.get(key);
    if (prev) clearInterval(prev);
    this.timers.delete(key);
    const ok = x.okResult(w);
    ok.src = { app: this.appUri, graph: this.graphId, ext: '' };
    ok.dests = [{ ...w.src }];
    this.runloop.postTaskTail(() => x.receive(ok));
    if (us < 0) return;
    let fired = 0;
    const timer = setInterval(() => {
      fired++;
      if (times > 0 && fired >= times) {
        clearInterval(timer);
        this.timers.delete(key);
      }
      const t = newWireMsg('timeout', 'ten:timeout');
      t.cmdId = randomUUID();
      t.props = { timer_id: w.props.timer_id ?? 0 };
      t.src = { app: this.appUri, graph: this.graphId, ext: '' };
      t.dests = [{ app: this.appUri, graph: this.graphId, ext: x.name }];
      this.runloop.postMsg(t);
    }, Math.min(Math.max(1, us / 1000), MAX_TIMER_MS));
    this.timers.set(key, timer);
  }

  /** Cancels the `ten:timer` timers of an extension (at its close). */
  clearTimers(extension: string): void {
    for (const [key, t] of this.timers) {
      if (key.startsWith(`${extension}\u0000`)) {
        clearInterval(t);
        this.timers.delete(key);
      }
    }
  }

  toApp(w: WireMsg): void {
    // A packed buffer is a view of a whole batch: the clone would copy all of it.
    const buf = wireBuf(w);
    post({ t: 'to_app', msg: w }, buf instanceof ArrayBuffer && buf.byteLength > 0 ? [buf] : undefined);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  lifecycle(extension: string, phase: LifecyclePhase): void {
    this.emit({ type: 'lifecycle', ts: Date.now(), graphId: this.graphId, extension, phase });
  }

  startFailed(error: string): void {
    this.control({ t: 'start_failed', error });
  }

  /** Posts a control message after the pending events, so the host sees them in causal order. */
  private control(m: FromWorker): void {
    this.flushEvents();
    post(m);
  }

  extStopped(x: ExtRuntime): void {
    if (!this.syncStopBeforeDeinit) {
      x.allowDeinit();
      return;
    }
    for (const x of this.exts.values()) if (x.state !== 'stopped' && x.state !== 'closed') return;
    this.control({ t: 'stopped' });
  }

  extClosed(_x: ExtRuntime): void {
    this.maybeClose();
  }

  /**
   * Second phase of the two-phase close: when every extension is closed the thread ends — at once
   * unless handles left by user code keep it alive (then see reportLeftover).
   */
  private maybeClose(): void {
    if (this.closed || !this.closing) return;
    for (const x of this.exts.values()) if (x.state !== 'closed') return;
    this.closed = true;
    if (this.pathTimer) clearInterval(this.pathTimer);
    this.pathTimer = null;
    this.flush();
    post({ t: 'closed', live: this.live() });
    this.runloop.close();
    for (const box of this.peers.values()) box.port.close();
    // Unref'd, not closed: the thread ends by itself as soon as nothing else keeps it alive, and
    // until then a leftover timer's misuse of a closed ten_env still reaches the host.
    parentPort!.unref();
    setTimeout(() => this.reportLeftover(), LEFTOVER_GRACE_MS).unref();
  }

  /**
   * The thread outlived the grace after its last extension closed: user code left handles open
   * (a timer never cleared, a socket, a server). Reports their types — Node keeps no record of
   * where a handle was created — and stops talking; the engine terminates the thread.
   */
  private reportLeftover(): void {
    const handles: HandleCounts = {};
    // A flush of our own may be pending (an event emitted this turn): its Immediate is not a leak.
    let ours = this.flushArmed ? 1 : 0;
    for (const r of process.getActiveResourcesInfo()) {
      if (r === 'Immediate' && ours > 0) ours--;
      else handles[r] = (handles[r] ?? 0) + 1;
    }
    this.flush();
    post({ t: 'leftover', handles });
    parentPort!.close();
  }

  // ---- reporting -------------------------------------------------------------------------

  reportError(extension: string, phase: string, e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.emit({ type: 'error', ts: Date.now(), graphId: this.graphId, extension, phase, message: err.message, stack: err.stack ?? '' });
  }

  /**
   * Reports an owner violation; returns true when the policy lets the call proceed. `owner` and
   * `caller` name the extensions involved when the violation is between extensions of a thread.
   */
  violation(object: string, reason: string, stack: string, owner = '', caller = ''): boolean {
    const here = `thread ${threadId} runloop ${this.runloop.id}`;
    this.emit({
      type: 'violation',
      ts: Date.now(),
      graphId: this.graphId,
      object,
      owner: owner ? `${owner} (${here})` : here,
      caller: caller ? `${caller} (${here})` : `${here}${this.closed ? ' (closed)' : ''}`,
      reason,
      stack,
      policy: this.policy,
    });
    switch (this.policy) {
      case 'report':
        return true;
      case 'fail':
        return false;
      case 'abort':
        this.control({ t: 'abort', reason: `${object}: ${reason}` });
        return false;
    }
  }

  log(extension: string, level: LogLevel, message: string, category: string | undefined, fields: unknown): void {
    this.emit({ type: 'log', ts: Date.now(), graphId: this.graphId, extension, level, message, category, fields });
  }

  private emit(ev: RuntimeEvent): void {
    this.events.push(ev);
    this.armFlush();
  }

  private armFlush(): void {
    if (this.flushArmed) return;
    this.flushArmed = true;
    setImmediate(this.flushBound);
  }

  private flush(): void {
    this.flushArmed = false;
    for (const box of this.dirty) if (!box.closed) box.flush();
    this.dirty.clear();
    this.flushEvents();
    if (this.tracer !== null) {
      const taken = this.tracer.take();
      if (taken) post({ t: 'trace', records: taken.records, dropped: taken.dropped });
    }
  }
  private flushEvents(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    post({ t: 'events', events });
  }


  live(): LiveCounts {
    let extensions = 0;
    let paths = 0;
    for (const x of this.exts.values()) {
      if (x.state !== 'closed') extensions++;
      paths += x.paths.size;
    }
    return { engines: 0, threads: 0, extensions, paths, timers: (this.pathTimer ? 1 : 0) + this.timers.size, handles: 0 };
  }

  sample(): GroupSample {
    return {
      group: this.group,
      runloop: this.runloop.counters(),
      extensions: [...this.exts.values()].map((x) => x.counters(this.group)),
      live: this.live(),
    };
  }
}
