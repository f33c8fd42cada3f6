/**
 * The binary form of a message in a shared-memory ring between two groups of one graph
 * (routing/ring.ts): written by the sending thread straight into the ring's bytes, read by the
 * receiving thread, so no structured clone, no transfer and no per-message allocation on the
 * sending side.
 *
 * A record holds the message's type, both ends (as indexes into the graph's extension names, the
 * same `PeerIndex` every group has; spelled out when an end is outside the graph), its name, the
 * timestamp, a buffer of up to `RING_INLINE_BYTES` inline, frame fields, cmd fields and the
 * properties: arbitrary JSON values plus `bigint` (int64/uint64 in 8 bytes, larger ones as
 * digits, all exact), `undefined` and small `ArrayBuffer`s, in a tag-per-value encoding; then,
 * for a message from another app that has them, its property types and exact timestamp
 * (`WireMsg.propTypes`, `tsExact`) as two more values. Names
 * and property keys are interned per ring: the first use defines a number, later uses send it,
 * so the reader gets the very same string each time (cheap property stores, one hidden class).
 *
 * What the encoding does not carry — a buffer larger than the inline limit or shared, a typed
 * array, a `Map`, a class instance, a cycle, a nesting deeper than `MAX_DEPTH` — makes `encode`
 * answer `NOT_COMPACT`, and the sender sends that message through the channel's MessagePort
 * (structured clone, transfer) instead. Strings keep every UTF-16 code unit (lone surrogates too).
 */
import { type AudioFields, type MsgType, type PeerIndex, type SharedLoc, type TypeTree, type VideoFields, type WireLoc, type WireMsg } from './wire';

/** Buffers up to this size travel inline in the ring (as `PACK_MAX_BYTES` in peer batches). */
export const RING_INLINE_BYTES = 4096;
/** `encode`: the record does not fit in the space given. */
export const NO_ROOM = -1;
/** `encode`: the message holds something the ring encoding does not carry. */
export const NOT_COMPACT = -2;

/** A record the reader cannot decode: a defect, reported and skipped (its length is known). */
export class RingFormatError extends Error {}

const TYPES: readonly MsgType[] = [
  'data',
  'audio_frame',
  'video_frame',
  'cmd',
  'cmd_result',
  'start_graph',
  'stop_graph',
  'close_app',
  'timer',
  'timeout',
  'trigger_life_cycle',
];
/** A type's code (a switch: a keyed lookup by string goes megamorphic on the hot path), -1 if none. */
function typeCode(t: MsgType): number {
  switch (t) {
    case 'data':
      return 0;
    case 'audio_frame':
      return 1;
    case 'video_frame':
      return 2;
    case 'cmd':
      return 3;
    case 'cmd_result':
      return 4;
    case 'start_graph':
      return 5;
    case 'stop_graph':
      return 6;
    case 'close_app':
      return 7;
    case 'timer':
      return 8;
    case 'timeout':
      return 9;
    case 'trigger_life_cycle':
      return 10;
    default:
      return -1;
  }
}

// Message flags.
const F_SRC_ID = 1;
const F_DEST_ID = 2;
const F_BUF = 4;
const F_FRAME = 8;
const F_CMD = 16;
const F_FINAL = 32;
const F_COMPLETED = 64;
/** The property types and exact timestamp of a message from another app follow the properties. */
const F_TEN = 128;

// String kinds.
const S_REF = 0;
const S_DEF = 1;
const S_LATIN1 = 2;
const S_UTF16 = 3;

// Value tags.
const V_NULL = 0;
const V_UNDEFINED = 1;
const V_FALSE = 2;
const V_TRUE = 3;
const V_INT32 = 4;
const V_FLOAT64 = 5;
const V_STRING = 6;
const V_INT64 = 7;
const V_UINT64 = 8;
const V_BIGINT = 9;
const V_ARRAY = 10;
const V_OBJECT = 11;
const V_BUFFER = 12;
const V_SMALL = 13;

