import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson, readJsonText } from '../../../src/host/documents/json';
import { layoutPathFor } from '../../../src/host/documents/paths';
import { pickGraph, propertyShapeProblem, unwrapGraph, wrapGraph } from '../../../src/host/documents/shape';
import { changedOnDisk } from '../../../src/host/documents/atomic';

describe('document JSON', () => {
  it.each([
    ['a trailing comma in an object', '{\n  "a": 1,\n}', 3, 1, /^trailing comma in object$/],
    ['a trailing comma in an array', '[1,\n 2,\n]', 3, 1, /^trailing comma in array$/],
    ['a bare word', '{"a": tru}', 1, 7, /expected a value, found 't'/],
    ['an empty file', '', 1, 1, /end of input/],
    ['a cut-short file', '{\n  "a": [1, 2', 2, 13, /expected ',' or '\]'/],
    ['a second value', '{"a": 1} x', 1, 10, /after the JSON value/],
    ['a raw newline in a string', '{"a": "x\ny"}', 1, 9, /control character/],
    ['single quotes', "{'a': 1}", 1, 2, /expected a property name/],
  ])('locates %s', (_what, text, line, column, message) => {
    const result = readJsonText(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem).toMatchObject({ line, column });
      expect(result.problem.message).toMatch(message);
    }
  });

  it('reads a file with a byte order mark', () => {
    expect(readJsonText('\ufeff{"a": 1}')).toMatchObject({ ok: true, value: { a: 1 } });
  });

  it('never throws on arbitrary text and always points inside it', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = readJsonText(text);
        if (!result.ok) {
          expect(result.problem.line).toBeGreaterThanOrEqual(1);
          expect(result.problem.column).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('writes 2-space JSON with a trailing newline, TEN fields first in TEN files', () => {
    expect(formatJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
    expect(formatJson({ mine: 1, ten: { predefined_graphs: [], uri: 'x' } }, 'property')).toBe(
      '{\n  "ten": {\n    "uri": "x",\n    "predefined_graphs": []\n  },\n  "mine": 1\n}\n',
    );
  });
});

describe('document shapes', () => {
  it('names the layout sidecar after the TEN file', () => {
    expect(layoutPathFor('/app/property.json')).toBe('/app/property.studio-layout.json');
    expect(layoutPathFor('/g/Graph.JSON')).toBe('/g/Graph.studio-layout.json');
    expect(layoutPathFor('/g/noext')).toBe('/g/noext.studio-layout.json');
  });

  it('accepts imported graphs and reports the first malformed place by pointer', () => {
    expect(propertyShapeProblem({ ten: { predefined_graphs: [{ name: 'a', graph: { import_uri: 'g.json' } }] } })).toBeNull();
    expect(propertyShapeProblem({ ten: { predefined_graphs: [{ name: 'a', graph: { nodes: [{ name: 'x' }] } }] } })).toEqual({
      pointer: '/ten/predefined_graphs/0/graph/nodes/0/type',
      message: 'a node needs a string "type"',
    });
    expect(propertyShapeProblem([])).toMatchObject({ pointer: '' });
  });

  it('wraps a standalone graph as one predefined graph and unwraps it unchanged', () => {
    const graph = { nodes: [{ type: 'extension' as const, name: 'a', addon: 'x' }], seq_id: '1' };
    expect(unwrapGraph(wrapGraph(graph, 'g'))).toEqual({ graph });
    expect(unwrapGraph({ ten: { predefined_graphs: [] } })).toEqual({
      error: 'a graph file holds exactly one graph, but the document has 0',
    });
  });

  it('picks a graph to export by name, or the only one', () => {
    const g = { nodes: [] };
    const property = { ten: { predefined_graphs: [{ name: 'one', graph: g }] } };
    expect(pickGraph(property, undefined)).toEqual({ graph: g });
    expect(pickGraph({ ten: { predefined_graphs: [{ name: 'i', graph: { import_uri: 'x' } }] } }, 'i')).toMatchObject({
      error: expect.stringContaining('import_uri'),
    });
  });

  it('calls a file changed only when its size or content hash changed', () => {
    const base = { sha256: 'a', mtimeMs: 1, size: 10 };
    expect(changedOnDisk(base, { ...base, mtimeMs: 2 })).toBe(false);
    expect(changedOnDisk(base, { ...base, sha256: 'b' })).toBe(true);
    expect(changedOnDisk(base, { ...base, size: 11 })).toBe(true);
  });
});
