import { describe, expect, it } from 'vitest';
import {
  buildCatalogue,
  checkGraph,
  flattenGraph,
  memoryFiles,
  parseJsonDocument,
  sourceOf,
  type TenGraph,
} from '../../../src/shared';

const at = (text: string, file = '/app/graph.json') => {
  const p = parseJsonDocument(text, file);
  if (!p.ok) throw new Error('parse');
  return { value: p.doc.value, at: { src: sourceOf(p.doc), base: '' } };
};

describe('checking a graph as TEN does before running it', () => {
  it('reports a problem found after reversal at the source entry the user wrote', async () => {
    const text = JSON.stringify(
      {
        nodes: [
          { type: 'extension', name: 'a', addon: 'x' },
          { type: 'extension', name: 'b', addon: 'y' },
        ],
        connections: [
          { extension: 'a', cmd: [{ name: 'm', dest: [{ extension: 'b' }] }] },
          { extension: 'b', cmd: [{ name: 'm', source: [{ extension: 'a' }] }] },
        ],
      },
      null,
      2,
    );
    const { value, at: where } = at(text);
    const catalogue = buildCatalogue([
      { source: 'app', manifest: { type: 'extension', name: 'x', version: '1.0.0', api: { cmd_out: [{ name: 'm', property: { properties: { n: { type: 'string' } } } }] } } },
      { source: 'app', manifest: { type: 'extension', name: 'y', version: '1.0.0', api: { cmd_in: [{ name: 'm', property: { properties: { n: { type: 'int8' } } } }] } } },
    ]);
    const r = await checkGraph(value, where, { catalogue });
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.pointer).toBe('/connections/0/cmd/0/dest/0');
    expect(d.code).toBe('E031');
    expect(d.message).toContain('type is incompatible, source is [string], but target is [int8]');
    expect(d.file).toBe('/app/graph.json');
    expect(d.pointer).toBe('/connections/0/cmd/0/dest/0');
    expect(d.line).toBeGreaterThan(1);
  });

  it('a problem in a reversed flow points at the `source` entry the user wrote', async () => {
    const { value, at: where } = at(
      JSON.stringify({
        nodes: [
          { type: 'extension', name: 'a', addon: 'x' },
          { type: 'extension', name: 'b', addon: 'y' },
        ],
        connections: [{ extension: 'b', data: [{ names: ['other', 'm'], source: [{ extension: 'a' }] }] }],
      }),
    );
    const catalogue = buildCatalogue([
      { source: 'app', manifest: { type: 'extension', name: 'x', version: '1.0.0', api: { data_out: [{ name: 'm', property: { properties: { v: { type: 'bool' } } } }] } } },
      { source: 'app', manifest: { type: 'extension', name: 'y', version: '1.0.0', api: { data_in: [{ name: 'm', property: { properties: { v: { type: 'string' } } } }] } } },
    ]);
    const r = await checkGraph(value, where, { catalogue });
    expect(r.diagnostics.map((d) => [d.code, d.pointer])).toEqual([['E031', '/connections/0/data/0/source/0']]);
  });

  it('a flow written both forward and reversed is fine once flattened', async () => {
    const { value, at: where } = at(
      JSON.stringify({
        nodes: [
          { type: 'extension', name: 'a', addon: 'x' },
          { type: 'extension', name: 'b', addon: 'y' },
          { type: 'extension', name: 'c', addon: 'y' },
        ],
        connections: [{ extension: 'b', audio_frame: [{ name: 'pcm', dest: [{ extension: 'c' }] }, { name: 'pcm', source: [{ extension: 'a' }] }] }],
      }),
    );
    expect((await checkGraph(value, where)).diagnostics).toEqual([]);
  });

  it('checks node properties against the addon property schema, skipping env placeholders', async () => {
    const text = JSON.stringify(
      {
        nodes: [
          { type: 'extension', name: 'a', addon: 'x', property: { rate: '${env:RATE|16000}', nested: { n: 300 } } },
          { type: 'extension', name: 'b', addon: 'x', property: { rate: 8000 } },
        ],
      },
      null,
      2,
    );
    const { value, at: where } = at(text);
    const catalogue = buildCatalogue([
      {
        source: 'app',
        property: { nested: { n: 1 } },
        manifest: {
          type: 'extension',
          name: 'x',
          version: '1.0.0',
          api: { property: { properties: { rate: { type: 'int32' }, nested: { type: 'object', properties: { n: { type: 'uint8' } } } }, required: ['rate'] } },
        },
      },
    ]);
    const r = await checkGraph(value, where, { catalogue });
    expect(r.diagnostics.map((d) => [d.code, d.pointer, d.message])).toEqual([
      ['E051', '/nodes/0/property/nested/n', "nodes[0] 'a' property.nested.n: out of range of uint8"],
    ]);
    expect(r.diagnostics[0]!.line).toBe(10);
  });

  it('checks integers beyond 2^53 exactly at the uint64/int64 bounds, located where the user wrote them', async () => {
    const text = [
      '{"nodes": [',
      '  {"type": "extension", "name": "a", "addon": "x", "property": {"u": 18446744073709551615, "i": -9223372036854775808}},',
      '  {"type": "extension", "name": "b", "addon": "x", "property": {"u": 18446744073709551616, "i": 9223372036854775807}},',
      '  {"type": "extension", "name": "c", "addon": "x", "property": {"u": 1, "i": -9223372036854775809}}',
      ']}',
    ].join('\n');
    const { value, at: where } = at(text);
    const catalogue = buildCatalogue([
      {
        source: 'app',
        manifest: { type: 'extension', name: 'x', version: '1.0.0', api: { property: { properties: { u: { type: 'uint64' }, i: { type: 'int64' } } } } },
      },
    ]);
    const r = await checkGraph(value, where, { catalogue });
    expect(r.diagnostics.map((d) => [d.code, d.pointer, d.message, d.line, d.column])).toEqual([
      ['E051', '/nodes/1/property/u', "nodes[1] 'b' property.u: out of range of uint64", 3, 70],
      ['E051', '/nodes/2/property/i', "nodes[2] 'c' property.i: out of range of int64", 4, 78],
    ]);
  });

  it('reports addons that are not installed, except TEN built-ins', async () => {
    const { value, at: where } = at(
      JSON.stringify({ nodes: [{ type: 'extension', name: 'a', addon: 'missing' }, { type: 'extension', name: 'ten_b', addon: 'ten:test_extension' }] }),
    );
    const r = await checkGraph(value, where, { catalogue: buildCatalogue([]) });
    expect(r.diagnostics.map((d) => [d.code, d.pointer])).toEqual([['E030', '/nodes/0/addon']]);
  });

  it('reports app-field, duplicate and dangling-reference problems with TEN texts', async () => {
    const cases: [unknown, string, string][] = [
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x', app: 'http://h' }, { type: 'extension', name: 'b', addon: 'x' }] }, 'E021', 'Either all nodes should have'],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }, { type: 'extension', name: 'a', addon: 'y' }] }, 'E011', 'Duplicated extension was found in nodes[1], addon: y, name: a.'],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }], connections: [{ extension: 'a', cmd: [{ name: 'm', dest: [{ extension: 'zz' }] }] }] }, 'E013', 'is not defined in nodes, extension: zz.'],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }], connections: [{ extension: 'a', cmd: [{ name: 'm', dest: [{ selector: 'sel' }] }] }] }, 'E018', "Can't find selector: sel"],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }], connections: [{ extension: 'a', cmd: [{ name: 'm', dest: [{ extension: 'a' }] }] }, { extension: 'a', data: [{ name: 'd', dest: [{ extension: 'a' }] }] }] }, 'E015', 'merge them into one section'],
      [{ nodes: [{ type: 'bogus', name: 'a' }] }, 'E004', 'must be one of extension/subgraph/selector'],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }], connections: [{ extension: 'a', cmd: [{ name: 'm', names: ['m'], dest: [{ extension: 'a' }] }] }] }, 'E004', "Both 'name' and 'names' fields are specified"],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x' }], connections: [{ extension: 'a', cmd: [{ names: [], dest: [{ extension: 'a' }] }] }] }, 'E004', "'names' field is empty"],
      [
        { nodes: [{ type: 'extension', name: 'a', addon: 'x', app: 'msgpack://h:1/' }], connections: [{ app: 'msgpack://h:1/', extension: 'a', cmd: [{ name: 'm', dest: [{ extension: 'a' }] }] }] },
        'E029',
        "the 'app' field should be declared, as it has been declared in nodes",
      ],
      [{ nodes: [{ type: 'extension', name: 'a', addon: 'x', app: 'localhost' }, { type: 'extension', name: 'b', addon: 'x', app: 'msgpack://h:1/' }] }, 'E023', "consistent with 'ten::uri'"],
    ];
    for (const [graph, code, text] of cases) {
      const { value, at: where } = at(JSON.stringify(graph, null, 1));
      const r = await checkGraph(value, where);
      expect(r.diagnostics[0], JSON.stringify(graph)).toMatchObject({ code });
      expect(r.diagnostics[0]!.message).toContain(text);
    }
  });

  it('flattens subgraphs read through a FileSource and locates a missing file', async () => {
    const files = memoryFiles({
      '/app/sub/inner.json': JSON.stringify({ nodes: [{ type: 'extension', name: 'x', addon: 'ax' }], exposed_messages: [{ type: 'cmd_in', name: 'go', extension: 'x' }] }),
    });
    const g: TenGraph = {
      nodes: [
        { type: 'extension', name: 'a', addon: 'aa' },
        { type: 'subgraph', name: 's', graph: { import_uri: 'sub/inner.json' } },
      ],
      connections: [{ extension: 'a', cmd: [{ name: 'go', dest: [{ subgraph: 's' }] }] }],
    };
    const ok = await flattenGraph(g, { files, baseDir: '/app' });
    expect(ok.ok && ok.graph.connections).toEqual([{ extension: 'a', cmd: [{ name: 'go', dest: [{ extension: 's_x' }] }] }]);
    const withProp: TenGraph = { ...g, nodes: [g.nodes![0]!, { type: 'subgraph', name: 's', graph: { import_uri: 'sub/inner.json' }, property: { secret: 1 } }] };
    const notExposed = await flattenGraph(withProp, { files, baseDir: '/app' });
    expect(!notExposed.ok && notExposed.diagnostics[0]).toMatchObject({
      code: 'E027',
      pointer: '/nodes/1/property/secret',
      message: "Failed to flatten graph: Subgraph 's' does not have exposed_properties defined, but properties are specified in the subgraph node",
    });
    const broken = memoryFiles({
      '/app/sub/inner.json': JSON.stringify({ nodes: [{ type: 'subgraph', name: 'deep', graph: { import_uri: '/abs/x.json' } }] }),
    });
    const nested = await flattenGraph(g, { files: broken, baseDir: '/app' });
    expect(!nested.ok && nested.diagnostics[0]).toMatchObject({ code: 'E026', pointer: '/nodes/1/graph/import_uri' });
    expect(!nested.ok && nested.diagnostics[0]!.message).toMatch(/^Failed to flatten graph: Absolute paths are not supported/);
    expect(!nested.ok && nested.diagnostics[0]!.inside).toEqual({ file: '/app/sub/inner.json', pointer: '/nodes/0/graph/import_uri' });
    const missing = await flattenGraph(g, { files: memoryFiles({}), baseDir: '/app', at: { src: { file: '/app/property.json' }, base: '/ten/predefined_graphs/0/graph' } });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.diagnostics[0]).toMatchObject({ code: 'E026', file: '/app/property.json', pointer: '/ten/predefined_graphs/0/graph/nodes/1/graph/import_uri' });
    }
  });

  it("adds TEN's graph proxy for exposed_messages when asked, with the host location, and drops them after", async () => {
    const g: TenGraph = {
      nodes: [{ type: 'extension', name: 'x', addon: 'ax' }],
      exposed_messages: [
        { type: 'cmd_in', name: 'start', extension: 'x' },
        { type: 'data_out', name: 'out', extension: 'x' },
      ],
    };
    const hostLoc = { app: 'msgpack://127.0.0.1:8001/', graph: 'g1', extension: 'starter' };
    const r = await flattenGraph(g, { graphProxy: { hostLoc } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.graph.nodes).toContainEqual({ type: 'extension', name: 'ten:graph_proxy', addon: 'ten:graph_proxy', property: { host_loc: hostLoc } });
    expect(r.graph.connections).toEqual(
      expect.arrayContaining([
        { extension: 'ten:graph_proxy', cmd: [{ name: 'start', dest: [{ extension: 'x' }] }] },
        { extension: 'x', data: [{ name: 'out', dest: [{ extension: 'ten:graph_proxy' }] }] },
      ]),
    );
    expect(r.graph.exposed_messages).toBeUndefined();
  });
});
