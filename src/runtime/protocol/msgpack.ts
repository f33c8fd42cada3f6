/**
 * The msgpack primitives TEN's protocol uses, written the way msgpack-c 6 (TEN's bundled copy)
 * writes them: every integer in its smallest form whatever width it was packed with, strings as
 * fixstr/str8/str16/str32, binaries as bin8/16/32, floats as `ca`/`cb`, ext headers as
 * fixext/ext8/16/32. Reading accepts every msgpack form of a kind; a byte that is not what the
 * field needs ends decoding with a `DecodeFail` that says where and what was expected.
 */
import { Buffer } from 'node:buffer';

/** Raised inside the decoder only; the public decode functions turn it into a located error. */
export class DecodeFail {
  /** Where inside the field the failure is (`.a`, `[2]`), filled in while the decoder unwinds. */
  readonly path: string[] = [];
  constructor(
    /** Offset of the offending byte from the start of the frame (or stream) being read. */
    readonly at: number,
    readonly expected: string,
    readonly found: string,
  ) {}
}

const TWO_32 = 0x1_0000_0000;
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);

/** Describes the msgpack object that starts with byte `b`, for error texts. */
export function describeByte(b: number | undefined): string {
  if (b === undefined) return 'the end of the message';
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  if (b <= 0x7f) return `positive fixint ${b} (${hex})`;
  if (b <= 0x8f) return `fixmap (${hex})`;
  if (b <= 0x9f) return `fixarray (${hex})`;
  if (b <= 0xbf) return `fixstr (${hex})`;
  if (b >= 0xe0) return `negative fixint ${b - 256} (${hex})`;
  const names: Record<number, string> = {
    0xc0: 'nil',
    0xc1: 'the never-used byte',
    0xc2: 'false',
    0xc3: 'true',
    0xc4: 'bin8',
    0xc5: 'bin16',
    0xc6: 'bin32',
    0xc7: 'ext8',
    0xc8: 'ext16',
    0xc9: 'ext32',
    0xca: 'float32',
    0xcb: 'float64',
    0xcc: 'uint8',
    0xcd: 'uint16',
    0xce: 'uint32',
    0xcf: 'uint64',
    0xd0: 'int8',
    0xd1: 'int16',
    0xd2: 'int32',
    0xd3: 'int64',
    0xd4: 'fixext1',
    0xd5: 'fixext2',
    0xd6: 'fixext4',
    0xd7: 'fixext8',
    0xd8: 'fixext16',
    0xd9: 'str8',
    0xda: 'str16',
    0xdb: 'str32',
    0xdc: 'array16',
    0xdd: 'array32',
    0xde: 'map16',
    0xdf: 'map32',
  };
  return `${names[b]} (${hex})`;
}

/**
 * Reads msgpack objects from `b[pos..end)`. Offsets in failures are relative to `origin` (the
 * first byte of the frame), so an error names the byte a peer sent.
 */
export class Reader {
  b: Buffer;
  dv: DataView;
  pos: number;
  end: number;
  origin: number;

  constructor(b: Uint8Array, pos = 0, end = b.length, origin = pos) {
    this.b = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = pos;
    this.end = end;
    this.origin = origin;
  }

  fail(expected: string, at = this.pos): DecodeFail {
    return new DecodeFail(at - this.origin, expected, describeByte(at < this.end ? this.b[at] : undefined));
  }

  /** Fails unless `n` more bytes are there; `what` names the object being read. */
  need(n: number, what: string, start: number): void {
    if (this.pos + n > this.end) {
      throw new DecodeFail(start - this.origin, `${what} with ${n} more byte${n === 1 ? '' : 's'}`, `only ${this.end - this.pos} before the end of the message`);
    }
  }

  /** A non-negative integer of any width (as a number; beyond 2^53 the caller gets a failure). */
  uint(what: string): number {
    const v = this.anyInt(what);
    if (typeof v === 'bigint' || v < 0) throw this.fail(what, this.lastStart);
    return v;
  }

  /** Where the last object read by `anyInt` started. */
  lastStart = 0;

