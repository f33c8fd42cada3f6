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
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, encodeFrame, type ProtocolError } from './stream';

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

export interface TransportLimits {
  /** Largest message body accepted (bytes). */
  maxFrameBytes: number;
  /** Output bytes queued for a slow peer after which data-like messages are dropped. */
  dropDataAboveBytes: number;
  /** Output bytes queued after which the connection is closed (the peer is not reading). */
  closeAboveBytes: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  dropDataAboveBytes: 16 * 1024 * 1024,
  closeAboveBytes: 256 * 1024 * 1024,
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
  private readonly limits: TransportLimits;
  private paused = false;
  /** Messages decoded from the current chunk (reused). */
  private batch: TenMsg[] = [];

  constructor(role: ProtocolRole, limits: TransportLimits = DEFAULT_LIMITS) {
    this.role = role;
    this.limits = limits;
    this.decoder = new FrameDecoder({ maxFrameBytes: limits.maxFrameBytes });
    this.writer = new Writer(16 * 1024);
  }

  get hasSocket(): boolean {
    return this.socket !== null;
  }

  /** Output bytes waiting: encoded but not written, plus what the socket still buffers. */
  get queuedBytes(): number {
    return this.writer.pos + (this.socket?.writableLength ?? 0);
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
    if (this.paused) socket.pause();
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
    if (this.state === 'init') this.socket?.resume();
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
    this.stats.msgsOut++;
    if (this.writer.pos >= FLUSH_NOW_BYTES) this.flush();
    else if (!this.flushArmed) {
      this.flushArmed = true;
      setImmediate(this.flushBound);
    }
    return null;
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
    this.flush();
    if (!this.socket || this.socket.destroyed) return 'The connection is closing.';
    this.stats.msgsOut += count;
    this.stats.bytesOut += bytes.byteLength;
    this.socket.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return null;
  }

  /** Writes what is queued (one write per loop turn). */
  flush(): void {
    this.flushArmed = false;
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
    this.flush();
    const s = this.socket;
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
    const s = this.socket;
    if (s === null) {
      this.state = 'closed';
      queueMicrotask(() => this.onClosed());
      return;
    }
    s.destroy();
  }
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
