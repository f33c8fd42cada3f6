/**
 * TEN's integrated msgpack protocol over TCP (`ten_protocol_integrated_t`): one socket, framed
 * by `FrameDecoder`, with outgoing messages encoded into one buffer per loop turn (TEN packs its
 * queued messages into one buffer per write as well). TCP_NODELAY is set: TEN's own client does
 * not set it and stalls ~40 ms per exchange.
 *
 * Ours where TEN aborts: a malformed stream closes this protocol with a located
 * `ProtocolError` (reported through `onError`), nothing else; a peer that stops reading gets
 * its data messages dropped (counted) past a high-water mark, and the connection closed past a
 * hard limit, instead of growing memory without bound.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { Writer } from './msgpack';
import type { EncodeError, TenMsg } from './message';
import type { InflowLimits } from '../core/inflow';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, encodeFrame, type DecoderPosition, type ProtocolError } from './stream';

/** TEN's protocol roles. */
export type ProtocolRole = 'listen' | 'in_internal' | 'in_external' | 'out_internal' | 'out_external';
/** TEN's protocol/connection/remote states. */
export type CloseState = 'init' | 'closing' | 'closed';

/** A `msgpack://host:port/` URI, parsed. */
export interface MsgpackUri {
  host: string;
  port: number;
}

/**
 * Parses an app URI as TEN's msgpack protocol serves it; a readable error for anything else.
 * `localhost` as a host means the loopback address.
 */
export function parseMsgpackUri(uri: string): MsgpackUri | { error: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/i.exec(uri);
  if (!m) return { error: `'${uri}' is not an app URI of the form msgpack://host:port/.` };
  if (m[1].toLowerCase() !== 'msgpack') return { error: `No protocol serves the scheme '${m[1]}' of '${uri}' (only msgpack:// is supported).` };
  const port = Number(m[3]);
  if (!(port > 0 && port < 65536)) return { error: `'${uri}' has no valid port.` };
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/** Whether an app with this URI listens (TEN: any URI that is set and not `client:`). */
export function listensOn(uri: string): boolean {
  return uri !== '' && uri !== 'localhost' && !uri.startsWith('client:');
}

export interface TransportLimits extends InflowLimits {
  /** Largest message body accepted (bytes). */
  maxFrameBytes: number;
  /** Output bytes queued for a slow peer after which data-like messages are dropped. */
  dropDataAboveBytes: number;
  /** Output bytes queued after which the connection is closed (the peer is not reading). */
  closeAboveBytes: number;
}

/** What one protocol (its socket) applies itself; the inbound limits are the engine's. */
export type SocketLimits = Pick<TransportLimits, 'maxFrameBytes' | 'dropDataAboveBytes' | 'closeAboveBytes'>;

export const DEFAULT_LIMITS: TransportLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  dropDataAboveBytes: 16 * 1024 * 1024,
  closeAboveBytes: 256 * 1024 * 1024,
  inboundPauseMsgs: 4096,
  inboundPauseBytes: 16 * 1024 * 1024,
  inboundCloseMsgs: 100_000,
  inboundCloseBytes: 256 * 1024 * 1024,
};

/** Traffic counters of one protocol (plain increments; read by sampling). */
export interface ProtocolStats {
  bytesIn: number;
  bytesOut: number;
  msgsIn: number;
  msgsOut: number;
  /** Messages refused on the way out: data-like past the high-water mark, unencodable values. */
  dropsOut: number;
  /** Messages received but not deliverable (data before a graph, to a missing graph). */
  dropsIn: number;
}

/**
 * The counters of a socket another thread owns (protocol/group_socket.ts), in shared memory:
 * written by that thread only, read here by sampling, never by a message.
 */
export const SOCK_BYTES_IN = 0;
export const SOCK_BYTES_OUT = 1;
export const SOCK_MSGS_IN = 2;
export const SOCK_MSGS_OUT = 3;
export const SOCK_DROPS_OUT = 4;
/** Bytes the owning thread's socket still buffers (its `writableLength`). */
export const SOCK_QUEUED = 5;
export const SOCK_SLOTS = 6;

/**
 * The thread a socket moved to, as its protocol sees it: where its output goes and who ends it.
 * Input comes back through `Protocol.movedInput` / `movedError` / `movedEof` / `movedClosed`.
 */
