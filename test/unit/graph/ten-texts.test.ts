/**
 * The graph checker's texts are TEN's, word for word, with TEN's context prefixes (read from
 * ten_rust's graph sources: `Graph::validate_and_complete`, `static_check`, the package checks,
 * `flatten_graph` and `inject_graph_proxy_from_exposed_messages`), and multi-app graphs
 * validate as TEN's checker does.
 */
import { describe, expect, it } from 'vitest';
import {
  buildCatalogue,
  checkGraph,
  flattenGraph,
  injectGraphProxyChecked,
  memoryFiles,
  parseTimeGraphCheck,
  staticCheck,
  type TenGraph,
} from '../../../src/shared';

const at = { src: {}, base: '' };
const ext = (name: string, app?: string, addon = 'x') => ({ type: 'extension' as const, name, addon, ...(app !== undefined ? { app } : {}) });
const texts = (g: unknown) => parseTimeGraphCheck(g, at).map((d) => [d.code, d.message, d.pointer]);
const statics = (g: TenGraph) => staticCheck(g, at).map((d) => [d.code, d.message]);

const A = 'msgpack://127.0.0.1:8001/';
const B = 'msgpack://127.0.0.1:8002/';

describe("TEN's app field rules, with TEN's prefixes", () => {
  it('an empty app on a node', () => {
    expect(texts({ nodes: [ext('a', '')] })).toEqual([['E020', "nodes[0]: the 'app' field can not be empty, remove the field if the graph is a single-app graph", '/nodes/0/app']]);
  });

  it('apps on some extension nodes only (a subgraph node without app does not count)', () => {
    expect(texts({ nodes: [ext('a', A), ext('b')] })).toEqual([['E021', "Either all nodes should have 'app' declared, or none should, but not a mix of both.", '/nodes/1']]);
    expect(texts({ nodes: [ext('a', A), { type: 'subgraph', name: 's', graph: { import_uri: 's.json' } }] })).toEqual([]);
  });

  it("'localhost' on a node, single-app and multi-app wording", () => {
    expect(texts({ nodes: [ext('a', 'localhost')] })).toEqual([
      ['E023', "nodes[0]: 'localhost' is not allowed in graph definition, and the graph seems to be a single-app graph, just remove the 'app' field", '/nodes/0/app'],
    ]);
    expect(texts({ nodes: [ext('a', 'localhost'), ext('b', B)] })).toEqual([
      ['E023', "nodes[0]: 'localhost' is not allowed in graph definition, change the content of 'app' field to be consistent with 'ten::uri'", '/nodes/0/app'],
    ]);
  });

  it('connection ends: should not be declared, should be declared, localhost; sections and dests prefixed as TEN does', () => {
    expect(texts({ nodes: [ext('a'), ext('b')], connections: [{ extension: 'a', app: A, cmd: [{ name: 'c', dest: [{ extension: 'b', app: B }] }] }] })).toEqual([
      ['E022', "connections[0]: the 'app' field should not be declared, as not any node has declared it", '/connections/0/app'],
      ['E022', "connections[0]: cmd[0]: dest[0]: the 'app' field should not be declared, as not any node has declared it", '/connections/0/cmd/0/dest/0/app'],
    ]);
    expect(texts({ nodes: [ext('a', A), ext('b', B)], connections: [{ extension: 'a', data: [{ name: 'd', dest: [{ extension: 'b' }] }] }] })).toEqual([
      ['E029', "connections[0]: the 'app' field should be declared, as it has been declared in nodes", '/connections/0'],
      ['E029', "connections[0]: data[0]: dest[0]: the 'app' field should be declared, as it has been declared in nodes", '/connections/0/data/0/dest/0'],
    ]);
    expect(texts({ nodes: [ext('a', A), ext('b', B)], connections: [{ extension: 'a', app: A, cmd: [{ name: 'c', dest: [{ extension: 'b', app: 'localhost' }] }] }] })).toEqual([
      ['E023', "connections[0]: cmd[0]: dest[0]: 'localhost' is not allowed in graph definition, change the content of 'app' field to be consistent with 'ten::uri'", '/connections/0/cmd/0/dest/0/app'],
    ]);
  });

  it('subgraph and selector ends carry no app', () => {
    const g = {
      nodes: [ext('a', A), ext('b', B), { type: 'subgraph', name: 's', graph: { import_uri: 's.json' } }],
      connections: [{ extension: 'a', app: A, cmd: [{ name: 'c', dest: [{ subgraph: 's' }, { extension: 'b', app: B }] }] }],
    };
    expect(texts(g)).toEqual([]);
  });

  it('name and names of a flow, prefixed with the section and flow', () => {
    expect(texts({ nodes: [ext('a'), ext('b')], connections: [{ extension: 'a', cmd: [{ name: 'c', names: ['c'], dest: [{ extension: 'b' }] }] }] })[0]?.[1]).toBe(
      "connections[0]: cmd[0]: Both 'name' and 'names' fields are specified, but they are mutually exclusive",
    );
    expect(texts({ nodes: [ext('a'), ext('b')], connections: [{ extension: 'a', data: [{ dest: [{ extension: 'b' }] }] }] })[0]?.[1]).toBe(
      "connections[0]: data[0]: Neither 'name' nor 'names' field is specified, but one must be provided",
    );
  });
});

