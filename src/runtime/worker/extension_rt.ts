/**
 * The runtime side of one extension on its group's thread: lifecycle state machine, the
 * `EnvBackend` behind its `TenEnv`, IN/OUT paths, schemas, the pre-`on_init_done` queue and
 * counters. Where its messages go is the router's decision (routing/router.ts); what it needs
 * from its group is the narrow `ExtHost` below.
 */
import { performance } from 'node:perf_hooks';
import { Cmd, CmdResult, Data, AudioFrame, VideoFrame, type Msg } from '../api/msg';
import { parseJsonArg, TenError, TenErrorCode, TEN_IS_CLOSED_TEXT } from '../api/error';
import { overrides, type Extension } from '../api/extension';
import { TenEnv, type EnvBackend, type ResultHandler } from '../api/ten_env';
import type { LogLevel } from '../api/log_level';
import { deepMerge, getProp, setProp, type PropObject } from '../core/props';
import { HIST_BUCKETS, histBucket } from '../core/histogram';
import { cmdIds } from '../core/ids';
import type { ExtensionCounters, LifecyclePhase, NodeSpec, WaitingCmd } from '../core/protocol';
import type { Runloop } from '../core/runloop';
import { ExtensionSchemas, type SchemaKind } from '../core/schema';
import { cloneWire, isCmdType, newWireMsg, routeKind, type RouteKind, type WireLoc, type WireMsg } from '../core/wire';
import { convertMsg, resultConversion } from '../routing/convert';
import type { Route, Router } from '../routing/router';
import type { TextTap } from '../routing/text_tap';
import { PathTables, type InPath, type OutPath, type PathGroup, type ResultPolicy } from './paths';

/** What an extension's runtime needs from its group (worker/group.ts implements it). */
export interface ExtHost {
  readonly router: Router;
  readonly runloop: Runloop<WireMsg>;
  /** Ours: records sent text (routing/text_tap.ts) while the host asks; null otherwise. */
  readonly textTap: TextTap | null;
  /** Posts what the tap recorded at the end of the loop turn. */
  tapped(): void;
  /** The extension whose callback is running synchronously right now ('' between callbacks). */
  current: string;
  lifecycle(extension: string, phase: LifecyclePhase): void;
  reportError(extension: string, phase: string, e: unknown): void;
  startFailed(error: string): void;
  extStopped(x: ExtRuntime): void;
  extClosed(x: ExtRuntime): void;
  /** Reports an owner violation; true when the policy lets the call proceed. */
  violation(object: string, reason: string, stack: string, owner?: string, caller?: string): boolean;
  log(extension: string, level: LogLevel, message: string, category: string | undefined, fields: unknown): void;
  clearTimers(extension: string): void;
  /** An OUT path was added: the group starts watching for cmds nobody answers. */
  watchOutPaths(): void;
}

export type ExtState =
  | 'created'
  | 'configuring'
  | 'configured'
  | 'initing'
  | 'inited'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'deiniting'
  | 'closed';

/** TEN's default IN/OUT path timeout (3 min) and check interval (10 s), in milliseconds. */
const DEFAULT_PATH_TIMEOUT_MS = 180_000;
const DEFAULT_PATH_CHECK_MS = 10_000;

export const DEINIT_TEXT = 'The destination extension is in its de-initialization phase.';
const CLOSED_OUT_PATH_TEXT = 'The extension is closed: its pending cmd results will never arrive.';

const ENV_PLACEHOLDER = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?:\|([^}]*))?\}/g;

/** Resolves `${env:VAR|default}` in every string of a property tree. */
export function resolveEnv(v: unknown): unknown {
  if (typeof v === 'string') {
    const whole = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?:\|([^}]*))?\}$/.exec(v);
    if (whole) return process.env[whole[1]] ?? whole[2] ?? '';
    return v.replace(ENV_PLACEHOLDER, (_m, name: string, def?: string) => process.env[name] ?? def ?? '');
  }
  if (Array.isArray(v)) return v.map(resolveEnv);
  if (v !== null && typeof v === 'object' && !(v instanceof ArrayBuffer)) {
    const out: PropObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = resolveEnv(x);
    return out;
  }
  return v;
}

/**
 * Counts per key. Messages come in runs of one name (a stream) so the last key's cell is kept:
 * a run costs one string compare and one increment per message, no map lookup.
 */
class KeyCounter {
  private readonly cells = new Map<string, { n: number }>();
  private lastKey: string | null = null;
  private last = { n: 0 };

  bump(key: string): void {
    if (key === this.lastKey) {
      this.last.n++;
      return;
    }
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { n: 0 }));
    c.n++;
    this.lastKey = key;
    this.last = c;
  }

  /** Adds `n` at once (counts reported in batches). */
  bumpBy(key: string, n: number): void {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { n: 0 }));
    c.n += n;
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, c] of this.cells) out[k] = c.n;
    return out;
  }
}

