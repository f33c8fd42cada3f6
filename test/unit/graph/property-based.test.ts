import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyGraphEdit,
  checkGraph,
  checkPropertyDocument,
  exportJson,
  flattenGraph,
  isFlat,
  memoryFiles,
  parseJson,
  parseJsonDocument,
  parseJsonText,
  predefinedGraphs,
  sourceOf,
  stringifyJson,
  type Diagnostic,
  type GraphEdit,
  type MsgKind,
  type TenGraph,
} from '../../../src/shared';
import { APPS, CORPUS, HAS_CORPUS } from './corpus';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** All paths (as key lists) to values inside `v`. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

type Mutation = { kind: 'delete' | 'replace' | 'duplicate'; pick: number; value: Json };

/** Applies one mutation at a path chosen by `pick`; returns a new document. */
function mutate(doc: Json, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const all = paths(copy).filter((p) => p.length > 0);
  if (all.length === 0) return m.value;
  const path = all[m.pick % all.length]!;
  let parent: Json = copy;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k]!;
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last as number;
    if (m.kind === 'delete') parent.splice(i, 1);
    else if (m.kind === 'duplicate') parent.splice(i, 0, JSON.parse(JSON.stringify(parent[i])));
    else parent[i] = m.value;
  } else {
    const o = parent as Record<string, Json>;
    if (m.kind === 'delete') delete o[last as string];
    else if (m.kind === 'duplicate') o[`${String(last)}_copy`] = JSON.parse(JSON.stringify(o[last as string]));
    else o[last as string] = m.value;
  }
  return copy;
}

const mutation = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('delete', 'replace', 'duplicate'),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
});

function expectLocated(diags: Diagnostic[], file: string): void {
  for (const d of diags) {
    expect(d.code).toMatch(/^E\d{3}$/);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.pointer === '' || d.pointer.startsWith('/')).toBe(true);
    if (d.file === file && d.code !== 'E001') expect(d.line).toBeGreaterThan(0);
  }
}

describe('parsing never throws', () => {
  it('on arbitrary text, and reports line:column for syntax errors', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseJson(text);
        if (r.ok) expect(r.doc.value).toEqual(JSON.parse(text));
        else expect(r.error.position.line).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on generated JSON, and export is stable', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        // stringifyJson writes an integer-valued double beyond 2^53 in exponent form, so it stays a double.
        const text = stringifyJson(v, 1)!;
        const r = parseJson(text);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.doc.value).toEqual(JSON.parse(text));
          const once = exportJson(r.doc.value, 'property');
          expect(exportJson(parseJsonText(once), 'property')).toBe(once);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps integers beyond 2^53 exactly through parse, export and parse', () => {
    const unsafe = fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: -(2n ** 53n) }), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n }));
    fc.assert(
      fc.property(fc.array(unsafe, { minLength: 1, maxLength: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), (ints, double) => {
        const d = double === 0 ? 0 : double; // JSON has no -0
        const value = { ten: {}, ints, d };
        const text = exportJson(value, 'property');
        for (const n of ints) expect(text).toContain(`${n}`);
        const r = parseJson(text);
        expect(r.ok && r.doc.value).toEqual(value);
        expect(r.ok && typeof (r.doc.value as typeof value).d).toBe('number');
      }),
      { numRuns: 300 },
    );
  });
});

