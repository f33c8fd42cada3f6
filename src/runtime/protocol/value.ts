/**
 * TEN values on the wire (`ten_value_t` as TEN's msgpack protocol writes it): a type tag, packed
 * as a msgpack int, then the payload. Arrays and objects are a uint32 count followed by their
 * items (not msgpack arrays or maps); object keys are msgpack strings.
 *
 * In the runtime a value is plain JSON plus ArrayBuffers, with integers beyond 2^53 as `bigint`
 * (docs/graph-model.md "Numbers"), so it does not say which of TEN's ten numeric types it had.
 * The type is inferred as TEN infers it from JSON: a non-negative integer is UINT64, a negative
 * one INT64, any other number FLOAT64. A value received with another type (an INT32 property,
 * a FLOAT64 that happens to be 2.0) is recorded in a `TypeTree` beside the value, so a message
 * passed on unchanged is written back with the types it came with, byte for byte.
 */
import type { TypeTree } from '../core/wire';
import type { Reader, Writer } from './msgpack';
import { DecodeFail } from './msgpack';

/** TEN's value type tags (`TEN_TYPE_*`). */
export const TenType = {
  INVALID: 0,
  NULL: 1,
  BOOL: 2,
  INT8: 3,
  INT16: 4,
  INT32: 5,
  INT64: 6,
  UINT8: 7,
  UINT16: 8,
  UINT32: 9,
  UINT64: 10,
  FLOAT32: 11,
  FLOAT64: 12,
  STRING: 13,
  BUF: 14,
  ARRAY: 15,
  OBJECT: 16,
  PTR: 17,
} as const;

export const TEN_TYPE_NAMES: readonly string[] = [
  'INVALID',
  'NULL',
  'BOOL',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'FLOAT32',
  'FLOAT64',
  'STRING',
  'BUF',
  'ARRAY',
  'OBJECT',
  'PTR',
];

/** A tag's name for messages: `INT32 (5)`. */
export function tagName(tag: number): string {
  return `${TEN_TYPE_NAMES[tag] ?? 'unknown type'} (${tag})`;
}

/**
 * Types of the numbers in a value that differ from the inferred ones: a tag for a number, a
 * tree for an array (keys are indexes) or object. Absent = inferred. A runtime message carries
 * one for its properties (core/wire.ts `WireMsg.propTypes`).
 */
export type { TypeTree };

/** Deepest nesting of arrays and objects a decoder follows (a peer cannot exhaust the stack). */
export const MAX_DEPTH = 128;

const INT_RANGE: Record<number, [number, number]> = {
  [TenType.INT8]: [-128, 127],
  [TenType.INT16]: [-32768, 32767],
  [TenType.INT32]: [-0x8000_0000, 0x7fff_ffff],
  [TenType.UINT8]: [0, 0xff],
  [TenType.UINT16]: [0, 0xffff],
  [TenType.UINT32]: [0, 0xffff_ffff],
};
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/** The tag TEN would give this value if it came from JSON. */
export function inferTag(v: unknown): number {
  switch (typeof v) {
    case 'boolean':
      return TenType.BOOL;
    case 'string':
      return TenType.STRING;
    case 'number':
      return Number.isSafeInteger(v) ? (v >= 0 ? TenType.UINT64 : TenType.INT64) : TenType.FLOAT64;
    case 'bigint':
      return v >= 0n ? TenType.UINT64 : TenType.INT64;
    default:
      return Array.isArray(v) ? TenType.ARRAY : v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? TenType.BUF : TenType.OBJECT;
  }
}

/** Whether number `v` can be written with numeric tag `tag` without changing it. */
function fits(tag: number, v: number | bigint): boolean {
  if (tag === TenType.FLOAT64) return typeof v === 'number';
  if (tag === TenType.FLOAT32) return typeof v === 'number' && (Math.fround(v) === v || Number.isNaN(v));
  if (typeof v === 'bigint') {
    if (tag === TenType.UINT64) return v >= 0n && v <= MAX_U64;
    if (tag === TenType.INT64) return v >= MIN_I64 && v <= MAX_I64;
    return false;
  }
  if (!Number.isSafeInteger(v)) return false;
  if (tag === TenType.UINT64) return v >= 0;
  if (tag === TenType.INT64) return true;
  const range = INT_RANGE[tag];
  return range !== undefined && v >= range[0] && v <= range[1];
}

// ---- decoding ---------------------------------------------------------------------------

/**
 * Decodes TEN values. After each `value()` call, `shadow` holds the value's type record (a tag
 * or a tree) when it differs from the inferred one, else undefined.
 */
export class ValueReader {
  shadow: number | TypeTree | undefined = undefined;

  constructor(readonly r: Reader) {}

