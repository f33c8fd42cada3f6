import { describe, expect, it } from 'vitest';
import { exportJson, locate, parseJson, pointer, stripLineComments } from '../../../src/shared';

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
