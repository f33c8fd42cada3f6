/**
 * Document sync: what the page sends instead of a whole document must rebuild exactly the
 * document on the server (content and key order, so a save writes the same bytes), leave every
 * value a request holds untouched, and stay within the frame budget.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  applyPropertyEdit,
  chunkChanges,
  decodeClientFrame,
  diffJson,
  DocumentMirrors,
  DocumentUploader,
  encodeRequest,
  encodeSync,
  parseJsonText,
  stringifyJson,
  SYNC_ERROR_PREFIX,
  type JsonChange,
  type PropertyEdit,
  type TenAppProperty,
} from '../../../src/shared';
import hello from '../../../resources/examples/hello-pipeline/property.json';

/** A JSON value as the wire carries it (bigints, unicode, awkward keys included). */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0.5, 1e21, 2 ** 53 + 2),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('__proto__', 'constructor', '', '~/', '\u2028'),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'a', 'b')), tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** An edit of a JSON value as the editor makes them: a new spine down to the change, the rest shared. */
type Edit = { path: number[]; kind: 'replace' | 'delete' | 'insert' | 'rekey'; value: unknown };
const edit = fc.record({ path: fc.array(fc.nat(), { maxLength: 4 }), kind: fc.constantFrom('replace', 'delete', 'insert', 'rekey'), value: json }) as fc.Arbitrary<Edit>;

function edited(v: unknown, e: Edit, depth = 0): unknown {
  const here = depth === e.path.length || typeof v !== 'object' || v === null;
  if (Array.isArray(v)) {
    if (here || v.length === 0) {
      const at = (e.path[depth] ?? 0) % (v.length + 1);
      if (e.kind === 'insert' || v.length === 0) return [...v.slice(0, at), e.value, ...v.slice(at)];
      if (e.kind === 'delete') return v.filter((_, i) => i !== at % v.length);
      return v.map((x, i) => (i === at % v.length ? e.value : x));
    }
    const at = e.path[depth]! % v.length;
    return v.map((x, i) => (i === at ? edited(x, e, depth + 1) : x));
  }
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    const rec = v as Record<string, unknown>;
    const copy = (entries: [string, unknown][]) => {
      const o: Record<string, unknown> = {};
      for (const [k, x] of entries) Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
      return o;
    };
    if (here || keys.length === 0) {
      if (e.kind === 'insert' || keys.length === 0) return copy([...Object.entries(rec), [`k${e.path.length}${keys.length}`, e.value]]);
      const k = keys[(e.path[depth] ?? 0) % keys.length]!;
      if (e.kind === 'delete') return copy(Object.entries(rec).filter(([x]) => x !== k));
      // A new key order: the last member moves to the front.
      const last = keys[keys.length - 1]!;
      if (e.kind === 'rekey') return copy([[last, rec[last]], ...Object.entries(rec).filter(([x]) => x !== last)]);
      return copy(Object.entries(rec).map(([x, y]) => [x, x === k ? e.value : y]));
    }
    const k = keys[e.path[depth]! % keys.length]!;
    return copy(Object.entries(rec).map(([x, y]) => [x, x === k ? edited(y, e, depth + 1) : y]));
  }
  return e.value;
}

/** Freezes a value deeply, so that any change made to it in place throws. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The text a value is written as: equal text means equal content and key order. */
const text = (v: unknown) => stringifyJson(v);

/** Changes through the wire and back, as the server reads them. */
const wire = (changes: JsonChange[]) => parseJsonText(stringifyJson(changes) as string) as JsonChange[];

describe('diffJson and applyChanges', () => {
  it('rebuild the edited value exactly, key order included, without touching the original', () => {
    fc.assert(
      fc.property(json, fc.array(edit, { minLength: 1, maxLength: 4 }), (a, edits) => {
        const b = edits.reduce<unknown>((v, e) => edited(v, e), a);
        deepFreeze(a);
        const rebuilt = applyChanges(parseJsonText(text(a) as string), wire(diffJson(a, b)));
        expect(text(rebuilt)).toBe(text(b));
        // Applied to the frozen original itself: copy-on-write, so nothing throws.
        expect(text(applyChanges(a, diffJson(a, b)))).toBe(text(b));
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('send nothing for an unchanged value and a small change for one edit of a large value', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `row-${i}` }));
    const a = { ...hello, ten: { ...hello.ten, big: rows } };
    expect(diffJson(a, a)).toEqual([]);
    expect(diffJson(a, parseJsonText(text(a) as string))).toEqual([]);
    const b = { ...a, ten: { ...a.ten, big: rows.map((r, i) => (i === 777 ? { ...r, name: 'x' } : r)) } };
    expect(diffJson(a, b)).toEqual([{ op: 'set', path: ['ten', 'big', 777, 'name'], value: 'x' }]);
    const c = { ...a, ten: { ...a.ten, big: [...rows.slice(0, 5), ...rows.slice(6)] } };
    expect(diffJson(a, c)).toEqual([{ op: 'splice', path: ['ten', 'big'], at: 5, remove: 1, insert: [] }]);
  });

  it("describe the studio's own edits in a few changes", () => {
    const property = hello as unknown as TenAppProperty;
    const edit: PropertyEdit = { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'setProperty', node: 'ticker', path: ['interval_ms'], value: 20 } };
    const step = applyPropertyEdit(property, edit);
    if (!step.ok) throw new Error(step.error);
    const changes = diffJson(property, step.doc);
    expect(changes).toEqual([{ op: 'set', path: ['ten', 'predefined_graphs', 0, 'graph', 'nodes', 0, 'property', 'interval_ms'], value: 20 }]);
    expect(text(applyChanges(property, changes))).toBe(text(step.doc));
  });

  it('refuse changes that do not fit the value', () => {
    expect(() => applyChanges({ a: 1 }, [{ op: 'set', path: ['b', 'c'], value: 1 }])).toThrow('no member b');
    expect(() => applyChanges([1], [{ op: 'set', path: [3], value: 1 }])).toThrow('no element 3');
    expect(() => applyChanges([1], [{ op: 'splice', path: [], at: 1, remove: 1, insert: [] }])).toThrow('outside the array');
    expect(() => applyChanges({ a: 1 }, [{ op: 'del', path: ['b'] }])).toThrow('no member b');
    expect(() => applyChanges({ a: 'x' }, [{ op: 'append', path: ['a'], text: 1 as unknown as string }])).toThrow('not a string');
    expect(() => applyChanges(undefined, [{ op: 'set', path: ['a'], value: 1 }])).toThrow('no container');
  });
});