  /** Any msgpack integer: a number, or a bigint beyond ±2^53. */
  anyInt(what: string): number | bigint {
    const start = (this.lastStart = this.pos);
    if (start >= this.end) throw this.fail(what);
    const t = this.b[start];
    this.pos++;
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 256;
    const dv = this.dv;
    const at = this.pos;
    switch (t) {
      case 0xcc:
        this.need(1, 'uint8', start);
        this.pos += 1;
        return this.b[at];
      case 0xcd:
        this.need(2, 'uint16', start);
        this.pos += 2;
        return dv.getUint16(at);
      case 0xce:
        this.need(4, 'uint32', start);
        this.pos += 4;
        return dv.getUint32(at);
      case 0xcf: {
        this.need(8, 'uint64', start);
        this.pos += 8;
        const hi = dv.getUint32(at);
        if (hi < 0x20_0000) return hi * TWO_32 + dv.getUint32(at + 4);
        return dv.getBigUint64(at);
      }
      case 0xd0:
        this.need(1, 'int8', start);
        this.pos += 1;
        return dv.getInt8(at);
      case 0xd1:
        this.need(2, 'int16', start);
        this.pos += 2;
        return dv.getInt16(at);
      case 0xd2:
        this.need(4, 'int32', start);
        this.pos += 4;
        return dv.getInt32(at);
      case 0xd3: {
        this.need(8, 'int64', start);
        this.pos += 8;
        const hi = dv.getInt32(at);
        if (hi >= -0x20_0000 && hi < 0x20_0000) return hi * TWO_32 + dv.getUint32(at + 4);
        return dv.getBigInt64(at);
      }
      default:
        this.pos = start;
        throw this.fail(what);
    }
  }

  /** A float (`ca`/`cb`); `null` when the next object is not one (nothing consumed). */
  float(): number | null {
    const t = this.b[this.pos];
    const start = this.pos;
    if (t === 0xcb) {
      this.pos++;
      this.need(8, 'float64', start);
      this.pos += 8;
      return this.dv.getFloat64(start + 1);
    }
    if (t === 0xca) {
      this.pos++;
      this.need(4, 'float32', start);
      this.pos += 4;
      return this.dv.getFloat32(start + 1);
    }
    return null;
  }

  /** A msgpack str, decoded as UTF-8 (invalid sequences become U+FFFD, as Node decodes). */
  str(what: string): string {
    const start = this.pos;
    if (start >= this.end) throw this.fail(what);
    const t = this.b[start];
    let n: number;
    let at: number;
    if (t >= 0xa0 && t <= 0xbf) {
      n = t - 0xa0;
      at = start + 1;
    } else if (t === 0xd9) {
      this.pos = start + 1;
      this.need(1, 'str8 length', start);
      n = this.b[start + 1];
      at = start + 2;
    } else if (t === 0xda) {
      this.pos = start + 1;
      this.need(2, 'str16 length', start);
      n = this.dv.getUint16(start + 1);
      at = start + 3;
    } else if (t === 0xdb) {
      this.pos = start + 1;
      this.need(4, 'str32 length', start);
      n = this.dv.getUint32(start + 1);
      at = start + 5;
    } else {
      throw this.fail(what);
    }
    this.pos = at;
    this.need(n, 'a string', start);
    this.pos = at + n;
    return n === 0 ? '' : n <= INTERN_MAX ? intern(this.b, at, n) : this.b.toString('utf8', at, at + n);
  }

  /** A msgpack bin as a view into the buffer being read (no copy). */
  bin(what: string): Uint8Array {
    const at = this.skipBin(what);
    return this.b.subarray(at, this.pos);
  }

