/**
 * Fuzzing the browser-mode WebSocket endpoint of a real server process: random raw frames (any
 * opcode, flags, mask, declared length, payload) over raw TCP sockets, then random request
 * envelopes and params over a proper client. Bounded and reproducible (a fixed seed; set
 * FUZZ_SEED to explore others). Whatever arrives, the process must live on and keep answering.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_METHOD_NAMES, wsProtocols, type HostMethod } from '../../../src/shared';
import { startServerProcess, type ServerProcess } from './serverProcess';
import { connect } from './wsClient';

const SEED = Number(process.env.FUZZ_SEED ?? 20240615);
const RAW_CONNECTIONS = 300;
const ENVELOPES = 600;

let root: string;
let server: ServerProcess;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-fuzz-'));
  await mkdir(join(root, 'renderer'));
  await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html><title>studio</title>');
  // Paths the envelopes may name: a real document, a folder, a FIFO, a missing file.
  await mkdir(join(root, 'files'));
  await writeFile(join(root, 'files', 'property.json'), JSON.stringify({ ten: { predefined_graphs: [] } }));
  execFileSync('mkfifo', [join(root, 'files', 'pipe.json')]);
  server = await startServerProcess({ rendererDir: join(root, 'renderer'), dataDir: join(root, 'data') });
});

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

/** A small deterministic PRNG (mulberry32), so that a failing run can be repeated by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One WebSocket frame as a client sends it (RFC 6455 section 5.2), with every field chosen freely. */
function frame(opts: { fin: boolean; rsv: number; opcode: number; mask: boolean; payload: Buffer; declaredLength?: bigint }): Buffer {
  const declared = opts.declaredLength ?? BigInt(opts.payload.length);
  const head: number[] = [(opts.fin ? 0x80 : 0) | ((opts.rsv & 7) << 4) | (opts.opcode & 0x0f)];
  const maskBit = opts.mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (declared < 126n) head.push(maskBit | Number(declared));
  else if (declared < 65536n) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(declared));
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(declared);
  }
  if (!opts.mask) return Buffer.concat([Buffer.from(head), ext, opts.payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(opts.payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

const textFrame = (text: string) => frame({ fin: true, rsv: 0, opcode: 1, mask: true, payload: Buffer.from(text) });

/** Opens a raw TCP connection and performs the WebSocket handshake with the token. */
function rawHandshake(): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = tcpConnect(server.port, '127.0.0.1');
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
      else resolveSocket(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      [
        'GET /ws HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${wsProtocols(server.token).join(', ')}`,
        `Origin: http://127.0.0.1:${server.port}`,
        '',
        '',
      ].join('\r\n'),
    );
  });
}