/** Interned strings per ring direction; longer strings are written out each time. */
const MAX_INTERNED = 4096;
const MAX_INTERNED_LENGTH = 64;
/** Deeper property trees (or cycles) go by port, whose structured clone handles them. */
const MAX_DEPTH = 64;
/** Top-level keys whose numbers the encoder keeps at hand. */
const TOP_KEYS = 8;
/** Inline buffers up to this size are copied on from the arena they arrived in word by word. */
const SMALL_COPY = 128;
/** Above this a string is copied with Buffer#latin1Slice instead of a JS loop. */
const SHORT_STRING = 16;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** The string table's copy of `s` (the key of an object literal is internalized). */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** Thrown inside the encoder, caught by `encode`. */
class Abort {
  constructor(readonly code: number) {}
}
const ABORT_NO_ROOM = new Abort(NO_ROOM);
const ABORT_NOT_COMPACT = new Abort(NOT_COMPACT);

const OBJECT_PROTO = Object.prototype;
const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Writes messages into one ring's bytes. One per ring (its interned strings follow the ring's order). */
export class RingEncoder {
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly index: PeerIndex;
  private readonly appUri: string;
  private readonly graphId: string;
  private readonly interned = new Map<string, number>();
  /** Strings defined by the record being written: forgotten again if it is not committed. */
  private readonly defined: string[] = [];
  private p = 0;
  private lim = 0;
  /**
   * The last ends and name, as streams repeat them: an end is remembered only when it is the
   * graph's own frozen location object for its number, so a pointer compare is enough.
   */
  private lastSrc: WireLoc | null = null;
  private lastSrcId = -1;
  private lastDest: WireLoc | null = null;
  private lastDestId = -1;
  private lastName = '';
  private lastNameId = -1;
  /** The interned number `istr` wrote last (-1: it wrote the string out). */
  private istrId = -1;
  private pendingName = '';
  private pendingNameId = -1;
  /**
   * The keys of the last top-level property object and their numbers, by position: messages of
   * one stream have the same keys, so a key is found by one compare instead of a map lookup.
   */
  private readonly topKeys: string[] = [];
  private readonly topKeyIds: number[] = [];

  constructor(bytes: Uint8Array, index: PeerIndex, appUri: string, graphId: string) {
    this.u8 = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.index = index;
    this.appUri = appUri;
    this.graphId = graphId;
  }

  /**
   * Whether `w` can go into a ring at all, judged without encoding (its buffer): a message that
   * fails here goes by port without trying.
   */
  static fits(w: WireMsg): boolean {
    if (w.arena !== null) return w.arenaLen <= RING_INLINE_BYTES;
    if (w.packed !== null) return w.packed.byteLength <= RING_INLINE_BYTES;
    const b = w.buf;
    return b === null || (b instanceof ArrayBuffer && b.byteLength <= RING_INLINE_BYTES);
  }

  /**
   * Writes `w` at `[pos, limit)` of the ring's bytes. Returns the end of the record, `NO_ROOM`
   * or `NOT_COMPACT`; on either nothing written counts (the caller does not commit it).
   */
  encode(w: WireMsg, pos: number, limit: number): number {
    this.p = pos;
    this.lim = limit;
    this.pendingNameId = -1;
    try {
      this.message(w);
      if (this.defined.length !== 0) this.defined.length = 0;
      if (this.pendingNameId !== -1) {
        this.lastName = this.pendingName;
        this.lastNameId = this.pendingNameId;
      }
      return this.p;
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      if (this.defined.length !== 0) {
        for (const s of this.defined) this.interned.delete(s);
        this.defined.length = 0;
        // Cached numbers may be among those undone.
        this.topKeys.length = 0;
        this.lastName = '';
        this.lastNameId = -1;
      }
      return e.code;
    }
  }

  /** Interned strings so far (for tests). */
  get internedCount(): number {
    return this.interned.size;
  }

