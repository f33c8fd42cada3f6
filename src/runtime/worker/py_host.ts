/**
 * The Python process of a group (TEN's extension thread for its Python extensions), seen from the
 * group thread: connects to the socket of the `<python> -m ten_studio_py.host` the host thread
 * started for it (app/py_procs.ts; or, in a test session, uses the link of the pytest process
 * that started us, relayed by the main thread), sends the group's configuration, then turns
 * records into calls on the Python extensions' `ExtRuntime`s and their callbacks into records.
 *
 * Batching: records for the process are appended to one outbox and written as one frame when the
 * task that made them ends (a microtask: one runloop drain or one batch from the process is one
 * frame), or at once past 8192 records or 1 MiB of buffers; a frame from the process
 * is decoded with one `JSON.parse`. A buffer arriving from Python stays a view of its frame
 * (`WireMsg.packed`) until an extension reads it.
 *
 * Lifetime: the group closes the process when its extensions have closed (EXIT record, the
 * process answers with what user code left running and exits). A process that exits on its own
 * is reported (`worker_terminated` with its exit code and the end of its stderr), its extensions
 * are closed, and the cmds waiting on them get `The destination extension has been terminated.`;
 * the rest of the group and the graph go on.
 */
import { createConnection, type Socket } from 'node:net';
import { AudioFrame, Cmd, CmdResult, Data, VideoFrame } from '../api/msg';
import type { TenError } from '../api/error';
import type { LogLevel } from '../api/log_level';
import type { GroupPython, PythonSample, RuntimeEvent, ViolationPolicy } from '../core/protocol';
import type { Runloop } from '../core/runloop';
import type { Router } from '../routing/router';
import type { TextTap } from '../routing/text_tap';
import {
  CH_GROUP,
  encodeFrame,
  FrameReader,
  P_CREATE_FAILED,
  P_DEBUG,
  P_DATA,
  P_DONE,
  P_ERROR,
  P_LEFTOVER,
  P_LOCAL,
  P_LOG,
  P_READY,
  P_RETURN,
  P_SEND,
  P_STALL,
  P_STATS,
  P_VIOLATION,
  T_CMD,
  T_DATA,
  T_EXIT,
  T_INIT,
  T_MSG,
  T_PHASE,
  T_RESULT,
  T_ROUTES,
  T_SENT,
  type PyFrame,
} from '../core/py_wire';
import { isCmdType, newWireMsg, packedOf, wireBuf, type MsgType, type WireMsg } from '../core/wire';
import { putBufProps, splitBufProps, type BufPaths } from '../core/py_bufprops';
import { resolveEnv, type ExtRuntime } from './extension_rt';
import { PyExtension } from './py_extension';

const FLUSH_RECORDS = 8192;
const FLUSH_BYTES = 1 << 20;
/** Lines of the process's own stderr kept for a crash report. */
const STDERR_TAIL = 30;

export const TERMINATED_TEXT = 'The destination extension has been terminated.';

const SETTLED = Promise.resolve();

/** Python's counters of one extension, from its last stats report. */
interface PyExtStats {
  msgsIn: number;
  msgsOut: number;
  handlerMs: number;
  hist: number[];
  tasks: number;
  errors: number;
  /** Messages held until its on_init_done or queued for delivery inside the process (the local path). */
  local: number;
}

/** The process's stats record (P_STATS). */
interface PyStats {
  /** Per extension: msgsIn, msgsOut, handlerMs, hist, tasks, errors, local (held or queued for local delivery). */
  exts: [number, number, number, number[], number, number, number?][];
  tasks: number;
  threads: number;
  stalls: number;
  localRoutes?: number;
}