  /** Reads a type tag (a non-negative msgpack int). */
  tag(what: string): number {
    const r = this.r;
    const start = r.pos;
    const t = start < r.end ? r.b[start] : -1;
    if (t >= 0 && t <= 0x7f) {
      r.pos++;
      return t;
    }
    const v = r.anyInt(`${what}: a TEN type tag (a positive int)`);
    if (typeof v !== 'number' || v < 0) throw r.fail(`${what}: a TEN type tag (a positive int)`, start);
    return v;
  }

  /** Reads one TEN value; `depth` counts enclosing arrays and objects. */
  value(depth = 0): unknown {
    const r = this.r;
    const start = r.pos;
    const tag = this.tag('a value');
    return this.payload(tag, start, depth);
  }

  /** Reads the payload of a value whose tag was read at `start`. */
  payload(tag: number, start: number, depth: number): unknown {
    const r = this.r;
    switch (tag) {
      case TenType.BOOL:
        this.shadow = undefined;
        return this.bool();
      case TenType.STRING:
        this.shadow = undefined;
        return r.str('a msgpack str (the STRING payload)');
      case TenType.BUF: {
        this.shadow = undefined;
        const view = r.bin('a msgpack bin (the BUF payload)');
        // A property value is the runtime's own ArrayBuffer: copied out of the receive buffer.
        return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
      }
      case TenType.ARRAY:
        return this.array(depth, start);
      case TenType.OBJECT:
        return this.object(depth, start);
      case TenType.FLOAT32:
      case TenType.FLOAT64: {
        const v = this.number(tag);
        this.shadow = tag === inferTag(v) ? undefined : tag;
        return v;
      }
      default:
        if (tag >= TenType.INT8 && tag <= TenType.UINT64) {
          const v = this.number(tag);
          this.shadow = tag === inferTag(v) ? undefined : tag;
          return v;
        }
        throw new DecodeFail(
          start - r.origin,
          'a TEN type tag from BOOL (2) to OBJECT (16)',
          tag === TenType.NULL ? 'NULL (1), which TEN\'s protocol cannot carry (TEN itself aborts on it)' : `type tag ${tag} (${TEN_TYPE_NAMES[tag] ?? 'unknown'})`,
        );
    }
  }

  /** A BOOL payload: TEN packs it as the int 0 or 1; msgpack false/true are taken too. */
  bool(): boolean {
    const r = this.r;
    const t = r.b[r.pos];
    if (t === 0 || t === 1) {
      r.pos++;
      return t === 1;
    }
    if (t === 0xc2 || t === 0xc3) {
      r.pos++;
      return t === 0xc3;
    }
    const v = r.anyInt('a BOOL payload (the int 0 or 1)');
    if (typeof v === 'number' && v < 0) throw r.fail('a BOOL payload (the int 0 or 1)', r.lastStart);
    return v !== 0 && v !== 0n;
  }

  /** The payload of a numeric tag, range-checked. */
  number(tag: number): number | bigint {
    const r = this.r;
    if (tag === TenType.FLOAT32 || tag === TenType.FLOAT64) {
      const f = r.pos < r.end ? r.float() : null;
      if (f === null) throw r.fail(`a msgpack float (the ${TEN_TYPE_NAMES[tag]} payload)`);
      return f;
    }
    const v = r.anyInt(INT_PAYLOAD[tag]!);
    if (!fits(tag, v)) {
      throw new DecodeFail(r.lastStart - r.origin, `an int in the range of ${TEN_TYPE_NAMES[tag]}`, String(v));
    }
    return v;
  }

  /** A count of items that needs at least `min` bytes each: checked before anything is allocated. */
  private count(what: string, min: number): number {
    const r = this.r;
    const v = r.uint(what === ARRAY_ITEM ? ARRAY_COUNT : OBJECT_COUNT);
    if (v * min > r.end - r.pos) {
      throw new DecodeFail(r.lastStart - r.origin, `${what} count that the ${r.end - r.pos} bytes left can hold`, String(v));
    }
    return v;
  }

  private array(depth: number, start: number): unknown[] {
    const r = this.r;
    if (depth >= MAX_DEPTH) throw new DecodeFail(start - r.origin, `arrays and objects nested at most ${MAX_DEPTH} deep`, 'a deeper one');
    const n = this.count(ARRAY_ITEM, 2);
    const out = new Array<unknown>(n);
    let tree: TypeTree | undefined;
    for (let i = 0; i < n; i++) {
      try {
        out[i] = this.value(depth + 1);
      } catch (e) {
        throw within(e, `[${i}]`);
      }
      if (this.shadow !== undefined) (tree ??= {})[i] = this.shadow;
    }
    this.shadow = tree;
    return out;
  }

  private object(depth: number, start: number): Record<string, unknown> {
    const r = this.r;
    if (depth >= MAX_DEPTH) throw new DecodeFail(start - r.origin, `arrays and objects nested at most ${MAX_DEPTH} deep`, 'a deeper one');
    const n = this.count(OBJECT_ENTRY, 3);
    const out: Record<string, unknown> = {};
    let tree: TypeTree | undefined;
    for (let i = 0; i < n; i++) {
      const key = r.str('an OBJECT key (a msgpack str)');
      let v: unknown;
      try {
        v = this.value(depth + 1);
      } catch (e) {
        throw within(e, `.${key}`);
      }
      setOwn(out, key, v);
      if (this.shadow !== undefined) setOwn((tree ??= {}), key, this.shadow);
    }
    this.shadow = tree;
    return out;
  }
}