/** Power of two: one data/frame handler call in this many is timed. */
const TIMING_SAMPLE = 8;

/** Dests of a delivered message: cleared without allocating (never mutated, only replaced). */
const NO_DESTS = Object.freeze([]) as unknown as WireLoc[];

/** Microseconds in a TEN property → milliseconds; beyond 2^53 (int64 max for "never") a bigint. */
function usToMs(v: unknown, fallback: number): number {
  const us = typeof v === 'bigint' ? Number(v) : v;
  return typeof us === 'number' && us > 0 ? us / 1000 : fallback;
}

function schemaKind(w: WireMsg): SchemaKind | null {
  return w.type === 'cmd' ? 'cmd' : w.type === 'cmd_result' ? null : w.type === 'data' || w.type === 'audio_frame' || w.type === 'video_frame' ? w.type : null;
}

export class ExtRuntime implements EnvBackend {
  readonly name: string;
  readonly spec: NodeSpec;
  readonly env: TenEnv;
  /** This extension's location, shared (frozen) by every message it sends. */
  readonly loc: WireLoc;
  readonly paths = new PathTables();
  state: ExtState = 'created';
  ext: Extension | null = null;
  private readonly g: ExtHost;
  private readonly router: Router;
  private props: PropObject;
  private readonly schemas: ExtensionSchemas;
  private pending: WireMsg[] = [];
  /** Ours: why a closed extension is gone when it did not close by itself (its Python process died). */
  private goneText = '';
  private stopRequested = false;
  private manualStart = false;
  private manualStop = false;
  private stopTriggered = false;
  private hasOnCmd = false;
  private hasOnData = false;
  private hasOnAudio = false;
  private hasOnVideo = false;
  /**
   * Ours: where the messages of an extension hosted elsewhere go once checked, counted and owned
   * (a Python extension: a record for its process, whose handlers run there, timed and guarded
   * there), instead of a handler call in this thread.
   */
  private handOver: ((w: WireMsg) => void) | null = null;
  private outTimeoutMs = DEFAULT_PATH_TIMEOUT_MS;
  private inTimeoutMs = DEFAULT_PATH_TIMEOUT_MS;
  /** Path check period wanted by this extension (`ten.path_check_interval`). */
  checkIntervalMs = DEFAULT_PATH_CHECK_MS;
  private msgsIn = 0;
  private msgsOut = 0;
  private readonly inByName = new KeyCounter();
  private readonly outByName = new KeyCounter();
  private handlerMs = 0;
  /** Ours: handler durations (core/histogram.ts), for p50/p99 in the host's metrics. */
  private readonly handlerHist = new Uint32Array(HIST_BUCKETS);
  /** Ours: messages sent per destination extension, for per-edge rates. */
  private readonly outByDest = new KeyCounter();
  /** Data/frame handlers are timed one in TIMING_SAMPLE (clock reads cost more than a forward). */
  private msgSeq = 0;
  /** The last promise a data/frame handler returned that already has the rejection handler. */
  private lastHandled: unknown = null;
  /** Last graph lookup of this extension's sends: a stream of one name skips the table. */
  private routeName = '';
  private routeKind: RouteKind | '' = '';
  private routeTargets: Route[] | null = null;
  private readonly notConnected = new Map<string, number>();
  /** Data and frames dropped because the extension has no handler for them (TEN's Node.js default). */
  private droppedNoHandler = 0;
  /** Names already logged as dropped for want of a handler (logged once per name). */
  private readonly droppedNames = new Set<string>();
  private readonly onCmdRejected = (e: unknown): void => this.handlerError('on_cmd', e);
  private readonly onDataRejected = (e: unknown): void => this.handlerError('on_data', e);

  constructor(g: ExtHost, spec: NodeSpec) {
    this.g = g;
    this.router = g.router;
    this.spec = spec;
    this.name = spec.name;
    this.props = spec.property;
    this.schemas = new ExtensionSchemas(spec.api);
    this.env = new TenEnv(this);
    this.loc = g.router.locOf(spec.name).loc;
    const ten = (spec.property.ten ?? {}) as Record<string, unknown>;
    const pt = ten.path_timeout;
    if (typeof pt === 'number' || typeof pt === 'bigint') {
      this.outTimeoutMs = this.inTimeoutMs = usToMs(pt, DEFAULT_PATH_TIMEOUT_MS);
    } else if (pt && typeof pt === 'object') {
      const o = pt as Record<string, unknown>;
      this.inTimeoutMs = usToMs(o.in_path, DEFAULT_PATH_TIMEOUT_MS);
      this.outTimeoutMs = usToMs(o.out_path, DEFAULT_PATH_TIMEOUT_MS);
    }
    this.checkIntervalMs = usToMs(ten.path_check_interval, DEFAULT_PATH_CHECK_MS);
    const manual = ten.manual_trigger_life_cycle;
    if (Array.isArray(manual)) {
      for (const s of manual as { stage?: unknown }[]) {
        if (s?.stage === 'start') this.manualStart = true;
        if (s?.stage === 'stop') this.manualStop = true;
      }
    }
  }