/** Both ends of a link: the socket of a process the host thread started, or a port relaying a test session's pipes. */
interface Link {
  readonly pid: number;
  write(parts: Uint8Array[]): void;
  end(): void;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * A frame timestamp from Python: an int beyond ±2^53 arrives as a bigint (py_wire.ts) and is kept
 * exactly (`WireMsg.tsExact`) when it is an INT64, beside its nearest number.
 */
function setTs(w: WireMsg, v: unknown): void {
  if (typeof v !== 'bigint') {
    w.ts = v as number;
    return;
  }
  w.ts = Number(v);
  if (v >= INT64_MIN && v <= INT64_MAX) w.tsExact = v;
}

function frameOf(f: unknown): [number, number, number, number, number, number, number, boolean] | null {
  return Array.isArray(f) ? (f as [number, number, number, number, number, number, number, boolean]) : null;
}

/**
 * What a Python group's link needs of its group's thread (the group runtime provides it; an
 * interface here, so that this file does not depend on the group that creates it).
 */
export interface PyGroup {
  readonly appUri: string;
  readonly graphId: string;
  readonly group: string;
  readonly policy: ViolationPolicy;
  readonly router: Router;
  readonly runloop: Runloop<WireMsg>;
  readonly textTap: TextTap | null;
  log(extension: string, level: LogLevel, message: string, category: string | undefined, fields: unknown): void;
  pythonDebug(state: 'listening' | 'attached' | 'error', host: string, port: number, pid: number, text: string): void;
  reportError(extension: string, phase: string, e: unknown): void;
  report(ev: RuntimeEvent): void;
  pythonViolation(object: string, stack: string, reason: string, owner: string, caller: string, applyPolicy?: boolean): void;
  pythonLeftover(threads: number, message: string): void;
}

export class PyHost {
  private readonly g: PyGroup;
  /** The Python extensions of the group, by their index in the process. */
  readonly exts: ExtRuntime[];
  private readonly cfg: GroupPython;
  private link: Link | null = null;
  private sock: Socket | null = null;
  /** The unfinished last line of the process's stdout and stderr. */
  private readonly partial = ['', ''];
  private readonly reader = new FrameReader();
  private records: unknown[] = [];
  private bins: Uint8Array[] = [];
  private binBytes = 0;
  private armed = false;
  /** The microtask that writes the outbox (a promise reaction: see `push`). */
  private readonly flushBound = (): void => {
    try {
      this.flush();
    } catch (e) {
      this.g.reportError('', 'python-link', e);
    }
  };
  private readonly phases = new Map<string, () => void>();
  private ready: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readonly stderrTail: string[] = [];
  private lastError = '';
  private exitRequested = false;
  /** True once the process has exited (or the relayed link closed). */
  exited = false;
  pid = 0;
  private version = '';
  private stats: PyExtStats[] = [];
  private procStats = { tasks: 0, threads: 0, stalls: 0, localRoutes: 0 };
  /** Messages the process delivered itself (engine-authorised local path), from its P_LOCAL records. */
  private localMsgs = 0;
  private bytesOut = 0;
  private framesOut = 0;
  private onExited: (() => void) | null = null;
  private readonly onFrameBound = (f: PyFrame): void => this.onFrame(f);
  /** The chunk being read settled a promise of this thread (a phase done, ready, a failure). */
  private settled = false;

  constructor(g: PyGroup, exts: ExtRuntime[], cfg: GroupPython) {
    this.g = g;
    this.exts = exts;
    this.cfg = cfg;
    exts.forEach((x, idx) => x.adopt(new PyExtension(x.name, idx, this), (w) => this.deliver(idx, w)));
  }

