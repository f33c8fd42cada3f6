import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFiles } from '../../../src/host/files';
import { exportJson, judge, reverseConnections, runCase, type ConformanceCase, type TenConnection, type TenGraph } from '../../../src/shared';
import { GRAPH_CHECK, HAS_CORPUS } from './corpus';

const cases: ConformanceCase[] = HAS_CORPUS ? JSON.parse(readFileSync(join(GRAPH_CHECK, 'cases.json'), 'utf8')) : [];
const run = (c: ConformanceCase) => runCase(c, join(GRAPH_CHECK, 'cases', c.id), nodeFiles);
const byId = (id: string): ConformanceCase => {
  const c = cases.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
};
const graphOf = async (id: string): Promise<TenGraph> => {
  const r = await run(byId(id));
  expect(r.verdict, r.errorText).toBe('valid');
  return r.output as TenGraph;
};
const flows = (c: TenConnection | undefined, kind: 'cmd' | 'data' = 'cmd') => c?.[kind] ?? [];

describe.skipIf(!HAS_CORPUS)('ten-corpus graph-check: every case reaches TEN verdict (needs ../shared/ten-corpus)', () => {
  it('has the 134 cases the corpus documents', () => {
    expect(cases.length).toBe(134);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const r = await run(c);
    const verdict = judge(c, r);
    expect(verdict.reason).toBe('');
    expect(verdict.passed).toBe(true);
    // Every error is located: a code, a message and a pointer.
    for (const d of r.diagnostics) {
      expect(d.code).toMatch(/^E\d{3}$/);
      expect(typeof d.pointer).toBe('string');
    }
  });
});