  /** Adopts the instance created by the addon. */
  adopt(ext: Extension, handOver: ((w: WireMsg) => void) | null = null): void {
    this.ext = ext;
    this.handOver = handOver;
    this.hasOnCmd = overrides(ext, 'onCmd');
    this.hasOnData = overrides(ext, 'onData');
    this.hasOnAudio = overrides(ext, 'onAudioFrame');
    this.hasOnVideo = overrides(ext, 'onVideoFrame');
  }

  // ---- lifecycle -------------------------------------------------------------------------

  beginLifecycle(): void {
    this.state = 'configuring';
    this.runPhase('on_configure', (x) => x.onConfigure(this.env), () => this.onConfigureDone());
  }

  requestStop(): void {
    this.stopRequested = true;
    switch (this.state) {
      case 'created':
        this.finishClose();
        return;
      case 'configured':
      case 'inited':
      case 'started':
        this.goStop();
        return;
      case 'configuring':
      case 'initing':
      case 'starting':
        // The running callback finishes first; its *_done continues to on_stop.
        return;
      case 'stopping':
      case 'stopped':
      case 'deiniting':
      case 'closed':
        return;
    }
  }

  /** Continues to on_deinit once the group allows it (`sync_stop_before_deinit`). */
  allowDeinit(): void {
    if (this.state !== 'stopped') return;
    this.state = 'deiniting';
    this.runPhase('on_deinit', (x) => x.onDeinit(this.env), () => this.onDeinitDone());
  }

  private runPhase(phase: LifecyclePhase, call: (x: Extension) => Promise<void>, done: () => void): void {
    this.g.lifecycle(this.name, phase);
    const next = (): void => {
      this.g.runloop.postTaskTail(done);
    };
    let p: Promise<void>;
    const prev = this.g.current;
    this.g.current = this.name;
    try {
      p = call(this.ext!);
    } catch (e) {
      // A studio must not hang: report the exception, then acknowledge the phase anyway.
      this.g.reportError(this.name, phase, e);
      next();
      return;
    } finally {
      this.g.current = prev;
    }
    p.then(next, (e: unknown) => {
      this.g.reportError(this.name, phase, e);
      next();
    });
  }

  private onConfigureDone(): void {
    this.g.lifecycle(this.name, 'on_configure_done');
    this.props = resolveEnv(this.props) as PropObject;
    const problem = this.schemas.property()(this.props);
    this.state = 'configured';
    if (problem !== null) {
      // TEN aborts the process here; we fail the graph start and stop cleanly instead.
      this.g.reportError(this.name, 'on_configure_done', new Error(`Invalid property: ${problem}`));
      this.g.startFailed(`Extension '${this.name}' has invalid properties: ${problem}`);
      return;
    }
    if (this.stopRequested) return this.goStop();
    this.state = 'initing';
    this.runPhase('on_init', (x) => x.onInit(this.env), () => this.onInitDone());
  }

  private onInitDone(): void {
    this.g.lifecycle(this.name, 'on_init_done');
    this.state = 'inited';
    // Messages held before on_init_done go first, before on_start is even posted.
    const held = this.pending;
    this.pending = [];
    for (const m of held) this.receive(m);
    if (this.stopRequested) return this.goStop();
    if (!this.manualStart) this.startPhase();
  }

  private startPhase(): void {
    this.state = 'starting';
    this.runPhase('on_start', (x) => x.onStart(this.env), () => this.onStartDone());
  }

  private onStartDone(): void {
    this.g.lifecycle(this.name, 'on_start_done');
    this.state = 'started';
    if (this.stopRequested) this.goStop();
  }

  private goStop(): void {
    if (this.manualStop && !this.stopTriggered && this.state === 'started') return;
    this.state = 'stopping';
    this.runPhase('on_stop', (x) => x.onStop(this.env), () => this.onStopDone());
  }

  private onStopDone(): void {
    this.g.lifecycle(this.name, 'on_stop_done');
    this.state = 'stopped';
    this.g.extStopped(this);
  }

  private onDeinitDone(): void {
    this.g.lifecycle(this.name, 'on_deinit_done');
    this.finishClose();
  }

  /** Closes ten_env, fails pending OUT paths with error results, then tells the group. */
  private finishClose(): void {
    this.state = 'closed';
    this.g.clearTimers(this.name);
    this.pending = [];
    const now = Date.now();
    for (const p of [...this.paths.out.values()]) {
      if (!this.paths.out.has(p.cmdId)) continue;
      this.applyResult(this.errorResult(p.cmdId, p.cmdName, CLOSED_OUT_PATH_TEXT, now));
    }
    this.paths.out.clear();
    this.paths.in.clear();
    this.g.extClosed(this);
  }

