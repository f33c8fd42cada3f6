/**
 * Property paths as TEN writes them: `a.b[2].c`; the empty path is the whole object.
 * Values are plain JSON plus ArrayBuffers (TEN `buf`), so messages stay structured-clonable.
 */

import { stringifyJson } from '../../shared/json/text';

export type PropObject = Record<string, unknown>;

type Segment = string | number;

const pathCache = new Map<string, Segment[] | null>();

/** Parses `a.b[2]` into `['a','b',2]`; `null` for a malformed path. Cached: paths repeat. */
export function parsePath(path: string): Segment[] | null {
  const cached = pathCache.get(path);
  if (cached !== undefined) return cached;
  let out: Segment[] | null = [];
  if (path !== '') {
    for (const part of path.split('.')) {
      const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
      if (!m || (m[1] === '' && m[2] === '')) {
        out = null;
        break;
      }
      if (m[1] !== '') out.push(m[1]);
      for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
    }
  }
  if (pathCache.size < 4096) pathCache.set(path, out);
  return out;
}

/** Reads a property; `undefined` when any segment is missing. */
export function getProp(root: PropObject, path: string): unknown {
  const segs = parsePath(path);
  if (segs === null) return undefined;
  let cur: unknown = root;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/** Writes a property, creating intermediate objects/arrays; false for a malformed path. */
export function setProp(root: PropObject, path: string, value: unknown): boolean {
  const segs = parsePath(path);
  if (segs === null || segs.length === 0) return false;
  let cur = root as Record<string | number, unknown>;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    let next = cur[s];
    if (next === null || typeof next !== 'object') {
      next = typeof segs[i + 1] === 'number' ? [] : {};
      cur[s] = next;
    }
    cur = next as Record<string | number, unknown>;
  }
  cur[segs[segs.length - 1]] = value;
  return true;
}

/**
 * JSON text of a property value; buffers are not JSON and are reported as such by callers. An
 * int64/uint64 beyond 2^53 (a `bigint`) is written as its exact integer literal.
 */
export function toJson(value: unknown): string {
  // A replacer makes JSON.stringify call back into JS for every value: only a value that may
  // hold a buffer needs it.
  return stringifyJson(value, 0, plain(value, PLAIN_DEPTH) ? undefined : dropBuffers) ?? '';
}

const dropBuffers = (_k: string, v: unknown): unknown => (v instanceof ArrayBuffer ? undefined : v);

/** How deep `plain` looks before it leaves a value to the replacer. */
const PLAIN_DEPTH = 16;

/**
 * Whether `v` is made of primitives, plain objects and arrays only, to `depth` levels: then no
 * buffer hides in it (a buffer, or any other object such as one with `toJSON`, makes it not
 * plain, and it is written with the replacer).
 */
function plain(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth === 0) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth - 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) if (!plain((v as PropObject)[k], depth - 1)) return false;
  return true;
}

/** Deep-merges `over` onto `base` (objects merge, everything else replaces). */
export function deepMerge(base: PropObject, over: PropObject): PropObject {
  const out: PropObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as PropObject, v as PropObject)
        : v;
  }
  return out;
}