  private message(w: WireMsg): void {
    const code = typeCode(w.type);
    if (code === -1) throw ABORT_NOT_COMPACT;
    const s = w.src;
    let src = this.lastSrcId;
    if (s !== this.lastSrc) {
      src = this.lastSrcId = this.endId(s);
      this.lastSrc = src !== -1 && this.index.loc(src).loc === s ? s : null;
    }
    const d = w.dests[0];
    let dest = this.lastDestId;
    if (d !== this.lastDest) {
      dest = this.lastDestId = this.endId(d);
      this.lastDest = dest !== -1 && this.index.loc(dest).loc === d ? d : null;
    }
    let flags = 0;
    if (src !== -1) flags |= F_SRC_ID;
    if (dest !== -1) flags |= F_DEST_ID;
    // The buffer: still in the arena it arrived in (copied on from there), a view, or its own.
    const arena = w.arena;
    let bytes: Uint8Array | null = null;
    let n = -1;
    if (arena !== null) n = w.arenaLen;
    else if (w.packed !== null) bytes = w.packed;
    else if (w.buf !== null) {
      if (!(w.buf instanceof ArrayBuffer) || w.buf.byteLength > RING_INLINE_BYTES) throw ABORT_NOT_COMPACT;
      bytes = new Uint8Array(w.buf);
    }
    if (bytes !== null) n = bytes.byteLength;
    if (n !== -1) {
      if (n > RING_INLINE_BYTES) throw ABORT_NOT_COMPACT;
      flags |= F_BUF;
    }
    const frame = code === 1 ? w.audio : code === 2 ? w.video : null;
    if (frame !== null) flags |= F_FRAME;
    const cmd = code >= 3;
    if (cmd) {
      flags |= F_CMD;
      if (w.isFinal === true) flags |= F_FINAL;
      else if (w.isFinal !== false) throw ABORT_NOT_COMPACT;
      if (w.isCompleted === true) flags |= F_COMPLETED;
      else if (w.isCompleted !== false) throw ABORT_NOT_COMPACT;
    }
    if (typeof w.ts !== 'number') throw ABORT_NOT_COMPACT;
    const types = w.propTypes;
    const tsExact = w.tsExact;
    const ten = types !== null || tsExact !== null;
    if (ten) flags |= F_TEN;
    this.room(14);
    const u8 = this.u8;
    let p = this.p;
    u8[p] = code;
    u8[p + 1] = flags;
    this.dv.setFloat64(p + 2, w.ts, true);
    this.dv.setUint16(p + 10, src === -1 ? 0 : src, true);
    this.dv.setUint16(p + 12, dest === -1 ? 0 : dest, true);
    this.p = p + 14;
    if (src === -1) this.loc(s);
    if (dest === -1) this.loc(d);
    const name = w.name;
    if (name === this.lastName && this.lastNameId !== -1) {
      this.room(3);
      u8[this.p] = S_REF;
      this.dv.setUint16(this.p + 1, this.lastNameId, true);
      this.p += 3;
    } else {
      this.istr(name);
      // Remembered once the record is committed (a definition in an aborted one is undone).
      this.pendingName = name;
      this.pendingNameId = this.istrId;
    }
    if (n !== -1) {
      p = this.p;
      // The bytes start on an 8-byte boundary of the ring (a pad count follows the length): V8
      // copies into a SharedArrayBuffer word by word only between equally aligned places, byte
      // by byte otherwise, and the reader's copy keeps the ring's alignment (RingReader.take).
      const pad = -(p + 5) & 7;
      this.room(5 + pad + n);
      this.dv.setUint32(p, n, true);
      u8[p + 4] = pad;
      if (bytes !== null) u8.set(bytes, p + 5 + pad);
      else this.copyIn(arena!, w.arenaAt, p + 5 + pad, n);
      this.p = p + 5 + pad + n;
    }
    if (frame !== null) {
      if (code === 1) {
        const a = frame as AudioFields;
        this.value(a.sampleRate, 0);
        this.value(a.bytesPerSample, 0);
        this.value(a.samplesPerChannel, 0);
        this.value(a.channels, 0);
        this.value(a.channelLayout, 0);
        this.value(a.dataFmt, 0);
        this.value(a.lineSize, 0);
        this.value(a.eof, 0);
      } else {
        const v = frame as VideoFields;
        this.value(v.width, 0);
        this.value(v.height, 0);
        this.value(v.pixelFmt, 0);
        this.value(v.eof, 0);
      }
    }
    if (cmd) {
      this.str(w.cmdId);
      this.str(w.parentCmdId);
      this.str(w.seqId);
      this.value(w.status, 0);
      this.istr(w.origName);
      const oc = typeCode(w.origType);
      if (oc === -1) throw ABORT_NOT_COMPACT;
      this.room(1);
      u8[this.p++] = oc;
    }
    this.value(w.props, 0);
    if (ten) {
      // At depth 1: the top-level key cache stays the properties'.
      this.value(types, 1);
      this.value(tsExact, 1);
    }
  }