  /** Reads past a msgpack bin; its bytes are `[returned offset, pos)` (no view made). */
  skipBin(what: string): number {
    const start = this.pos;
    if (start >= this.end) throw this.fail(what);
    const t = this.b[start];
    let n: number;
    let at: number;
    if (t === 0xc4) {
      this.pos = start + 1;
      this.need(1, 'bin8 length', start);
      n = this.b[start + 1];
      at = start + 2;
    } else if (t === 0xc5) {
      this.pos = start + 1;
      this.need(2, 'bin16 length', start);
      n = this.dv.getUint16(start + 1);
      at = start + 3;
    } else if (t === 0xc6) {
      this.pos = start + 1;
      this.need(4, 'bin32 length', start);
      n = this.dv.getUint32(start + 1);
      at = start + 5;
    } else {
      throw this.fail(what);
    }
    this.pos = at;
    this.need(n, 'a binary', start);
    this.pos = at + n;
    return at;
  }
}

/**
 * What the last few byte strings read at some place decoded to (locations: a stream repeats the
 * same few senders and receivers): bytes equal to ones already decoded decode to the same value,
 * so a repeat is a byte comparison instead of a decode. The last `SLOTS` are kept, each up to
 * 256 bytes.
 */
export class BytesMemo<T> {
  private static readonly SLOTS = 8;
  private readonly keys: (DataView | null)[] = new Array<DataView | null>(BytesMemo.SLOTS).fill(null);
  private readonly vals: T[] = [];
  private next = 0;
  /** The slot that matched last, tried first (one stream repeats one sender, one receiver). */
  private hit = 0;

  /** The value of the bytes that start at `r.pos` (the reader moved past them), or undefined. */
  take(r: Reader): T | undefined {
    const at = r.pos;
    const left = r.end - at;
    const dv = r.dv;
    for (let j = 0; j < BytesMemo.SLOTS; j++) {
      const s = (this.hit + j) % BytesMemo.SLOTS;
      const k = this.keys[s];
      if (k === null) continue;
      const n = k.byteLength;
      if (n > left || !same(k, dv, at, n)) continue;
      this.hit = s;
      r.pos = at + n;
      return this.vals[s];
    }
    return undefined;
  }

  /** Remembers that the bytes `[start, r.pos)` decoded to `v`. */
  keep(r: Reader, start: number, v: T): void {
    if (r.pos - start > 256) return;
    // A copy: a view would keep the whole received chunk alive.
    const copy = Uint8Array.from(r.b.subarray(start, r.pos));
    this.keys[this.next] = new DataView(copy.buffer);
    this.vals[this.next] = v;
    this.next = (this.next + 1) % BytesMemo.SLOTS;
  }
}

/**
 * Whether `k` equals the `n` bytes at `at` of `dv`: four bytes at a time (a measured 3–4× the
 * speed of a byte loop on an 80-byte location), from the end, where locations of one stream
 * differ (the extension comes last).
 */
function same(k: DataView, dv: DataView, at: number, n: number): boolean {
  let i = n;
  while (i >= 4) {
    i -= 4;
    if (k.getUint32(i) !== dv.getUint32(at + i)) return false;
  }
  while (i > 0) {
    i--;
    if (k.getUint8(i) !== dv.getUint8(at + i)) return false;
  }
  return true;
}

/**
 * Short strings repeat on every message of a stream (app URIs, graph ids, extension and message
 * names, property keys): the same bytes decode to the same string from a small cache, without a
 * new allocation and the native UTF-8 call. A slot holds the last string whose bytes hashed to it.
 */
const INTERN_MAX = 64;
const INTERN_SLOTS = 4096;
const internKeys: (Uint8Array | null)[] = new Array<Uint8Array | null>(INTERN_SLOTS).fill(null);
const internVals: string[] = new Array<string>(INTERN_SLOTS).fill('');