describe("TEN's static check texts", () => {
  const nodes = [ext('a'), ext('b'), { type: 'subgraph' as const, name: 's', graph: { import_uri: 's.json' } }];

  it('unknown extensions and a dest without an extension', () => {
    expect(statics({ nodes, connections: [{ extension: 'zz', cmd: [{ name: 'c', dest: [{ extension: 'b' }] }] }] })).toEqual([
      ['E012', 'The extension declared in connections[0] is not defined in nodes, extension: zz.'],
    ]);
    expect(statics({ nodes, connections: [{ extension: 'a', audio_frame: [{ name: 'p', dest: [{ extension: 'yy' }] }] }] })).toEqual([
      ['E013', 'The extension declared in connections[0].audio_frame[0] is not defined in nodes, extension: yy.'],
    ]);
    expect(statics({ nodes, connections: [{ extension: 'a', cmd: [{ name: 'c', dest: [{ extension: 'b' }, {}] }] }] })).toEqual([
      ['E013', 'Missing extension name in connection[0].cmd[0].dest[1]'],
    ]);
  });

  it('subgraph references: declared in a section, referenced in a dest, and through <subgraph>:<extension>', () => {
    expect(statics({ nodes, connections: [{ subgraph: 'q', cmd: [{ name: 'c', dest: [{ extension: 'b' }] }] }] })).toEqual([
      ['E014', "The subgraph 'q' declared in connections[0] is not defined in nodes."],
    ]);
    expect(statics({ nodes, connections: [{ extension: 'a', cmd: [{ name: 'c', dest: [{ extension: 'b' }, { subgraph: 'q' }] }] }] })).toEqual([
      ['E014', "The subgraph 'q' referenced in connections[0].cmd[0].dest[1] is not defined in nodes."],
    ]);
    expect(statics({ nodes, connections: [{ extension: 'q:x', cmd: [{ name: 'c', dest: [{ extension: 'b' }] }] }] })).toEqual([
      ['E014', "The subgraph 'q' referenced in connections[0] (from extension 'q:x') is not defined in nodes."],
    ]);
    expect(statics({ nodes, connections: [{ extension: 'a', data: [{ name: 'd', dest: [{ extension: 'q:x' }] }] }] })).toEqual([
      ['E014', "The subgraph 'q' referenced in connections[0].data[0].dest[0] (from extension 'q:x') is not defined in nodes."],
    ]);
  });

  it('one section per extension, and message names unique per kind (TEN writes audio_frame as auto_frame)', () => {
    expect(
      statics({
        nodes,
        connections: [
          { extension: 'a', cmd: [{ name: 'c', dest: [{ extension: 'b' }] }] },
          { extension: 'a', data: [{ name: 'd', dest: [{ extension: 'b' }] }] },
        ],
      }),
    ).toEqual([['E015', "extension 'a' is defined in connection[0] and connection[1], merge them into one section."]]);
    expect(
      statics({
        nodes,
        connections: [
          {
            extension: 'a',
            cmd: [
              { name: 'c', dest: [{ extension: 'b' }] },
              { name: 'c', dest: [{ extension: 'b' }] },
            ],
            audio_frame: [
              { names: ['p', 'q'], dest: [{ extension: 'b' }] },
              { name: 'p', dest: [{ extension: 'b' }] },
            ],
          },
        ],
      }),
    ).toEqual([
      ['E016', "- connection[0]:\n  - Merge the following cmd into one section:\n    'c' is defined in flow[0] and flow[1]."],
      ['E016', "- connection[0]:\n  - Merge the following auto_frame into one section:\n    'p' is defined in flow[0] and flow[1]."],
    ]);
  });

  it('result conversions on data and frames (TEN writes "audio frame" and "video frame")', () => {
    const conv = { msg_conversion: { type: 'per_property', rules: [{ path: 'x', conversion_mode: 'fixed_value', value: 1 }], result: { type: 'per_property', rules: [] } } };
    expect(
      statics({
        nodes,
        connections: [{ extension: 'a', data: [{ name: 'd', dest: [{ extension: 'b', ...conv }] }], video_frame: [{ name: 'v', dest: [{ extension: 'b', ...conv }] }] }],
      }),
    ).toEqual([
      ['E017', 'result conversion is not allowed for data out msg'],
      ['E017', 'result conversion is not allowed for video frame out msg'],
    ]);
  });
});