  /**
   * Copies `n` bytes at `from` of an arena to `to` of the ring: a small buffer word by word
   * through the two DataViews (no view made per message), a larger one with a view and
   * TypedArray#set.
   */
  private copyIn(arena: DataView, from: number, to: number, n: number): void {
    if (n > SMALL_COPY) {
      this.u8.set(new Uint8Array(arena.buffer, arena.byteOffset + from, n), to);
      return;
    }
    const dv = this.dv;
    let i = 0;
    for (; i + 4 <= n; i += 4) dv.setInt32(to + i, arena.getInt32(from + i, true), true);
    for (; i < n; i++) dv.setUint8(to + i, arena.getUint8(from + i));
  }

  /** The end's number in the graph's table, or -1 (then it is spelled out). */
  private endId(l: WireLoc | undefined): number {
    if (l === undefined) throw ABORT_NOT_COMPACT;
    if (l.app !== this.appUri || l.graph !== this.graphId) return -1;
    return this.index.id(l.ext);
  }

  private loc(l: WireLoc): void {
    if (typeof l.app !== 'string' || typeof l.graph !== 'string' || typeof l.ext !== 'string') throw ABORT_NOT_COMPACT;
    this.istr(l.app);
    this.istr(l.graph);
    this.istr(l.ext);
  }

  private room(n: number): void {
    if (this.p + n > this.lim) throw ABORT_NO_ROOM;
  }

  /** A string that recurs (a name, a key): a number once it is known on both sides. */
  private istr(s: string): void {
    if (typeof s !== 'string') throw ABORT_NOT_COMPACT;
    const id = this.interned.get(s);
    this.istrId = id ?? -1;
    if (id !== undefined) {
      this.room(3);
      this.u8[this.p] = S_REF;
      this.dv.setUint16(this.p + 1, id, true);
      this.p += 3;
      return;
    }
    if (this.interned.size >= MAX_INTERNED || s.length > MAX_INTERNED_LENGTH) return this.str(s);
    const next = this.interned.size;
    this.room(3);
    this.u8[this.p] = S_DEF;
    this.dv.setUint16(this.p + 1, next, true);
    this.p += 3;
    this.interned.set(s, next);
    this.defined.push(s);
    this.istrId = next;
    this.str(s);
  }

