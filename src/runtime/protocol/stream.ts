/**
 * Framing of TEN's msgpack protocol: a TCP stream is a plain concatenation of msgpack ext
 * objects of ext type 1, one message each, with no length prefix and no handshake
 * (`../shared/docs/ten-protocol.md` §1.1).
 *
 * `FrameDecoder` takes the stream in whatever chunks the socket reads and never throws: bytes
 * that are not a message end decoding with a `ProtocolError` naming the byte offset in the stream,
 * the message, the field and what was expected (TEN aborts the process instead). A frame larger
 * than `maxFrameBytes` is refused from its header, before any of it is buffered. Messages
 * decoded from one chunk keep their buffers as views into that chunk (no copy).
 */
import { Buffer } from 'node:buffer';
import { DecodeFail, Reader, Writer, describeByte } from './msgpack';
import { FieldFail, TenMsg, decodeBody, encodeBody, type EncodeError } from './message';

/** TEN's ext type for a message. */
export const EXT_TYPE_MSG = 1;

/**
 * Ours: the largest message body accepted by default. A 4K RGBA video frame is 33 MB; nothing
 * TEN sends is near 64 MiB, while a corrupt or hostile length field is refused at once.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Why a stream stopped being decodable, located. */
export interface ProtocolError {
  /** Byte offset in the stream (from the connection's first byte) where the problem is. */
  offset: number;
  /** Index of the message on the stream (0 = first). */
  frame: number;
  /** Offset of that message's first byte in the stream. */
  frameOffset: number;
  /** `ext header`, `msg_type`, a field name (`properties`), or `stream`. */
  field: string;
  /** Where inside the field: `.a[2]`, or ''. */
  path: string;
  expected: string;
  found: string;
  /** One line for logs: all of the above. */
  message: string;
}

function protocolError(offset: number, frame: number, frameOffset: number, field: string, path: string, expected: string, found: string): ProtocolError {
  const where = `${field}${path ? ` ${path}` : ''}`;
  return {
    offset,
    frame,
    frameOffset,
    field,
    path,
    expected,
    found,
    message: `Malformed TEN message #${frame + 1} at stream byte ${offset} (${where}): expected ${expected}, found ${found}.`,
  };
}

/** Parses an ext header at `b[pos..]`: body size and header size, `null` if incomplete. */
function extHeader(b: Uint8Array, pos: number, len: number): { body: number; head: number } | null | DecodeFail {
  const t = b[pos];
  let body: number;
  let head: number;
  switch (t) {
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      body = 1 << (t - 0xd4);
      head = 2;
      break;
    case 0xc7:
      if (len - pos < 2) return null;
      body = b[pos + 1];
      head = 3;
      break;
    case 0xc8:
      if (len - pos < 3) return null;
      body = (b[pos + 1] << 8) | b[pos + 2];
      head = 4;
      break;
    case 0xc9:
      if (len - pos < 5) return null;
      body = ((b[pos + 1] << 24) >>> 0) + ((b[pos + 2] << 16) | (b[pos + 3] << 8) | b[pos + 4]);
      head = 6;
      break;
    default:
      return new DecodeFail(0, 'a msgpack ext object (one TEN message)', describeByte(t));
  }
  if (len - pos < head) return null;
  const type = b[pos + head - 1];
  if (type !== EXT_TYPE_MSG) return new DecodeFail(head - 1, `ext type ${EXT_TYPE_MSG} (a TEN message)`, `ext type ${type > 127 ? type - 256 : type}`);
  if (body === 0) return new DecodeFail(0, 'a message body', 'an empty ext object');
  return { body, head };
}

/**
 * Decodes one complete frame body at `[at, at+n)` of the reader's bytes (one reader serves every
 * frame of a chunk); `offset` is the frame's stream offset.
 */