/** Random frames: mostly malformed in one way or another, some well-formed. */
function randomFrame(rand: () => number): Buffer {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const size = pick([0, 1, 2, 7, 125, 126, 127, 300, 65535, 65536, 200_000]);
  const kind = pick(['bytes', 'json', 'utf8', 'invalid-utf8'] as const);
  let payload: Buffer;
  if (kind === 'bytes') payload = randomBytes(size);
  else if (kind === 'json') payload = Buffer.from(JSON.stringify({ type: 'request', id: Math.floor(rand() * 1e6), method: pick(HOST_METHOD_NAMES), params: { x: 'y'.repeat(size) } }));
  else if (kind === 'utf8') payload = Buffer.from('é€😀'.repeat(size / 8 + 1));
  else payload = Buffer.concat([Buffer.from('{"type":"req'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
  const opcode = pick([0, 1, 1, 1, 2, 8, 9, 10, 3, 7, 11, 15]);
  const declaredLength = rand() < 0.1 ? pick([2n ** 63n - 1n, 2n ** 53n + 1n, BigInt(64 * 1024 * 1024 + 1), BigInt(payload.length + 10)]) : undefined;
  return frame({ fin: rand() < 0.85, rsv: rand() < 0.1 ? Math.floor(rand() * 8) : 0, opcode, mask: rand() < 0.93, payload, ...(declaredLength !== undefined ? { declaredLength } : {}) });
}

/** Sends `frames` plus a valid request, half-closes, and resolves once the server has closed the socket. */
function sendAndDrain(socket: Socket, frames: Buffer[]): Promise<void> {
  return new Promise((resolveClosed) => {
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.once('close', () => resolveClosed());
    for (const f of frames) socket.write(f);
    socket.write(textFrame(JSON.stringify({ type: 'request', id: 1, method: 'version' })));
    socket.end();
  });
}

/** The server still answers a normal client. */
async function stillAnswers(): Promise<void> {
  expect(server.child.exitCode, server.stderr()).toBeNull();
  const client = await connect(server);
  try {
    expect(await client.call('version')).toMatchObject({ ok: true, result: { version: '0.0.0-test' } });
  } finally {
    client.close();
  }
}

describe(`fuzzing the WebSocket endpoint (seed ${SEED})`, () => {
  it('survives fixed malformed frames, each closing only its own connection', async () => {
    const cases: Buffer[][] = [
      [frame({ fin: true, rsv: 0, opcode: 1, mask: true, payload: Buffer.from([0xff, 0xfe]) })], // text not UTF-8
      [frame({ fin: true, rsv: 0, opcode: 1, mask: true, payload: Buffer.alloc(0), declaredLength: 2n ** 63n - 1n })], // absurd length
      [frame({ fin: true, rsv: 0, opcode: 1, mask: true, payload: Buffer.alloc(0), declaredLength: BigInt(64 * 1024 * 1024 + 1) })], // over the limit
      [frame({ fin: true, rsv: 0, opcode: 1, mask: false, payload: Buffer.from('{}') })], // unmasked client frame
      [frame({ fin: true, rsv: 4, opcode: 1, mask: true, payload: Buffer.from('{}') })], // RSV bit without an extension
      [frame({ fin: true, rsv: 0, opcode: 3, mask: true, payload: Buffer.from('{}') })], // reserved opcode
      [frame({ fin: false, rsv: 0, opcode: 9, mask: true, payload: Buffer.from('x') })], // fragmented control frame
      [frame({ fin: true, rsv: 0, opcode: 9, mask: true, payload: Buffer.alloc(126) })], // control frame over 125 bytes
      [frame({ fin: true, rsv: 0, opcode: 0, mask: true, payload: Buffer.from('x') })], // continuation with nothing to continue
      [frame({ fin: true, rsv: 0, opcode: 8, mask: true, payload: Buffer.from([0x03, 0xe7]) })], // close with code 999
      [frame({ fin: true, rsv: 0, opcode: 2, mask: true, payload: randomBytes(64) })], // binary: refused, connection kept
      [textFrame('['.repeat(200_000) + ']'.repeat(200_000))], // nesting that recursion would not survive
      [textFrame(`{"type":"request","id":1,"method":"validateDocument","params":{"document":{"id":"x","title":"t","origin":{"kind":"untitled"},"property":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}}`)],
      [textFrame('{"type":"request","id":1e400,"method":"version"}'), textFrame('{"__proto__":{"type":"request"},"id":2}')],
    ];
    for (const frames of cases) await sendAndDrain(await rawHandshake(), frames);
    await stillAnswers();
  });

  it(`survives ${RAW_CONNECTIONS} connections of random raw frames`, async () => {
    const rand = prng(SEED);
    let frames = 0;
    for (let c = 0; c < RAW_CONNECTIONS; c++) {
      const batch = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => randomFrame(rand));
      frames += batch.length;
      await sendAndDrain(await rawHandshake(), batch);
    }
    expect(frames).toBeGreaterThan(RAW_CONNECTIONS);
    await stillAnswers();
    // Every closed connection was logged with its reason; nothing was thrown.
    expect(server.stderr()).not.toMatch(/Uncaught|TypeError|RangeError: Maximum call stack/);
  });

  it(`answers ${ENVELOPES} random envelopes (requests, document sync frames), each in turn, and keeps the connection`, async () => {
    const files = join(root, 'files');
    const path = fc.constantFrom(join(files, 'property.json'), files, join(files, 'pipe.json'), join(files, 'missing.json'), '/dev/zero', '/', 'relative/path', '');
    // Only methods that write nowhere but the data folder, and start nothing.
    const safe = HOST_METHOD_NAMES.filter(
      (m) => !['saveDocument', 'saveDocumentAs', 'exportDocument', 'saveRecording', 'exportChromeTrace', 'startRun'].includes(m),
    );
    const anyJson = fc.jsonValue({ maxDepth: 6 });
    const params = fc.oneof(
      anyJson,
      fc.record({ path }),
      fc.record({ id: fc.oneof(fc.string(), fc.constant('hello-pipeline')) }),
      fc.record({ appDir: path }),
      fc.record({ runId: fc.oneof(fc.string(), fc.integer()), tracing: fc.boolean() }),
      fc.record({ documentId: fc.string() }),
      fc.record({ document: fc.record({ id: fc.string(), title: fc.string(), origin: fc.constantFrom({ kind: 'untitled' }, { kind: 'property', file: join(files, 'property.json') }), property: fc.dictionary(fc.string(), anyJson) }) }),
    );
    // Document sync frames (no answer of their own) and requests that refer to a document copy.
    const key = fc.constantFrom('untitled:a', 'untitled:b', '');
    const change = fc.record({
      op: fc.constantFrom('set', 'del', 'splice', 'append', 'nope'),
      path: fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -1, max: 3 })), { maxLength: 3 }),
      value: anyJson,
      at: fc.integer({ min: -1, max: 3 }),
      remove: fc.integer({ min: -1, max: 3 }),
      insert: fc.array(anyJson, { maxLength: 3 }),
      text: fc.string(),
    });
    // A whole upload (revision 0 to 1) of a random property, then random changes on top.
    const property = fc.oneof(fc.dictionary(fc.string(), anyJson), fc.constant({ ten: { predefined_graphs: [{ name: 'g', auto_start: true, graph: { nodes: [{ type: 'extension', name: 'n', addon: 'forwarder' }] } }] } }));
    const upload = fc.record({ type: fc.constant('sync'), key, base: fc.constant(0), rev: fc.constant(1), changes: fc.tuple(fc.record({ op: fc.constant('set'), path: fc.constant([]), value: property })) });
    const sync = fc.oneof(
      upload,
      fc.record({ type: fc.constant('sync'), key, base: fc.integer({ min: -1, max: 3 }), rev: fc.integer({ min: 0, max: 4 }), changes: fc.array(change, { maxLength: 4 }) }),
      fc.record({ type: fc.constant('sync'), key, drop: fc.constant(true) }),
      fc.record({ type: fc.constant('sync'), key: anyJson, base: anyJson, changes: anyJson }),
    );
    const referring = fc.record({
      type: fc.constant('request'),
      id: fc.integer(),
      method: fc.constantFrom('validateDocument', 'saveRecovery'),
      params: fc.record({ document: fc.record({ id: key, title: fc.string(), origin: fc.constant({ kind: 'untitled' }) }) }),
      document: fc.oneof(fc.record({ key, rev: fc.integer({ min: 0, max: 2 }) }), anyJson),
    });
    const envelope = fc.oneof(
      fc.record({ type: fc.constant('request'), id: fc.integer(), method: fc.constantFrom(...(safe as HostMethod[])), params }),
      fc.record({ type: fc.constant('request'), id: fc.oneof(fc.integer(), fc.double(), fc.string()), method: fc.oneof(fc.string(), fc.constantFrom(...HOST_METHOD_NAMES)), params: anyJson }),
      sync,
      referring,
      anyJson,
    );
    const samples = fc.sample(envelope, { seed: SEED, numRuns: ENVELOPES });
    const client = await connect(server);
    try {
      let answered = 0;
      for (const [i, sample] of samples.entries()) {
        if (typeof sample === 'object' && sample !== null && (sample as { type?: unknown }).type === 'sync' && typeof (sample as { key?: unknown }).key === 'string') {
          // A well-formed sync frame has no answer: the next request shows it was taken in.
          client.socket.send(JSON.stringify(sample));
          expect(await client.call('version'), JSON.stringify(sample).slice(0, 300)).toMatchObject({ ok: true });
          answered++;
          continue;
        }
        const isRequest = typeof sample === 'object' && sample !== null && !Array.isArray(sample) && (sample as { type?: unknown }).type === 'request';
        // A request with an integer id is answered under that id; anything else as id -1. Either way: one answer each.
        const text = isRequest && Number.isSafeInteger((sample as { id: unknown }).id) ? JSON.stringify({ ...(sample as object), id: i + 1 }) : JSON.stringify(sample);
        const answer = await client.raw(text);
        expect(answer.type, text.slice(0, 300)).toBe('response');
        answered++;
      }
      expect(answered).toBe(ENVELOPES);
      expect(await client.call('version')).toMatchObject({ ok: true });
    } finally {
      client.close();
    }
    await stillAnswers();
  });
});
