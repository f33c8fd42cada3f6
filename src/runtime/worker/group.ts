/**
 * One extension group on its worker thread (TEN extension thread): owns the runloop, the group's
 * extensions, its router (routing/router.ts: where every message sent here goes) with the
 * channels to the other groups, its timers, and the events it reports to the engine.
 *
 * Arrival: everything for an extension of this group — from itself, from other groups (one
 * batch per channel and loop turn), from the App — is a runloop task, so no handler ever runs
 * inside a send. The group hands each message to its extension (worker/extension_rt.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, threadId } from 'node:worker_threads';
import { registeredAddon } from '../api/addon';
import { installRuntimeHooks } from '../api/hooks';
import type { LogLevel } from '../api/log_level';
import {
  type FromWorker,
  type GroupInit,
  type GroupPython,
  type ExtensionCounters,
  type GroupSample,
  type HandleCounts,
  type LifecyclePhase,
  type LiveCounts,
  type RuntimeEvent,
  type ToWorker,
  type ViolationPolicy,
} from '../core/protocol';
import { Runloop } from '../core/runloop';
import { declaresSchemas, loadSchemaCompiler } from '../core/schema';
import { isCmdType, newWireMsg, PeerIndex, wireBuf, type SharedLoc, type WireLoc, type WireMsg } from '../core/wire';
import { openChannel, type Flushable, type PeerChannel } from '../routing/channels';
import { Router } from '../routing/router';
import { FnTarget, LocalTarget } from '../routing/target';
import { RemoteOutbox, decodeInboundFrames, inboundLocs } from '../protocol/group_links';
import { InflowAck } from '../core/inflow';
import { GroupSocket } from '../protocol/group_socket';
import { TextTap } from '../routing/text_tap';
import { Tracer } from '../routing/tracer';
import { ExtRuntime, type ExtHost } from './extension_rt';
import { groupMemory } from './memory';
import { PyHost } from './py_host';

/** The dests of a destination this group's socket does not take (wire_decode.ts LocResolver). */
const NO_DESTS: WireLoc[] = [];

