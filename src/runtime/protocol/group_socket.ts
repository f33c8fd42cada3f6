/**
 * The socket of a remote, on the thread of the extension group that talks to that app
 * (docs/protocol.md, "Threads on the path"). The host keeps the connection, the remote and every
 * decision about them; this thread only does the byte I/O:
 *
 * - reading: every chunk is framed and checked as the host would (`FrameDecoder`, resumed where
 *   the host stopped, so errors name the same stream offsets); a message the group's router
 *   takes (`Router.takesArrival`) goes straight to this group's runloop, decoded once into a
 *   runtime message (wire_decode.ts, which accepts nothing the general decoder refuses); every
 *   other one is passed to the host as its bytes, and the host routes it as if it had read it;
 * - writing: this group's messages for the peer are written here (`writeDirect`, from its
 *   `RemoteOutbox`); what the host writes (answers, relays, other groups' messages) arrives by
 *   post and is written in arrival order;
 * - the counters live in shared memory the host samples; EOF, errors and the close are reported
 *   to the host, which runs TEN's two-phase close as for a socket of its own.
 *
 * The thread does not end while the socket is open: the host closes it after the group's
 * extensions (TEN's order), and the thread ends once it is closed.
 */
import { Socket } from 'node:net';
import type { FromWorker, SockAdopt } from '../core/protocol';
import type { WireMsg } from '../core/wire';
import type { TenMsg } from './message';
import { FrameDecoder, type DirectFrames } from './stream';
import type { ValueReader } from './value';
import { decodeWireBody, wireBodyReader, type LocResolver } from './wire_decode';
import { SOCK_BYTES_IN, SOCK_BYTES_OUT, SOCK_DROPS_OUT, SOCK_MSGS_IN, SOCK_MSGS_OUT, SOCK_QUEUED, type TransportLimits } from './transport';

/** What a group socket needs from its thread. */
export interface GroupSocketHost {
  post(m: FromWorker, transfer?: ArrayBuffer[]): void;
  /**
   * The locations of the peer's frames for this graph; `dests` gives this group's shared dests
   * for a destination the group takes (Router.takesDest), none for any other.
   */
  readonly locs: LocResolver;
  /** The half of the routing decision that depends on a message's kind (Router.takesKind). */
  takesKind(type: string, cmdId: string): boolean;
  /** The whole routing decision for a message only the general decoder read (Router.takesArrival). */
  takes(m: TenMsg): boolean;
  /** Such a message, for this group's extensions, as a runtime message. */
  convert(frame: Uint8Array): WireMsg | null;
  /** Messages for this group's extensions, in stream order. */
  deliver(msgs: WireMsg[]): void;
  /**
   * Around the handling of one chunk (the runloop's `beginIo`/`endIo`): when the thread is
   * idle, what the chunk delivers runs at the end of it, before the next chunk is read.
   */
  beginIo(): boolean;
  endIo(): void;
  /** The socket is closed. */
  gone(s: GroupSocket): void;
}

/** Copies the frames `list` (views into one chunk) into one buffer of their own. */
function pack(list: readonly Uint8Array[], total: number): ArrayBuffer {
  const ab = new ArrayBuffer(total);
  const out = new Uint8Array(ab);
  let at = 0;
  for (const r of list) {
    out.set(r, at);
    at += r.byteLength;
  }
  return ab;
}

export class GroupSocket implements DirectFrames {
  readonly id: number;
  /** The peer's URI. */
  readonly app: string;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly c: Float64Array;
  private readonly limits: TransportLimits;
  private readonly host: GroupSocketHost;
  /** Until the host closes the connection, this group writes its own messages here. */
  private open = true;
  /**
   * Set once the host has written what this group handed it before it took the socket
   * (`sock_ready`): until then its messages take that path too, so they keep their order.
   */
  private ready = false;
  closed = false;
  /** Messages of the current chunk that the general decoder read, not routed yet. */
  private readonly batch: TenMsg[] = [];
  /** The current chunk's messages for this group's extensions, in stream order. */
  private here: WireMsg[] = [];
  /** The current chunk's frames for the host, and their size. */
  private there: Uint8Array[] | null = null;
  private thereBytes = 0;
  /** The reader over the bytes `take` reads frames from (one per chunk). */
  private vr: ValueReader | null = null;
  private vrOf: Uint8Array | null = null;
  /** When the current chunk arrived (the time of its messages that carry none). */
  private now = 0;

  constructor(m: SockAdopt, host: GroupSocketHost) {
    this.id = m.id;
    this.app = m.peerApp;
    this.host = host;
    this.limits = m.limits;
    this.c = new Float64Array(m.counters);
    this.decoder = new FrameDecoder({ maxFrameBytes: m.limits.maxFrameBytes, resume: { consumed: m.consumed, frames: m.frames } });
    // TCP_NODELAY is a property of the descriptor: set by the host, it holds here.
    this.socket = new Socket({ fd: m.fd, readable: true, writable: true });
    const s = this.socket;
    // The bytes of a message the host had begun to read come first.
    if (m.held.byteLength > 0) this.feed(Buffer.from(m.held.buffer, m.held.byteOffset, m.held.byteLength), false);
    s.on('data', (chunk: Buffer) => this.feed(chunk, true));
    s.on('drain', () => (this.c[SOCK_QUEUED] = 0));
    s.on('end', () => {
      this.open = false;
      this.host.post({ t: 'sock_eof', id: this.id, half: this.decoder.end() });
    });
    s.on('error', (e) => this.host.post({ t: 'sock_error', id: this.id, located: null, message: e.message }));
    // Messages this group posted to the host for the peer before this are written first.
    this.host.post({ t: 'sock_adopted', id: this.id });
    s.on('close', () => {
      this.closed = true;
      this.open = false;
      this.c[SOCK_QUEUED] = 0;
      this.host.post({ t: 'sock_closed', id: this.id });
      this.host.gone(this);
    });
  }