describe('multi-app graphs validate as TEN does', () => {
  const graph: TenGraph = {
    nodes: [ext('a', A, 'here'), ext('b', B, 'elsewhere'), ext('c', A, 'missing_here')],
    connections: [
      { extension: 'a', app: A, cmd: [{ name: 'hello', dest: [{ extension: 'b', app: B }] }] },
      { extension: 'b', app: B, data: [{ name: 'd', dest: [{ extension: 'c', app: A }] }] },
    ],
  };
  const catalogue = buildCatalogue([{ source: 'app', manifest: { type: 'extension', name: 'here', version: '1.0.0' } }]);

  it("a node of another app need not be installed here; this app's nodes must be, in TEN's words", async () => {
    const r = await checkGraph(graph, at, { catalogue, appUri: A });
    expect(r.diagnostics.map((d) => [d.code, d.message, d.pointer])).toEqual([
      ['E030', 'The following packages are declared in nodes but not installed: [("msgpack://127.0.0.1:8001/", Extension, "missing_here")].', '/nodes/2/addon'],
    ]);
  });

  it('the same extension name in two apps is two extensions', () => {
    const g: TenGraph = {
      nodes: [ext('e', A), ext('e', B)],
      connections: [{ extension: 'e', app: A, cmd: [{ name: 'c', dest: [{ extension: 'e', app: B }] }] }],
    };
    expect(texts(g)).toEqual([]);
    expect(statics(g)).toEqual([]);
    expect(statics({ ...g, nodes: [ext('e', A), ext('e', A), ext('e', B)] })).toEqual([['E011', 'Duplicated extension was found in nodes[1], addon: x, name: e.']]);
  });
});

describe("TEN's flatten and graph proxy texts", () => {
  const files = memoryFiles({
    '/app/s.json': JSON.stringify({ nodes: [ext('x')], exposed_messages: [{ type: 'cmd_in', name: 'go', extension: 'x' }, { type: 'data_in', name: 'noext' }] }),
    '/app/bad.json': '{"nodes": [',
  });
  const withSub = (dest: Record<string, unknown>, importUri = 's.json'): TenGraph => ({
    nodes: [ext('a'), { type: 'subgraph', name: 's', graph: { import_uri: importUri } }],
    connections: [{ extension: 'a', cmd: [{ name: 'go2', dest: [dest] }], data: [{ name: 'noext', dest: [{ subgraph: 's' }] }] }],
  });
  const flatten = async (g: TenGraph) => {
    const r = await flattenGraph(g, { files, baseDir: '/app' });
    return r.ok ? [] : r.diagnostics.map((d) => d.message);
  };

  it('a message a subgraph does not expose names the type as TEN prints it', async () => {
    expect(await flatten(withSub({ subgraph: 's' }))).toEqual(["Failed to flatten graph: Message 'go2' of type 'CmdIn' is not exposed by subgraph 's'"]);
  });

  it('an exposed message without an extension, an empty import_uri, a file that does not parse', async () => {
    const g = withSub({ extension: 'a' });
    expect(await flatten(g)).toEqual(["Failed to flatten graph: Exposed message 'noext' in subgraph 's' does not specify an extension"]);
    expect(await flatten(withSub({ extension: 'a' }, ''))).toEqual(["Failed to flatten graph: Subgraph node 's' has an empty import_uri"]);
    expect((await flatten(withSub({ extension: 'a' }, 'bad.json')))[0]).toMatch(/^Failed to flatten graph: Failed to parse graph file from \/app\/bad\.json/);
    expect(await flatten(withSub({ extension: 'a' }, 'none.json'))).toEqual(['Failed to flatten graph: Failed to read content file from /app/none.json']);
  });

  it('graph proxy injection', () => {
    const proxyText = (g: TenGraph) => {
      const r = injectGraphProxyChecked(g);
      return r.ok ? '' : r.diagnostics[0]!.message;
    };
    expect(proxyText({ nodes: [ext('a'), ext('ten:graph_proxy')], exposed_messages: [{ type: 'cmd_in', name: 'c', extension: 'a' }] })).toBe(
      "Graph already contains a node named 'ten:graph_proxy', cannot inject graph_proxy",
    );
    expect(proxyText({ nodes: [ext('a')], exposed_messages: [{ type: 'cmd_in', name: 'c', subgraph: 's' }] })).toBe(
      'Subgraph references in exposed_messages are not supported for graph_proxy injection. Please flatten the graph first.',
    );
    expect(proxyText({ nodes: [ext('a')], exposed_messages: [{ type: 'cmd_in', name: 'c' }] })).toBe("exposed_messages entry must specify either 'extension' or 'subgraph'");
    expect(proxyText({ nodes: [ext('a')], exposed_messages: [{ type: 'cmd_in', name: 'c', extension: 'zz' }] })).toBe("Extension 'zz' referenced in exposed_messages does not exist in the graph");
  });
});