  /** A string written out: one byte per code unit when all are below 256, else two. */
  private str(s: string): void {
    if (typeof s !== 'string') throw ABORT_NOT_COMPACT;
    const n = s.length;
    this.room(5 + n);
    const u8 = this.u8;
    const start = this.p;
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return this.utf16(s, start);
      u8[p++] = c;
    }
    u8[start] = S_LATIN1;
    this.dv.setUint32(start + 1, n, true);
    this.p = p;
  }

  private utf16(s: string, start: number): void {
    const n = s.length;
    this.p = start;
    this.room(5 + 2 * n);
    this.u8[start] = S_UTF16;
    const dv = this.dv;
    dv.setUint32(start + 1, n, true);
    let p = start + 5;
    for (let i = 0; i < n; i++, p += 2) dv.setUint16(p, s.charCodeAt(i), true);
    this.p = p;
  }

  private value(v: unknown, depth: number): void {
    const u8 = this.u8;
    switch (typeof v) {
      case 'number': {
        if (v >= 0 && v < 256 && (v | 0) === v && !(v === 0 && 1 / v < 0)) {
          this.room(2);
          u8[this.p] = V_SMALL;
          u8[this.p + 1] = v;
          this.p += 2;
        } else if ((v | 0) === v && !(v === 0 && 1 / v < 0)) {
          this.room(5);
          u8[this.p] = V_INT32;
          this.dv.setInt32(this.p + 1, v, true);
          this.p += 5;
        } else {
          this.room(9);
          u8[this.p] = V_FLOAT64;
          this.dv.setFloat64(this.p + 1, v, true);
          this.p += 9;
        }
        return;
      }
      case 'string':
        this.room(1);
        u8[this.p++] = V_STRING;
        return this.str(v);
      case 'boolean':
        this.room(1);
        u8[this.p++] = v ? V_TRUE : V_FALSE;
        return;
      case 'undefined':
        this.room(1);
        u8[this.p++] = V_UNDEFINED;
        return;
      case 'bigint':
        return this.bigint(v);
      case 'object':
        break;
      default:
        // Functions and symbols: the port's structured clone reports them as it does today.
        throw ABORT_NOT_COMPACT;
    }
    if (v === null) {
      this.room(1);
      u8[this.p++] = V_NULL;
      return;
    }
    if (depth >= MAX_DEPTH) throw ABORT_NOT_COMPACT;
    if (Array.isArray(v)) {
      const n = v.length;
      this.room(5);
      u8[this.p] = V_ARRAY;
      this.dv.setUint32(this.p + 1, n, true);
      this.p += 5;
      for (let i = 0; i < n; i++) this.value(v[i], depth + 1);
      return;
    }
    // `constructor` first: a (stub-cached) property load, where getPrototypeOf is a runtime call.
    const ctor = (v as { constructor?: unknown }).constructor;
    const proto: unknown = ctor === Object ? OBJECT_PROTO : Object.getPrototypeOf(v);
    if (proto === OBJECT_PROTO || proto === null) {
      this.room(5);
      u8[this.p] = V_OBJECT;
      const at = this.p + 1;
      this.p += 5;
      let n = 0;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        // hasOwnProperty.call, not Object.hasOwn: TurboFan answers it from the for-in's enum
        // cache without a call (20.7 against 15.2 ns per one-key object).
        if (!hasOwnProperty.call(o, k)) continue;
        if (depth === 0 && n < TOP_KEYS) this.topKey(k, n);
        else this.istr(k);
        this.value(o[k], depth + 1);
        n++;
      }
      this.dv.setUint32(at, n, true);
      return;
    }
    if (v instanceof ArrayBuffer && v.byteLength <= RING_INLINE_BYTES) {
      const n = v.byteLength;
      this.room(5 + n);
      u8[this.p] = V_BUFFER;
      this.dv.setUint32(this.p + 1, n, true);
      u8.set(new Uint8Array(v), this.p + 5);
      this.p += 5 + n;
      return;
    }
    throw ABORT_NOT_COMPACT;
  }

  /** The `n`-th key of the top-level object (see `topKeys`). */
  private topKey(k: string, n: number): void {
    const id = this.topKeyIds[n];
    if (this.topKeys[n] === k && id !== -1) {
      this.room(3);
      this.u8[this.p] = S_REF;
      this.dv.setUint16(this.p + 1, id, true);
      this.p += 3;
      return;
    }
    this.istr(k);
    this.topKeys[n] = k;
    this.topKeyIds[n] = this.istrId;
  }

  private bigint(v: bigint): void {
    if (v >= INT64_MIN && v <= UINT64_MAX) {
      this.room(9);
      const neg = v < 0n;
      this.u8[this.p] = neg ? V_INT64 : V_UINT64;
      if (neg) this.dv.setBigInt64(this.p + 1, v, true);
      else this.dv.setBigUint64(this.p + 1, v, true);
      this.p += 9;
      return;
    }
    this.room(1);
    this.u8[this.p++] = V_BIGINT;
    this.str(v.toString());
  }
}

/**
 * Reads messages written by one `RingEncoder`, from the batches its reader takes out of the ring
 * (routing/ring.ts `RingBatch`): a message's small buffer stays where it is in its batch
 * (`WireMsg.arena`, never written), and gets an ArrayBuffer of its own only if an extension
 * reads it (core/wire.ts `wireBuf`), so forwarding allocates none, not even a view.
 */
export class RingDecoder {
  private u8: Uint8Array = new Uint8Array(0);
  /** Over `u8`; decoded messages keep it as their buffer's arena (WireMsg.arena). */
  private dv: DataView = new DataView(this.u8.buffer);
  /** For long latin1 strings, made when the first one is read from the current bytes. */
  private latin1: Buffer | null = null;
  private readonly index: PeerIndex;
  private readonly appUri: string;
  private readonly graphId: string;
  private readonly locOf: (ext: string) => SharedLoc;
  private readonly strings: string[] = [];
  private p = 0;