export interface SocketThread {
  /** `group <name>`, for samples and events. */
  readonly name: string;
  /** Writes `count` messages, already frames, after everything written before. */
  write(bytes: Uint8Array, count: number): void;
  /** Ends the socket (flushing what was written) or, with `abort`, destroys it. */
  close(abort: boolean): void;
  /** Stops reading the socket (`on`) or reads it again: flow control of what the host forwards (core/inflow.ts). */
  hold(on: boolean): void;
}

/** What a socket's new thread needs to go on reading and writing it. */
export interface SocketHandover {
  fd: number;
  /** Bytes of a message not complete yet, and where they are in the stream. */
  held: Uint8Array;
  at: DecoderPosition;
}

let nextId = 1;

/** Output flushed at once when the batch grows this large (frames still go out per loop turn). */
const FLUSH_NOW_BYTES = 256 * 1024;

export class Protocol {
  readonly id = nextId++;
  role: ProtocolRole;
  state: CloseState = 'init';
  /** The peer's app URI (or a client's identity) once known. */
  uri = '';
  /** `host:port` of the peer as the socket sees it. */
  peer = '';
  readonly stats: ProtocolStats = { bytesIn: 0, bytesOut: 0, msgsIn: 0, msgsOut: 0, dropsOut: 0, dropsIn: 0 };
  /** Decoded messages, in stream order. */
  onMsgs: (msgs: TenMsg[]) => void = () => {};
  /** After the messages of one read were handed over: what they queued can go on now. */
  onReadDone: () => void = () => {};
  /** The stream broke (a located protocol error, a socket error, an overflow); the protocol closes. */
  onError: (error: ProtocolError | Error) => void = () => {};
  /** Bottom-up: the socket is gone and the protocol is CLOSED. */
  onClosed: () => void = () => {};
  private socket: Socket | null = null;
  private readonly decoder: FrameDecoder;
  private writer: Writer;
  private flushArmed = false;
  private readonly flushBound = (): void => this.flush();
  private readonly limits: SocketLimits;
  private paused = false;
  /** Not read while an extension group it feeds is behind (flow control: core/inflow.ts). */
  private inputHeld = false;
  /** Messages decoded from the current chunk (reused). */
  private batch: TenMsg[] = [];
  /** Set while the socket moves to another thread: output is kept until it can go there. */
  private moving = false;
  /** The thread the socket moved to; from then on it reads and writes the socket. */
  private moved: SocketThread | null = null;
  /** That thread's counters (SOCK_*). */
  private shared: Float64Array | null = null;
  /** Decodes the whole frames the socket's thread passes on (the stream's own decoder moved with it). */
  private movedDecoder: FrameDecoder | null = null;

  constructor(role: ProtocolRole, limits: SocketLimits = DEFAULT_LIMITS) {
    this.role = role;
    this.limits = limits;
    this.decoder = new FrameDecoder({ maxFrameBytes: limits.maxFrameBytes });
    this.writer = new Writer(16 * 1024);
  }

  get hasSocket(): boolean {
    return this.socket !== null || (this.moved !== null && this.state !== 'closed');
  }

  /** Output bytes waiting: encoded but not written, plus what the socket still buffers. */
  get queuedBytes(): number {
    if (this.shared !== null) return this.writer.pos + this.shared[SOCK_QUEUED]!;
    return this.writer.pos + (this.socket?.writableLength ?? 0);
  }

  /** Which thread owns the socket: `host`, or the one it moved to (`group <name>`). */
  get socketOwner(): string {
    return this.moved?.name ?? 'host';
  }

  /** The traffic counters, with those of the thread the socket moved to. */
  counters(): ProtocolStats {
    const s = this.stats;
    const c = this.shared;
    if (c === null) return { ...s };
    return {
      bytesIn: s.bytesIn + c[SOCK_BYTES_IN]!,
      bytesOut: s.bytesOut + c[SOCK_BYTES_OUT]!,
      msgsIn: s.msgsIn + c[SOCK_MSGS_IN]!,
      msgsOut: s.msgsOut + c[SOCK_MSGS_OUT]!,
      dropsOut: s.dropsOut + c[SOCK_DROPS_OUT]!,
      dropsIn: s.dropsIn,
    };
  }

