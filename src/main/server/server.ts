/**
 * Browser mode: the same host behind HTTP + WebSocket on 127.0.0.1. The HostApi is reachable
 * only over the WebSocket, and only with the random per-launch token, which the page presents in
 * the socket's handshake (a subprotocol, see `WS_PROTOCOL`); no cookie carries it. The static
 * page and its assets hold no secret and are served without the token, but only under our own
 * Host (DNS rebinding) and Origin. A thin adapter: every request goes through the contract's
 * validation (`decodeClientFrame`) and then `Host.handle`, exactly like the Electron IPC adapter;
 * the one thing it adds is the per-connection mirror of each document the page edits, so that
 * a request carrying a document sends only what changed (`docsync.ts`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  decodeClientFrame,
  DocumentMirrors,
  encodeError,
  encodeEvent,
  encodeResult,
  HostError,
  MAX_FRAME_BYTES,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
} from '../../shared';
import type { Host } from '../../host';
import { readRegularFile } from '../../runtime/core/regular_file';

export interface ServerOptions {
  host: Host;
  /** Built renderer folder (index.html + assets). */
  rendererDir: string;
  port?: number;
  /** Fixed token for tests; a random one is made per launch otherwise. */
  token?: string;
  /** Per client: past this many buffered bytes events are skipped and counted (default 8 MB). */
  maxBufferedBytes?: number;
  /**
   * Where the server reports what it did to a client on its own (a connection closed for a bad
   * frame). Each line also goes to the host's event stream as a `server` warning.
   */
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** Per connected client: bytes waiting in its send buffer and events skipped since it was last told. */
  clients(): { bufferedBytes: number; missedEvents: number }[];
  close(): Promise<void>;
}

/** Past this many buffered bytes a client is too slow: events are dropped for it, and counted. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** The built page's files are small; anything past this is not one of them. */
const MAX_STATIC_BYTES = 32 * 1024 * 1024;
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
  // Symbolic links are resolved before the containment check: a link inside the built folder
  // that points out of it is not served.
  const rendererDir = await realpath(resolve(options.rendererDir));
  let port = 0;

  const log = (message: string): void => {
    options.log?.(message);
    options.host.emit({ type: 'log', time: Date.now(), level: 'warn', source: 'server', message });
  };

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** 403 for a foreign Host or Origin (another site, DNS rebinding), else null. */
  function foreign(req: IncomingMessage): 403 | null {
    if (!allowedHosts().has(req.headers.host ?? '')) return 403;
    const origin = req.headers.origin;
    return origin !== undefined && !allowedOrigins().has(origin) ? 403 : null;
  }

  /** The WebSocket upgrade's refusal: 403 as above, 401 without the right token, else null. */
  function wsRefusal(req: IncomingMessage): 401 | 403 | null {
    const refused = foreign(req);
    if (refused) return refused;
    const presented = tokenOf(req);
    return presented !== null && tokensEqual(presented, token) ? null : 401;
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

  /** Static files only: the built page and its assets, which hold no secret. */
  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (foreign(req)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Forbidden host or origin.\n');
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
      // Contained after links are resolved; then only a regular file of bounded size (a FIFO
      // or a device planted in the folder would hang or never end).
      const real = await realpath(file);
      if (!within(rendererDir, real)) throw new Error('outside the renderer folder');
      const { bytes } = await readRegularFile(real, MAX_STATIC_BYTES);
      res.writeHead(200, {
        'content-type': MIME[extname(real)] ?? 'application/octet-stream',
        'content-security-policy': csp(),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch {
      res.writeHead(404).end('Not found.\n');
    }
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // The page offers [WS_PROTOCOL, its token]; the answer names the first, never the token.
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();
  const missedBy = new Map<WebSocket, () => number>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A peer that resets during the handshake must not take the process down.
    socket.on('error', () => socket.destroy());
    const refused = wsRefusal(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (refused || path !== '/ws') {
      const status = refused ?? 404;
      const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
  });

  let clientCount = 0;

  function onConnection(ws: WebSocket, peer: string): void {
    sockets.add(ws);
    const name = `client ${++clientCount} (${peer})`;
    // A malformed frame (bad opcode, bad UTF-8, a frame over MAX_FRAME_BYTES, …) is an 'error'
    // on this socket only: ws has already closed it with the matching close code (1002, 1007,
    // 1009). Without this listener the error would be thrown and end the whole server.
    ws.on('error', (err: Error & { code?: string }) => {
      log(`Closed the connection of ${name}: ${describeFrameError(err)}.`);
    });
    const ctx = { transport: 'browser' as const };
    const mirrors = new DocumentMirrors();
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
    /** Sends the frame `make` builds; one that cannot be built (a result too deep to encode) is an E_INTERNAL error. */
    const reply = (id: number, make: () => string): void => {
      if (ws.readyState !== ws.OPEN) return;
      let frame: string;
      try {
        frame = make();
      } catch (err) {
        frame = encodeError(id, { code: 'E_INTERNAL', message: `The answer could not be encoded: ${(err as Error).message}` });
      }
      ws.send(frame);
    };
    const onMessage = (data: RawData, isBinary: boolean): void => {
      if (isBinary) {
        reply(-1, () => encodeError(-1, new HostError('E_BAD_MESSAGE', 'Binary frames are not accepted.').toInfo()));
        return;
      }
      const decoded = decodeClientFrame(data.toString(), mirrors);
      if (!decoded.ok) {
        reply(decoded.id ?? -1, () => encodeError(decoded.id ?? -1, decoded.error.toInfo()));
        return;
      }
      // A sync frame updated this connection's document mirror; it has no answer.
      if (decoded.value === null) return;
      const { id, method, params } = decoded.value;
      options.host.handle(method, params, ctx).then(
        (result) => reply(id, () => encodeResult(id, result)),
        (err: unknown) => {
          const info = err instanceof HostError ? err.toInfo() : { code: 'E_INTERNAL' as const, message: String(err) };
          reply(id, () => encodeError(id, info));
        },
      );
    };
    ws.on('message', (data, isBinary) => {
      // Whatever a frame holds, it fails its own request only: a throw here would end the server.
      try {
        onMessage(data, isBinary);
      } catch (err) {
        log(`A frame from ${name} failed: ${(err as Error).message ?? String(err)}.`);
        reply(-1, () => encodeError(-1, { code: 'E_BAD_MESSAGE', message: `The request could not be read: ${(err as Error).message}` }));
      }
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
    // The page takes the token from here, keeps it in memory and drops it from the address bar.
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

/** The token the client offered as a `ten-studio.token.<hex>` subprotocol, or null. */
function tokenOf(req: IncomingMessage): string | null {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return null;
  for (const part of header.split(',')) {
    const name = part.trim();
    if (name.startsWith(WS_TOKEN_PREFIX)) return name.slice(WS_TOKEN_PREFIX.length);
  }
  return null;
}

/** Why ws rejected a client's frame, in words (its message plus the close code sent). */
function describeFrameError(err: Error & { code?: string }): string {
  const limit = `${MAX_FRAME_BYTES / 1024 / 1024} MiB`;
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return `a message over ${limit} (close code 1009)`;
  if (err.code === 'WS_ERR_INVALID_UTF8') return 'a text frame that is not valid UTF-8 (close code 1007)';
  return `a malformed frame: ${err.message}${err.code ? ` [${err.code}]` : ''}`;
}

function tokensEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Whether `path` is `root` or inside it. */
function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
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
  return within(root, full) ? full : null;
}