  /**
   * Ours: the extension is gone without closing (the Python process hosting it died). The cmds it
   * had received get error results with `text`, its own pending cmds fail, later cmds to it get
   * `text`, and the group counts it as closed.
   */
  terminate(text: string): void {
    if (this.state === 'closed') return;
    this.goneText = text;
    const now = Date.now();
    for (const p of [...this.paths.in.values()]) {
      const r = this.errorResult(p.cmdId, p.cmdName, text, now);
      this.returnWire(r);
    }
    this.finishClose();
  }

  /** Ours: whether messages of `kind` named `name` pass this extension (`dir`) without a schema check. */
  schemaFree(dir: 'in' | 'out', kind: SchemaKind, name: string): boolean {
    return !this.schemas.declares(dir, kind, name);
  }

  /** Ours: whether the manifest declares no message or property schema at all. */
  get noSchemas(): boolean {
    return this.schemas.none;
  }

  /**
   * Ours: `n` sends of `name` that this extension's Python process delivered itself to `dests`
   * (the engine-authorised local path), counted as `dispatch` counts the sends it routes.
   */
  countLocalOut(name: string, dests: readonly string[], n: number): void {
    this.msgsOut += n * dests.length;
    this.outByName.bumpBy(name, n * dests.length);
    for (const d of dests) this.outByDest.bumpBy(d, n);
  }

  /** Ours: `n` messages named `name` delivered to this extension by its process's local path. */
  countLocalIn(name: string, n: number): void {
    this.msgsIn += n;
    this.inByName.bumpBy(name, n);
  }

  /** Ours: the properties as a Python extension left them at on_configure_done (checked next). */
  replaceProps(props: PropObject): void {
    this.props = props;
  }

  private trigger(stage: unknown): void {
    if (stage === 'start' && this.manualStart && this.state === 'inited') this.startPhase();
    if (stage === 'stop' && this.manualStop) {
      this.stopTriggered = true;
      if (this.state === 'started') this.goStop();
    }
  }

  // ---- receiving -------------------------------------------------------------------------

  /** Handles a message addressed to this extension (always on a runloop task of its own, never inside a send). */
  receive(w: WireMsg): void {
    if (w.type === 'cmd_result') {
      this.onResult(w);
      return;
    }
    switch (this.state) {
      case 'deiniting':
      case 'closed':
        if (isCmdType(w.type)) this.router.replyError(w, this.name, this.goneText || DEINIT_TEXT);
        return;
      case 'created':
      case 'configuring':
      case 'configured':
      case 'initing':
        this.pending.push(w);
        return;
      case 'inited':
      case 'starting':
      case 'started':
      case 'stopping':
      case 'stopped':
        break;
    }
    const kind = this.schemas.none ? null : schemaKind(w);
    if (kind !== null) {
      const problem = this.schemas.msg('in', kind, w.name)(w.props);
      if (problem !== null) {
        if (kind === 'cmd') this.router.replyError(w, this.name, problem);
        else this.log(3, `Dropped ${w.type} '${w.name}': ${problem}`, undefined, undefined);
        return;
      }
    }
    this.msgsIn++;
    this.inByName.bump(w.name);
    // Delivered: the receiver owns it now, and sending it on must route from here, not to here.
    w.dests = NO_DESTS;
    switch (w.type) {
      case 'cmd':
      case 'start_graph':
      case 'stop_graph':
      case 'close_app':
      case 'timer':
      case 'timeout':
      case 'trigger_life_cycle':
        this.onCmdIn(w);
        return;
      case 'data':
      case 'audio_frame':
      case 'video_frame':
        this.onMsgIn(w);
        return;
    }
  }

  private onCmdIn(w: WireMsg): void {
    const senderCmdId = w.cmdId;
    if (this.paths.in.has(w.cmdId)) {
      // The cmd came around a loop: a fresh id keeps both IN paths apart.
      w.parentCmdId = w.cmdId;
      w.cmdId = cmdIds.next();
    }
    this.paths.in.set(w.cmdId, {
      cmdId: w.cmdId,
      senderCmdId,
      cmdName: w.name,
      srcExt: w.src.ext,
      srcGraph: w.src.graph,
      srcApp: w.src.app,
      expiresAt: Date.now() + this.inTimeoutMs,
    });
    if (w.type === 'trigger_life_cycle') {
      this.trigger(w.props.stage);
      this.returnWire(this.okResult(w));
      return;
    }
    if (this.handOver !== null) {
      this.handOver(w);
      return;
    }
    // TEN's Node.js and Python bindings: an extension without on_cmd never answers (the sender
    // sees it in its `waiting` counters and a warning long before the path times out).
    if (!this.hasOnCmd) return;
    const cmdId = w.cmdId;
    const t0 = performance.now();
    let p: Promise<void>;
    const prev = this.g.current;
    this.g.current = this.name;
    try {
      p = this.ext!.onCmd(this.env, this.own(Cmd._wrap(w)));
    } catch (e) {
      this.addHandlerTime(performance.now() - t0, 1);
      this.cmdHandlerFailed(cmdId, e);
      return;
    } finally {
      this.g.current = prev;
    }
    this.addHandlerTime(performance.now() - t0, 1);
    p.then(undefined, (e: unknown) => this.cmdHandlerFailed(cmdId, e));
  }