function decodeFrame(r: Reader, at: number, n: number, head: number, frame: number, offset: number): TenMsg | ProtocolError {
  r.pos = at;
  r.end = at + n;
  r.origin = at - head;
  try {
    return decodeBody(r);
  } catch (e) {
    if (e instanceof FieldFail) {
      const f = e.fail;
      return protocolError(offset + f.at, frame, offset, e.field, f.path.join(''), f.expected, f.found);
    }
    if (e instanceof DecodeFail) return protocolError(offset + e.at, frame, offset, 'message', e.path.join(''), e.expected, e.found);
    // Nothing else is thrown by the decoder; a bug still must not escape as a crash.
    return protocolError(offset, frame, offset, 'message', '', 'a decodable message', `an internal error (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * A reader of complete frames ahead of the general decoder (protocol/group_socket.ts): `take`
 * is offered each frame, `b[start, start+head+body)`, in stream order, and returns true when it
 * took it, valid; else the general decoder reads the frame (and locates its error, if any).
 */
export interface DirectFrames {
  take(b: Uint8Array, start: number, head: number, body: number): boolean;
}

/** A stream position: bytes consumed and messages decoded before it. */
export interface DecoderPosition {
  consumed: number;
  frames: number;
}

export class FrameDecoder {
  readonly maxFrameBytes: number;
  /** Stream bytes consumed before the current chunk. */
  private consumed = 0;
  /** Messages decoded so far. */
  private frames = 0;
  /** A header split across reads (fewer bytes than a header). */
  private head: Buffer | null = null;
  /** A frame split across reads: its bytes so far in a buffer of its full size. */
  private partial: Buffer | null = null;
  private partialHave = 0;
  private partialHead = 0;
  private failed: ProtocolError | null = null;

  constructor(opts: { maxFrameBytes?: number; resume?: DecoderPosition } = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (opts.resume) {
      this.consumed = opts.resume.consumed;
      this.frames = opts.resume.frames;
    }
  }

  /**
   * Where the stream is, for another decoder to go on from (a socket moving to another thread):
   * the bytes of a message not complete yet, and the stream offset and message count at their
   * start, so errors found later name the same offsets as if one decoder had read everything.
   * This decoder is done after it (its held bytes are given away).
   */
  handOver(): { held: Uint8Array; at: DecoderPosition } {
    const held = this.head !== null ? this.head : this.partial !== null ? this.partial.subarray(0, this.partialHave) : new Uint8Array(0);
    const at = { consumed: this.consumed - held.length, frames: this.frames };
    this.head = null;
    this.partial = null;
    this.partialHave = 0;
    return { held: new Uint8Array(held), at };
  }

  /** Bytes held for a message not complete yet. */
  get buffered(): number {
    return (this.head?.length ?? 0) + this.partialHave;
  }

  /** Messages decoded so far on this stream. */
  get decoded(): number {
    return this.frames;
  }

  /** The error that ended decoding, if any. */
  get error(): ProtocolError | null {
    return this.failed;
  }

  /**
   * Appends the messages completed by `chunk` to `out` (those that `direct` did not take).
   * Returns the error that ends the stream, if any; messages before it are in `out`. After an
   * error every call returns that error.
   */
  feed(chunk: Uint8Array, out: TenMsg[], direct?: DirectFrames): ProtocolError | null {
    if (this.failed) return this.failed;
    let b = chunk;
    let pos = 0;
    let base = this.consumed;
    if (this.partial !== null) {
      const p = this.partial;
      const take = Math.min(p.length - this.partialHave, b.length);
      p.set(b.subarray(0, take), this.partialHave);
      this.partialHave += take;
      if (this.partialHave < p.length) {
        this.consumed += b.length;
        return null;
      }
      this.partial = null;
      this.partialHave = 0;
      if (direct === undefined || !direct.take(p, 0, this.partialHead, p.length - this.partialHead)) {
        const frameOffset = this.consumed - (p.length - take);
        const m = decodeFrame(new Reader(p), this.partialHead, p.length - this.partialHead, this.partialHead, this.frames, frameOffset);
        if (!(m instanceof TenMsg)) return this.fail(m);
        m.raw = p;
        out.push(m);
      }
      this.frames++;
      pos = take;
    } else if (this.head !== null) {
      // Few bytes: join them with the new chunk and parse from the joined buffer.
      base -= this.head.length;
      b = Buffer.concat([this.head, b]);
      this.head = null;
    }
    const len = b.length;
    let r: Reader | null = null;
    while (pos < len) {
      const h = extHeader(b, pos, len);
      if (h === null) {
        this.head = Buffer.from(b.subarray(pos));
        break;
      }
      if (h instanceof DecodeFail) return this.fail(protocolError(base + pos + h.at, this.frames, base + pos, 'ext header', '', h.expected, h.found));
      if (h.body > this.maxFrameBytes) {
        return this.fail(protocolError(base + pos, this.frames, base + pos, 'ext header', '', `a message of at most ${this.maxFrameBytes} bytes (the frame size limit)`, `a message of ${h.body} bytes`));
      }
      const total = h.head + h.body;
      if (len - pos < total) {
        const p = Buffer.allocUnsafe(total);
        p.set(b.subarray(pos));
        this.partial = p;
        this.partialHave = len - pos;
        this.partialHead = h.head;
        break;
      }
      if (direct === undefined || !direct.take(b, pos, h.head, h.body)) {
        const m = decodeFrame((r ??= new Reader(b)), pos + h.head, h.body, h.head, this.frames, base + pos);
        if (!(m instanceof TenMsg)) return this.fail(m);
        m.raw = b.subarray(pos, pos + total);
        out.push(m);
      }
      this.frames++;
      pos += total;
    }
    this.consumed = base + len;
    return null;
  }

  /**
   * The stream ended: an error when it stopped in the middle of a message (TEN aborts on that
   * too), else null.
   */
  end(): ProtocolError | null {
    if (this.failed) return this.failed;
    const have = this.buffered;
    if (have === 0) return null;
    const frameOffset = this.consumed - have;
    const want = this.partial !== null ? `${this.partial.length - this.partialHave} more bytes of a ${this.partial.length}-byte message` : 'the rest of a message header';
    return this.fail(protocolError(this.consumed, this.frames, frameOffset, 'stream', '', want, 'the end of the stream'));
  }

  private fail(e: ProtocolError): ProtocolError {
    this.failed = e;
    this.head = null;
    this.partial = null;
    this.partialHave = 0;
    return e;
  }
}

/** Decodes a complete byte string of frames (tests, tools); an incomplete tail is an error. */
export function decodeAll(bytes: Uint8Array, opts: { maxFrameBytes?: number } = {}): { msgs: TenMsg[]; error: ProtocolError | null } {
  const d = new FrameDecoder(opts);
  const msgs: TenMsg[] = [];
  const error = d.feed(bytes, msgs) ?? d.end();
  return { msgs, error };
}

/**
 * Appends `m` as one frame to `w`. On failure nothing of it stays in the writer, and the error
 * says which field and value could not be sent.
 */
export function encodeFrame(w: Writer, m: TenMsg): EncodeError | null {
  const start = w.pos;
  const at = w.reserveExtHeader(m.buf?.byteLength ?? 0);
  const err = encodeBody(w, m);
  if (err !== null) {
    w.pos = start;
    return err;
  }
  w.finishExt(at, EXT_TYPE_MSG);
  return null;
}

/** One message as its frame bytes (a fresh buffer). */
export function encodeMsg(m: TenMsg): Buffer | EncodeError {
  const w = new Writer(256);
  const err = encodeFrame(w, m);
  return err ?? Buffer.from(w.bytes());
}
