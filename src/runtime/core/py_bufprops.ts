/**
 * Buf property values on the Python link: they never pass through JSON (where an ArrayBuffer
 * would become `{}`). A message record whose properties hold ArrayBuffers carries, as its last
 * field, `[[path, length], …]` (the path as keys and indices); its JSON properties hold `null`
 * there, and the bytes follow the message's own buffer in the frame's binary section, in that
 * order. python/ten_studio_py/bufprops.py is the other half.
 */

export type BufPaths = [(string | number)[], number][];

/** Whether a property tree holds an ArrayBuffer (no allocation: asked for every message). */
function hasBuf(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (v instanceof ArrayBuffer) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object' && hasBuf(x)) return true;
    }
    return false;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (x !== null && typeof x === 'object' && hasBuf(x)) return true;
  }
  return false;
}

/**
 * The properties to write as JSON, the paths and lengths of their buf values and the values;
 * null when there is none (the properties go as they are).
 */
export function splitBufProps(props: Record<string, unknown>): { props: Record<string, unknown>; paths: BufPaths; bufs: Uint8Array[] } | null {
  if (!hasBuf(props)) return null;
  const paths: BufPaths = [];
  const bufs: Uint8Array[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof ArrayBuffer) {
      paths.push([path, v.byteLength]);
      if (v.byteLength > 0) bufs.push(new Uint8Array(v));
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, [...path, k]);
    return out;
  };
  return { props: walk(props, []) as Record<string, unknown>, paths, bufs };
}

/** Puts the buf values of a received record back into `props`, each an ArrayBuffer of its own. */
export function putBufProps(props: Record<string, unknown>, paths: BufPaths, take: (n: number) => Uint8Array | null): void {
  for (const [path, n] of paths) {
    let cur = props as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) cur = cur[path[i]!] as Record<string | number, unknown>;
    const bytes = take(n);
    // Copied out of the frame (a property's ArrayBuffer is the value itself); not with slice(),
    // which shares the memory on a Node Buffer.
    cur[path[path.length - 1]!] = bytes === null ? new ArrayBuffer(0) : (new Uint8Array(bytes).buffer as ArrayBuffer);
  }
}