  /** Reports a throwing on_cmd and, ours, answers the cmd with an error so the sender does not wait. */
  private cmdHandlerFailed(cmdId: string, e: unknown): void {
    this.onCmdRejected(e);
    const inPath = this.paths.in.get(cmdId);
    if (!inPath || this.state === 'closed') return;
    const r = newWireMsg('cmd_result', inPath.cmdName);
    r.status = 1;
    r.cmdId = cmdId;
    r.origName = inPath.cmdName;
    r.props.detail = `Extension '${this.name}' threw in on_cmd: ${e instanceof Error ? e.message : String(e)}`;
    this.returnWire(r);
  }

  /** Data and frames: the handler if overridden, else dropped (TEN's Node.js and Python default). */
  private onMsgIn(w: WireMsg): void {
    if (this.handOver !== null) {
      this.handOver(w);
      return;
    }
    const x = this.ext!;
    const timed = (++this.msgSeq & (TIMING_SAMPLE - 1)) === 0;
    const t0 = timed ? performance.now() : 0;
    let p: unknown;
    let called = false;
    const prev = this.g.current;
    this.g.current = this.name;
    try {
      switch (w.type) {
        case 'data':
          if (this.hasOnData) {
            called = true;
            p = x.onData(this.env, this.own(Data._wrap(w)));
          }
          break;
        case 'audio_frame':
          if (this.hasOnAudio) {
            called = true;
            p = x.onAudioFrame(this.env, this.own(AudioFrame._wrap(w)));
          }
          break;
        case 'video_frame':
          if (this.hasOnVideo) {
            called = true;
            p = x.onVideoFrame(this.env, this.own(VideoFrame._wrap(w)));
          }
          break;
        default:
          break;
      }
    } catch (e) {
      this.onDataRejected(e);
      return;
    } finally {
      this.g.current = prev;
      if (timed) this.addHandlerTime(performance.now() - t0, TIMING_SAMPLE);
    }
    if (!called) {
      this.dropUnhandled(w);
      return;
    }
    // A handler returning one shared settled promise (a common fast path) gets the rejection
    // handler once; a handler that is not async (returns no promise) needs none.
    if (p !== this.lastHandled && p instanceof Promise) {
      this.lastHandled = p;
      p.then(undefined, this.onDataRejected);
    }
  }

  private handlerError(phase: string, e: unknown): void {
    this.g.reportError(this.name, phase, e);
  }

  /** Default for data and frames without a handler: dropped, as TEN's Node.js runtime does; said once per name. */
  private dropUnhandled(w: WireMsg): void {
    this.droppedNoHandler++;
    if (this.droppedNames.has(w.name)) return;
    this.droppedNames.add(w.name);
    const handler = w.type === 'data' ? 'onData' : w.type === 'audio_frame' ? 'onAudioFrame' : 'onVideoFrame';
    this.log(2, `Extension '${this.name}' has no ${handler}: ${w.type} '${w.name}' is dropped, as TEN's Node.js runtime does (said once per name; the count is in the node's metrics).`, undefined, undefined);
  }

  private onResult(w: WireMsg): void {
    const path = this.paths.out.get(w.cmdId);
    if (!path) return;
    const problem = this.schemas.result('in', path.cmdName)(w.props);
    if (problem !== null) {
      w.status = 1;
      w.props.detail = problem;
    }
    this.applyResult(w, path);
  }

  private applyResult(w: WireMsg, path: OutPath | undefined = this.paths.out.get(w.cmdId)): void {
    if (!path) return;
    const result = this.paths.applyResult(w, path);
    if (result === null) return;
    // msg_conversion `result`: the result is converted back on its way to the sender.
    if (path.resultConversion !== undefined) convertMsg(result, path.resultConversion);
    if (path.handler) {
      path.handler(CmdResult._wrap(result), undefined);
    } else if (path.upstream && this.paths.in.has(path.upstream)) {
      // No handler: the result goes back up the IN path this cmd was forwarded from.
      result.cmdId = path.upstream;
      this.returnWire(result);
    }
  }

  okResult(w: WireMsg): WireMsg {
    const r = newWireMsg('cmd_result', w.name);
    r.cmdId = w.cmdId;
    r.origName = w.name;
    r.origType = w.type;
    return r;
  }

  private errorResult(cmdId: string, name: string, detail: string, now: number): WireMsg {
    const r = newWireMsg('cmd_result', name);
    r.status = 1;
    r.cmdId = cmdId;
    r.origName = name;
    r.ts = now;
    r.props.detail = detail;
    return r;
  }