  /**
   * Whether the socket can move to another thread now: an open TCP socket with a file
   * descriptor (not on Windows), reading, not moved or moving already.
   */
  get movable(): boolean {
    const s = this.socket as (Socket & { _handle?: { fd?: number } | null }) | null;
    return this.state === 'init' && !this.moving && this.moved === null && !this.paused && !this.inputHeld && s !== null && !s.destroyed && typeof s._handle?.fd === 'number' && s._handle.fd >= 0;
  }

  /**
   * Gives the socket's file descriptor away (docs/protocol.md, "Threads on the path"): reading
   * stops, what this side still had to write is written, and the descriptor is detached from
   * this thread's handle without closing it. Output sent meanwhile is kept and goes to the new
   * thread once `movedTo` is called. Null when the socket cannot move (closed meanwhile).
   */
  async detach(): Promise<SocketHandover | null> {
    if (!this.movable) return null;
    const s = this.socket!;
    this.moving = true;
    const h = (s as unknown as { _handle: SocketHandle })._handle;
    h.readStop();
    // What this side wrote before must reach the peer before anything the new thread writes.
    this.flushToSocket();
    while (s.writableLength > 0 && !s.destroyed && this.moving) await new Promise<void>((r) => s.once('drain', r).once('close', r));
    if (!this.moving || this.state !== 'init' || s.destroyed || this.socket !== s) {
      // Closed meanwhile (close and abort end the move): the socket stays here, reading again.
      this.unmove();
      if (!s.destroyed) {
        h.readStart();
        this.flushToSocket();
      }
      return null;
    }
    this.moving = false;
    const fd = h.fd;
    s.removeAllListeners('data');
    s.removeAllListeners('end');
    s.removeAllListeners('close');
    s.removeAllListeners('error');
    // Swallows what the detached wrapper may still report while it is torn down.
    s.on('error', () => undefined);
    h.unref();
    // Detached from the wrapper, the handle is never closed here: destroy() below does not
    // close the descriptor, which the new thread owns from now on (the handle goes with the process).
    (s as unknown as { _handle: SocketHandle | null })._handle = null;
    s.destroy();
    this.socket = null;
    // Until `movedTo`, output is kept in the writer (nothing can write it).
    this.moving = true;
    const { held, at } = this.decoder.handOver();
    return { fd, held, at };
  }

  /**
   * The socket now lives on `thread`: output goes there (what was kept while moving first), its
   * counters are read from `counters`, and the frames it passes on come in through `movedInput`.
   */
  movedTo(thread: SocketThread, counters: SharedArrayBuffer): void {
    this.moving = false;
    this.moved = thread;
    this.shared = new Float64Array(counters);
    this.movedDecoder = new FrameDecoder({ maxFrameBytes: Number.MAX_SAFE_INTEGER });
    if (this.writer.pos > 0) this.flush();
    // Closed while the descriptor was on its way: the new thread closes it.
    if (this.state !== 'init') thread.close(this.abortRequested);
  }

  /** Frames the socket's thread read and passes on (whole, validated there): as if read here. */
  movedInput(bytes: Uint8Array): void {
    if (this.state === 'closed' || this.movedDecoder === null) return;
    const out = this.batch;
    this.movedDecoder.feed(bytes, out);
    if (out.length > 0) {
      this.batch = [];
      this.onMsgs(out);
      this.onReadDone();
    }
  }

  /** The socket's thread found the stream broken (a located error) or the socket failed. */
  movedError(e: ProtocolError | Error): void {
    if (this.state === 'init') this.onError(e);
    this.abort();
  }

  /** The peer ended its side (EOF), on the socket's thread. */
  movedEof(half: ProtocolError | null): void {
    if (half) this.onError(half);
    // TEN posts the close as a task, so a close_app already decoded is handled first.
    setImmediate(() => this.close());
  }

