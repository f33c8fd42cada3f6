import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { WS_PROTOCOL, wsProtocols, type HostEvent } from '../../../src/shared';
import { connect } from './wsClient';

let server: RunningServer;
let host: Host;
let root: string;
let rendererDir: string;
const logged: string[] = [];
const hostEvents: HostEvent[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ten-studio-server-'));
  rendererDir = join(root, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1);');
  await writeFile(join(root, 'secret.txt'), 'not for the browser');
  // A link that stays inside the folder is fine; one that leads out of it is not served.
  await symlink(join(rendererDir, 'assets', 'app.js'), join(rendererDir, 'inside.js'));
  await symlink(join(root, 'secret.txt'), join(rendererDir, 'assets', 'outside.txt'));
  await symlink(root, join(rendererDir, 'up'));
  execFileSync('mkfifo', [join(rendererDir, 'pipe.js')]);
  host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(root, 'data') });
  host.onEvent((e) => hostEvents.push(e));
  server = await startServer({ host, rendererDir, port: 0, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** Opens a WebSocket and resolves with the HTTP status it was refused with, or 101 and the protocol chosen. */
function upgrade(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ status: number; protocol?: string }> {
  return new Promise((resolveStatus) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    ws.on('open', () => {
      ws.close();
      resolveStatus({ status: 101, protocol: ws.protocol });
    });
    ws.on('unexpected-response', (_req, res) => resolveStatus({ status: res.statusCode ?? 0 }));
    ws.on('error', () => resolveStatus({ status: -1 }));
  });
}

const upgradeStatus = async (url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) =>
  (await upgrade(url, options)).status;

/** A plain HTTP request with any headers (fetch forbids setting Host and Cookie). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolveResponse, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when `ws` closes, with its close code. */
function closed(ws: WebSocket): Promise<number> {
  return new Promise((r) => ws.once('close', (code) => r(code)));
}

describe('browser-mode server', () => {
  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('serves the built page and its assets without the token (they hold no secret), with the CSP', async () => {
    const bare = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(bare.status).toBe(200);
    expect(bare.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await bare.text()).toContain('<title>studio</title>');
    expect((await fetch(server.url)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/assets/app.js`)).status).toBe(200);
  });

  it('never sets a cookie: the token reaches no other server on 127.0.0.1', async () => {
    for (const path of ['/', `/?token=${server.token}`, '/assets/app.js', '/missing', '/ws']) {
      const res = await get(path);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
  });

  it('opens nothing for a cookie: the WebSocket needs the token in its handshake', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    const origin = `http://127.0.0.1:${server.port}`;
    for (const cookie of [`ten_studio_token=${server.token}`, `token=${server.token}`]) {
      expect(await upgradeStatus(base, { headers: { origin, cookie } })).toBe(401);
      expect(await upgradeStatus(base, { protocols: [WS_PROTOCOL], headers: { origin, cookie } })).toBe(401);
    }
    // Nor does the old query-string form, which would leave the token in logs and history.
    expect(await upgradeStatus(`${base}?token=${server.token}`, { headers: { origin } })).toBe(401);
    // Nothing but GET and HEAD of static files answers over HTTP, cookie or not.
    for (const method of ['POST', 'PUT', 'DELETE']) {
      expect((await get('/ws', { cookie: `ten_studio_token=${server.token}` }, method)).status).toBe(405);
    }
  });

  it('accepts the token as a subprotocol and answers with the studio protocol, never echoing the token', async () => {
    const result = await upgrade(`ws://127.0.0.1:${server.port}/ws`, {
      protocols: wsProtocols(server.token),
      headers: { origin: `http://127.0.0.1:${server.port}` },
    });
    expect(result).toEqual({ status: 101, protocol: WS_PROTOCOL });
  });

  it('refuses a foreign Host header (DNS rebinding) with 403, for the page and the WebSocket, even with the token', async () => {
    expect((await get(`/?token=${server.token}`, { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get('/assets/app.js', { host: `evil.example:${server.port}` })).status).toBe(403);
    const status = await upgradeStatus(`ws://127.0.0.1:${server.port}/ws`, {
      protocols: wsProtocols(server.token),
      headers: { host: `evil.example:${server.port}` },
    });
    expect(status).toBe(403);
  });

  it('refuses another origin with 403', async () => {
    expect((await get('/', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/', { origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fetc%2fpasswd`);
    expect(res.status).toBe(404);
  });

  it('does not follow symbolic links out of the renderer folder, and serves links that stay inside', async () => {
    expect((await get('/assets/outside.txt')).status).toBe(404);
    expect((await get('/up/secret.txt')).status).toBe(404);
    const inside = await get('/inside.js');
    expect(inside.status).toBe(200);
    expect(inside.body).toBe('console.log(1);');
  });

  it('answers a FIFO in the renderer folder with 404 at once, and keeps serving', async () => {
    // Before, the read blocked a thread-pool thread until a writer came; four such requests
    // starved the pool and every later file request hung.
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => get('/pipe.js')));
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404]);
    expect((await get('/assets/app.js')).status).toBe(200);
  });

  it('refuses WebSocket upgrades without the token (401) or from another origin (403)', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await upgradeStatus(base)).toBe(401);
    expect(await upgradeStatus(base, { protocols: wsProtocols('nope') })).toBe(401);
    expect(await upgradeStatus(base, { protocols: wsProtocols(server.token), headers: { origin: 'http://evil.example' } })).toBe(403);
    expect(await upgradeStatus(base, { protocols: wsProtocols(server.token), headers: { origin: `http://127.0.0.1:${server.port}` } })).toBe(101);
  });

  it('closes only the connection that sent a malformed frame, with a logged reason; the others keep working', async () => {
    const good = await connect(server);
    const bad = await connect(server);
    try {
      const badClosed = closed(bad.socket);
      // A text frame whose payload is not UTF-8 (the ws client checks nothing it sends raw).
      const raw = (bad.socket as unknown as { _socket: import('node:net').Socket })._socket;
      raw.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]));
      expect(await badClosed).toBe(1007);
      expect(logged.at(-1)).toMatch(/^Closed the connection of client \d+ \(127\.0\.0\.1:\d+\): a text frame that is not valid UTF-8 \(close code 1007\)\.$/);
      expect(hostEvents.some((e) => e.type === 'log' && e.source === 'server' && e.message === logged.at(-1))).toBe(true);
      expect(await good.call('version')).toMatchObject({ ok: true });
      const again = await connect(server);
      expect(await again.call('version')).toMatchObject({ ok: true });
      again.close();
    } finally {
      good.close();
    }
  });

  it('closes a connection that sends a message over 64 MiB with 1009, without reading it whole; the server lives on', async () => {
    const good = await connect(server);
    const big = await connect(server);
    try {
      const bigClosed = closed(big.socket);
      big.socket.send('x'.repeat(64 * 1024 * 1024 + 1));
      expect(await bigClosed).toBe(1009);
      expect(logged.at(-1)).toMatch(/a message over 64 MiB \(close code 1009\)\.$/);
      expect(await good.call('version')).toMatchObject({ ok: true });
    } finally {
      good.close();
    }
  });

  it('answers contract requests over the WebSocket', async () => {
    const client = await connect(server);
    try {
      const version = await client.call('version');
      expect(version).toMatchObject({ ok: true, result: { version: '0.0.0-test', transport: 'browser' } });
      const examples = await client.call('listExamples');
      expect(examples).toMatchObject({ ok: true });
      const ids = (examples as { result: { id: string }[] }).result.map((e) => e.id);
      expect(ids).toContain('hello-pipeline');
      const doc = await client.call('openExample', { id: 'hello-pipeline' });
      expect(doc).toMatchObject({ ok: true, result: { id: 'example:hello-pipeline', title: 'Hello pipeline' } });
      const missing = await client.call('openExample', { id: 'nope' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
      const bad = await client.call('openExample', { id: 1 });
      expect(bad).toMatchObject({ ok: false, error: { code: 'E_BAD_PARAMS' } });
    } finally {
      client.close();
    }
  });
});