  /**
   * Fails with `text` the OUT paths whose result can no longer come (`gone`): towards
   * extensions whose thread has ended, or an app whose connection closed.
   */
  failPaths(gone: (p: OutPath) => boolean, text: string): void {
    const now = Date.now();
    for (const p of [...this.paths.out.values()]) {
      if (gone(p) && this.paths.out.has(p.cmdId)) this.applyResult(this.errorResult(p.cmdId, p.cmdName, text, now));
    }
  }

  /** Fails OUT paths past their deadline with `Path timeout.` and forgets expired IN paths. */
  checkPaths(now: number): void {
    for (const p of this.paths.takeExpiredOut(now)) {
      if (this.paths.out.has(p.cmdId)) this.applyResult(this.errorResult(p.cmdId, p.cmdName, 'Path timeout.', now));
    }
    this.paths.dropExpiredIn(now);
  }

  /**
   * Ours: warns once per cmd that has waited `afterMs` for its result (the receiver may never
   * answer: a Node.js or Python extension without on_cmd does not), long before `Path timeout.`.
   * Returns whether any OUT path is still waiting.
   */
  checkUnanswered(now: number, afterMs: number): boolean {
    for (const p of this.paths.out.values()) {
      if (p.reported || now - p.sentAt < afterMs) continue;
      p.reported = true;
      const to = p.destExt ? `sent to '${p.destExt}'` : 'sent to the app';
      const left = Math.max(0, Math.round((p.expiresAt - now) / 1000));
      this.log(3, `cmd '${p.cmdName}' ${to} has had no result for ${now - p.sentAt} ms; it fails with 'Path timeout.' in ${left} s unless answered (an extension without onCmd/on_cmd never answers).`, undefined, undefined);
    }
    return this.paths.out.size > 0;
  }

  // ---- sending ---------------------------------------------------------------------------

  /** Sends a message along the graph (or to its explicit dests), checked against the out schema. */
  private dispatch(w: WireMsg, handler: ResultHandler | null = null, policy: ResultPolicy = 'first_error_or_last_ok', upstream = ''): TenError | undefined {
    const kind = routeKind(w.type);
    if (kind === null) return new TenError(TenErrorCode.ErrorCodeInvalidArgument, 'A cmd_result is returned with returnResult.');
    if (!this.schemas.none) {
      const sk = schemaKind(w);
      if (sk !== null) {
        const problem = this.schemas.msg('out', sk, w.name)(w.props);
        if (problem !== null) return new TenError(TenErrorCode.ErrorCodeGeneric, problem);
      }
    }
    w.src = this.loc;
    const isCmd = kind === 'cmd';
    // TEN keeps the id of a forwarded cmd (its OUT path pairs with the IN path of the same id);
    // only a cmd without one gets a fresh id.
    if (isCmd && !w.cmdId) w.cmdId = cmdIds.next();
    const router = this.router;
    const engine = router.engineTarget(w.type);
    if (engine !== null) {
      this.addOutPath(w, handler, upstream, null);
      this.countOut(w);
      router.deliver(w, engine, this.name);
      return undefined;
    }
    let routes: Route[] | null;
    if (w.dests.length === 0 && w.name === this.routeName && kind === this.routeKind) {
      routes = this.routeTargets;
    } else {
      routes = router.resolve(w, kind, this.name);
      if (w.dests.length === 0) {
        this.routeName = w.name;
        this.routeKind = kind;
        this.routeTargets = routes;
      }
    }
    if (routes === null) {
      const misses = (this.notConnected.get(w.name) ?? 0) + 1;
      this.notConnected.set(w.name, misses);
      const text = `Failed to find destination of a '${kind}' message '${w.name}' from graph.`;
      if (misses % 1000 === 1) this.log(3, text, undefined, undefined);
      return new TenError(TenErrorCode.ErrorCodeMsgNotConnected, text);
    }
    const n = routes.length;
    if (this.g.textTap !== null && w.type === 'data' && this.g.textTap.see(w, this.name, routes[0]?.loc.ext ?? '')) this.g.tapped();
    if (n === 1) {
      // The common case (one destination) without the copy bookkeeping.
      const r = routes[0];
      const sentName = w.name;
      w.dests = r.dests;
      if (r.conversion !== undefined) convertMsg(w, r.conversion);
      // The path keeps the name sent (a conversion may rename the cmd on its way).
      if (isCmd) this.addOutPath(w, handler, upstream, null, sentName, resultConversion(r.conversion));
      this.countOut(w);
      router.deliver(w, r.target, this.name);
      return undefined;
    }
    // Copies are made from the pristine original before it is addressed to destination 0.
    const copies: WireMsg[] = new Array<WireMsg>(n);
    const sentName = w.name;
    copies[0] = w;
    for (let i = 1; i < n; i++) copies[i] = cloneWire(w);
    for (let i = 0; i < n; i++) {
      const c = copies[i];
      if (isCmd && i > 0) {
        c.parentCmdId = w.cmdId;
        c.cmdId = cmdIds.next();
      }
      c.dests = routes[i].dests;
      if (routes[i].conversion !== undefined) convertMsg(c, routes[i].conversion);
    }
    if (isCmd) {
      // Every path exists before any copy leaves, so any result finds its group complete.
      const group: PathGroup | null =
        n > 1 ? { policy, ids: copies.map((c) => c.cmdId), remaining: n, finals: new Map(), done: false } : null;
      for (let i = 0; i < n; i++) this.addOutPath(copies[i], handler, upstream, group, sentName, resultConversion(routes[i].conversion));
    }
    for (let i = 0; i < n; i++) {
      this.countOut(copies[i]);
      router.deliver(copies[i], routes[i].target, this.name);
    }
    return undefined;
  }

