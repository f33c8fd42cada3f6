import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exportJson, locate, MAX_JSON_DEPTH, parseJson, textPositions, parseJsonText, pointer, stringifyJson, stripLineComments } from '../../../src/shared';

describe('located JSON parser', () => {
  it('parses like JSON.parse and records where every value starts', () => {
    const text = '{\n  "a": [1, {"b": "x"}],\n  "c/d": true\n}';
    const r = parseJson(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.doc.value).toEqual(JSON.parse(text));
    expect(r.doc.positions.get('')).toMatchObject({ line: 1, column: 1 });
    expect(r.doc.positions.get('/a')).toMatchObject({ line: 2, column: 8 });
    expect(r.doc.positions.get('/a/1/b')).toMatchObject({ line: 2, column: 18 });
    expect(r.doc.positions.get(pointer('c/d'))).toMatchObject({ line: 3, column: 10 });
    expect(pointer('c/d')).toBe('/c~1d');
  });

  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses deeper text at the bracket that exceeds it, naming the depth`, () => {
    const ok = parseJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH));
    expect(ok.ok).toBe(true);
    const text = '{"a":\n  ' + '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH) + '}';
    const deep = parseJson(text);
    expect(deep).toEqual({
      ok: false,
      error: {
        message: `nested too deeply: depth ${MAX_JSON_DEPTH + 1} exceeds the limit of ${MAX_JSON_DEPTH} at line 2 column ${MAX_JSON_DEPTH + 2}`,
        position: { line: 2, column: MAX_JSON_DEPTH + 2, offset: 6 + 2 + MAX_JSON_DEPTH - 1 },
      },
    });
    // 100,000 levels, which overflowed the stack before: the same located error, not a crash.
    const huge = parseJson('['.repeat(100_000) + ']'.repeat(100_000));
    expect(huge.ok ? null : huge.error.message).toBe(`nested too deeply: depth ${MAX_JSON_DEPTH + 1} exceeds the limit of ${MAX_JSON_DEPTH} at line 1 column ${MAX_JSON_DEPTH + 1}`);
  });

  it('finds the same positions on demand (textPositions) as the parser records, and none for missing pointers', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string(), fc.constantFrom('"\\"', 'a\\"b', '}{][,:')),
        fc.integer(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('a/b', '~0', 'x"y', '\\')), tie('v'), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.boolean(), (v, pretty) => {
        const text = pretty ? exportJson(v, 'json') : JSON.stringify(v);
        const parsed = parseJson(text);
        if (!parsed.ok) throw new Error(parsed.error.message);
        const all = parsed.doc.positions as Map<string, unknown>;
        const lookup = textPositions(text);
        // In an order that makes later lookups start from pointers found earlier.
        for (const ptr of [...all.keys()].reverse()) expect(lookup.get(ptr), ptr).toEqual(all.get(ptr));
        for (const ptr of [...all.keys()].map((p) => `${p}/missing`).concat(['/00', '/-1', '/ nope'])) {
          if (!all.has(ptr)) expect(lookup.get(ptr), ptr).toBeUndefined();
        }
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('locates a missing member at its closest parent', () => {
    const r = parseJson('{"x": {"y": 1}}');
    if (!r.ok) throw new Error('parse failed');
    expect(locate(r.doc, '/x/z/w')).toMatchObject({ line: 1, column: 7 });
  });

  it.each([
    ['{"a": 1,}', 'trailing comma in object', 1, 9],
    ['[1, 2,\n]', 'trailing comma in array', 2, 1],
    ['invalid json', 'expected a value', 1, 1],
    ['{"a" 1}', "expected ':'", 1, 6],
    ['{"a": "b\n"}', 'control character', 1, 9],
    ['{"a": 1} x', 'after the JSON value', 1, 10],
    ['', 'end of input', 1, 1],
    ['{"a": -}', 'expected a value', 1, 7],
  ])('reports %j as a syntax error with line:column', (text, fragment, line, column) => {
    const r = parseJson(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(fragment);
    expect(r.error.position).toMatchObject({ line, column });
  });

  it('keeps a "__proto__" key as data and skips a byte order mark', () => {
    const r = parseJson('\ufeff{"__proto__": {"polluted": true}}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.doc.value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes escapes', () => {
    const r = parseJson('"a\\u00e9\\n\\"\\/"');
    expect(r.ok && r.doc.value).toBe('aé\n"/');
  });

  it('keeps integer literals beyond 2^53 exactly, as bigint; every other number stays a number', () => {
    const text = '{"a": 9007199254740993, "u64": 18446744073709551615, "i64": -9223372036854775808, "big": 123456789012345678901234567890,\n "safe": 9007199254740991, "neg": -9007199254740991, "exp": 1e19, "frac": 12345678901234567890.5, "z": -0}';
    const r = parseJson(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.doc.value).toEqual({
      a: 9007199254740993n,
      u64: 18446744073709551615n,
      i64: -9223372036854775808n,
      big: 123456789012345678901234567890n,
      safe: 9007199254740991,
      neg: -9007199254740991,
      exp: 1e19,
      frac: Number('12345678901234567890.5'),
      z: -0,
    });
    expect(r.doc.positions.get('/u64')).toMatchObject({ line: 1, column: 32 });
  });

  it('strips // comments outside strings only', () => {
    expect(JSON.parse(stripLineComments('{"u": "http://x", // note\n"v": 1}'))).toEqual({ u: 'http://x', v: 1 });
  });
});

describe('export', () => {
  it('puts TEN fields first in TEN order, keeps other keys and property order, indents by 2', () => {
    const doc = {
      zeta: 1,
      ten: {
        predefined_graphs: [
          {
            graph: { connections: [{ cmd: [{ dest: [{ extension: 'b' }], name: 'x' }], extension: 'a' }], nodes: [{ property: { z: 1, a: 2 }, addon: 'q', name: 'a', type: 'extension', custom: true }] },
            name: 'g',
          },
        ],
        uri: 'msgpack://127.0.0.1:8001/',
      },
    };
    const out = exportJson(doc, 'property');
    expect(out).toBe(
      JSON.stringify(
        {
          ten: {
            uri: 'msgpack://127.0.0.1:8001/',
            predefined_graphs: [
              {
                name: 'g',
                graph: {
                  nodes: [{ type: 'extension', name: 'a', addon: 'q', property: { z: 1, a: 2 }, custom: true }],
                  connections: [{ extension: 'a', cmd: [{ name: 'x', dest: [{ extension: 'b' }] }] }],
                },
              },
            ],
          },
          zeta: 1,
        },
        null,
        2,
      ) + '\n',
    );
  });
});

describe('exact integers through export and JSON text', () => {
  const text = `{
  "ten": {
    "predefined_graphs": [
      {
        "name": "g",
        "graph": {
          "nodes": [
            {
              "type": "extension",
              "name": "a",
              "addon": "x",
              "property": {
                "id": 9007199254740993,
                "max": 18446744073709551615,
                "min": -9223372036854775808,
                "list": [
                  1,
                  9223372036854775807,
                  2.5
                ]
              }
            }
          ]
        }
      }
    ]
  }
}
`;

  it('parse → export gives back the same text, and parse → export → parse the same values', () => {
    const first = parseJson(text);
    if (!first.ok) throw new Error(first.error.message);
    const out = exportJson(first.doc.value, 'property');
    expect(out).toBe(text);
    const second = parseJson(out);
    expect(second.ok && second.doc.value).toEqual(first.doc.value);
  });

  it('writes an integer-valued double beyond 2^53 in exponent form, so it reads back as a double', () => {
    const out = exportJson({ ten: {}, d: 1e19, n: -(2 ** 60), b: 10n ** 19n }, 'property');
    expect(out).toContain('"d": 1e+19');
    expect(out).toContain('"b": 10000000000000000000');
    expect(parseJson(out).ok && (parseJson(out) as { doc: { value: unknown } }).doc.value).toEqual({ ten: {}, d: 1e19, n: -(2 ** 60), b: 10n ** 19n });
  });

  it('stringifyJson is JSON.stringify on everything else, on its exact path too', () => {
    const date = new Date(0);
    const value = {
      digits: '12345678901234567',
      arr: [undefined, () => 1, Number.NaN, Symbol('s'), {}, []],
      skip: undefined,
      date,
      nested: { a: [1, { b: 'x' }], e: {} },
      quote: 'a"\\\n\u2028',
      boxed: [Object(1), Object('s'), Object(true)],
    };
    const replacer = function (this: unknown, k: string, v: unknown) {
      return k === 'b' ? 'replaced' : v;
    };
    for (const indent of [undefined, 0, 2, 20]) {
      expect(stringifyJson(value, indent)).toBe(JSON.stringify(value, null, indent));
      expect(stringifyJson(value, indent, replacer)).toBe(JSON.stringify(value, replacer, indent));
      expect(stringifyJson({ ...value, big: 1n }, indent)).toBe(JSON.stringify({ ...value, big: 1 }, null, indent));
    }
    expect(stringifyJson(undefined)).toBeUndefined();
    expect(stringifyJson(5n)).toBe('5');
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(() => stringifyJson(cyclic)).toThrow(TypeError);
  });

  it('parseJsonText reads exact integers and throws SyntaxError on bad text', () => {
    expect(parseJsonText('{"a": [18446744073709551615, 1]}')).toEqual({ a: [18446744073709551615n, 1] });
    expect(parseJsonText('{"a": 1}')).toEqual({ a: 1 });
    expect(() => parseJsonText('{"a": 18446744073709551615,}')).toThrow(SyntaxError);
    expect(() => parseJsonText('{"a": 1,}')).toThrow(SyntaxError);
  });
});

describe('JSON text fast path', () => {
  it('takes the exact path only for digit runs that can be unsafe integers', () => {
    // A fraction or an exponent after 16+ digits is a float: JSON.parse reads it the same.
    expect(parseJsonText('[0.30000000000000004, 12345678901234567.5, 12345678901234567e2]')).toEqual([0.30000000000000004, Number('12345678901234567.5'), Number('12345678901234567e2')]);
    expect(parseJsonText('[12345678901234567, "x12345678901234567"]')).toEqual([12345678901234567n, 'x12345678901234567']);
    expect(stringifyJson([0.30000000000000004, 2 ** 60, 2n ** 60n])).toBe('[0.30000000000000004,1.152921504606847e+18,1152921504606846976]');
  });
});
