import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { connect } from './wsClient';

let server: RunningServer;
let rendererDir: string;

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'ten-studio-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>');
  const host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test' });
  server = await startServer({ host, rendererDir, port: 0 });
});

afterAll(async () => {
  await server.close();
  await rm(rendererDir, { recursive: true, force: true });
});

/** Opens a WebSocket and resolves with the HTTP status it was refused with, or 101. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolveStatus) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolveStatus(101);
    });
    ws.on('unexpected-response', (_req, res) => resolveStatus(res.statusCode ?? 0));
    ws.on('error', () => resolveStatus(-1));
  });
}

describe('browser-mode server', () => {
  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses a page request without the token (401) and serves it with the token', async () => {
    const bare = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(bare.status).toBe(401);
    const wrong = await fetch(`http://127.0.0.1:${server.port}/?token=${'0'.repeat(48)}`);
    expect(wrong.status).toBe(401);
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await ok.text()).toContain('<title>studio</title>');
  });

  it('authorises asset requests by the cookie set with the page', async () => {
    const page = await fetch(server.url);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const asset = await fetch(`http://127.0.0.1:${server.port}/index.html`, { headers: { cookie } });
    expect(asset.status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403 even with the token', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((r) => {
      request(
        { host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, headers: { host: `evil.example:${server.port}` } },
        (res) => r(res.statusCode ?? 0),
      ).end();
    });
    expect(status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fetc%2fpasswd?token=${server.token}`);
    expect(res.status).toBe(404);
  });

  it('refuses WebSocket upgrades without the token (401) or from another origin (403)', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await upgradeStatus(base)).toBe(401);
    expect(await upgradeStatus(`${base}?token=nope`)).toBe(401);
    expect(await upgradeStatus(`${base}?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(`${base}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` })).toBe(101);
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