/** The longest delay `setInterval` takes; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  parentPort!.postMessage(m, transfer);
}

export class GroupRuntime implements ExtHost {
  readonly appUri: string;
  readonly graphId: string;
  readonly group: string;
  readonly runloop: Runloop<WireMsg>;
  readonly router: Router;
  /** Ours: the text tap; null (off) unless the host asks, so a send pays one null check. */
  textTap: TextTap | null = null;
  private readonly exts = new Map<string, ExtRuntime>();
  /** The extension whose callback is running synchronously right now ('' between callbacks). */
  current = '';
  private readonly groupOf: Map<string, string>;
  private readonly locOfBound = (ext: string): SharedLoc => this.router.locOf(ext);
  private readonly channels: PeerChannel[] = [];
  private readonly peerIndex: PeerIndex;
  readonly policy: ViolationPolicy;
  private readonly syncStopBeforeDeinit: boolean;
  private readonly unansweredAfterMs: number;
  private events: RuntimeEvent[] = [];
  private flushArmed = false;
  /** The flush's armed Immediate: the leftover report cancels it rather than count it. */
  private flushImmediate: NodeJS.Immediate | null = null;
  private readonly dirty = new Set<Flushable>();
  private readonly markDirty = (box: Flushable): void => {
    this.dirty.add(box);
    this.armFlush();
  };
  private pathTimer: NodeJS.Timeout | null = null;
  /** Watches OUT paths for cmds nobody answers while any extension has one (see watchOutPaths). */
  private waitTimer: NodeJS.Timeout | null = null;
  /** Resolves when every channel to another group has finished closing. */
  private readonly portsClosed: Promise<void>;
  /** `ten:timer` timers by `${extension}\u0000${timer_id}`. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closing = false;
  private closed = false;
  private readonly flushBound = (): void => this.flush();
  /** Ours: the Python process hosting this group's Python extensions, if it has any. */
  private readonly pythonCfg: GroupPython | undefined;
  private py: PyHost | null = null;
  /** Output and exit of the Python process that arrived before its PyHost started (null from then on). */
  private pyEarly: Extract<ToWorker, { t: 'py_out' | 'py_exit' }>[] | null = [];
  /** Names of the group's Python extensions (their messages may skip the runloop: toPythonAtOnce). */
  private pyNames: ReadonlySet<string> | null = null;
  /** Python threads user code left running after the group closed (counted as leaked handles). */
  private pyLeftover = 0;
  /** Sockets of the graph's remotes this thread owns (protocol/group_socket.ts), by connection id. */
  private readonly sockets = new Map<number, GroupSocket>();
  /** The same, by the peer app's URI: this group's messages to that app are written there. */
  private readonly socketOf = new Map<string, GroupSocket>();
  /** Acknowledges what the host forwards here once the runloop has taken it (core/inflow.ts). */
  private readonly inflow: InflowAck;

  constructor(init: GroupInit) {
    this.appUri = init.appUri;
    this.graphId = init.graphId;
    this.group = init.group;
    this.policy = init.policy;
    this.syncStopBeforeDeinit = init.syncStopBeforeDeinit;
    this.unansweredAfterMs = init.unansweredAfterMs;
    this.pythonCfg = init.python;
    if (init.textTap) this.textTap = new TextTap();
    this.groupOf = new Map(Object.entries(init.groupOf));
    this.runloop = new Runloop<WireMsg>(`group:${init.group}`, (m) => this.onInbound(m), (e) => this.reportError('', 'runloop', e));
    this.inflow = new InflowAck(new Int32Array(init.inflow), this.runloop, () => post({ t: 'inflow' }));
    this.router = new Router(
      {
        appUri: init.appUri,
        graphId: init.graphId,
        group: init.group,
        groupOf: this.groupOf,
        routes: init.routes,
        local: new LocalTarget(this.runloop, (w) => this.toPythonAtOnce(w)),
        host: new FnTarget('host', (w) => this.toApp(w)),
        remote: new RemoteOutbox(post, (w, text) => this.router.undeliverable(w, w.src.ext, text), this.runloop, (app) => this.socketOf.get(app)),
        timers: new FnTarget('timers', (w) => this.startTimer(w)),
      },
      {
        log: (extension, level, message) => this.log(extension, level, message, undefined, undefined),
        traced: () => this.armFlush(),
      },
    );
    this.peerIndex = new PeerIndex(this.groupOf.keys(), this.locOfBound);
    const portsClosed: Promise<void>[] = [];
    for (const [g, port] of Object.entries(init.peers)) {
      const channel = openChannel({
        port,
        ring: init.rings[g],
        index: this.peerIndex,
        appUri: init.appUri,
        graphId: init.graphId,
        locOf: this.locOfBound,
        loop: this.runloop,
        deliver: (w) => this.onInbound(w),
        error: (e) => this.reportError('', 'runloop', e),
        dirty: this.markDirty,
        peerClosed: () => this.peerClosed(g),
      });
      this.channels.push(channel);
      this.router.addPeer(g, channel.target);
      portsClosed.push(channel.closedPort);
    }
    this.portsClosed = Promise.all(portsClosed).then(() => undefined);
    this.router.bindTargets();
    for (const spec of init.nodes) this.exts.set(spec.name, new ExtRuntime(this, spec));
    installRuntimeHooks({
      sentMutation: (object, method) => this.violation(object, `${method} on a message after its owner sent it`, new Error().stack ?? ''),
    });
  }

  /** Imports every addon module and creates the instances (before on_configure, as TEN). */
  async create(): Promise<void> {
    if ([...this.exts.values()].some((x) => declaresSchemas(x.spec.api))) await loadSchemaCompiler();
    const pyExts = [...this.exts.values()].filter((x) => x.spec.runtime === 'python');
    if (pyExts.length > 0) {
      if (!this.pythonCfg) throw new Error(`Group '${this.group}' has Python extensions but no Python configuration.`);
      this.py = new PyHost(this, pyExts, this.pythonCfg);
      this.pyNames = new Set(pyExts.map((x) => x.name));
    }
    const imported = new Set<string>();
    for (const x of this.exts.values()) {
      if (x.spec.runtime === 'python') continue;
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
    if (this.py !== null) {
      // Imports the packages and creates the instances in the Python process.
      const started = this.py.start(() => this.maybeClose());
      // What the host thread passed on before (the process's first output, an early exit).
      const early = this.pyEarly ?? [];
      this.pyEarly = null;
      for (const m of early) this.toPyHost(m);
      await started;
      for (const x of pyExts) this.lifecycle(x.name, 'created');
    }
  }

  private toPyHost(m: Extract<ToWorker, { t: 'py_out' | 'py_exit' }>): void {
    if (m.t === 'py_out') this.py!.output(m.level, m.text);
    else this.py!.processExited(m.code, m.signal);
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
        for (const x of this.exts.values()) this.runloop.postTaskTail(() => x.requestStop());
        // A group whose extensions are all closed already (none, or gone with their Python
        // process) closes now.
        this.runloop.postTaskTail(() => this.maybeClose());
        return;
      case 'deinit':
        for (const x of this.exts.values()) this.runloop.postTaskTail(() => x.allowDeinit());
        return;
      case 'py_out':
      case 'py_exit':
        if (this.pyEarly !== null) this.pyEarly.push(m);
        else this.toPyHost(m);
        return;
      case 'sample':
        post({ t: 'sample', reqId: m.reqId, sample: this.sample() });
        return;
      case 'msgs':
        this.runloop.postMsgs(m.batch);
        if (m.flowBytes !== undefined) this.inflow.add(m.batch.length, m.flowBytes);
        return;
      case 'frames':
        this.runloop.postMsgs(decodeInboundFrames(m.bytes, m.length, m.srcApp, this.graphId, this.locOfBound));
        this.inflow.add(m.flowCount, m.length);
        return;
      case 'trace':
        this.router.tracer = m.config ? new Tracer(m.config, this.group) : null;
        // Traced sends must go through the engine: the process's local path is withdrawn meanwhile.
        this.py?.sendRoutes();
        return;
      case 'text_tap':
        this.textTap = m.on ? (this.textTap ?? new TextTap()) : null;
        this.py?.sendRoutes();
        return;
      case 'leftover':
        void this.reportLeftover();
        return;
      case 'sock_adopt':
        this.adoptSocket(m);
        return;
      case 'sock_write':
        this.sockets.get(m.id)?.fromHost(m.bytes, m.length, m.count);
        return;
      case 'sock_close':
        this.sockets.get(m.id)?.close(m.abort);
        return;
      case 'sock_ready':
        this.sockets.get(m.id)?.markReady();
        return;
      case 'sock_hold':
        this.sockets.get(m.id)?.hold(m.on);
        return;
      case 'remote_gone': {
        // Ours (TEN waits for `Path timeout.`): after what the runloop holds, in case a result came first.
        const text = `The connection to ${m.app} closed before the result arrived.`;
        this.runloop.postTaskTail(() => {
          for (const x of this.exts.values()) x.failPaths((p) => p.destApp === m.app, text);
        });
        return;
      }
    }
  }

  /** A remote's socket moves to this thread (protocol/group_socket.ts). */
  private adoptSocket(m: Extract<ToWorker, { t: 'sock_adopt' }>): void {
    const graphName = m.graphName;
    const router = this.router;
    const locOf = this.locOfBound;
    const sock = new GroupSocket(m, {
      post,
      locs: inboundLocs(m.peerApp, this.graphId, (app, graph, ext) => (router.takesDest(app, graph, ext, graphName) ? locOf(ext).dests : NO_DESTS)),
      takesKind: (type, cmdId) => router.takesKind(type, cmdId),
      takes: (msg) => {
        const d = msg.dests.length === 1 ? msg.dests[0]! : null;
        return d !== null && router.takesArrival(msg.type, msg.cmdId, d.app, d.graph, d.extension, graphName);
      },
      convert: (frame) => decodeInboundFrames(new Uint8Array(frame).buffer, frame.byteLength, m.peerApp, this.graphId, locOf)[0] ?? null,
      deliver: (msgs) => this.runloop.postMsgs(msgs),
      beginIo: () => this.runloop.beginIo(),
      endIo: () => this.runloop.endIo(true),
      gone: (s) => {
        this.sockets.delete(s.id);
        if (this.socketOf.get(s.app) === s) this.socketOf.delete(s.app);
      },
    });
    this.sockets.set(sock.id, sock);
    this.socketOf.set(sock.app, sock);
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
      for (const x of this.exts.values()) x.failPaths((p) => gone.has(p.destExt), 'The destination extension has been terminated.');
    });
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

  /**
   * Ours: while any extension has an OUT path, a light check every second (or twice per
   * threshold when shorter) reports cmds that have waited `unansweredAfterMs` for their result.
   * Armed by the first OUT path, stopped when none is left; unref'd, it never keeps a thread alive.
   */
  watchOutPaths(): void {
    if (this.waitTimer !== null || this.closed) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.unansweredAfterMs / 2)));
    this.waitTimer = setInterval(() => {
      const now = Date.now();
      let any = false;
      for (const x of this.exts.values()) if (x.checkUnanswered(now, this.unansweredAfterMs)) any = true;
      if (!any) this.stopWatching();
    }, every);
    this.waitTimer.unref();
  }

  private stopWatching(): void {
    if (this.waitTimer !== null) clearInterval(this.waitTimer);
    this.waitTimer = null;
  }

  /** A message that arrived for an extension of this group (from it, another group, or the App). */
  /**
   * A message for a Python extension of this group, while the runloop is idle: handled now. Its
   * `ExtRuntime` checks and counts it and the process gets it in the frame that leaves at the end
   * of this task; its handler runs in the process, never here. A loop turn less per message.
   */
  private toPythonAtOnce(w: WireMsg): boolean {
    if (this.pyNames === null || !this.pyNames.has(w.dests[0]?.ext ?? '')) return false;
    try {
      this.onInbound(w);
    } catch (e) {
      this.reportError('', 'runloop', e);
    }
    return true;
  }

  private onInbound(w: WireMsg): void {
    const ext = w.dests[0]?.ext ?? '';
    const x = this.exts.get(ext);
    if (x) {
      if (this.router.tracer !== null && this.router.arrivalTraced(w, ext)) this.receiveTraced(x, w, w.src.ext);
      else x.receive(w);
      return;
    }
    if (isCmdType(w.type)) this.router.replyError(w, ext, `The extension[${ext}] is invalid.`);
  }

  /** Tracing: delivers and records the `delivered` step with the handler's synchronous time. */
  private receiveTraced(x: ExtRuntime, w: WireMsg, src: string): void {
    // The receiver may re-key the message (a cmd around a loop, a result going upstream).
    const cmdId = w.cmdId;
    const t0 = performance.now();
    x.receive(w);
    this.router.tracer!.record('delivered', w, src, x.name, performance.now() - t0, cmdId);
    this.armFlush();
  }

  /**
   * `ten:timer` (props `timer_id`, `timeout_us`, `times`; times ≤ 0 = until cancelled): answered
   * OK at once, then a `ten:timeout` cmd with the `timer_id` goes to the requester per tick. The
   * engine's timers in TEN; here they live in the requester's group, off the host thread.
   * `timeout_us` < 0 cancels the timer with that id. Integers beyond 2^53 arrive as `bigint`: an
   * id keeps all its digits, a timeout or count is taken as the nearest double (see
   * `MAX_TIMER_MS` for the longest timeout).
   */
  startTimer(w: WireMsg): boolean {
    const x = this.exts.get(w.src.ext);
    if (!x) return false;
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
    if (us < 0) return true;
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
    return true;
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

  /** The host link: messages for other graphs, other apps, and the App's built-in cmds. */
  private toApp(w: WireMsg): boolean {
    if (this.closed) return false;
    // A packed buffer is a view of a whole batch: the clone would copy all of it.
    const buf = wireBuf(w);
    post({ t: 'to_app', msg: w }, buf instanceof ArrayBuffer && buf.byteLength > 0 ? [buf] : undefined);
    return true;
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
    if (this.py !== null && !this.py.exited) {
      // The group closes once its Python process has exited (it reports leftovers first).
      this.py.close();
      return;
    }
    this.closed = true;
    if (this.pathTimer) clearInterval(this.pathTimer);
    this.pathTimer = null;
    this.stopWatching();
    this.flush();
    post({ t: 'closed', live: this.live() });
    this.runloop.close();
    for (const c of this.channels) c.close();
    // Unref'd, not closed: the thread ends by itself as soon as nothing else keeps it alive. Until
    // then (as in TEN, where an extension's timer runs on after on_deinit_done while the app
    // lives) its callbacks run, and their calls on the closed ten_env fail and are reported.
    parentPort!.unref();
    void this.sayWhenEnding();
  }

  /**
   * Once our own channels have closed (and a turn for their callbacks), a thread with nothing of
   * the user's listed tells the engine it is ending. Its exit can take seconds after that (an
   * emptied loop waits for V8's background tasks: sixty threads on two loaded cores), while it
   * can answer nothing; asked meanwhile what keeps it alive, its silence was reported as a
   * callback stuck after on_deinit_done.
   */
  private async sayWhenEnding(): Promise<void> {
    await this.portsClosed;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.cancelFlush();
    // A remote's socket keeps the thread until the host closes it; 'beforeExit' says it then.
    if (process.getActiveResourcesInfo().length === 0) post({ t: 'ending' });
  }

  /** Flushes now and cancels the armed flush: no Immediate of ours is left to be listed. */
  private cancelFlush(): void {
    this.flush();
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.flushImmediate = null;
  }

  /**
   * The app is closing and this thread is still alive after its last extension closed: user code
   * left handles open (a timer never cleared, a socket, a server). Reports their types — Node
   * keeps no record of where a handle was created — and stops talking; the engine terminates it.
   */
  private async reportLeftover(): Promise<void> {
    // Our own closes finish first (a closing port is listed until its close completes), and a
    // turn passes for their callbacks. With a hundred groups on two loaded cores that took
    // seconds, which the engine took for a stuck callback: it is told to wait.
    if (this.channels.some((c) => !c.portClosed)) post({ t: 'leftover_wait' });
    await this.portsClosed;
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Events of the wait go first, and their flush is cancelled, not left pending: every
    // resource listed below is the user's (the runloop cancelled its own wake when it closed).
    this.cancelFlush();
    const handles: HandleCounts = {};
    for (const r of process.getActiveResourcesInfo()) handles[r] = (handles[r] ?? 0) + 1;
    // The remotes' sockets are the runtime's (the host closes them), never the user's.
    for (const sock of this.sockets.values()) {
      if (sock.closed || !handles.TCPSocketWrap) continue;
      if (--handles.TCPSocketWrap === 0) delete handles.TCPSocketWrap;
    }
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

  /** Ours: publishes an event a Python process reported (logs with their location, errors…). */
  report(ev: RuntimeEvent): void {
    this.emit(ev);
  }

  /**
   * Ours: an owner violation found in a Python process, which applied the policy to the call
   * itself; here it is published, and `abort` stops the graph. One the policy does not apply to
   * (`applyPolicy` false: a blocked loop, which refused no call and is legal in TEN) is published
   * as `report`, so it never fails a run.
   */
  pythonViolation(object: string, stack: string, reason: string, owner: string, caller: string, applyPolicy = true): void {
    this.emit({ type: 'violation', ts: Date.now(), graphId: this.graphId, object, owner, caller, reason, stack, policy: applyPolicy ? this.policy : 'report' });
    if (applyPolicy && this.policy === 'abort') this.control({ t: 'abort', reason: `${object}: ${reason}` });
  }

  /** Ours: threads user code left running in the Python process after the group closed. */
  pythonLeftover(threads: number, message: string): void {
    this.pyLeftover += threads;
    this.emit({ type: 'log', ts: Date.now(), graphId: this.graphId, extension: '', level: 3, message, category: 'python:leftover' });
  }

  /**
   * Ours: the debugger of the group's Python process (TEN_ENABLE_PYTHON_DEBUG) listens, has a
   * client, or could not start: a log line that says where to attach (its fields for the studio),
   * and the engine pauses the creation's time limit while the process waits for the client.
   */
  pythonDebug(state: 'listening' | 'attached' | 'error', host: string, port: number, pid: number, text: string): void {
    this.emit({
      type: 'log',
      ts: Date.now(),
      graphId: this.graphId,
      extension: '',
      level: state === 'error' ? 4 : 2,
      message: `Group '${this.group}': ${text}.`,
      category: 'python:debug',
      fields: { group: this.group, pid, host, port, state },
    });
    this.flushEvents();
    post({ t: 'py_debug', state });
  }

  log(extension: string, level: LogLevel, message: string, category: string | undefined, fields: unknown): void {
    this.emit({ type: 'log', ts: Date.now(), graphId: this.graphId, extension, level, message, category, fields });
  }

  private emit(ev: RuntimeEvent): void {
    this.events.push(ev);
    this.armFlush();
  }

  tapped(): void {
    this.armFlush();
  }

  private armFlush(): void {
    if (this.flushArmed) return;
    this.flushArmed = true;
    this.flushImmediate = setImmediate(this.flushBound);
  }

  private flush(): void {
    this.flushArmed = false;
    for (const box of this.dirty) if (!box.closed) box.flush();
    this.dirty.clear();
    this.flushEvents();
    const tracer = this.router.tracer;
    if (tracer !== null) {
      const taken = tracer.take();
      if (taken) post({ t: 'trace', records: taken.records, dropped: taken.dropped });
    }
    const tap = this.textTap;
    if (tap !== null) {
      const taken = tap.take();
      if (taken) post({ t: 'text', records: taken.records, dropped: taken.dropped });
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
    const processes = this.py !== null && !this.py.exited ? 1 : 0;
    return { engines: 0, threads: 0, extensions, paths, timers: (this.pathTimer ? 1 : 0) + this.timers.size, handles: this.pyLeftover, processes };
  }

  sample(): GroupSample {
    return {
      group: this.group,
      runloop: this.runloop.counters(),
      extensions: [...this.exts.values()].map((x) => this.countersOf(x)),
      live: this.live(),
      memory: groupMemory(),
      ...(this.py !== null ? { python: this.py.sample() } : {}),
    };
  }

  /** An extension's counters; a Python extension's handler time and tasks are Python's. */
  private countersOf(x: ExtRuntime): ExtensionCounters {
    const c = x.counters(this.group, this.unansweredAfterMs);
    if (x.spec.runtime !== 'python' || this.py === null) return c;
    c.runtime = 'python';
    const s = this.py.statsOf(this.py.exts.indexOf(x));
    if (s) {
      c.handlerMs = s.handlerMs;
      c.handlerHist = s.hist;
      c.tasks = s.tasks;
      // Held until its on_init_done or queued for delivery inside the process (the local path).
      c.pending += s.local;
    }
    return c;
  }
}