  private addOutPath(
    w: WireMsg,
    handler: ResultHandler | null,
    upstream: string,
    group: PathGroup | null,
    cmdName = w.name,
    resultConv: unknown = undefined,
  ): void {
    const now = Date.now();
    const path: OutPath = {
      cmdId: w.cmdId,
      cmdName,
      resultConversion: resultConv,
      handler,
      upstream,
      destExt: w.dests.length > 0 ? w.dests[0].ext : '',
      destApp: w.dests.length > 0 ? w.dests[0].app : '',
      group,
      sentAt: now,
      expiresAt: now + this.outTimeoutMs,
      reported: false,
    };
    this.paths.out.set(w.cmdId, path);
    this.g.watchOutPaths();
  }

  private countOut(w: WireMsg): void {
    this.msgsOut++;
    this.outByName.bump(w.name);
    this.outByDest.bump(w.dests.length > 0 ? w.dests[0].ext : '');
  }

  /** Records a handler duration measured for `weight` messages (sampling keeps totals unbiased). */
  private addHandlerTime(ms: number, weight: number): void {
    this.handlerMs += ms * weight;
    this.handlerHist[histBucket(ms)] += weight;
  }

  /** Sends a result back along its IN path (`inPath`, when the caller has looked it up). */
  private returnWire(r: WireMsg, inPath: InPath | undefined = this.paths.in.get(r.cmdId)): TenError | undefined {
    if (!inPath) return new TenError(TenErrorCode.ErrorCodeGeneric, `No cmd with id '${r.cmdId}' is waiting for a result.`);
    if (r.isFinal) this.paths.in.delete(r.cmdId);
    r.cmdId = inPath.senderCmdId;
    r.origName = inPath.cmdName;
    r.src = this.loc;
    // A sender of this graph has a shared, frozen location (message dests are replaced, never mutated).
    r.dests =
      inPath.srcApp === this.router.appUri && inPath.srcGraph === this.router.graphId
        ? this.router.locOf(inPath.srcExt).dests
        : [{ app: inPath.srcApp, graph: inPath.srcGraph, ext: inPath.srcExt }];
    if (this.g.textTap !== null && this.g.textTap.see(r, this.name, inPath.srcExt)) this.g.tapped();
    this.countOut(r);
    this.router.send(r, this.name);
    return undefined;
  }

  /**
   * Owner check of every `TenEnv` call: after close it fails with TenIsClosed; called while
   * another extension's callback runs (its synchronous part: a ten_env leaked to another
   * extension) it is a violation between the two extensions.
   */
  private checkEnv(method: string): TenError | undefined {
    if (this.state === 'closed') {
      this.g.violation(`TenEnv(${this.name})`, `${method} called after ten_env was closed (on_deinit_done)`, new Error().stack ?? '');
      return new TenError(TenErrorCode.ErrorCodeTenIsClosed, TEN_IS_CLOSED_TEXT);
    }
    const cur = this.g.current;
    if (cur === '' || cur === this.name) return undefined;
    const proceed = this.g.violation(`TenEnv(${this.name})`, `${method} called from a callback of another extension`, new Error().stack ?? '', `extension ${this.name}`, `extension ${cur}`);
    return proceed ? undefined : new TenError(TenErrorCode.ErrorCodeGeneric, `The ten_env of extension '${this.name}' was used by extension '${cur}'.`);
  }

  /** A delivered message belongs to its receiver. */
  private own<M extends Msg>(m: M): M {
    m._owner = this.name;
    return m;
  }

  /**
   * Checks that this extension may send `m`: it must not have been sent already, and it must
   * not belong to another extension (one that received it). A new message belongs to whoever
   * sends it first.
   */
  private checkUnsent(m: Msg, method: string): TenError | undefined {
    if (m._owner !== '' && m._owner !== this.name) {
      const proceed = this.g.violation(`${m._w.type}(${m._w.name})`, `${method} by an extension that does not own the message`, new Error().stack ?? '', `extension ${m._owner}`, `extension ${this.name}`);
      if (!proceed) return new TenError(TenErrorCode.ErrorCodeGeneric, `The ${m._w.type} '${m._w.name}' belongs to extension '${m._owner}'.`);
    }
    if (m._sent) {
      const proceed = this.g.violation(`${m._w.type}(${m._w.name})`, `${method} of a message already sent by its owner`, new Error().stack ?? '');
      if (!proceed) return new TenError(TenErrorCode.ErrorCodeGeneric, `The ${m._w.type} '${m._w.name}' was already sent.`);
    }
    m._owner = this.name;
    return undefined;
  }