describe('chunkChanges', () => {
  it('cuts any change into groups within the budget that rebuild the same value', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 100, max: 600 }), (v, budget) => {
        const groups = chunkChanges([{ op: 'set', path: [], value: v }], budget);
        const rebuilt = groups.reduce<unknown>((acc, g) => applyChanges(acc, wire(g)), undefined);
        expect(text(rebuilt)).toBe(text(v));
        for (const g of groups) {
          // A group holds several changes only when they fit together; one that cannot be cut
          // further (a long number) may exceed it alone.
          if (g.length > 1) expect((stringifyJson(g) as string).length).toBeLessThanOrEqual(budget + 64 * g.length);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('uploads a 2 MB string in parts, never splitting a surrogate pair', () => {
    const s = '😀'.repeat(1024 * 1024);
    const groups = chunkChanges([{ op: 'set', path: ['blob'], value: s }], 100_000);
    expect(groups.length).toBeGreaterThan(10);
    for (const g of groups) for (const c of g) if (c.op === 'append') expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(c.text)).toBe(false);
    const rebuilt = groups.reduce<unknown>((acc, g) => applyChanges(acc, wire(g)), { blob: 'x' });
    expect((rebuilt as { blob: string }).blob).toBe(s);
  });
});

describe('DocumentUploader and DocumentMirrors over the wire format', () => {
  /** Sends what the uploader prepares through the server's decoder and returns the property the request resolves to. */
  function roundTrip(uploader: DocumentUploader, mirrors: DocumentMirrors, id: string, property: unknown): unknown {
    const { frames, ref } = uploader.prepare(id, property);
    for (const f of frames) expect(decodeClientFrame(encodeSync(f), mirrors)).toEqual({ ok: true, value: null });
    const request = encodeRequest(1, 'validateDocument', { document: { id, title: 't', origin: { kind: 'untitled' } } }, ref);
    const decoded = decodeClientFrame(request, mirrors);
    if (!decoded.ok) throw decoded.error;
    return (decoded.value!.params as { document: { property: unknown } }).document.property;
  }

  it('keep the server copy equal to the page copy through a sequence of edits and documents', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.array(edit, { maxLength: 3 })), { maxLength: 12 }), (steps) => {
        const uploader = new DocumentUploader(3, 400);
        const mirrors = new DocumentMirrors();
        const docs = new Map<string, Record<string, unknown>>();
        for (const [id, edits] of steps) {
          const before = docs.get(id) ?? { ten: { predefined_graphs: [] }, id };
          const after = edits.reduce<unknown>((v, e) => edited(v, e), before);
          const property = typeof after === 'object' && after !== null && !Array.isArray(after) ? (after as Record<string, unknown>) : { wrapped: after };
          docs.set(id, property);
          expect(text(roundTrip(uploader, mirrors, id, property))).toBe(text(property));
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('refuse a reference the server cannot resolve with the sync error the page retries on', () => {
    const mirrors = new DocumentMirrors();
    const request = encodeRequest(4, 'validateDocument', { document: { id: 'x', title: 't', origin: { kind: 'untitled' } } }, { key: 'x', rev: 1 });
    const decoded = decodeClientFrame(request, mirrors);
    expect(decoded).toMatchObject({ ok: false, id: 4, error: { code: 'E_BAD_MESSAGE' } });
    expect(decoded.ok ? '' : decoded.error.message).toMatch(new RegExp(`^${SYNC_ERROR_PREFIX} no copy of document "x"`));
    // A frame out of step breaks the copy until it is uploaded from revision 0 again.
    const uploader = new DocumentUploader();
    roundTrip(uploader, mirrors, 'x', { v: 1 });
    decodeClientFrame(encodeSync({ type: 'sync', key: 'x', base: 7, rev: 8, changes: [] }), mirrors);
    const next = uploader.prepare('x', { v: 2 });
    for (const f of next.frames) decodeClientFrame(encodeSync(f), mirrors);
    expect(() => mirrors.resolve(next.ref)).toThrow(/out of step: revision 1, not 7/);
    uploader.forget('x');
    expect(roundTrip(uploader, mirrors, 'x', { v: 3 })).toEqual({ v: 3 });
  });

  it('refuse a request that refers to a mirror and also carries the property', () => {
    const decoded = decodeClientFrame(encodeRequest(2, 'validateDocument', { document: { id: 'x', title: 't', origin: { kind: 'untitled' }, property: {} } }, { key: 'x', rev: 1 }), new DocumentMirrors());
    expect(decoded).toMatchObject({ ok: false, id: 2, error: { code: 'E_BAD_MESSAGE', message: 'A request with "document" carries params.document without its "property".' } });
  });
});