  /** Starts the process and creates the extensions in it; rejects with the reason it could not. */
  start(onExited: () => void): Promise<void> {
    this.onExited = onExited;
    const done = new Promise<void>((resolve, reject) => (this.ready = { resolve, reject }));
    this.link = this.cfg.relay ? this.relayLink() : this.connectLink();
    this.write([
      [
        T_INIT,
        {
          appUri: this.g.appUri,
          graphId: this.g.graphId,
          group: this.g.group,
          policy: this.g.policy,
          paths: this.cfg.paths,
          ...(this.cfg.pythonpath !== undefined ? { pythonpath: this.cfg.pythonpath } : {}),
          ...(this.cfg.debug ? { debug: this.cfg.debug } : {}),
          exts: this.exts.map((x, idx) => ({
            idx,
            name: x.name,
            addon: x.spec.addon,
            module: x.spec.pyModule ?? '',
            dir: x.spec.dir ?? '',
            // TEN resolves `${env:}` before an extension reads its properties.
            property: resolveEnv(x.spec.property),
          })),
          // The local path's first table (T_ROUTES replaces it).
          routes: this.routesRecord().slice(1),
        },
      ],
    ]);
    return done;
  }

  // ---- the local path ----------------------------------------------------------------------

  /**
   * Tells the process which of its extensions' sends it may deliver itself (T_ROUTES), or that it
   * may deliver none (tracing or the text tap is on: every send must pass the engine). Called at
   * the start and whenever either is switched.
   */
  sendRoutes(): void {
    if (this.link === null || this.exited) return;
    this.push(this.routesRecord(), null);
  }

  /**
   * The engine's route table for the local path: `[T_ROUTES, lists, pairs]`, `lists` as
   * `[srcIdx, kind, name, [dstIdx…]]` (a graph flow the process delivers itself), `pairs` as
   * `[srcIdx, dstIdx]` (explicit dests the process may deliver itself). A flow is eligible when it
   * carries data or frames from a Python extension of this process to Python extensions of this
   * process only, without msg_conversion, without a schema on either side. FIFO per path: a pair
   * (source, destination) any of whose messages must pass the engine — a cmd route, a result
   * going back along a cmd route the other way, an ineligible flow, a `*` flow — has none of its
   * messages delivered locally, so nothing overtakes along it (computed to a fixpoint: a flow
   * with several destinations is local only if every pair it makes is).
   */
  private routesRecord(): unknown[] {
    const router = this.g.router;
    if (router.tracer !== null || this.g.textTap !== null) return [T_ROUTES, null, []];
    const idxOf = new Map<string, number>();
    this.exts.forEach((x, i) => idxOf.set(x.name, i));
    const here = (loc: { app: string; graph: string; ext: string }): number | undefined =>
      (loc.app === '' || loc.app === router.appUri) && (loc.graph === '' || loc.graph === router.graphId) ? idxOf.get(loc.ext) : undefined;
    const bad = new Set<number>();
    const n = this.exts.length;
    const pair = (s: number, d: number): number => s * n + d;
    const lists: { s: number; kind: string; name: string; d: number[] }[] = [];
    for (const [src, kind, name, routes] of router.flows()) {
      const s = idxOf.get(src);
      if (s === undefined) continue;
      const dsts = routes.map((r) => here(r.loc));
      const x = this.exts[s];
      const eligible =
        kind !== 'cmd' &&
        name !== '*' &&
        routes.every((r, i) => dsts[i] !== undefined && r.conversion === undefined && this.exts[dsts[i]!].schemaFree('in', kind, name)) &&
        x.schemaFree('out', kind, name);
      for (const d of dsts) {
        if (d === undefined) continue;
        if (!eligible) bad.add(pair(s, d));
        // Results of a cmd from s to d come back from d to s through the engine.
        if (kind === 'cmd') bad.add(pair(d, s));
      }
      if (eligible) lists.push({ s, kind, name, d: dsts as number[] });
    }
    const local = new Set(lists);
    for (let changed = true; changed; ) {
      changed = false;
      for (const l of local) {
        if (!l.d.some((d) => bad.has(pair(l.s, d)))) continue;
        local.delete(l);
        for (const d of l.d) bad.add(pair(l.s, d));
        changed = true;
      }
    }
    const pairs: [number, number][] = [];
    for (let s = 0; s < n; s++) {
      if (!this.exts[s].noSchemas) continue;
      for (let d = 0; d < n; d++) if (this.exts[d].noSchemas && !bad.has(pair(s, d))) pairs.push([s, d]);
    }
    return [T_ROUTES, [...local].map((l) => [l.s, l.kind, l.name, l.d]), pairs];
  }