  // ---- EnvBackend ------------------------------------------------------------------------

  sendCmd(cmd: Cmd, handler: ResultHandler | null, isEx: boolean): TenError | undefined {
    const err = this.checkEnv(isEx ? 'sendCmdEx' : 'sendCmd') ?? this.checkUnsent(cmd, 'sendCmd');
    if (err) return err;
    // A received cmd being forwarded travels as a shallow copy: the forwarder keeps reading
    // the cmd it holds (source, dests) to build its own result.
    const w = cmd._w.cmdId ? { ...cmd._w, src: { ...cmd._w.src }, dests: [...cmd._w.dests] } : cmd._w;
    const upstream = w.cmdId && this.paths.in.has(w.cmdId) ? w.cmdId : '';
    const prevId = w.cmdId;
    const prevParent = w.parentCmdId;
    const e = this.dispatch(w, handler, isEx ? 'each_ok_and_error' : 'first_error_or_last_ok', upstream);
    if (e) {
      // A failed send leaves the message as it was: still owned and usable.
      w.cmdId = prevId;
      w.parentCmdId = prevParent;
      return e;
    }
    cmd._sent = true;
    return undefined;
  }

  sendMsg(msg: Data | AudioFrame | VideoFrame): TenError | undefined {
    const err = this.checkEnv('send') ?? this.checkUnsent(msg, 'send');
    if (err) return err;
    const e = this.dispatch(msg._w);
    if (e) return e;
    msg._sent = true;
    return undefined;
  }

  returnResult(result: CmdResult): TenError | undefined {
    const err = this.checkEnv('returnResult') ?? this.checkUnsent(result, 'returnResult');
    if (err) return err;
    const w = result._w;
    const inPath = this.paths.in.get(w.cmdId);
    const problem = this.schemas.result('out', inPath?.cmdName ?? w.origName)(w.props);
    if (problem !== null) return new TenError(TenErrorCode.ErrorCodeGeneric, problem);
    const e = this.returnWire(w, inPath);
    if (e) return e;
    result._sent = true;
    return undefined;
  }

  getProperty(path: string): [unknown, TenError | undefined] {
    const err = this.checkEnv('getProperty');
    if (err) return [undefined, err];
    const v = path === '' ? this.props : getProp(this.props, path);
    if (v === undefined) return [undefined, new TenError(TenErrorCode.ErrorCodeGeneric, `The property '${path}' does not exist.`)];
    return [v, undefined];
  }

  setProperty(path: string, value: unknown): TenError | undefined {
    const err = this.checkEnv('setProperty');
    if (err) return err;
    return setProp(this.props, path, value) ? undefined : new TenError(TenErrorCode.ErrorCodeInvalidArgument, `Invalid property path '${path}'.`);
  }

  initPropertyFromJson(json: string): TenError | undefined {
    const err = this.checkEnv('initPropertyFromJson');
    if (err) return err;
    const [v, jsonErr] = parseJsonArg(json);
    if (jsonErr) return jsonErr;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return new TenError(TenErrorCode.ErrorCodeInvalidJSON, 'The JSON must be an object.');
    this.props = deepMerge(this.props, v as PropObject);
    return undefined;
  }

  log(level: LogLevel, message: string, category: string | undefined, fields: unknown): TenError | undefined {
    const err = this.checkEnv('log');
    if (err) return err;
    this.g.log(this.name, level, message, category, fields);
    return undefined;
  }

  // ---- telemetry -------------------------------------------------------------------------

  counters(group: string, unansweredAfterMs: number): ExtensionCounters {
    return {
      extension: this.name,
      group,
      state: this.state,
      msgsIn: this.msgsIn,
      msgsOut: this.msgsOut,
      inByName: this.inByName.snapshot(),
      outByName: this.outByName.snapshot(),
      handlerMs: this.handlerMs,
      handlerHist: Array.from(this.handlerHist),
      outByDest: this.outByDest.snapshot(),
      outPaths: this.paths.out.size,
      inPaths: this.paths.in.size,
      pending: this.pending.length,
      waiting: this.waiting(Date.now(), unansweredAfterMs),
      droppedNoHandler: this.droppedNoHandler,
    };
  }

  /** The oldest cmds (at most 3) waiting at least `afterMs` for their result. */
  private waiting(now: number, afterMs: number): WaitingCmd[] {
    const out: WaitingCmd[] = [];
    for (const p of this.paths.out.values()) {
      const ageMs = now - p.sentAt;
      if (ageMs >= afterMs) out.push({ cmd: p.cmdName, dest: p.destExt, ageMs });
    }
    return out.sort((a, b) => b.ageMs - a.ageMs).slice(0, 3);
  }
}