describe.skipIf(!HAS_CORPUS)('ten-corpus graph-check: results match what TEN tests assert (needs ../shared/ten-corpus)', () => {
  it('names expansion gives one flow per name', async () => {
    const g = await graphOf('names_expansion.expand_names_with_data_flows');
    expect(flows(g.connections?.[0], 'data').map((f) => f.name)).toEqual(['data_1', 'data_2']);
    expect(flows(g.connections?.[0], 'data').every((f) => f.names === undefined)).toBe(true);
  });

  it('flatten expands names with app on both ends', async () => {
    const g = await graphOf('names_expansion.flatten_graph_includes_names_expansion_with_app');
    expect(g.connections?.flatMap((c) => flows(c))).toHaveLength(2);
  });

  it('reversed flows from two sections merge into one forward flow with two dests', async () => {
    const g = await graphOf('reverse.complex_merge_scenario');
    expect(g.nodes).toHaveLength(3);
    expect(g.connections).toHaveLength(1);
    const c = g.connections![0]!;
    expect(c.extension).toBe('ext2');
    const f = flows(c);
    expect(f.map((x) => x.name)).toEqual(['shared_flow']);
    expect(f[0]!.source).toBeUndefined();
    expect(f[0]!.dest?.map((d) => d.extension).sort()).toEqual(['ext1', 'ext3']);
  });

  it('a reversed flow duplicating a forward one merges into it', async () => {
    const g = await graphOf('reverse.merge_duplicate_connections');
    expect(g.connections).toHaveLength(1);
    expect(g.connections![0]!.extension).toBe('another_ext');
    expect(flows(g.connections![0])).toHaveLength(1);
    expect(flows(g.connections![0])[0]!.dest![0]!.extension).toBe('some_extension');
  });

  it('reversal keeps app and subgraph addressing', async () => {
    const multi = await graphOf('reverse.multi_type_flows');
    expect(multi.connections).toHaveLength(1);
    const c = multi.connections![0]!;
    expect([c.app, c.extension]).toEqual(['app2', 'ext2']);
    expect(flows(c)).toEqual([{ name: 'flow1', dest: [{ app: 'app1', extension: 'ext1' }] }]);
    const sub = await graphOf('reverse.app_and_subgraph_fields');
    expect(sub.connections).toHaveLength(1);
    expect(sub.connections![0]!.subgraph).toBe('subgraph1');
    expect(sub.connections![0]!.extension).toBeUndefined();
    expect(flows(sub.connections![0])[0]!.dest).toEqual([{ extension: 'ext1' }]);
  });

  it('reversing a flow written with names keeps the names', () => {
    const g = reverseConnections({
      nodes: [],
      connections: [{ extension: 'b', data: [{ names: ['x', 'y'], source: [{ extension: 'a' }] }] }],
    });
    expect(g.connections).toEqual([{ extension: 'a', data: [{ names: ['x', 'y'], dest: [{ extension: 'b' }] }] }]);
  });

  it('multiple sources become one connection each; source-only flows move to the source', async () => {
    const multi = await graphOf('reverse.multiple_sources_reverse_connection');
    expect(multi.connections?.map((c) => c.extension).sort()).toEqual(['source_ext_1', 'source_ext_2']);
    const only = await graphOf('reverse.source_only_flows');
    expect(only.connections).toHaveLength(1);
    expect(only.connections![0]!.extension).toBe('source_ext');
    expect(flows(only.connections![0])[0]).toEqual({ name: 'source_only_flow', dest: [{ extension: 'empty_dest_ext' }] });
  });

  it('selectors resolve to extensions in node order', async () => {
    const r = await run(byId('selector.get_nodes_by_selector_node_name'));
    expect(r.output).toEqual({
      selector_for_ext_1_and_2: ['test_extension_1', 'test_extension_2'],
      selector_for_ext_1_and_2_and_3: ['test_extension_1', 'test_extension_2', 'test_extension_3'],
      selector_for_ext_1_or_3: ['test_extension_1', 'test_extension_3'],
    });
  });

  it('a basic subgraph is inlined with prefixed names and exposed properties routed', async () => {
    const g = await graphOf('subgraph.flatten_basic_subgraph');
    expect(g.nodes?.map((n) => [n.name, n.type === 'extension' ? n.addon : ''])).toEqual([
      ['ext_a', 'addon_a'],
      ['subgraph_1_ext_c', 'addon_c'],
      ['subgraph_1_ext_d', 'addon_d'],
    ]);
    expect(g.nodes?.[2]?.property).toEqual({ app_id: '${env:AGORA_APP_ID}' });
    expect(g.connections?.map((c) => c.extension)).toEqual(['ext_a', 'subgraph_1_ext_c']);
    expect(flows(g.connections?.[0])[0]!.dest).toEqual([{ extension: 'subgraph_1_ext_d' }]);
    expect(g.exposed_messages).toBeUndefined();
    expect(g.exposed_properties).toBeUndefined();
  });

  it('nested subgraphs flatten two levels deep', async () => {
    const g = await graphOf('subgraph.flatten_nested_subgraphs');
    expect(g.nodes?.map((n) => n.name)).toEqual(['ext_a', 'subgraph_1_ext_x', 'subgraph_1_subgraph_2_ext_y', 'subgraph_1_subgraph_2_ext_z']);
    expect(g.connections).toHaveLength(3);
    for (const c of g.connections!) expect(flows(c)[0]!.dest).toEqual([{ extension: 'subgraph_1_subgraph_2_ext_z' }]);
  });

  it('messages to and from a whole subgraph go through its exposed_messages', async () => {
    const g = await graphOf('subgraph.flatten_subgraph_field_reference');
    expect(g.nodes?.map((n) => n.name)).toEqual(['ext_a', 'subgraph_2_ext_c', 'subgraph_2_ext_d']);
    const a = g.connections!.find((c) => c.extension === 'ext_a')!;
    expect(flows(a)).toEqual([{ name: 'B', dest: [{ extension: 'subgraph_2_ext_d' }] }]);
    const c = g.connections!.find((x) => x.extension === 'subgraph_2_ext_c')!;
    expect(flows(c)).toEqual([{ name: 'H', dest: [{ extension: 'ext_a' }] }]);
  });

  it('the exposed-info variant rewrites exposed_properties to flattened names', async () => {
    const g = await graphOf('subgraph.flatten_subgraph_field_reference_exposed_properties');
    expect(g.exposed_properties).toEqual([
      { extension: 'ext_a', name: 'config_a' },
      { extension: 'subgraph_1_ext_y', name: 'config_b' },
    ]);
  });

  it('exposed messages inject ten:graph_proxy with host_loc', async () => {
    const out = await graphOf('exposed_message.inject_graph_proxy_with_cmd_out');
    expect(out.nodes).toHaveLength(2);
    expect(flows(out.connections!.find((c) => c.extension === 'tts'))).toEqual([{ name: 'tts_complete', dest: [{ extension: 'ten:graph_proxy' }] }]);
    const host = await graphOf('exposed_message.inject_graph_proxy_with_host_loc_property');
    const proxy = host.nodes!.find((n) => n.name === 'ten:graph_proxy')!;
    expect(proxy.type).toBe('extension');
    expect((proxy.property as { host_loc: { app: string } }).host_loc.app).toBe('http://localhost:8000');
  });

  it('manifest interfaces merge recursively and duplicates collapse', async () => {
    const r = await run(byId('manifest_interface.extension_manifest_with_interface_local_path'));
    expect(r.verdict, r.errorText).toBe('valid');
    const api = r.output as Record<string, { name: string }[]> & { property: { properties: Record<string, { type: string }> } };
    expect(api.interface).toBeUndefined();
    expect(Object.fromEntries(Object.entries(api.property.properties).map(([k, v]) => [k, v.type]))).toEqual({ foo: 'bool', bar: 'int64', key: 'string' });
    expect(api.cmd_in!.map((m) => m.name).sort()).toEqual(['hello', 'query_vector', 'set_key']);
    expect(api.cmd_out!.map((m) => m.name).sort()).toEqual(['publish', 'set_presence_state']);
    expect(api.data_in!.map((m) => m.name)).toEqual(['data']);
    expect(api.data_out).toBeUndefined();
  });

  it('msg_conversion fixed values keep their JSON type', async () => {
    const r = await run(byId('graph.graph_message_conversion_fixed_value'));
    const g = r.output as TenGraph;
    const conv = flows(g.connections![0])[0]!.dest![0]!.msg_conversion as { rules: { value?: unknown }[] };
    expect(conv.rules).toHaveLength(4);
    expect(conv.rules[1]!.value).toBe('hello');
    expect(conv.rules[2]!.value).toBe(true);
  });

  it('a graph loaded through import_uri relative to its folder', async () => {
    const g = await graphOf('import_uri.import_uri_without_conflicting_fields_succeeds');
    expect(g.nodes?.map((n) => n.name)).toEqual(['test_ext']);
  });

  it("uses TEN's own text where the notes quote it but the Rust test asserts none", async () => {
    const quoted = cases.flatMap((c) => {
      const m = /TEN's message[^']*'(.+?)'(?:\.|;|$| )/.exec(c.notes ?? '');
      return m ? [[c, m[1]!] as const] : [];
    });
    expect(quoted.length).toBeGreaterThanOrEqual(3);
    for (const [c, text] of quoted) {
      const r = await run(c);
      expect(r.errorText, c.id).toContain(text);
    }
  });

  it('graphs with nothing to inject or load come back as written', async () => {
    const noExposed = byId('exposed_message.inject_graph_proxy_with_no_exposed_messages');
    const input = JSON.parse(readFileSync(join(GRAPH_CHECK, 'cases', noExposed.id, noExposed.input), 'utf8'));
    expect(await graphOf(noExposed.id)).toEqual(input);
    const loaded = await graphOf('graph_info.load_graph_from_relative_path');
    expect(loaded.nodes?.map((n) => n.name)).toEqual(['test_extension']);
  });

  it('msg_conversion survives a property.json round trip, result conversion included', async () => {
    const c = byId('property.dump_property_with_msg_conversion');
    const text = readFileSync(join(GRAPH_CHECK, 'cases', c.id, c.input), 'utf8');
    const doc = JSON.parse(exportJson(JSON.parse(text), 'property'));
    const dest = doc.ten.predefined_graphs[0].graph.connections[0].cmd[0].dest;
    expect(dest).toHaveLength(1);
    expect(dest[0].msg_conversion.type).toBe('per_property');
    expect(dest[0].msg_conversion.keep_original).toBeUndefined();
    expect(dest[0].msg_conversion.rules).toHaveLength(2);
    expect(dest[0].msg_conversion.rules[0]).toEqual({ path: 'ten.name', conversion_mode: 'fixed_value', value: 'hello_mapping' });
    expect(dest[0].msg_conversion.result.rules).toHaveLength(1);
  });

  it('an extension manifest parses with its cmd_in required list', async () => {
    const r = await run(byId('manifest.extension_manifest_from_str'));
    const m = r.output as { type: string; api: { cmd_in: { property: { required: string[] } }[] } };
    expect(m.type).toBe('extension');
    expect(m.api.cmd_in).toHaveLength(1);
    expect(m.api.cmd_in[0]!.property.required).toHaveLength(1);
  });

  it('duplicate names report both flows and a location', async () => {
    const r = await run(byId('names_expansion.duplicate_names_error_between_name_and_names_fields'));
    const dup = r.diagnostics.find((d) => d.code === 'E016');
    expect(dup).toMatchObject({ pointer: '/connections/0/data/1' });
    expect(dup!.line).toBeGreaterThan(1);
  });
});
