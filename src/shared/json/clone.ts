/**
 * Deep copy of JSON data (objects, arrays, primitives), keeping key order. The shared layer has no
 * `structuredClone` (no DOM/Node types), and documents are plain JSON anyway.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: cloneJson(v), enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  }
  return value;
}