  /** What the process delivered itself since its last report, folded into the same counters as routed messages. */
  private onLocal(outs: [number, string, number, number[]][], ins: [number, string, number][]): void {
    for (const [s, name, count, dsts] of outs) this.exts[s]?.countLocalOut(name, dsts.map((d) => this.exts[d]?.name ?? ''), count);
    for (const [d, name, count] of ins) {
      this.exts[d]?.countLocalIn(name, count);
      this.localMsgs += count;
    }
  }

  /**
   * The link of a process the host thread started (app/py_procs.ts): a Unix socket it listens on
   * until its group connects. Its output and exit reach this thread from the host thread
   * (`output`, `processExited`), which owns the process.
   */
  private connectLink(): Link {
    const sock = createConnection({ path: this.cfg.sock! });
    sock.on('data', (chunk: Buffer) => this.onChunk(chunk));
    // The process's exit is reported by the host thread; a failed connect means it is gone or
    // going (its exit follows), a write after it died fails with EPIPE.
    sock.on('error', (e) => (this.lastError ||= `link: ${e.message}`));
    this.sock = sock;
    this.pid = this.cfg.pid ?? 0;
    return {
      pid: this.pid,
      write: (parts) => {
        if (parts.length === 1) {
          sock.write(parts[0]);
          return;
        }
        sock.cork();
        for (const p of parts) sock.write(p);
        sock.uncork();
      },
      end: () => sock.end(),
    };
  }