  /** The socket is gone (closed on its thread, or the thread ended): bottom-up. */
  movedClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onClosed();
  }

  attach(socket: Socket): void {
    this.socket = socket;
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      const half = this.decoder.end();
      if (half) this.onError(half);
      // TEN posts the close as a task, so a close_app already decoded is handled first.
      setImmediate(() => this.close());
    });
    socket.on('error', (e) => {
      if (this.state === 'init') this.onError(e);
    });
    socket.on('close', () => {
      this.socket = null;
      this.state = 'closed';
      this.onClosed();
    });
    if (this.paused || this.inputHeld) socket.pause();
    if (this.state !== 'init') socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length;
    const out = this.batch;
    const err = this.decoder.feed(chunk, out);
    this.stats.msgsIn += out.length;
    if (out.length > 0) {
      this.batch = [];
      this.onMsgs(out);
      this.onReadDone();
    }
    if (err) {
      this.onError(err);
      this.abort();
    }
  }

  /** Stops reading (the stream is frozen while a first message is being handled). */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.state === 'init' && !this.moving && !this.inputHeld) this.socket?.resume();
  }

  /**
   * Whether reading can be held for flow control: the socket is read on this thread, or on the
   * thread it moved to (which holds it when asked), not in the middle of moving.
   */
  get canHoldInput(): boolean {
    return !this.moving;
  }

  /** Whether reading is held for flow control now. */
  get inputIsHeld(): boolean {
    return this.inputHeld;
  }

  /** Stops reading until `releaseInput` (an extension group this connection feeds is behind). */
  holdInput(): void {
    if (this.inputHeld || !this.canHoldInput) return;
    this.inputHeld = true;
    if (this.moved !== null) this.moved.hold(true);
    else this.socket?.pause();
  }

  releaseInput(): void {
    if (!this.inputHeld) return;
    this.inputHeld = false;
    if (this.moved !== null) this.moved.hold(false);
    else if (this.state === 'init' && !this.moving && !this.paused) this.socket?.resume();
  }

  /**
   * Queues one message for the next write. Returns an error when the message cannot be sent
   * (a value TEN cannot carry, the protocol closing, a data message past the high-water mark).
   */
  send(m: TenMsg): EncodeError | string | null {
    if (this.state !== 'init') {
      this.stats.dropsOut++;
      return 'The connection is closing.';
    }
    const queued = this.queuedBytes;
    if (queued > this.limits.closeAboveBytes) {
      this.stats.dropsOut++;
      this.onError(new Error(`The peer ${this.uri || this.peer} is not reading: ${queued} bytes are queued for it; the connection is closed.`));
      this.abort();
      return 'The connection was closed: the peer is not reading.';
    }
    if (queued > this.limits.dropDataAboveBytes && (m.type === 'data' || m.type === 'audio_frame' || m.type === 'video_frame')) {
      this.stats.dropsOut++;
      return `Dropped: ${queued} bytes are already queued for ${this.uri || this.peer}.`;
    }
    const err = encodeFrame(this.writer, m);
    if (err) {
      this.stats.dropsOut++;
      return err;
    }
    if (this.moving || this.moved !== null) this.movedCount++;
    else this.stats.msgsOut++;
    if (this.writer.pos >= FLUSH_NOW_BYTES) this.flush();
    else this.armFlush();
    return null;
  }

  /** Messages in the writer for the socket's thread (it counts them when it writes them). */
  private movedCount = 0;
  private abortRequested = false;

  /** A move that did not happen: what was kept for the other thread is this side's again. */
  private unmove(): void {
    this.moving = false;
    this.stats.msgsOut += this.movedCount;
    this.movedCount = 0;
  }

  private armFlush(): void {
    if (this.flushArmed) return;
    this.flushArmed = true;
    setImmediate(this.flushBound);
  }

  /**
   * Writes `count` messages already encoded as TEN frames, after what is queued (order kept).
   * Returns why not when the protocol is closing, or when the peer is behind: past the high-water
   * mark the caller sends them one by one instead (so data can be dropped and cmds kept).
   */
  sendFrames(bytes: Uint8Array, count: number): string | null {
    if (this.state !== 'init') {
      this.stats.dropsOut += count;
      return 'The connection is closing.';
    }
    if (this.queuedBytes + bytes.byteLength > this.limits.dropDataAboveBytes) return 'behind';
    if (this.moving || this.moved !== null) {
      // Kept in order with what `send` queued; goes to the socket's thread once per loop turn.
      this.writer.raw(bytes);
      this.movedCount += count;
      this.armFlush();
      return null;
    }
    this.flush();
    if (!this.socket || this.socket.destroyed) return 'The connection is closing.';
    this.stats.msgsOut += count;
    this.stats.bytesOut += bytes.byteLength;
    this.socket.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return null;
  }

  /** Writes what is queued (one write per loop turn), or hands it to the socket's thread. */
  flush(): void {
    this.flushArmed = false;
    if (this.moving || this.writer.pos === 0) return;
    if (this.moved !== null) {
      const count = this.movedCount;
      this.movedCount = 0;
      // A copy of its own (the socket's thread takes it), the writer keeps its memory.
      const bytes = new Uint8Array(this.writer.pos);
      bytes.set(this.writer.b.subarray(0, this.writer.pos));
      this.writer.pos = 0;
      this.moved.write(bytes, count);
      return;
    }
    this.flushToSocket();
  }

  private flushToSocket(): void {
    if (this.writer.pos === 0) return;
    const bytes = this.writer.take();
    if (!this.socket || this.socket.destroyed) return;
    this.stats.bytesOut += bytes.length;
    this.socket.write(bytes);
  }

  /**
   * Top-down close: CLOSING, queued output is still written, then the socket ends; `onClosed`
   * fires once it is gone (bottom-up).
   */
  close(): void {
    if (this.state !== 'init') return;
    this.state = 'closing';
    if (this.moving && this.socket !== null) this.unmove();
    this.flush();
    if (this.moved !== null) {
      this.moved.close(false);
      return;
    }
    const s = this.socket;
    if (this.moving) return;
    if (s === null) {
      this.state = 'closed';
      queueMicrotask(() => this.onClosed());
      return;
    }
    s.end();
    // A peer that never closes its side must not keep the socket open forever.
    s.setTimeout(2000, () => s.destroy());
  }

  /** Closes at once, dropping queued output (a broken stream). */
  abort(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.abortRequested = true;
    if (this.moving && this.socket !== null) this.unmove();
    if (this.moved !== null) {
      this.moved.close(true);
      return;
    }
    const s = this.socket;
    if (this.moving) return;
    if (s === null) {
      this.state = 'closed';
      queueMicrotask(() => this.onClosed());
      return;
    }
    s.destroy();
  }
}

