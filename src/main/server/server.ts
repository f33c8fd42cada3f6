/**
 * Browser mode: the same host behind HTTP + WebSocket on 127.0.0.1, guarded by a random
 * per-launch token and by Host/Origin checks so that no other site (DNS rebinding included)
 * can reach it. A thin adapter: every request goes through the contract's `decodeRequest`
 * and then `Host.handle`, exactly like the Electron IPC adapter.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeRequest, encodeError, encodeEvent, encodeResult, HostError } from '../../shared';
import type { Host } from '../../host';

export interface ServerOptions {
  host: Host;
  /** Built renderer folder (index.html + assets). */
  rendererDir: string;
  port?: number;
  /** Fixed token for tests; a random one is made per launch otherwise. */
  token?: string;
  /** Per client: past this many buffered bytes events are skipped and counted (default 8 MB). */
  maxBufferedBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** Per connected client: bytes waiting in its send buffer and events skipped since it was last told. */
  clients(): { bufferedBytes: number; missedEvents: number }[];
  close(): Promise<void>;
}

const COOKIE = 'ten_studio_token';
/** Past this many buffered bytes a client is too slow: events are dropped for it, and counted. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** How often a lagging client's buffer is checked so its skip count reaches it without new events. */
const NOTICE_MS = 250;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const rendererDir = resolve(options.rendererDir);
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** 403 for a foreign Host/Origin, 401 for a missing or wrong token, else null. */
  function refusal(req: IncomingMessage): 401 | 403 | null {
    if (!allowedHosts().has(req.headers.host ?? '')) return 403;
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return 403;
    return tokenOf(req) !== null && tokensEqual(tokenOf(req)!, token) ? null : 401;
  }

  const csp = () =>
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; ');

  const server = createServer((req, res) => {
    void serveHttp(req, res);
  });

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = refusal(req);
    if (refused) {
      res.writeHead(refused, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(refused === 401 ? 'Missing or wrong token.\n' : 'Forbidden host or origin.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const file = resolveStatic(rendererDir, url.pathname);
    if (!file) {
      res.writeHead(404).end('Not found.\n');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': csp(),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        // The page's own asset requests carry no query string: the cookie authorises them.
        'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end('Not found.\n');
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  const missedBy = new Map<WebSocket, () => number>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusal(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (refused || path !== '/ws') {
      const status = refused ?? 404;
      const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    const ctx = { transport: 'browser' as const };
    const maxBuffered = options.maxBufferedBytes ?? MAX_BUFFERED;
    // Events skipped for this client since it was last told. The count goes out as a
    // `stream.dropped` event once the client's buffer has room again — before its next event,
    // or from a check every NOTICE_MS when no event follows (a run that ended while the client
    // lagged) — after which the client can re-read state with listRuns/getRun.
    let missed = 0;
    let noticeTimer: NodeJS.Timeout | null = null;
    const sendNotice = (): boolean => {
      if (missed === 0 || ws.readyState !== ws.OPEN || ws.bufferedAmount > maxBuffered) return false;
      ws.send(encodeEvent({ type: 'stream.dropped', time: Date.now(), events: missed }));
      missed = 0;
      return true;
    };
    const checkNotice = (): void => {
      noticeTimer = null;
      if (!sendNotice() && missed > 0 && ws.readyState === ws.OPEN) noticeTimer = setTimeout(checkNotice, NOTICE_MS);
    };
    const unsubscribe = options.host.onEvent((event) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > maxBuffered) {
        missed++;
        noticeTimer ??= setTimeout(checkNotice, NOTICE_MS);
        return;
      }
      sendNotice();
      ws.send(encodeEvent(event));
    });
    missedBy.set(ws, () => missed);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.send(encodeError(-1, new HostError('E_BAD_MESSAGE', 'Binary frames are not accepted.').toInfo()));
        return;
      }
      const decoded = decodeRequest(data.toString());
      if (!decoded.ok) {
        ws.send(encodeError(decoded.id ?? -1, decoded.error.toInfo()));
        return;
      }
      const { id, method, params } = decoded.value;
      options.host.handle(method, params, ctx).then(
        (result) => ws.readyState === ws.OPEN && ws.send(encodeResult(id, result)),
        (err: unknown) => {
          const info = err instanceof HostError ? err.toInfo() : { code: 'E_INTERNAL' as const, message: String(err) };
          if (ws.readyState === ws.OPEN) ws.send(encodeError(id, info));
        },
      );
    });
    ws.on('close', () => {
      unsubscribe();
      if (noticeTimer) clearTimeout(noticeTimer);
      sockets.delete(ws);
      missedBy.delete(ws);
    });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    clients: () => [...sockets].map((ws) => ({ bufferedBytes: ws.bufferedAmount, missedEvents: missedBy.get(ws)?.() ?? 0 })),
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function tokenOf(req: IncomingMessage): string | null {
  const fromQuery = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (fromQuery) return fromQuery;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return null;
}

function tokensEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Maps a URL path into the renderer folder; null when it would escape it. */
function resolveStatic(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded === '/' ? 'index.html' : normalize(decoded).replace(/^([/\\])+/, '');
  const full = join(root, rel);
  return full === root || full.startsWith(root + sep) ? full : null;
}