  private relayLink(): Link {
    const port = this.cfg.relay!;
    port.on('message', (chunk: Uint8Array) => {
      this.onChunk(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    port.on('close', () => this.onExit(0, null));
    return {
      pid: 0,
      write: (parts) => {
        let n = 0;
        for (const p of parts) n += p.byteLength;
        const frame = new Uint8Array(n);
        n = 0;
        for (const p of parts) {
          frame.set(p, n);
          n += p.byteLength;
        }
        port.postMessage(frame, [frame.buffer]);
      },
      end: () => port.close(),
    };
  }

  /** Output that bypassed Python's `sys.stdout` (a C library, the interpreter itself), from the host thread. */
  output(level: 2 | 3, text: string | null): void {
    const i = level - 2;
    if (text === null) {
      if (this.partial[i]) this.outputLine(this.partial[i], level);
      this.partial[i] = '';
      return;
    }
    const lines = (this.partial[i] + text).split('\n');
    this.partial[i] = lines.pop() ?? '';
    for (const line of lines) this.outputLine(line, level);
  }

  private outputLine(line: string, level: number): void {
    if (level === 3) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
    this.g.log('', level, line, level === 3 ? 'python:stderr' : 'python:stdout', undefined);
  }

  // ---- towards Python ------------------------------------------------------------------

  /** Runs a lifecycle phase in Python; resolves when the extension calls its `*_done`. */
  phase(idx: number, phase: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.phases.set(`${idx}\u0000${phase}`, resolve);
      this.push([T_PHASE, idx, phase], null);
    });
  }

  /** A message for a Python extension (its ExtRuntime already counted, checked and owns it). */
  deliver(idx: number, w: WireMsg): void {
    const buf = packedOf(w) ?? (w.buf !== null ? new Uint8Array(w.buf) : null);
    const blen = buf === null ? 0 : buf.byteLength;
    const split = splitBufProps(w.props);
    const props = split === null ? w.props : split.props;
    const here = w.src.graph === this.g.graphId && w.src.app === this.g.appUri;
    const rec: unknown[] =
      w.type === 'data' && here
        ? [T_DATA, idx, w.name, props, blen, w.src.ext]
        : w.type === 'cmd' && here
          ? [T_CMD, idx, w.name, props, blen, w.src.ext, w.cmdId, w.seqId, w.ts]
          : [T_MSG, idx, w.type, w.name, props, blen, w.src.app, w.src.graph, w.src.ext, w.cmdId, w.seqId, frameFields(w), w.tsExact ?? w.ts];
    if (split !== null) rec.push(split.paths);
    this.push(rec, blen > 0 ? buf : null, split?.bufs);
  }

  /** Asks the process to exit (every extension of the group has closed). */
  close(): void {
    if (this.exitRequested || this.exited) return;
    this.exitRequested = true;
    this.push([T_EXIT], null);
    this.flush();
  }

  /** Ends the process now (the graph is being torn down). */
  kill(): void {
    this.exitRequested = true;
    if (this.cfg.relay) {
      this.link?.end();
      return;
    }
    try {
      if (this.pid && !this.exited) process.kill(this.pid, 'SIGKILL');
    } catch {
      // Gone already: its exit is on the way.
    }
  }

  /** `more`: buffers that follow `buf` in the frame (the record's buf properties). */
  private push(rec: unknown[], buf: Uint8Array | null, more?: Uint8Array[]): void {
    if (this.exited) return;
    this.records.push(rec);
    if (buf !== null) {
      this.bins.push(buf);
      this.binBytes += buf.byteLength;
    }
    if (more !== undefined) {
      for (const b of more) {
        this.bins.push(b);
        this.binBytes += b.byteLength;
      }
    }
    if (this.records.length >= FLUSH_RECORDS || this.binBytes >= FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.armed) {
      this.armed = true;
      // After the current task (a runloop drain, a batch from the process): one frame for all
      // its records, without waiting for another loop turn. A reaction of a settled promise,
      // not `queueMicrotask`, which makes an AsyncResource and a bound function per call.
      void SETTLED.then(this.flushBound);
    }
  }

  private flush(): void {
    this.armed = false;
    if (this.records.length === 0 || this.exited || this.link === null) return;
    const records = this.records;
    const bins = this.bins;
    this.records = [];
    this.bins = [];
    this.binBytes = 0;
    this.write(records, bins);
  }

  private write(records: unknown[], bins: Uint8Array[] = []): void {
    const parts = encodeFrame(CH_GROUP, records, bins);
    for (const p of parts) this.bytesOut += p.byteLength;
    this.framesOut++;
    this.link!.write(parts);
  }

  // ---- from Python -----------------------------------------------------------------------

  /**
   * A chunk from the process. What its frames hand to extensions of this thread (a result for
   * the cmd an extension is waiting on, a message from a Python extension) runs right after
   * them, not on the next turn of the event loop: a round trip TS → Python → TS then costs one
   * wait on the loop, not two. Not when the chunk settled a promise (a phase done): its
   * continuation runs first, as it did with a turn in between.
   */
  private onChunk(chunk: Buffer): void {
    const loop = this.g.runloop;
    const held = loop.beginIo();
    this.settled = false;
    try {
      this.reader.push(chunk, this.onFrameBound);
    } finally {
      if (held) loop.endIo(!this.settled);
    }
  }

  private onFrame(f: PyFrame): void {
    let off = 0;
    const bins = f.bins;
    const take = (blen: number): Uint8Array | null => {
      if (!blen) return null;
      const v = bins.subarray(off, off + blen);
      off += blen;
      return v;
    };
    for (const r of f.records) {
      try {
        switch (r[0] as number) {
          case P_DATA: {
            const x = this.exts[r[1] as number];
            const w = newWireMsg('data', r[2] as string);
            w.props = r[3] as Record<string, unknown>;
            w.packed = take(r[4] as number);
            if (r[5]) putBufProps(w.props, r[5] as BufPaths, take);
            x.sendMsg(Data._wrap(w));
            break;
          }
          case P_SEND: {
            const packed = take(r[6] as number);
            if (r[14]) putBufProps(r[5] as Record<string, unknown>, r[14] as BufPaths, take);
            this.onSend(r, packed);
            break;
          }
          case P_RETURN: {
            const packed = take(r[7] as number);
            if (r[9]) putBufProps(r[6] as Record<string, unknown>, r[9] as BufPaths, take);
            this.onReturn(r, packed);
            break;
          }
          case P_DONE:
            this.onDone(r[1] as number, r[2] as string, r[3]);
            break;
          case P_LOG:
            this.onLog(r);
            break;
          case P_ERROR:
            this.onError(r);
            break;
          case P_VIOLATION:
            this.onViolation(r);
            break;
          case P_STALL:
            this.onStall(r);
            break;
          case P_LOCAL:
            this.onLocal(r[1] as [number, string, number, number[]][], r[2] as [number, string, number][]);
            break;
          case P_STATS:
            this.onStats(r[1] as PyStats);
            break;
          case P_DEBUG:
            this.g.pythonDebug(r[1] as 'listening' | 'attached' | 'error', r[2] as string, r[3] as number, this.pid, r[4] as string);
            break;
          case P_READY:
            this.onReady(r[1] as { pid: number; python: string });
            break;
          case P_CREATE_FAILED:
            this.fail(new Error(r[1] as string));
            break;
          case P_LEFTOVER:
            this.onLeftover(r[1] as { tasks: { name: string; where: string }[]; threads: { name: string }[] });
            // A relayed session's process lives on: its answer to EXIT is the end of this group.
            if (this.cfg.relay) {
              this.link?.end();
              this.onExit(0, null);
            }
            break;
          case 0:
            // A record Python could not write (reported separately): skip its buffer.
            take(r[1] as number);
            break;
          default:
            break;
        }
      } catch (e) {
        this.g.reportError(this.exts[r[1] as number]?.name ?? '', 'python-link', e);
      }
    }
  }

  private onSend(r: unknown[], packed: Uint8Array | null): void {
    const x = this.exts[r[1] as number];
    const cb = r[2] as number;
    const type = r[3] as MsgType;
    const w = newWireMsg(type, r[4] as string);
    w.props = r[5] as Record<string, unknown>;
    w.packed = packed;
    const dests = r[7];
    if (Array.isArray(dests)) w.dests = (dests as string[][]).map((d) => ({ app: d[0] ?? '', graph: d[1] ?? '', ext: d[2] ?? '' }));
    if (r[8]) w.cmdId = r[8] as string;
    if (r[9]) w.seqId = r[9] as string;
    const frame = frameOf(r[10]);
    if (type === 'audio_frame') {
      const f = frame ?? [0, 0, 0, 0, 0, 1, 0, false];
      w.audio = { sampleRate: f[0], bytesPerSample: f[1], samplesPerChannel: f[2], channels: f[3], channelLayout: f[4], dataFmt: f[5], lineSize: f[6], eof: Boolean(f[7]) };
      setTs(w, r[11]);
    } else if (type === 'video_frame') {
      const f = frame ?? [0, 0, 1, false];
      w.video = { width: f[0], height: f[1], pixelFmt: f[2], eof: Boolean(f[3]) };
      setTs(w, r[11]);
    }
    if (isCmdType(type)) {
      const handler = cb ? (res: CmdResult | undefined, err: TenError | undefined) => this.result(cb, res, err) : null;
      const err = x.sendCmd(Cmd._wrap(w), handler, r[12] === 1);
      if (err && cb) this.sent(cb, err);
      return;
    }
    const msg = type === 'audio_frame' ? AudioFrame._wrap(w) : type === 'video_frame' ? VideoFrame._wrap(w) : Data._wrap(w);
    const err = x.sendMsg(msg);
    if (cb) this.sent(cb, err);
  }

  private onReturn(r: unknown[], packed: Uint8Array | null): void {
    const x = this.exts[r[1] as number];
    const cb = r[2] as number;
    const w = newWireMsg('cmd_result', r[8] as string);
    w.cmdId = r[3] as string;
    w.status = r[4] as number;
    w.isFinal = Boolean(r[5]);
    w.props = r[6] as Record<string, unknown>;
    w.packed = packed;
    const err = x.returnResult(CmdResult._wrap(w));
    if (cb) this.sent(cb, err);
  }

  /** A result for a Python cmd callback. */
  private result(cb: number, res: CmdResult | undefined, err: TenError | undefined): void {
    if (err !== undefined || res === undefined) {
      this.sent(cb, err);
      return;
    }
    const w = res._w;
    const buf = packedOf(w) ?? (w.buf !== null ? new Uint8Array(wireBuf(w)!) : null);
    const blen = buf === null ? 0 : buf.byteLength;
    const split = splitBufProps(w.props);
    const rec: unknown[] = [T_RESULT, cb, w.name, split === null ? w.props : split.props, blen, w.status, w.isFinal, w.isCompleted, w.src.ext, w.cmdId];
    if (split !== null) rec.push(split.paths);
    this.push(rec, blen > 0 ? buf : null, split?.bufs);
  }

  private sent(cb: number, err: TenError | undefined): void {
    this.push(err ? [T_SENT, cb, err.errorCode, err.errorMessage ?? ''] : [T_SENT, cb, 0, ''], null);
  }

  private onDone(idx: number, phase: string, props: unknown): void {
    this.settled = true;
    const x = this.exts[idx];
    if (phase === 'on_configure' && props !== null && typeof props === 'object') x.replaceProps(props as Record<string, unknown>);
    const key = `${idx}\u0000${phase}`;
    const resolve = this.phases.get(key);
    this.phases.delete(key);
    resolve?.();
  }

  private onLog(r: unknown[]): void {
    const x = this.exts[r[1] as number];
    const file = r[6] as string;
    const ev: RuntimeEvent = {
      type: 'log',
      ts: Date.now(),
      graphId: this.g.graphId,
      extension: x?.name ?? '',
      level: r[2] as number,
      message: r[3] as string,
      category: (r[4] as string | null) ?? undefined,
      fields: r[5] ?? undefined,
      ...(file ? { loc: { file, line: r[7] as number, func: (r[8] as string) || undefined } } : {}),
      thread: (r[9] as string) || undefined,
      task: (r[10] as string) || undefined,
    };
    this.g.report(ev);
  }

  private onError(r: unknown[]): void {
    const x = this.exts[r[1] as number];
    const message = r[3] as string;
    this.lastError = message;
    this.g.report({ type: 'error', ts: Date.now(), graphId: this.g.graphId, extension: x?.name ?? '', phase: r[2] as string, message, stack: (r[4] as string) || message });
  }

  private onViolation(r: unknown[]): void {
    const x = this.exts[r[1] as number];
    const here = `python pid ${this.pid || 'session'}`;
    const owner = r[5] as string;
    const caller = r[6] as string;
    this.g.pythonViolation(r[2] as string, r[4] as string, r[3] as string, owner ? `${owner} (${here})` : `extension ${x?.name ?? ''} (${here})`, caller ? `${caller} (${here})` : here);
  }

  private onStall(r: unknown[]): void {
    const x = this.exts[r[1] as number];
    const ms = Math.round(r[2] as number);
    const where = x ? ` in extension ${x.name}` : '';
    if (r[4] === 1) {
      this.g.log(x?.name ?? '', 3, `The Python dispatch loop of group '${this.g.group}' was blocked for ${ms} ms${where}.`, 'python:stall', undefined);
      return;
    }
    this.g.pythonViolation(
      `asyncio loop (python pid ${this.pid || 'session'})`,
      r[3] as string,
      `The Python dispatch loop of group '${this.g.group}' has been blocked for over ${ms} ms${where}: every extension of the process waits (a blocking call in a handler?).`,
      `group ${this.g.group}`,
      x ? `extension ${x.name}` : '',
      false,
    );
  }

  private onStats(s: PyStats): void {
    this.stats = s.exts.map(([msgsIn, msgsOut, handlerMs, hist, tasks, errors, local]) => ({ msgsIn, msgsOut, handlerMs, hist, tasks, errors, local: local ?? 0 }));
    this.procStats = { tasks: s.tasks, threads: s.threads, stalls: s.stalls, localRoutes: s.localRoutes ?? 0 };
  }

  private onReady(info: { pid: number; python: string }): void {
    this.settled = true;
    this.version = info.python;
    if (!this.pid) this.pid = info.pid;
    const r = this.ready;
    this.ready = null;
    r?.resolve();
  }

  private onLeftover(l: { tasks: { name: string; where: string }[]; threads: { name: string }[] }): void {
    if (l.tasks.length > 0) {
      const list = l.tasks.map((t) => `${t.name}${t.where ? ` at ${t.where}` : ''}`).join(', ');
      this.g.log('', 3, `Group '${this.g.group}': ${l.tasks.length} asyncio task(s) were still pending after on_deinit_done and were cancelled: ${list}.`, 'python:leftover', undefined);
    }
    if (l.threads.length > 0) {
      const list = l.threads.map((t) => t.name).join(', ');
      this.g.pythonLeftover(l.threads.length, `Group '${this.g.group}': ${l.threads.length} Python thread(s) that are not daemon threads were still running after on_deinit_done: ${list}. They were ended with the process; stop them in on_stop or on_deinit.`);
    }
  }

  private fail(e: Error): void {
    this.settled = true;
    const r = this.ready;
    this.ready = null;
    if (r) {
      r.reject(e);
      return;
    }
    this.g.reportError('', 'python', e);
  }

  /** The process exited (the host thread saw it): its last output has been passed on before. */
  processExited(code: number | null, signal: NodeJS.Signals | null): void {
    this.output(2, null);
    this.output(3, null);
    this.sock?.destroy();
    this.onExit(code, signal);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.settled = true;
    if (this.exited) return;
    this.exited = true;
    this.phases.clear();
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const tail = this.stderrTail.filter((l) => l.trim() !== '').join('\n');
    const detail = `${tail ? `\nstderr:\n${tail}` : ''}${this.lastError ? `\nlast error: ${this.lastError}` : ''}`;
    if (this.ready) {
      this.fail(new Error(`The Python process of group '${this.g.group}' (${this.cfg.exe}) exited before its extensions were created (${how}).${detail}`));
    } else if (!this.exitRequested) {
      this.g.report({
        type: 'worker_terminated',
        ts: Date.now(),
        graphId: this.g.graphId,
        group: this.g.group,
        reason: `The Python process of group '${this.g.group}' (pid ${this.pid}) exited unexpectedly (${how}); its extensions ${this.exts.map((x) => `'${x.name}'`).join(', ')} are gone and cmds waiting on them failed.${detail}`,
      });
      for (const x of this.exts) x.terminate(TERMINATED_TEXT);
    }
    this.onExited?.();
  }

  // ---- telemetry -------------------------------------------------------------------------

  /** Python's counters of an extension (handler time is measured in Python). */
  statsOf(idx: number): PyExtStats | undefined {
    return this.stats[idx];
  }

  sample(): PythonSample {
    return {
      pid: this.pid,
      version: this.version,
      tasks: this.procStats.tasks,
      threads: this.procStats.threads,
      stalls: this.procStats.stalls,
      queued: this.records.length,
      bytesIn: this.reader.bytesIn,
      bytesOut: this.bytesOut,
      framesIn: this.reader.framesIn,
      framesOut: this.framesOut,
      localRoutes: this.procStats.localRoutes,
      localMsgs: this.localMsgs,
    };
  }
}

function frameFields(w: WireMsg): unknown {
  const a = w.audio;
  if (a !== null) return [a.sampleRate, a.bytesPerSample, a.samplesPerChannel, a.channels, a.channelLayout, a.dataFmt, a.lineSize, a.eof];
  const v = w.video;
  if (v !== null) return [v.width, v.height, v.pixelFmt, v.eof];
  return 0;
}
