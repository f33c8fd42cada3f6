import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, stripLineComments, validateTenFile, type TenFileKind } from '../../../src/shared';
import { CORPUS, HAS_CORPUS } from './corpus';

/** TEN's official schemas, compiled separately (tests only; the project ships its own). */
function official(): Record<TenFileKind, ValidateFunction> {
  const load = (n: string) => JSON.parse(stripLineComments(readFileSync(join(CORPUS, 'schemas', n), 'utf8')));
  const compile = (s: object) => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    // Formats: the same loose checks ours use (TEN's schema library is not ajv either).
    ajv.addFormat('uri', /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/);
    ajv.addFormat('uri-reference', /^[^\s]*$/);
    for (const f of ['int8', 'int64']) ajv.addFormat(f, true);
    return ajv.compile(s);
  };
  const shared = load('shared-definitions.schema.json');
  // TEN merges the shared $defs into the manifest and interface schemas.
  const withShared = (s: { $defs?: object; $id?: string }) => ({ ...s, $id: undefined, $defs: { ...shared.$defs, ...(s.$defs ?? {}) } });
  return {
    property: compile(load('property.schema.json')),
    manifest: compile(withShared(load('manifest.schema.json'))),
    interface: compile(withShared(load('interface.schema.json'))),
    'manifest-lock': compile(load('manifest-lock.schema.json')),
  };
}

function kindsOf(path: string): TenFileKind[] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const kinds: TenFileKind[] = [];
  if (name.includes('manifest-lock')) kinds.push('manifest-lock');
  else if (name.includes('manifest')) kinds.push('manifest');
  if (name.includes('property')) kinds.push('property');
  if (path.includes('/interface/') || name.includes('interface')) kinds.push('interface');
  return kinds;
}

describe.skipIf(!HAS_CORPUS)('our structural schemas agree with TEN official schemas (needs ../shared/ten-corpus)', () => {
  it('reach the same verdict on every manifest, property, interface and lock file of the corpus', () => {
    const schemas = official();
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.json')) files.push(join(dir, e.name));
      }
    };
    for (const d of ['packages', 'apps', 'graph-check']) walk(join(CORPUS, d));
    let compared = 0;
    const differ: string[] = [];
    for (const f of files) {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(f, 'utf8'));
      } catch {
        continue;
      }
      for (const kind of kindsOf(f)) {
        compared++;
        const theirs = schemas[kind](value) as boolean;
        const ours = validateTenFile(kind, value).length === 0;
        if (theirs !== ours) differ.push(`${kind} ${f.slice(CORPUS.length)}: official ${theirs}, ours ${ours}`);
      }
    }
    expect(differ).toEqual([]);
    expect(compared).toBeGreaterThan(300);
  });
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function allPaths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...allPaths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...allPaths(x, [...prefix, k]));
  return out;
}

describe.skipIf(!HAS_CORPUS)('differential: mutated real files get the same verdict from both schemas (needs ../shared/ten-corpus)', () => {
  const interesting = fc.oneof(
    fc.constantFrom<Json>('', 'localhost', 'x y', 'ok_name', '1bad', 'cmd', 'extension', 'subgraph', 'int8', 'array', 'object', null, 0, -1, 1.5, true, [], {}, { import_uri: 'a.json' }, { extension: 'a' }, { name: 'x' }),
    fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
  );
  const cases: [TenFileKind, string[]][] = [
    ['property', ['apps/voice-assistant/property.json', 'apps/http-control/property.json']],
    ['manifest', ['packages/extension/deepgram_asr_python/manifest.json', 'packages/extension/openai_llm2_python/manifest.json', 'apps/voice-assistant/manifest.json']],
  ];
  it.each(cases)('%s', (kind, rel) => {
    const schema = official()[kind];
    const docs = rel.map((r) => JSON.parse(readFileSync(join(CORPUS, r), 'utf8')) as Json);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom('delete', 'set', 'add-key'), interesting, (which, pick, op, value) => {
        const doc = JSON.parse(JSON.stringify(docs[which % docs.length])) as Json;
        const paths = allPaths(doc).filter((p) => p.length > 0);
        const path = paths[pick % paths.length]!;
        let parent = doc as Record<string | number, Json>;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
        const last = path[path.length - 1]!;
        if (op === 'delete') {
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
        } else if (op === 'set') parent[last] = value;
        else {
          const target = parent[last];
          if (target && typeof target === 'object' && !Array.isArray(target)) target.zz_extra = value;
        }
        const theirs = schema(doc) as boolean;
        const ours = validateTenFile(kind, doc).length === 0;
        expect(ours, `${op} /${path.join('/')} = ${JSON.stringify(value)}`).toBe(theirs);
      }),
      { numRuns: 600 },
    );
  }, 30_000);
});

describe('structural schemas and integers beyond 2^53', () => {
  it('accept them where a number is allowed and check ranges on them, without changing the document', () => {
    const r = parseJson(`{"ten": {"services": {"api": {"enabled": true, "port": 18446744073709551615}},
      "predefined_graphs": [{"name": "g", "graph": {"nodes": [{"type": "extension", "name": "a", "addon": "x",
      "property": {"id": 18446744073709551615, "n": [-9223372036854775808]}}]}}]}}`);
    if (!r.ok) throw new Error(r.error.message);
    expect(validateTenFile('property', r.doc.value).map((v) => v.message)).toEqual([
      '18446744073709551615 is greater than the maximum of 65535 @ /ten/services/api/port',
    ]);
    const ten = (r.doc.value as { ten: { services: { api: { port: unknown } } } }).ten;
    expect(ten.services.api.port).toBe(18446744073709551615n);
  });
});