/** What the decoder expects, for its errors: made once, not per value. */
const INT_PAYLOAD: readonly string[] = TEN_TYPE_NAMES.map((name) => `a msgpack int (the ${name} payload)`);
const ARRAY_ITEM = 'an ARRAY item';
const OBJECT_ENTRY = 'an OBJECT entry';
const ARRAY_COUNT = `${ARRAY_ITEM} count (a positive int)`;
const OBJECT_COUNT = `${OBJECT_ENTRY} count (a positive int)`;

/** `o[key] = v`, as an own property even for `__proto__` (JSON.parse does the same). */
function setOwn(o: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}

/** Prefixes the path of a failure raised inside a nested value. */
export function within(e: unknown, segment: string): unknown {
  if (e instanceof DecodeFail || e instanceof EncodeFail) e.path.unshift(segment);
  return e;
}

// ---- encoding ---------------------------------------------------------------------------

/** A value that TEN's protocol cannot carry; `path` locates it inside the field. */
export class EncodeFail {
  readonly path: string[] = [];
  constructor(readonly reason: string) {}
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Writes a value of a numeric tag. */
export function writeNumber(w: Writer, tag: number, v: number | bigint): void {
  w.byte(tag);
  if (tag === TenType.FLOAT64) w.f64(Number(v));
  else if (tag === TenType.FLOAT32) w.f32(Number(v));
  else if (typeof v === 'bigint') w.bigint(v);
  else w.int(v);
}

/**
 * Writes one runtime value as a TEN value, with the types of `shadow` where they still fit the
 * value (a value changed since it was received falls back to the inferred type).
 */
export function writeValue(w: Writer, v: unknown, shadow: number | TypeTree | undefined, depth = 0): void {
  switch (typeof v) {
    case 'string':
      w.byte(TenType.STRING);
      w.str(v);
      return;
    case 'boolean':
      w.byte(TenType.BOOL);
      w.byte(v ? 1 : 0);
      return;
    case 'number':
    case 'bigint': {
      let tag = typeof shadow === 'number' && fits(shadow, v) ? shadow : inferTag(v);
      if (tag === TenType.UINT64 && typeof v === 'bigint' && v > MAX_U64) throw new EncodeFail(`the integer ${v} is beyond UINT64`);
      if (tag === TenType.INT64 && typeof v === 'bigint' && v < MIN_I64) throw new EncodeFail(`the integer ${v} is beyond INT64`);
      if (tag === TenType.INT64 && typeof v === 'number' && !Number.isSafeInteger(v)) tag = TenType.FLOAT64;
      writeNumber(w, tag, v);
      return;
    }
    case 'undefined':
      throw new EncodeFail('undefined has no TEN type');
    case 'object': {
      if (v === null) throw new EncodeFail("null has no TEN wire type (TEN's msgpack protocol cannot carry a JSON null; a TEN peer aborts on it)");
      if (depth >= MAX_DEPTH) throw new EncodeFail(`arrays and objects are nested deeper than ${MAX_DEPTH}`);
      const tree = typeof shadow === 'object' ? shadow : undefined;
      if (Array.isArray(v)) {
        w.byte(TenType.ARRAY);
        w.uint(v.length);
        for (let i = 0; i < v.length; i++) {
          try {
            writeValue(w, v[i], tree?.[i], depth + 1);
          } catch (e) {
            throw within(e, `[${i}]`);
          }
        }
        return;
      }
      if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) {
        w.byte(TenType.BUF);
        w.bin(new Uint8Array(v));
        return;
      }
      if (ArrayBuffer.isView(v)) {
        w.byte(TenType.BUF);
        w.bin(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        return;
      }
      if (!isPlainObject(v)) throw new EncodeFail(`a ${v.constructor?.name ?? 'non-plain object'} has no TEN type`);
      writeObject(w, v as Record<string, unknown>, tree, depth);
      return;
    }
    default:
      throw new EncodeFail(`a ${typeof v} has no TEN type`);
  }
}

/** Writes a plain object as a TEN OBJECT; entries whose value is undefined are left out, as JSON does. */
export function writeObject(w: Writer, o: Record<string, unknown>, tree: TypeTree | undefined, depth = 0): void {
  const keys = Object.keys(o);
  let n = keys.length;
  for (const k of keys) if (o[k] === undefined) n--;
  w.byte(TenType.OBJECT);
  w.uint(n);
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    w.str(k);
    try {
      writeValue(w, x, tree?.[k], depth + 1);
    } catch (e) {
      throw within(e, `.${k}`);
    }
  }
}
