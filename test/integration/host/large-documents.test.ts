/**
 * Large documents through the page's real transport (`connectWebSocket`, over the `ws` package's
 * sockets) and the real browser-mode server: a document larger than a WebSocket frame may be is
 * opened, checked after each edit and saved, with only the edits sent once the host holds it;
 * a request that cannot fit fails clearly; a host that lost step with the page's copy gets it
 * whole again. Before, the check after an edit sent the whole document every time, and one over
 * 64 MiB ended the server.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { connectWebSocket, type SocketLike } from '../../../src/renderer/transport/client';
import {
  applyPropertyEdit,
  exportJson,
  HostError,
  MAX_FRAME_BYTES,
  utf8Length,
  wsProtocols,
  type GraphDocument,
  type HostApi,
  type PropertyEdit,
  type TenAppProperty,
} from '../../../src/shared';

let root: string;
let host: Host;
let server: RunningServer;
let api: HostApi & { disconnect(): void };
/** Every frame the page's transport sent, in order. */
const sent: string[] = [];
/** The sockets the transport opened (the last one is the live one). */
const sockets: WebSocket[] = [];

/** 66 MiB of one string: the document is larger than any one frame may be. */
const BLOB_BYTES = 66 * 1024 * 1024;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-large-'));
  await mkdir(join(root, 'renderer'));
  await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html><title>studio</title>');
  host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(root, 'data') });
  server = await startServer({ host, rendererDir: join(root, 'renderer'), port: 0 });
  const origin = `http://127.0.0.1:${server.port}`;
  api = connectWebSocket(`ws://127.0.0.1:${server.port}/ws`, wsProtocols(server.token), () => undefined, {
    createSocket: (url, protocols) => {
      const ws = new WebSocket(url, protocols, { headers: { origin }, maxPayload: 0 });
      sockets.push(ws);
      const send = ws.send.bind(ws);
      (ws as unknown as { send: (data: string) => void }).send = (data: string) => {
        sent.push(data);
        send(data);
      };
      return ws as unknown as SocketLike;
    },
  });
  await api.version();
});

afterAll(async () => {
  api.disconnect();
  await server.close();
  await host.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Bytes sent while `work` ran, and the largest frame among them. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; bytes: number; frames: number; largest: number }> {
  const from = sent.length;
  const result = await work();
  const mine = sent.slice(from);
  const sizes = mine.map(utf8Length);
  return { result, bytes: sizes.reduce((a, b) => a + b, 0), frames: mine.length, largest: Math.max(0, ...sizes) };
}

function edit(doc: GraphDocument, change: PropertyEdit): GraphDocument {
  const r = applyPropertyEdit(doc.property, change);
  if (!r.ok) throw new Error(r.error);
  return { ...doc, property: r.doc };
}

const setInterval = (ms: number): PropertyEdit => ({
  type: 'editGraph',
  graph: 'hello_pipeline',
  edit: { type: 'setProperty', node: 'ticker', path: ['interval_ms'], value: ms },
});

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

describe('documents larger than a frame', () => {
  it('open, are checked after each edit sending only the edit, and save what was edited', async () => {
    const property = JSON.parse(await readFile('resources/examples/hello-pipeline/property.json', 'utf8')) as TenAppProperty;
    (property.ten!.predefined_graphs![0]!.graph as { nodes: { property?: Record<string, unknown> }[] }).nodes[0]!.property!.blob = 'A'.repeat(BLOB_BYTES);
    const file = join(root, 'property.json');
    await writeFile(file, exportJson(property, 'property'));

    const opened = await api.openDocument({ path: file });
    let doc = opened.document;

    // The first check uploads the document, in frames that each fit.
    const first = await measure(() => api.validateDocument({ document: doc }));
    expect(first.result.diagnostics).toEqual([]);
    expect(first.bytes).toBeGreaterThan(BLOB_BYTES);
    expect(first.frames).toBeGreaterThan(8);
    expect(first.largest).toBeLessThanOrEqual(MAX_FRAME_BYTES / 2);

    // After that, an edit costs what it changed.
    doc = edit(doc, setInterval(25));
    const second = await measure(() => api.validateDocument({ document: doc }));
    expect(second.result.diagnostics).toEqual([]);
    expect(second.bytes).toBeLessThan(2000);

    // A recovery copy and the save send the same few hundred bytes; the file is the edited document.
    doc = edit(doc, setInterval(30));
    const recovery = await measure(() => api.saveRecovery({ document: doc }));
    expect(recovery.bytes).toBeLessThan(2000);
    const saved = await measure(() => api.saveDocument({ document: doc }));
    expect(saved.bytes).toBeLessThan(2000);
    expect(sha(await readFile(file))).toBe(sha(exportJson(doc.property, 'property')));
    expect(saved.result.document.base?.sha256).toBe(sha(exportJson(doc.property, 'property')));

    // The host still answers everyone else: the connection was never closed.
    expect(sockets).toHaveLength(1);
  });

  it('fails a request that cannot fit in a frame with E_TOO_LARGE, sends nothing, and keeps the connection', async () => {
    const before = sent.length;
    const path = '/' + 'a'.repeat(MAX_FRAME_BYTES);
    const error = await api.openDocument({ path }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HostError);
    expect(error).toMatchObject({
      code: 'E_TOO_LARGE',
      message: 'The openDocument request is 64.0 MB, over the 64.0 MB the studio host accepts in one message; nothing was sent.',
    });
    expect(sent.length).toBe(before);
    await expect(api.version()).resolves.toMatchObject({ transport: 'browser' });
    expect(sockets).toHaveLength(1);
  });
});

describe('a host out of step with the page', () => {
  it("gets the document whole again, once, and the request succeeds", async () => {
    let doc = await api.openExample({ id: 'hello-pipeline' });
    await api.validateDocument({ document: doc });
    // Something the transport did not send puts the host's copy out of step.
    sockets.at(-1)!.send(JSON.stringify({ type: 'sync', key: doc.id, base: 999, rev: 1000, changes: [] }));
    doc = edit(doc, setInterval(40));
    const again = await measure(() => api.saveDocumentAs({ document: doc, path: join(root, 'resynced.json') }));
    // The refused request, then a whole upload from revision 0 and the request again.
    const frames = sent.slice(-again.frames).map((f) => JSON.parse(f) as { type: string; base?: number });
    expect(frames.map((f) => f.type)).toEqual(['sync', 'request', 'sync', 'request']);
    expect(frames[2]!.base).toBe(0);
    expect(await readFile(join(root, 'resynced.json'), 'utf8')).toBe(exportJson(doc.property, 'property'));
  });
});

describe('ordinary documents', () => {
  it('reach the host exactly through a series of edits, as a save shows', async () => {
    let doc = await api.openExample({ id: 'hello-pipeline' });
    const edits: PropertyEdit[] = [
      setInterval(11),
      { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'addNode', node: { type: 'extension', name: 'extra', addon: 'forwarder', property: { big: 18446744073709551615n } } } },
      { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'renameNode', from: 'relay', to: 'relay2' } },
      { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'removeNode', name: 'mic' } },
      { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'setProperty', node: 'extra', path: ['nested', 'x'], value: ['é', { '__proto__': 1 }] } },
    ];
    for (const change of edits) {
      doc = edit(doc, change);
      const { result } = await measure(() => api.validateDocument({ document: doc }));
      expect(Array.isArray(result.diagnostics)).toBe(true);
    }
    const target = join(root, 'edited.json');
    await api.saveDocumentAs({ document: doc, path: target });
    expect(await readFile(target, 'utf8')).toBe(exportJson(doc.property, 'property'));
  });
});