describe.skipIf(!HAS_CORPUS)('validation of mutated real graphs never throws (needs ../shared/ten-corpus)', () => {
  const docs = HAS_CORPUS ? APPS.map((a) => JSON.parse(readFileSync(join(CORPUS, 'apps', a, 'property.json'), 'utf8')) as Json) : [];

  it('always returns a verdict with located errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: APPS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (which, muts) => {
        let doc: Json = docs[which] as Json;
        for (const m of muts) doc = mutate(doc, m);
        const file = '/app/property.json';
        const text = JSON.stringify(doc, null, 2);
        const parsed = parseJsonDocument(text, file);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const diags = checkPropertyDocument(parsed.doc);
        expectLocated(diags, file);
        const src = sourceOf(parsed.doc);
        for (const [i, g] of predefinedGraphs(parsed.doc.value).entries()) {
          const r = await checkGraph(g.graph, { src, base: `/ten/predefined_graphs/${i}/graph` }, { files: memoryFiles({}), baseDir: '/app' });
          expectLocated(r.diagnostics, file);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe.skipIf(!HAS_CORPUS)('random edit sequences undo exactly (needs ../shared/ten-corpus)', () => {
  const graphs = HAS_CORPUS
    ? APPS.map((a) => predefinedGraphs(JSON.parse(readFileSync(join(CORPUS, 'apps', a, 'property.json'), 'utf8')))[0]!.graph as TenGraph)
    : [];
  const kinds: MsgKind[] = ['cmd', 'data', 'audio_frame', 'video_frame'];
  /** Builds an edit from random choices, naming nodes that exist in `g` most of the time. */
  const editFrom = (g: TenGraph, r: number[], value: Json): GraphEdit => {
    const names = (g.nodes ?? []).map((n) => n.name);
    const name = (k: number) => names[r[k]! % Math.max(1, names.length)] ?? 'none';
    switch (r[0]! % 8) {
      case 0:
        return { type: 'addNode', node: { type: 'extension', name: `n_${r[1]}`, addon: 'a' }, index: r[2] };
      case 1:
        return { type: 'removeNode', name: name(1) };
      case 2:
        return { type: 'renameNode', from: name(1), to: `r_${r[2]}` };
      case 3:
        return { type: 'connect', kind: kinds[r[3]! % 4]!, name: `m${r[4]! % 3}`, from: { extension: name(1) }, to: { extension: name(2) } };
      case 4:
        return { type: 'disconnect', kind: kinds[r[3]! % 4]!, name: `m${r[4]! % 3}`, from: { extension: name(1) }, to: { extension: name(2) } };
      case 5:
        return { type: 'setProperty', node: name(1), path: ['k', `p${r[2]! % 3}`], value };
      case 6:
        return { type: 'deleteProperty', node: name(1), path: ['k', `p${r[2]! % 3}`] };
      default:
        return { type: 'setGroup', node: name(1), group: r[2]! % 2 ? `g${r[3]}` : undefined };
    }
  };

  it('applying the inverses in reverse order restores the graph, and every step validates without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: APPS.length - 1 }),
        fc.array(fc.tuple(fc.array(fc.nat({ max: 1000 }), { minLength: 5, maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>), { minLength: 1, maxLength: 12 }),
        async (which, steps) => {
          const original = graphs[which]!;
          let g = original;
          const undo: GraphEdit[] = [];
          for (const [r, value] of steps) {
            const res = applyGraphEdit(g, editFrom(g, r, value));
            if (!res.ok) continue;
            undo.push(res.inverse);
            g = res.doc;
            const checked = await checkGraph(g, { src: {}, base: '' });
            for (const d of checked.diagnostics) expect(d.code).toMatch(/^E\d{3}$/);
          }
          for (const inv of undo.reverse()) {
            const res = applyGraphEdit(g, inv);
            expect(res.ok).toBe(true);
            if (res.ok) g = res.doc;
          }
          expect(g).toEqual(original);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('flattening keeps exactly the message routes the user wrote', () => {
  const NAMES = ['e0', 'e1', 'e2', 'e3'];
  const MSGS = ['m0', 'm1', 'm2'];
  const ext = fc.constantFrom(...NAMES);
  const flow = fc.record({
    naming: fc.oneof(fc.constantFrom(...MSGS).map((name) => ({ name })), fc.uniqueArray(fc.constantFrom(...MSGS), { minLength: 1, maxLength: 3 }).map((names) => ({ names }))),
    dest: fc.uniqueArray(ext, { maxLength: 3 }),
    source: fc.uniqueArray(ext, { maxLength: 2 }),
  });
  const graphArb = fc.array(fc.record({ from: ext, kind: fc.constantFrom<MsgKind>('cmd', 'data'), flows: fc.array(flow, { minLength: 1, maxLength: 3 }) }), { maxLength: 5 }).map(
    (sections): TenGraph => ({
      nodes: NAMES.map((name) => ({ type: 'extension' as const, name, addon: 'a' })),
      connections: sections.map((s) => ({
        extension: s.from,
        [s.kind]: s.flows.map((f) => ({
          ...f.naming,
          ...(f.dest.length ? { dest: f.dest.map((extension) => ({ extension })) } : {}),
          ...(f.source.length ? { source: f.source.map((extension) => ({ extension })) } : {}),
        })),
      })),
    }),
  );

  /** The routes a graph declares, computed directly from what is written. */
  const declaredRoutes = (g: TenGraph): Set<string> => {
    const out = new Set<string>();
    for (const c of g.connections ?? []) {
      for (const kind of ['cmd', 'data'] as const) {
        for (const f of c[kind] ?? []) {
          for (const name of f.names ?? [f.name!]) {
            for (const d of f.dest ?? []) out.add(`${c.extension}|${kind}|${name}|${d.extension}`);
            for (const s of f.source ?? []) out.add(`${s.extension}|${kind}|${name}|${c.extension}`);
          }
        }
      }
    }
    return out;
  };

  it('as forward single-name flows', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb, async (g) => {
        const r = await flattenGraph(g);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(isFlat(r.graph)).toBe(true);
        expect([...declaredRoutes(r.graph)].sort()).toEqual([...declaredRoutes(g)].sort());
      }),
      { numRuns: 300 },
    );
  });
});