/** The native handle of a TCP socket, as far as moving its descriptor needs it. */
interface SocketHandle {
  fd: number;
  readStop(): number;
  readStart(): number;
  unref(): void;
}

/** Connects to `uri`, retrying as TEN's msgpack protocol does: every `intervalMs`, `retries` times. */
export function dial(uri: string, opts: { retries: number; intervalMs: number; isCancelled: () => boolean; onRetry?: (failed: number) => void }): Promise<Socket> {
  const parsed = parseMsgpackUri(uri);
  if ('error' in parsed) return Promise.reject(new Error(parsed.error));
  return new Promise<Socket>((resolve, reject) => {
    let attempt = 0;
    const tryOnce = (): void => {
      if (opts.isCancelled()) {
        reject(new Error('cancelled'));
        return;
      }
      const s = netConnect({ host: parsed.host, port: parsed.port });
      s.setNoDelay(true);
      const onError = (): void => {
        s.destroy();
        if (attempt++ < opts.retries && !opts.isCancelled()) {
          opts.onRetry?.(attempt);
          setTimeout(tryOnce, opts.intervalMs);
        } else reject(new Error(`Failed to connect to ${uri}`));
      };
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        resolve(s);
      });
    };
    tryOnce();
  });
}

/** Listens on the URI's host and port; resolves with the server once it is bound. */
export function listen(uri: string, onSocket: (s: Socket) => void): Promise<Server> {
  const parsed = parseMsgpackUri(uri);
  if ('error' in parsed) return Promise.reject(new Error(parsed.error));
  return new Promise<Server>((resolve, reject) => {
    const server = createServer({ noDelay: true }, onSocket);
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(`Failed to listen on ${uri}: ${e.code === 'EADDRINUSE' ? `port ${parsed.port} is in use` : e.message}`));
    });
    server.listen({ host: parsed.host, port: parsed.port }, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}