  /**
   * Decodes a chunk: the group's messages to its runloop, the rest to the host as their bytes,
   * in stream order per destination. A frame for this group's extensions is decoded once,
   * straight into a runtime message (`take`); the general decoder reads the others.
   */
  private feed(chunk: Buffer, counted: boolean): void {
    // The chunk's messages run before the next chunk is decoded, when the thread is idle: a
    // socket read ahead of its extensions would keep every message it decoded alive until they
    // ran (the collector copying them each time), and a wake per chunk is saved.
    const held = this.host.beginIo();
    try {
      this.feedChunk(chunk, counted);
    } finally {
      if (held) this.host.endIo();
    }
  }

  private feedChunk(chunk: Buffer, counted: boolean): void {
    if (counted) this.c[SOCK_BYTES_IN] += chunk.length;
    this.now = Date.now();
    const err = this.decoder.feed(chunk, this.batch, this);
    if (this.batch.length > 0) this.routeRead();
    const here = this.here;
    const there = this.there;
    this.c[SOCK_MSGS_IN] += here.length + (there === null ? 0 : there.length);
    if (here.length > 0) {
      this.here = [];
      this.host.deliver(here);
    }
    if (there !== null) {
      const ab = pack(there, this.thereBytes);
      this.host.post({ t: 'sock_in', id: this.id, bytes: ab, length: this.thereBytes }, [ab]);
      this.there = null;
      this.thereBytes = 0;
    }
    this.vr = null;
    this.vrOf = null;
    if (err !== null) {
      this.open = false;
      this.host.post({ t: 'sock_error', id: this.id, located: err, message: err.message });
      this.socket.destroy();
    }
  }

  /** A frame of the chunk, offered before the general decoder reads it (stream.ts DirectFrames). */
  take(b: Uint8Array, start: number, head: number, body: number): boolean {
    // What the general decoder read before this frame goes first.
    if (this.batch.length > 0) this.routeRead();
    // After the host began closing, nothing is delivered here (the host drops it, as ever).
    if (!this.open) return false;
    if (b !== this.vrOf) {
      this.vr = wireBodyReader(b);
      this.vrOf = b;
    }
    const w = decodeWireBody(this.vr!, start + head, body, this.host.locs, this.now);
    if (w === null || !this.host.takesKind(w.type, w.cmdId)) return false;
    this.here.push(w);
    return true;
  }

  /** Routes the messages the general decoder read: this group's to `here`, the rest to `there`. */
  private routeRead(): void {
    // The decoder appends to this array during `feed`: emptied, not replaced.
    const msgs = this.batch;
    for (const m of msgs) {
      const raw = m.raw!;
      if (this.open && this.host.takes(m)) {
        const w = this.host.convert(raw);
        if (w !== null) this.here.push(w);
      } else {
        (this.there ??= []).push(raw);
        this.thereBytes += raw.byteLength;
      }
    }
    msgs.length = 0;
  }

  /**
   * This group's own messages for the peer (`length` bytes of `count` frames at `bytes[0..]`,
   * copied): written now unless the host has begun closing the connection or the peer is
   * behind; then false, and they go through the host, which applies its rules (answers, drops).
   */
  writeDirect(bytes: Uint8Array, length: number, count: number): boolean {
    if (!this.ready || !this.open || this.socket.destroyed) return false;
    const s = this.socket;
    if (s.writableLength + length > this.limits.dropDataAboveBytes) return false;
    s.write(Buffer.from(bytes.subarray(0, length)));
    this.wrote(length, count);
    return true;
  }

  /**
   * The host holds this connection's reading (`on`: another group it feeds through the host is
   * behind) or reads it again; what is in the kernel waits there, and TCP slows the peer.
   */
  hold(on: boolean): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (on) s.pause();
    else s.resume();
  }

  /** The host has written what this group had handed it before: from now on it writes its own. */
  markReady(): void {
    this.ready = true;
  }

  /** Frames the host writes (its own answers, relays, other groups' messages), in arrival order. */
  fromHost(bytes: ArrayBuffer, length: number, count: number): void {
    if (this.socket.destroyed) {
      this.c[SOCK_DROPS_OUT] += count;
      return;
    }
    this.socket.write(new Uint8Array(bytes, 0, length));
    this.wrote(length, count);
  }

  private wrote(length: number, count: number): void {
    this.c[SOCK_BYTES_OUT] += length;
    this.c[SOCK_MSGS_OUT] += count;
    this.c[SOCK_QUEUED] = this.socket.writableLength;
  }

  /** The host closes the connection: the socket ends after what was written, or at once (`abort`). */
  close(abort: boolean): void {
    this.open = false;
    const s = this.socket;
    if (s.destroyed) return;
    if (abort) {
      s.destroy();
      return;
    }
    s.end();
    // A peer that never closes its side must not keep the socket (and this thread) open.
    s.setTimeout(2000, () => s.destroy());
  }
}
