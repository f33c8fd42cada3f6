/**
 * A large property.json in browser mode, as the page meets it: open, then the check the editor
 * runs after each edit, through the page's real transport and the real server. Compares, in the
 * same run, the page's document sync with sending the whole document on every check (what the
 * page did before), and times what the host did on top of every check before (writing the
 * document out and parsing it again with a position for every value).
 *
 *   node --import tsx bench/large-document.ts [MB]     (default 71; needs ~3 GB of memory)
 *
 * Not part of `npm run bench` (which runs bench/*.bench.ts): it takes minutes and gigabytes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { Host } from '../src/host';
import { startServer } from '../src/main/server';
import { connectWebSocket, type SocketLike } from '../src/renderer/transport/client';
import {
  applyPropertyEdit,
  decodeServerMessage,
  encodeRequest,
  exportJson,
  parseJsonDocument,
  wsProtocols,
  type GraphDocument,
  type HostMethod,
  type TenAppProperty,
} from '../src/shared';
import { median } from './lib/stats';

const targetMb = Number(process.argv[2] ?? 71);
const root = mkdtempSync(join(tmpdir(), 'ten-studio-bench-large-'));

/** The Hello pipeline with a table of small records in a node property, `targetMb` MB pretty-printed. */
function writeDocument(): string {
  const property = JSON.parse(readFileSync('resources/examples/hello-pipeline/property.json', 'utf8')) as TenAppProperty;
  const row = (i: number) => ({ id: i, name: `row-${i}`, tags: ['alpha', 'beta'], score: i * 0.5, enabled: i % 2 === 0 });
  const node = (property.ten!.predefined_graphs![0]!.graph as { nodes: { property?: Record<string, unknown> }[] }).nodes[0]!;
  const sizeWith = (n: number) => {
    node.property!.table = Array.from({ length: n }, (_, i) => row(100_000 + i));
    return exportJson(property, 'property').length;
  };
  const perRow = (sizeWith(1000) - sizeWith(0)) / 1000;
  node.property!.table = Array.from({ length: Math.round((targetMb * 1e6 - sizeWith(0)) / perRow) }, (_, i) => row(i));
  const file = join(root, 'property.json');
  writeFileSync(file, exportJson(property, 'property'));
  return file;
}

const ms = (t: number) => Math.round(t);
const now = () => performance.now();

async function main(): Promise<void> {
  const file = writeDocument();
  const bytes = readFileSync(file).length;
  mkdirSync(join(root, 'renderer'));
  writeFileSync(join(root, 'renderer', 'index.html'), 'bench');
  const host = new Host({ resourcesDir: resolve('resources'), version: 'bench', dataDir: join(root, 'data') });
  const server = await startServer({ host, rendererDir: join(root, 'renderer'), port: 0 });
  const origin = `http://127.0.0.1:${server.port}`;
  let sent = 0;
  const socket = (url: string, protocols: string[]) => {
    const ws = new WebSocket(url, protocols, { headers: { origin }, maxPayload: 0 });
    const send = ws.send.bind(ws);
    (ws as unknown as { send: (d: string) => void }).send = (d: string) => {
      sent += Buffer.byteLength(d);
      send(d);
    };
    return ws;
  };
  const api = connectWebSocket(`ws://127.0.0.1:${server.port}/ws`, wsProtocols(server.token), () => undefined, { createSocket: (u, p) => socket(u, p) as unknown as SocketLike });

  // The page before: every request carries the whole document.
  const raw = socket(`ws://127.0.0.1:${server.port}/ws`, wsProtocols(server.token));
  await new Promise((r) => raw.once('open', r));
  const waiting = new Map<number, (m: unknown) => void>();
  raw.on('message', (d) => {
    const m = decodeServerMessage(d.toString());
    if (m.ok && m.value.type === 'response') waiting.get(m.value.id)?.(m.value);
  });
  let nextId = 1;
  const whole = (method: HostMethod, params: unknown) =>
    new Promise((r) => {
      const id = nextId++;
      waiting.set(id, r);
      raw.send(encodeRequest(id, method, params));
    });

  let t = now();
  let doc: GraphDocument = (await api.openDocument({ path: file })).document;
  const openMs = now() - t;
  const edit = (value: unknown) => {
    const r = applyPropertyEdit(doc.property, { type: 'editGraph', graph: 'hello_pipeline', edit: { type: 'setProperty', node: 'ticker', path: ['interval_ms'], value } });
    if (!r.ok) throw new Error(r.error);
    doc = { ...doc, property: r.doc };
  };
  const timed = async (work: () => Promise<unknown>) => {
    const from = sent;
    const start = now();
    await work();
    return { ms: now() - start, bytes: sent - from };
  };

  const firstUpload = await timed(() => api.validateDocument({ document: doc }));
  const synced: { ms: number; bytes: number }[] = [];
  const wholeDoc: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < 5; i++) {
    edit(20 + i);
    synced.push(await timed(() => api.validateDocument({ document: doc })));
    wholeDoc.push(await timed(() => whole('validateDocument', { document: doc })));
  }
  edit('not a number');
  const withProblem = await timed(() => api.validateDocument({ document: doc }));
  // What the host did on top of every check before: write the document out, parse it with positions.
  const before: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = now();
    parseJsonDocument(exportJson(doc.property, 'json'), 'property.json');
    before.push(now() - t);
  }
  const result = {
    suite: 'large-document',
    fileMB: +(bytes / 1e6).toFixed(1),
    openMs: ms(openMs),
    firstCheck: { ms: ms(firstUpload.ms), sentMiB: +(firstUpload.bytes / 2 ** 20).toFixed(2) },
    checkAfterEdit: { medianMs: ms(median(synced.map((s) => s.ms))), sentBytes: median(synced.map((s) => s.bytes)) },
    checkAfterEditSendingWholeDocument: { medianMs: ms(median(wholeDoc.map((s) => s.ms))), sentMiB: +(median(wholeDoc.map((s) => s.bytes)) / 2 ** 20).toFixed(2) },
    checkWithOneProblemToPlace: { ms: ms(withProblem.ms), sentBytes: withProblem.bytes },
    formerExtraPerCheck: { exportAndLocatedParseMedianMs: ms(median(before)) },
  };
  api.disconnect();
  raw.close();
  await server.close();
  await host.dispose();
  rmSync(root, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
