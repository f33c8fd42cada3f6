/**
 * Documents through the real browser-mode WebSocket transport: open, save, save as, export,
 * recent files, conflict detection, recovery, and request validation.
 */
import { cp, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { applyPropertyEdit, parseJson, type GraphDocument, type OpenedDocument, type RecentFile, type RecoveryInfo, type SavedDocument } from '../../../src/shared';
import { connect, errorOf, resultOf, type TestClient } from './wsClient';

let root: string;
let rendererDir: string;
let dataDir: string;
let server: RunningServer;
let client: TestClient;
let work: string;
let caseNo = 0;

const example = resolve('resources/examples/hello-pipeline');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-documents-'));
  rendererDir = join(root, 'renderer');
  dataDir = join(root, 'data');
  await mkdir(rendererDir);
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>');
  const host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir });
  server = await startServer({ host, rendererDir, port: 0 });
  client = await connect(server);
});

afterAll(async () => {
  client.close();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  work = join(root, `case-${++caseNo}`);
  await mkdir(work);
});

async function copyApp(): Promise<string> {
  const dir = join(work, 'app');
  await cp(example, dir, { recursive: true });
  return dir;
}

async function open(path: string): Promise<OpenedDocument> {
  return resultOf<OpenedDocument>(await client.call('openDocument', { path }));
}

/** A visible edit: renames the first graph's first node's `interval_ms`. */
function edit(doc: GraphDocument, value: number): GraphDocument {
  const property = structuredClone(doc.property);
  const node = (property.ten!.predefined_graphs![0]!.graph as { nodes: { property?: Record<string, unknown> }[] }).nodes[0]!;
  node.property = { ...node.property, interval_ms: value };
  return { ...doc, property };
}