function intern(b: Buffer, at: number, n: number): string {
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + b[at + i]) | 0;
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const k = internKeys[slot];
  if (k !== null && k.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (k[i] !== b[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return internVals[slot];
  }
  const str = b.toString('utf8', at, at + n);
  // A copy: a view would keep the whole received chunk alive.
  const key = new Uint8Array(n);
  key.set(b.subarray(at, at + n));
  internKeys[slot] = key;
  internVals[slot] = str;
  return str;
}

/** Bytes of an ext header for a body of `n` bytes (msgpack-c's choice of form). */
/** A buffer from this size on is written behind the largest ext header (`reserveExtHeader`). */
const LARGE_BUF_BYTES = 4096;

export function extHeaderSize(n: number): number {
  if (n === 1 || n === 2 || n === 4 || n === 8 || n === 16) return 2;
  if (n < 0x100) return 3;
  if (n < 0x10000) return 4;
  return 6;
}

/**
 * A growable output buffer. Messages are appended one after another; a message that fails
 * half-way is undone by resetting `pos`. Its memory is never from Node's shared Buffer pool, so a
 * taken buffer's ArrayBuffer is its own and may be transferred to another thread.
 */
export class Writer {
  b: Buffer;
  dv: DataView;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.b = Buffer.allocUnsafeSlow(initial);
    this.dv = new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.b.length) return;
    let size = this.b.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.b.copy(grown, 0, 0, this.pos);
    this.b = grown;
    this.dv = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** The bytes written so far (a view; copy it if the writer is reused before it is consumed). */
  bytes(): Buffer {
    return this.b.subarray(0, this.pos);
  }

  /** Hands the written bytes over and starts a fresh buffer of the same capacity. */
  take(): Buffer {
    const out = this.b.subarray(0, this.pos);
    this.b = Buffer.allocUnsafeSlow(Math.max(256, this.b.length));
    this.dv = new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    this.pos = 0;
    return out;
  }

  byte(v: number): void {
    this.ensure(1);
    this.b[this.pos++] = v;
  }

  /** A non-negative integer below 2^53 in its smallest form. */
  uint(v: number): void {
    this.ensure(9);
    const b = this.b;
    const p = this.pos;
    if (v < 0x80) {
      b[p] = v;
      this.pos = p + 1;
    } else if (v < 0x100) {
      b[p] = 0xcc;
      b[p + 1] = v;
      this.pos = p + 2;
    } else if (v < 0x10000) {
      b[p] = 0xcd;
      this.dv.setUint16(p + 1, v);
      this.pos = p + 3;
    } else if (v < TWO_32) {
      b[p] = 0xce;
      this.dv.setUint32(p + 1, v);
      this.pos = p + 5;
    } else {
      b[p] = 0xcf;
      this.dv.setUint32(p + 1, Math.floor(v / TWO_32));
      this.dv.setUint32(p + 5, v >>> 0);
      this.pos = p + 9;
    }
  }

  /** A safe integer (either sign) in its smallest form, as msgpack-c's pack_intN writes it. */
  int(v: number): void {
    if (v >= 0) {
      this.uint(v);
      return;
    }
    this.ensure(9);
    const b = this.b;
    const p = this.pos;
    if (v >= -32) {
      b[p] = v & 0xff;
      this.pos = p + 1;
    } else if (v >= -128) {
      b[p] = 0xd0;
      this.dv.setInt8(p + 1, v);
      this.pos = p + 2;
    } else if (v >= -32768) {
      b[p] = 0xd1;
      this.dv.setInt16(p + 1, v);
      this.pos = p + 3;
    } else if (v >= -0x8000_0000) {
      b[p] = 0xd2;
      this.dv.setInt32(p + 1, v);
      this.pos = p + 5;
    } else {
      b[p] = 0xd3;
      this.dv.setBigInt64(p + 1, BigInt(v));
      this.pos = p + 9;
    }
  }

  /** An integer beyond ±2^53 (or any bigint in range) in its smallest form. */
  bigint(v: bigint): void {
    if (v >= -(1n << 53n) && v <= 1n << 53n) {
      this.int(Number(v));
      return;
    }
    if (v > MAX_U64 || v < MIN_I64) throw new RangeError(`${v} does not fit in 64 bits`);
    this.ensure(9);
    const p = this.pos;
    if (v >= 0n) {
      if (v < 1n << 32n) {
        this.uint(Number(v));
        return;
      }
      this.b[p] = 0xcf;
      this.dv.setBigUint64(p + 1, v);
    } else {
      this.b[p] = 0xd3;
      this.dv.setBigInt64(p + 1, v);
    }
    this.pos = p + 9;
  }

  f32(v: number): void {
    this.ensure(5);
    this.b[this.pos] = 0xca;
    this.dv.setFloat32(this.pos + 1, v);
    this.pos += 5;
  }

  f64(v: number): void {
    this.ensure(9);
    this.b[this.pos] = 0xcb;
    this.dv.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  /** A msgpack str: fixstr, str8, str16 or str32 by UTF-8 length (msgpack-c's choice). */
  str(s: string): void {
    const len = s.length;
    if (len < 256) {
      // ASCII fast path (ids, URIs, names): written straight behind a fixstr or str8 header.
      const head = len < 32 ? 1 : 2;
      this.ensure(head + len);
      const b = this.b;
      const p = this.pos + head;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === len) {
        if (head === 1) b[this.pos] = 0xa0 | len;
        else {
          b[this.pos] = 0xd9;
          b[this.pos + 1] = len;
        }
        this.pos = p + len;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + n);
    const b = this.b;
    let p = this.pos;
    if (n < 32) {
      b[p++] = 0xa0 | n;
    } else if (n < 0x100) {
      b[p++] = 0xd9;
      b[p++] = n;
    } else if (n < 0x10000) {
      b[p++] = 0xda;
      this.dv.setUint16(p, n);
      p += 2;
    } else {
      b[p++] = 0xdb;
      this.dv.setUint32(p, n);
      p += 4;
    }
    this.pos = p + (n === 0 ? 0 : b.write(s, p, n, 'utf8'));
  }

  /** Raw bytes (already msgpack), copied in. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.b.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A msgpack bin: bin8, bin16 or bin32 by length. */
  bin(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    this.ensure(5 + n);
    const b = this.b;
    let p = this.pos;
    if (n < 0x100) {
      b[p++] = 0xc4;
      b[p++] = n;
    } else if (n < 0x10000) {
      b[p++] = 0xc5;
      this.dv.setUint16(p, n);
      p += 2;
    } else {
      b[p++] = 0xc6;
      this.dv.setUint32(p, n);
      p += 4;
    }
    b.set(bytes, p);
    this.pos = p + n;
  }

  /**
   * Writes the ext header of a body already written behind the bytes `reserveExtHeader` left:
   * the body moves when its header is not of that size, so frames follow each other without
   * gaps.
   */
  finishExt(headerAt: number, type: number): void {
    const reserved = this.extReserved;
    const bodyStart = headerAt + reserved;
    const n = this.pos - bodyStart;
    const h = extHeaderSize(n);
    if (h > reserved) this.ensure(h - reserved);
    const b = this.b;
    if (h !== reserved) b.copyWithin(headerAt + h, bodyStart, this.pos);
    let p = headerAt;
    if (h === 2) {
      b[p++] = n === 1 ? 0xd4 : n === 2 ? 0xd5 : n === 4 ? 0xd6 : n === 8 ? 0xd7 : 0xd8;
    } else if (h === 3) {
      b[p++] = 0xc7;
      b[p++] = n;
    } else if (h === 4) {
      b[p++] = 0xc8;
      this.dv.setUint16(p, n);
      p += 2;
    } else {
      b[p++] = 0xc9;
      this.dv.setUint32(p, n);
      p += 4;
    }
    b[p] = type;
    this.pos = headerAt + h + n;
    this.lastExtHead = h;
  }

  /** Header bytes the last `reserveExtHeader` left. */
  private extReserved = 6;
  /** The header size of the last frame finished: the next one is likely of its size. */
  private lastExtHead = 6;

  /**
   * Leaves room for an ext header in front of a body with a buffer of `bufBytes`; returns where
   * the header goes. It leaves the last frame's header size (messages of one stream are of one
   * size, so their bodies are written where they stay), and the largest header for a large
   * buffer, whose body must never move forward.
   */
  reserveExtHeader(bufBytes: number): number {
    const r = bufBytes >= LARGE_BUF_BYTES ? 6 : this.lastExtHead;
    this.ensure(r);
    const at = this.pos;
    this.pos += r;
    this.extReserved = r;
    return at;
  }
}
