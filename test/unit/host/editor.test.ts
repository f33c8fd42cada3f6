import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { exportJson, HOST_METHODS, locate, parseJson, type GraphDocument, type TenGraph } from '../../../src/shared';

const host = new Host({ resourcesDir: resolve('resources'), version: 'test', dataDir: join(tmpdir(), 'ten-studio-editor-test') });

async function example(): Promise<GraphDocument> {
  return host.openExample('hello-pipeline');
}

function firstGraph(doc: GraphDocument): TenGraph {
  return doc.property.ten!.predefined_graphs![0]!.graph as TenGraph;
}

describe('editor host methods', () => {
  it('lists the built-in addons with typed ports and property schemas', async () => {
    const addons = await host.editor.listAddons(undefined);
    const names = addons.map((a) => a.name);
    expect(names).toEqual([...names].sort());
    const generator = addons.find((a) => a.name === 'data_generator')!;
    expect(generator.source).toBe('builtin');
    expect(generator.description).toMatch(/interval_ms/);
    expect(generator.ports).toContainEqual(expect.objectContaining({ kind: 'data', direction: 'out', name: 'tick' }));
    expect(generator.propertySchema).toMatchObject({ type: 'object', properties: { interval_ms: { type: 'uint32' } } });
  });

  it('finds nothing wrong with the example, then locates a bad property value and an unknown addon', async () => {
    const doc = await example();
    expect(await host.editor.validateDocument(doc)).toEqual([]);
    const graph = firstGraph(doc);
    const index = graph.nodes.findIndex((n) => n.name === 'ticker');
    const nodes = graph.nodes.map((n, i) => (i === index && n.type === 'extension' ? { ...n, property: { ...n.property, interval_ms: -5 } } : n));
    nodes.push({ type: 'extension', name: 'ghost', addon: 'no_such_addon' });
    const broken: GraphDocument = {
      ...doc,
      property: { ten: { ...doc.property.ten, predefined_graphs: [{ ...doc.property.ten!.predefined_graphs![0]!, graph: { ...graph, nodes } }] } },
    };
    const found = await host.editor.validateDocument(broken);
    expect(found.map((d) => d.code).sort()).toEqual(['E030', 'E051']);
    expect(found.find((d) => d.code === 'E051')!.pointer).toMatch(new RegExp(`^/ten/predefined_graphs/0/graph/nodes/${index}/property`));
    expect(found.find((d) => d.code === 'E030')!.line).toBeGreaterThan(1);
    // Each is placed where it is in the text the document would be saved as.
    const text = exportJson(broken.property, 'json');
    const parsed = parseJson(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    for (const d of found) {
      const at = locate(parsed.doc, d.pointer)!;
      expect([d.line, d.column], d.pointer).toEqual([at.line, at.column]);
    }
  });

  it("lists an example's own packages (the Python example's) with their language, and checks the example against them", async () => {
    const addons = await host.editor.listAddons(host.editor.exampleDir('python-and-typescript'));
    expect(addons.find((a) => a.name === 'greeter_python')).toMatchObject({ source: 'app', language: 'python', runsHere: true });
    expect(addons.find((a) => a.name === 'forwarder')).toMatchObject({ source: 'builtin', language: 'typescript', runsHere: true });
    const doc = await host.openExample('python-and-typescript');
    expect(await host.editor.validateDocument(doc)).toEqual([]);
    expect(() => host.editor.exampleDir('../secrets')).toThrow(/No example/);
  });

  it('checks params strictly', () => {
    expect(HOST_METHODS.listAddons.validate({})).toBeNull();
    expect(HOST_METHODS.listAddons.validate({ appDir: 'relative/dir' })).toMatch(/absolute path/);
    expect(HOST_METHODS.listAddons.validate({ extra: 1 })).toMatch(/does not accept "extra"/);
    expect(HOST_METHODS.listAddons.validate({ exampleId: '' })).toMatch(/non-empty/);
    expect(HOST_METHODS.validateDocument.validate({})).toMatch(/needs "document"/);
  });
});