  constructor(index: PeerIndex, appUri: string, graphId: string, locOf: (ext: string) => SharedLoc) {
    this.index = index;
    this.appUri = appUri;
    this.graphId = graphId;
    this.locOf = locOf;
  }

  /** Reads from `bytes` from now on (a reader's arena: its views are made once per arena). */
  use(bytes: Uint8Array): void {
    if (bytes === this.u8) return;
    this.u8 = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.latin1 = null;
  }

  /** Decodes the record at `[pos, end)`; throws `RingFormatError` when it is not one. */
  decode(pos: number, end: number): WireMsg {
    this.p = pos;
    let w: WireMsg;
    try {
      w = this.readMessage();
    } catch (e) {
      if (e instanceof RingFormatError) throw e;
      throw new RingFormatError(`Unreadable ring record at ${pos}: ${(e as Error).message}`);
    }
    if (this.p !== end) throw new RingFormatError(`Ring record at ${pos} is ${end - pos} bytes, its message ${this.p - pos}.`);
    return w;
  }

  private readMessage(): WireMsg {
    const u8 = this.u8;
    const dv = this.dv;
    const p = this.p;
    const type = TYPES[u8[p]];
    if (type === undefined) throw new RingFormatError(`Unknown message type ${u8[p]} in a ring record.`);
    const flags = u8[p + 1];
    const ts = dv.getFloat64(p + 2, true);
    const srcId = dv.getUint16(p + 10, true);
    const destId = dv.getUint16(p + 12, true);
    this.p = p + 14;
    const src = (flags & F_SRC_ID) !== 0 ? this.shared(srcId).loc : this.readLoc();
    const dests = (flags & F_DEST_ID) !== 0 ? this.shared(destId).dests : [this.readLoc()];
    const name = this.readStr();
    let arena: DataView | null = null;
    let arenaAt = 0;
    let arenaLen = 0;
    if ((flags & F_BUF) !== 0) {
      const n = dv.getUint32(this.p, true);
      const pad = u8[this.p + 4];
      const at = this.p + 5 + pad;
      this.p = at + n;
      if (pad > 7 || at + n > u8.length) throw new RingFormatError('A buffer beyond its ring record.');
      // No view per message: the bytes stay where they are until read or sent on (WireMsg.arena).
      arena = dv;
      arenaAt = at;
      arenaLen = n;
    }
    let audio: AudioFields | null = null;
    let video: VideoFields | null = null;
    if ((flags & F_FRAME) !== 0) {
      if (type === 'audio_frame') {
        audio = {
          sampleRate: this.readValue() as number,
          bytesPerSample: this.readValue() as number,
          samplesPerChannel: this.readValue() as number,
          channels: this.readValue() as number,
          channelLayout: this.readValue() as number,
          dataFmt: this.readValue() as number,
          lineSize: this.readValue() as number,
          eof: this.readValue() as boolean,
        };
      } else {
        video = { width: this.readValue() as number, height: this.readValue() as number, pixelFmt: this.readValue() as number, eof: this.readValue() as boolean };
      }
    }
    let cmdId = '';
    let parentCmdId = '';
    let seqId = '';
    let status = 0;
    let origName = '';
    let origType: MsgType = 'cmd';
    if ((flags & F_CMD) !== 0) {
      cmdId = this.readStr();
      parentCmdId = this.readStr();
      seqId = this.readStr();
      status = this.readValue() as number;
      origName = this.readStr();
      const oc = TYPES[u8[this.p++]];
      if (oc === undefined) throw new RingFormatError('Unknown original type in a ring record.');
      origType = oc;
    }
    const props = this.readValue() as Record<string, unknown>;
    if (props === null || typeof props !== 'object') throw new RingFormatError('A ring record without a property object.');
    let propTypes: TypeTree | null = null;
    let tsExact: bigint | null = null;
    if ((flags & F_TEN) !== 0) {
      propTypes = this.readValue() as TypeTree | null;
      tsExact = this.readValue() as bigint | null;
    }
    // Built once with every field final, in `newWireMsg`'s order: one hidden class for all.
    return {
      type,
      name,
      src,
      dests,
      props,
      propTypes,
      ts,
      tsExact,
      cmdId,
      parentCmdId,
      seqId,
      status,
      isFinal: (flags & F_CMD) === 0 || (flags & F_FINAL) !== 0,
      isCompleted: (flags & F_COMPLETED) !== 0,
      origName,
      origType,
      buf: null,
      packed: null,
      arena,
      arenaAt,
      arenaLen,
      audio,
      video,
    };
  }

