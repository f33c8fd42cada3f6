import { describe, expect, it } from 'vitest';
import { buildCatalogue, loadApp, memoryFiles, prepareGraphForRun, validateApp, type TenManifest } from '../../../src/shared';

const manifest = (name: string, api: TenManifest['api'] = {}): string => JSON.stringify({ type: 'extension', name, version: '0.1.0', api });

const files = memoryFiles({
  '/app/manifest.json': JSON.stringify({ type: 'app', name: 'demo', version: '0.1.0' }),
  '/app/property.json': JSON.stringify(
    {
      ten: {
        predefined_graphs: [
          {
            name: 'main',
            graph: {
              nodes: [
                { type: 'extension', name: 'src', addon: 'producer' },
                { type: 'extension', name: 'sink', addon: 'echo' },
                { type: 'subgraph', name: 'sub', graph: { import_uri: 'graphs/sub.json' } },
              ],
              connections: [{ extension: 'src', cmd: [{ names: ['hello', 'bye'], dest: [{ extension: 'sink' }, { subgraph: 'sub' }] }] }],
            },
          },
          { name: 'imported', graph: { import_uri: 'graphs/missing.json' } },
        ],
      },
    },
    null,
    2,
  ),
  '/app/graphs/sub.json': JSON.stringify({
    nodes: [{ type: 'extension', name: 'inner', addon: 'echo' }],
    exposed_messages: [
      { type: 'cmd_in', name: 'hello', extension: 'inner' },
      { type: 'cmd_in', name: 'bye', extension: 'inner' },
    ],
  }),
  '/app/ten_packages/extension/producer/manifest.json': manifest('producer', {
    interface: [{ import_uri: 'api/out.json' }],
  }),
  '/app/ten_packages/extension/producer/api/out.json': JSON.stringify({ cmd_out: [{ name: 'hello', property: { properties: { n: { type: 'int8' } } } }] }),
});

describe('apps on any FileSource', () => {
  it('loads packages with their interfaces and merges built-ins into the catalogue', async () => {
    const app = await loadApp('/app', files);
    expect(app.diagnostics).toEqual([]);
    expect(app.packages.map((p) => p.entry.manifest.name)).toEqual(['producer']);
    expect(app.packages[0]!.entry.api?.cmd_out?.[0]?.name).toBe('hello');
    const builtin = { source: 'builtin' as const, manifest: { type: 'extension', name: 'echo', version: '1.0.0', api: { cmd_in: [{ name: 'hello' }] } } };
    const v = await validateApp(app, { files, builtins: [builtin] });
    // Only the imported graph's missing file is a problem; `echo` comes from the built-ins.
    expect(v.diagnostics.map((d) => [d.code, d.pointer])).toEqual([['E026', '/ten/predefined_graphs/1/graph/import_uri']]);
    const cat = buildCatalogue([...app.packages.map((p) => p.entry), builtin]);
    expect(cat.get('echo')?.source).toBe('builtin');
    expect(cat.port('producer', 'cmd', 'out', 'hello')?.schema).toEqual({ type: 'object', properties: { n: { type: 'int8' } } });
  });

  it('explains addons missing because a local dependency folder does not exist', async () => {
    const withDep = memoryFiles({
      '/a/manifest.json': JSON.stringify({ type: 'app', name: 'a', version: '0.1.0', dependencies: [{ path: '../pkgs/gone' }, { path: 'local/here' }] }, null, 2),
      '/a/property.json': '{}',
      '/a/local/here/manifest.json': manifest('here'),
    });
    const app = await loadApp('/a', withDep);
    expect(app.packages.map((p) => p.entry.manifest.name)).toEqual(['here']);
    expect(app.diagnostics.map((d) => [d.code, d.file, d.pointer, d.line])).toEqual([['E032', '/a/manifest.json', '/dependencies/0/path', 7]]);
  });

  it('prepares a flattened graph for the runtime', async () => {
    const app = await loadApp('/app', files);
    const builtins = [{ source: 'builtin' as const, manifest: { type: 'extension', name: 'echo', version: '1.0.0' } }];
    const r = await prepareGraphForRun(app, 'main', { files, builtins });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.graph.nodes?.map((n) => n.name)).toEqual(['src', 'sink', 'sub_inner']);
    expect(r.graph.connections).toEqual([
      {
        extension: 'src',
        cmd: [
          { name: 'hello', dest: [{ extension: 'sink' }, { extension: 'sub_inner' }] },
          { name: 'bye', dest: [{ extension: 'sink' }, { extension: 'sub_inner' }] },
        ],
      },
    ]);
    const missing = await prepareGraphForRun(app, 'main', { files });
    expect(missing.ok).toBe(false);
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['E030', 'E030']);
    expect((await prepareGraphForRun(app, 'nope', { files })).ok).toBe(false);
  });
});

describe('multi-app graphs', () => {
  it('require only this app’s nodes to be installed here', async () => {
    const files = memoryFiles({
      '/m/manifest.json': JSON.stringify({ type: 'app', name: 'm', version: '0.1.0' }),
      '/m/property.json': JSON.stringify({
        ten: {
          uri: 'msgpack://127.0.0.1:8001/',
          predefined_graphs: [
            {
              name: 'g',
              graph: {
                nodes: [
                  { type: 'extension', name: 'here', addon: 'local_addon', app: 'msgpack://127.0.0.1:8001/' },
                  { type: 'extension', name: 'there', addon: 'remote_addon', app: 'msgpack://127.0.0.1:8002/' },
                ],
              },
            },
          ],
        },
      }),
    });
    const v = await validateApp(await loadApp('/m', files), { files });
    expect(v.diagnostics.map((d) => [d.code, d.pointer])).toEqual([['E030', '/ten/predefined_graphs/0/graph/nodes/0/addon']]);
  });
});