describe('documents over the WebSocket', () => {
  it('opens an app folder and saves it back equal, in TEN key order, and stable from then on', async () => {
    const dir = await copyApp();
    const before = await readFile(join(dir, 'property.json'), 'utf8');
    const opened = await open(dir);
    expect(opened.document).toMatchObject({
      id: `app:${dir}`,
      title: 'hello_pipeline',
      origin: { kind: 'app', dir, propertyFile: join(dir, 'property.json'), appName: 'hello_pipeline', packages: [] },
    });
    expect(opened.recovery).toBeNull();
    expect(opened.document.base?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const saved = resultOf<SavedDocument>(await client.call('saveDocument', { document: opened.document }));
    expect(saved.files).toEqual([join(dir, 'property.json')]);
    const first = await readFile(join(dir, 'property.json'), 'utf8');
    expect(JSON.parse(first)).toEqual(JSON.parse(before));
    // The graph model's exporter orders keys as TEN does (`cmd` before `data`), so the first
    // save may reorder a hand-written file; every later save of the same content is identical.
    expect(first.indexOf('"cmd"')).toBeLessThan(first.indexOf('"data"'));
    resultOf(await client.call('saveDocument', { document: saved.document }));
    expect(await readFile(join(dir, 'property.json'), 'utf8')).toBe(first);
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toContain('"hello_pipeline"');
  });

  it('round-trips an edit, keeps unknown fields, and writes the layout to a sidecar only', async () => {
    const dir = await copyApp();
    const file = join(dir, 'property.json');
    const original = JSON.parse(await readFile(file, 'utf8'));
    original.ten.custom_future_field = { keep: [1, 2, 3] };
    original.extra_top_level = 'kept';
    await writeFile(file, JSON.stringify(original));
    const { document } = await open(dir);
    const layout = { version: 1 as const, graphs: { hello_pipeline: { nodes: { ticker: { x: 10, y: 20.5 } } } } };
    const saved = resultOf<SavedDocument>(
      await client.call('saveDocument', { document: { ...edit(document, 250), layout } }),
    );
    expect(saved.files).toEqual([file, join(dir, 'property.studio-layout.json')]);
    expect(saved.warnings).toEqual([]);
    const written = await readFile(file, 'utf8');
    expect(written.endsWith('}\n')).toBe(true);
    expect(written).not.toContain('studio');
    const parsed = JSON.parse(written);
    expect(parsed.ten.custom_future_field).toEqual({ keep: [1, 2, 3] });
    expect(parsed.extra_top_level).toBe('kept');
    expect(parsed.ten.predefined_graphs[0].graph.nodes[0].property.interval_ms).toBe(250);
    const reopened = await open(dir);
    expect(reopened.document.property).toEqual(parsed);
    expect(reopened.document.layout).toEqual(layout);
    expect(reopened.document.base).toEqual(saved.document.base);
  });

  it('keeps integers beyond 2^53 exactly through open, an edit of something else, save, export and recovery', async () => {
    const dir = await copyApp();
    const file = join(dir, 'property.json');
    const big = '"trace_id": 18446744073709551615,\n                "seed": 9007199254740993,\n                "offset_ns": -9223372036854775808,\n                "ids": [9223372036854775807, 1],';
    await writeFile(file, (await readFile(file, 'utf8')).replace('"interval_ms": 10,', `"interval_ms": 10,\n                ${big}`));
    const { document } = await open(dir);
    const ticker = () => (document.property.ten!.predefined_graphs![0]!.graph as { nodes: { property?: Record<string, unknown> }[] }).nodes[0]!.property!;
    expect(ticker()).toMatchObject({ trace_id: 18446744073709551615n, seed: 9007199254740993n, offset_ns: -9223372036854775808n, ids: [9223372036854775807n, 1] });

    const renamed = applyPropertyEdit(document.property, { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'renameNode', from: 'mic', to: 'microphone' } });
    if (!renamed.ok) throw new Error(renamed.error);
    const edited = { ...document, property: renamed.doc };
    resultOf(await client.call('saveRecovery', { document: edited }));
    const restored = resultOf<GraphDocument>(await client.call('restoreRecovery', { documentId: document.id }));
    expect(restored).toEqual(edited);
    const { diagnostics } = resultOf<{ diagnostics: { pointer: string }[] }>(await client.call('validateDocument', { document: restored }));
    expect(diagnostics.filter((d) => d.pointer.includes('/nodes/0/'))).toEqual([]);

    resultOf(await client.call('saveDocument', { document: restored }));
    const written = await readFile(file, 'utf8');
    expect(written).toContain('"name": "microphone"');
    for (const literal of ['"trace_id": 18446744073709551615,', '"seed": 9007199254740993,', '"offset_ns": -9223372036854775808,', '9223372036854775807,']) {
      expect(written).toContain(literal);
    }
    const reread = parseJson(written);
    expect(reread.ok && reread.doc.value).toEqual(renamed.doc);

    const exported = join(work, 'exported.json');
    resultOf(await client.call('exportDocument', { document: restored, path: exported, format: 'graph', graphName: 'hello_pipeline' }));
    expect(await readFile(exported, 'utf8')).toContain('"trace_id": 18446744073709551615,');
  });

  it('opens a lone property.json and a standalone graph file, and saves each in its own form', async () => {
    const propFile = join(work, 'property.json');
    await cp(join(example, 'property.json'), propFile);
    const prop = await open(propFile);
    expect(prop.document.origin).toEqual({ kind: 'property', file: propFile });

    const graphFile = join(work, 'pipeline.json');
    const graph = { nodes: [{ type: 'extension', name: 'a', addon: 'forwarder' }], connections: [], seq_id: '7' };
    await writeFile(graphFile, JSON.stringify(graph, null, 2) + '\n');
    const g = await open(graphFile);
    expect(g.document.origin).toEqual({ kind: 'graph', file: graphFile });
    expect(g.document.property.ten?.predefined_graphs?.[0]).toMatchObject({ name: 'pipeline', graph });
    await client.call('saveDocument', { document: g.document });
    expect(JSON.parse(await readFile(graphFile, 'utf8'))).toEqual(graph);
  });

  it('does not overwrite a file changed on disk, and overwrites it only when forced', async () => {
    const dir = await copyApp();
    const file = join(dir, 'property.json');
    const { document } = await open(dir);
    const theirs = (await readFile(file, 'utf8')).replace('"interval_ms": 10', '"interval_ms": 99');
    await writeFile(file, theirs);

    const refused = errorOf(await client.call('saveDocument', { document: edit(document, 500) }));
    expect(refused.code).toBe('E_CONFLICT');
    expect(refused.message).toContain(file);
    expect(refused.message).toMatch(/changed on disk/);
    expect(refused.message).toMatch(/Overwrite.*reload.*save your version as another file/i);
    expect(await readFile(file, 'utf8')).toBe(theirs);

    const forced = resultOf<SavedDocument>(await client.call('saveDocument', { document: edit(document, 500), force: true }));
    expect(JSON.parse(await readFile(file, 'utf8')).ten.predefined_graphs[0].graph.nodes[0].property.interval_ms).toBe(500);
    // After a save the new fingerprint is the base: saving again needs no force.
    resultOf(await client.call('saveDocument', { document: edit(forced.document, 501) }));
  });

  it('lets only one of two clients saving the same file from the same base win', async () => {
    const dir = await copyApp();
    const { document } = await open(dir);
    const other = await connect(server);
    try {
      const [a, b] = await Promise.all([
        client.call('saveDocument', { document: edit(document, 1001) }),
        other.call('saveDocument', { document: edit(document, 1002) }),
      ]);
      const outcomes = [a, b].map((f) => (f.type === 'response' && f.ok ? 'saved' : errorOf(f).code)).sort();
      expect(outcomes).toEqual(['E_CONFLICT', 'saved']);
      const winner = a.type === 'response' && a.ok ? 1001 : 1002;
      const written = JSON.parse(await readFile(join(dir, 'property.json'), 'utf8'));
      expect(written.ten.predefined_graphs[0].graph.nodes[0].property.interval_ms).toBe(winner);
    } finally {
      other.close();
    }
  });

  it('saves through a symbolic link into the file it points to, keeping the link', async () => {
    const real = join(work, 'real.json');
    const link = join(work, 'property.json');
    await cp(join(example, 'property.json'), real);
    await symlink(real, link);
    const { document } = await open(link);
    resultOf(await client.call('saveDocument', { document: edit(document, 5) }));
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(real, 'utf8')).ten.predefined_graphs[0].graph.nodes[0].property.interval_ms).toBe(5);
  });

  it('reports a layout sidecar it could not write as a warning of a save that happened', async () => {
    const dir = await copyApp();
    // A folder where the sidecar should go: no file can be renamed over it.
    await mkdir(join(dir, 'property.studio-layout.json', 'blocker'), { recursive: true });
    const { document } = await open(dir);
    const layout = { version: 1 as const, graphs: { hello_pipeline: { nodes: { ticker: { x: 1, y: 2 } } } } };
    const saved = resultOf<SavedDocument>(await client.call('saveDocument', { document: { ...edit(document, 77), layout } }));
    expect(saved.files).toEqual([join(dir, 'property.json')]);
    expect(saved.warnings).toHaveLength(1);
    expect(saved.warnings[0]).toMatch(/^property\.json was saved, but the canvas layout was not: Cannot write .*property\.studio-layout\.json/);
    expect(JSON.parse(await readFile(join(dir, 'property.json'), 'utf8')).ten.predefined_graphs[0].graph.nodes[0].property.interval_ms).toBe(77);
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/ten-studio-tmp$/));
    // The save's fingerprint is right: saving again needs no force.
    resultOf(await client.call('saveDocument', { document: saved.document }));
  });

  it('treats a file whose mtime changed but content did not as unchanged', async () => {
    const dir = await copyApp();
    const file = join(dir, 'property.json');
    const { document } = await open(dir);
    await writeFile(file, await readFile(file));
    resultOf(await client.call('saveDocument', { document: edit(document, 11) }));
  });

  it('saves as a new file (refusing to replace one unless asked) and exports without changing the document', async () => {
    const dir = await copyApp();
    const { document } = await open(dir);
    const target = join(work, 'copy.json');
    await writeFile(target, 'precious');
    const exists = errorOf(await client.call('saveDocumentAs', { document, path: target }));
    expect(exists.code).toBe('E_EXISTS');
    expect(await readFile(target, 'utf8')).toBe('precious');
    const saved = resultOf<SavedDocument>(await client.call('saveDocumentAs', { document, path: target, overwrite: true }));
    expect(saved.document).toMatchObject({ id: `property:${target}`, origin: { kind: 'property', file: target } });
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(document.property);

    const exported = join(work, 'hello.graph.json');
    resultOf(await client.call('exportDocument', { document, path: exported, format: 'graph', graphName: 'hello_pipeline' }));
    expect(JSON.parse(await readFile(exported, 'utf8'))).toEqual(document.property.ten!.predefined_graphs![0]!.graph);
    const again = errorOf(await client.call('exportDocument', { document, path: exported, format: 'property' }));
    expect(again.code).toBe('E_EXISTS');
    const noGraph = errorOf(
      await client.call('exportDocument', { document, path: join(work, 'x.json'), format: 'graph', graphName: 'nope' }),
    );
    expect(noGraph).toMatchObject({ code: 'E_BAD_PARAMS' });
    expect(noGraph.message).toContain('no graph "nope" (it has hello_pipeline)');
  });

  it('lists recent files newest first, marking ones that no longer exist', async () => {
    const dir = await copyApp();
    const graphFile = join(work, 'g.json');
    await writeFile(graphFile, '{"nodes": []}\n');
    await open(dir);
    await open(graphFile);
    await rm(graphFile);
    const recent = resultOf<RecentFile[]>(await client.call('listRecent'));
    expect(recent.slice(0, 2)).toMatchObject([
      { path: graphFile, kind: 'graph', title: 'g.json', exists: false },
      { path: dir, kind: 'app', title: 'hello_pipeline', exists: true },
    ]);
  });

  it('reports JSON syntax errors with file and line:column, and shape errors with a pointer', async () => {
    const bad = join(work, 'property.json');
    await writeFile(bad, '{\n  "ten": {\n    "predefined_graphs": [\n      { "name": "x", }\n    ]\n  }\n}\n');
    const syntax = errorOf(await client.call('openDocument', { path: bad }));
    expect(syntax.code).toBe('E_PARSE');
    expect(syntax.message).toContain(`${bad}:4:22:`);
    expect(syntax.message).toMatch(/invalid JSON: trailing comma in object/);

    await writeFile(bad, '{"ten": {"predefined_graphs": [{"name": "x", "graph": {"nodes": [{"type": "extension"}]}}]}}');
    const shape = errorOf(await client.call('openDocument', { path: bad }));
    expect(shape).toMatchObject({ code: 'E_PARSE' });
    expect(shape.message).toContain(`${bad}:1:66: at /ten/predefined_graphs/0/graph/nodes/0/name: a node needs a string "name".`);

    const empty = join(work, 'empty.json');
    await writeFile(empty, '');
    expect(errorOf(await client.call('openDocument', { path: empty })).message).toContain(`${empty}:1:1:`);

    const other = join(work, 'other.json');
    await writeFile(other, '{"hello": 1}');
    expect(errorOf(await client.call('openDocument', { path: other })).message).toMatch(/neither a TEN property\.json/);
  });

  it('explains missing files and folders that are not apps', async () => {
    const missing = errorOf(await client.call('openDocument', { path: join(work, 'nope.json') }));
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(missing.message).toContain('nope.json');
    const notApp = errorOf(await client.call('openDocument', { path: work }));
    expect(notApp).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(notApp.message).toContain('has no manifest.json');
  });

  it('explains a manifest of another package type even when that type is an integer beyond 2^53', async () => {
    const dir = await copyApp();
    await writeFile(join(dir, 'manifest.json'), '{ "type": 12345678901234567890, "name": "odd" }\n');
    const err = errorOf(await client.call('openDocument', { path: dir }));
    expect(err).toMatchObject({ code: 'E_PARSE' });
    expect(err.message).toContain('this is a TEN 12345678901234567890 package, not an app');
  });

  it('ignores a damaged layout sidecar with a warning and still opens the document', async () => {
    const dir = await copyApp();
    await writeFile(join(dir, 'property.studio-layout.json'), '{"version": 1, "graphs": {"g": {"nodes": {"a": {"x": "1"}}}}}');
    const opened = await open(dir);
    expect(opened.document.layout).toBeUndefined();
    expect(opened.warnings).toHaveLength(1);
    expect(opened.warnings[0]).toContain('layout.graphs.g.nodes.a.x');
  });

  it('keeps a recovery copy of unsaved edits, offers it on the next open, and drops it after a save', async () => {
    const dir = await copyApp();
    const { document } = await open(dir);
    const edited = edit(document, 777);
    resultOf(await client.call('saveRecovery', { document: edited }));
    const again = await open(dir);
    expect(again.recovery).toMatchObject({ documentId: document.id, path: dir, title: 'hello_pipeline' });
    const list = resultOf<RecoveryInfo[]>(await client.call('listRecoveries'));
    expect(list.map((r) => r.documentId)).toContain(document.id);
    const restored = resultOf<GraphDocument>(await client.call('restoreRecovery', { documentId: document.id }));
    expect(restored).toEqual(edited);
    resultOf(await client.call('saveDocument', { document: restored }));
    expect((await open(dir)).recovery).toBeNull();
    expect(errorOf(await client.call('restoreRecovery', { documentId: document.id })).code).toBe('E_NOT_FOUND');
  });

  it('keeps recovery copies for documents without a file (examples)', async () => {
    const doc = resultOf<GraphDocument>(await client.call('openExample', { id: 'hello-pipeline' }));
    resultOf(await client.call('saveRecovery', { document: edit(doc, 3) }));
    const list = resultOf<RecoveryInfo[]>(await client.call('listRecoveries'));
    expect(list.find((r) => r.documentId === 'example:hello-pipeline')).toMatchObject({ path: null });
    const saveless = errorOf(await client.call('saveDocument', { document: doc }));
    expect(saveless).toMatchObject({ code: 'E_BAD_PARAMS' });
    expect(saveless.message).toMatch(/use Save As/);
    expect(resultOf(await client.call('discardRecovery', { documentId: 'example:hello-pipeline' }))).toEqual({ discarded: true });
  });

  it('keeps a recovery copy of a new untitled document and saves it only through Save As', async () => {
    const doc: GraphDocument = {
      id: 'untitled:1',
      title: 'Untitled',
      origin: { kind: 'untitled' },
      property: { ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph: { nodes: [{ type: 'extension', name: 'a', addon: 'data_generator' }] } }] } },
    };
    resultOf(await client.call('saveRecovery', { document: doc }));
    const list = resultOf<RecoveryInfo[]>(await client.call('listRecoveries'));
    expect(list.find((r) => r.documentId === 'untitled:1')).toMatchObject({ title: 'Untitled', path: null });
    expect(errorOf(await client.call('saveDocument', { document: doc })).message).toMatch(/use Save As/);
    const target = join(work, 'new.json');
    const saved = resultOf<SavedDocument>(await client.call('saveDocumentAs', { document: doc, path: target }));
    expect(saved.document).toMatchObject({ id: `property:${target}`, title: `${basename(work)}/new.json`, origin: { kind: 'property', file: target } });
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual(doc.property);
    const after = resultOf<RecoveryInfo[]>(await client.call('listRecoveries'));
    expect(after.find((r) => r.documentId === 'untitled:1')).toBeUndefined();
  });

  it('rejects bad requests with clear, stable errors before touching the disk', async () => {
    const dir = await copyApp();
    const { document } = await open(dir);
    const cases: [string, unknown, string][] = [
      ['openDocument', { path: 'relative/property.json' }, 'openDocument expects "path" to be an absolute path (or start with ~/), got "relative/property.json".'],
      ['openDocument', { path: '' }, 'openDocument expects "path" to be a non-empty path.'],
      ['openDocument', {}, 'openDocument needs "path".'],
      ['openDocument', { path: '/x', mode: 'r' }, 'openDocument does not accept "mode".'],
      ['saveDocument', { document: { ...document, origin: { kind: 'disk' } } }, 'saveDocument expects "document.origin.kind" to be one of "example", "untitled", "app", "property", "graph".'],
      ['saveDocument', { document: { ...document, property: [] } }, 'saveDocument expects "document.property" to be an object.'],
      ['saveDocument', { document, force: 'yes' }, 'saveDocument expects "force" to be a boolean.'],
      ['saveDocument', { document: { ...document, layout: { version: 1, graphs: { g: { nodes: { a: { x: 1, y: null } } } } } } }, 'saveDocument expects "document.layout.graphs.g.nodes.a.y" to be a finite number.'],
      ['saveDocument', { document: { ...document, base: { sha256: 'x', mtimeMs: 1 } } }, 'saveDocument needs "document.base.size".'],
      ['exportDocument', { document, path: '/tmp/x.json', format: 'yaml' }, 'exportDocument expects "format" to be one of "property", "graph".'],
      ['restoreRecovery', { documentId: '' }, 'restoreRecovery expects "documentId" to be a non-empty string.'],
      ['listRecent', { all: true }, 'listRecent takes no parameters.'],
    ];
    for (const [method, params, message] of cases) {
      const error = errorOf(await client.call(method as never, params));
      expect({ method, error }).toEqual({ method, error: { code: 'E_BAD_PARAMS', message } });
    }
    const unknown = await client.raw('{"type":"request","id":900,"method":"deleteDocument","params":{"path":"/"}}');
    expect(errorOf(unknown)).toEqual({ code: 'E_UNKNOWN_METHOD', message: 'Unknown method "deleteDocument".' });
    expect(await readdir(dir)).toEqual(['manifest.json', 'property.json', 'studio.json']);
  });

  it('refuses to save a document whose property no longer has the shape TEN needs', async () => {
    const dir = await copyApp();
    const { document } = await open(dir);
    const broken = { ...document, property: { ten: { predefined_graphs: {} } } };
    const error = errorOf(await client.call('saveDocument', { document: broken }));
    expect(error.code).toBe('E_BAD_PARAMS');
    expect(error.message).toContain('/ten/predefined_graphs');
    expect(JSON.parse(await readFile(join(dir, 'property.json'), 'utf8'))).toEqual(document.property);
  });
});