  private shared(id: number): SharedLoc {
    if (id >= this.index.names.length) throw new RingFormatError(`Extension number ${id} is not in the graph.`);
    return this.index.loc(id);
  }

  private readLoc(): WireLoc {
    const app = this.readStr();
    const graph = this.readStr();
    const ext = this.readStr();
    // Ends inside this graph share their location objects, as everywhere else.
    if (app === this.appUri && graph === this.graphId && this.index.id(ext) !== -1) return this.locOf(ext).loc;
    return { app, graph, ext };
  }

  private readStr(): string {
    const u8 = this.u8;
    const kind = u8[this.p];
    switch (kind) {
      case S_REF: {
        const s = this.strings[this.dv.getUint16(this.p + 1, true)];
        if (s === undefined) throw new RingFormatError('A ring record names a string never defined.');
        this.p += 3;
        return s;
      }
      case S_DEF: {
        const id = this.dv.getUint16(this.p + 1, true);
        this.p += 3;
        if (u8[this.p] === S_REF || u8[this.p] === S_DEF) throw new RingFormatError('A string definition without its text.');
        // Internalized once here: as a property key or a compared name it is then found by
        // pointer (a fresh string would be looked up in the string table at every store).
        const s = internalized(this.readStr());
        this.strings[id] = s;
        return s;
      }
      case S_LATIN1: {
        const n = this.dv.getUint32(this.p + 1, true);
        const at = this.p + 5;
        this.p = at + n;
        if (n > SHORT_STRING) {
          this.latin1 ??= Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
          return this.latin1.toString('latin1', at, at + n);
        }
        let s = '';
        for (let i = at; i < at + n; i++) s += String.fromCharCode(u8[i]);
        return s;
      }
      case S_UTF16: {
        const n = this.dv.getUint32(this.p + 1, true);
        const at = this.p + 5;
        this.p = at + 2 * n;
        const dv = this.dv;
        let s = '';
        for (let i = 0; i < n; i++) s += String.fromCharCode(dv.getUint16(at + 2 * i, true));
        return s;
      }
      default:
        throw new RingFormatError(`Unknown string kind ${kind} in a ring record.`);
    }
  }

  private readValue(): unknown {
    const u8 = this.u8;
    const dv = this.dv;
    const tag = u8[this.p++];
    switch (tag) {
      case V_SMALL:
        return u8[this.p++];
      case V_INT32: {
        const v = dv.getInt32(this.p, true);
        this.p += 4;
        return v;
      }
      case V_FLOAT64: {
        const v = dv.getFloat64(this.p, true);
        this.p += 8;
        return v;
      }
      case V_STRING:
        return this.readStr();
      case V_NULL:
        return null;
      case V_UNDEFINED:
        return undefined;
      case V_FALSE:
        return false;
      case V_TRUE:
        return true;
      case V_INT64: {
        const v = dv.getBigInt64(this.p, true);
        this.p += 8;
        return v;
      }
      case V_UINT64: {
        const v = dv.getBigUint64(this.p, true);
        this.p += 8;
        return v;
      }
      case V_BIGINT:
        return BigInt(this.readStr());
      case V_ARRAY: {
        const n = dv.getUint32(this.p, true);
        this.p += 4;
        if (n > u8.length) throw new RingFormatError('An array longer than its ring.');
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.readValue();
        return a;
      }
      case V_OBJECT: {
        const n = dv.getUint32(this.p, true);
        this.p += 4;
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.readStr();
          o[k] = this.readValue();
        }
        return o;
      }
      case V_BUFFER: {
        const n = dv.getUint32(this.p, true);
        const at = this.p + 4;
        this.p = at + n;
        const b = new ArrayBuffer(n);
        new Uint8Array(b).set(u8.subarray(at, at + n));
        return b;
      }
      default:
        throw new RingFormatError(`Unknown value tag ${tag} in a ring record.`);
    }
  }
}
