/**
 * The renderer's only way to the host. In Electron the preload exposes `window.tenStudio`; in
 * browser mode the same `HostApi` runs over the local WebSocket, authorised by the page's token.
 */
import {
  createHostApi,
  decodeServerMessage,
  DocumentUploader,
  encodeRequest,
  encodeSync,
  fitsInFrame,
  HostError,
  MAX_FRAME_BYTES,
  SYNC_ERROR_PREFIX,
  utf8Length,
  wsProtocols,
  type DocumentRef,
  type HostApi,
  type HostEvent,
  type HostMethod,
} from '../../shared';

declare global {
  interface Window {
    tenStudio?: HostApi;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** What the transport needs of a WebSocket: the browser's, or the `ws` package's in tests. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
}

export interface WebSocketOptions {
  /** Makes each socket; the browser's `WebSocket` by default. */
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  /** What requests fail with when no connection could be opened at all. */
  unreachable?: string;
}

const OPEN = 1;

/** One request: sent when the socket is open, answered or failed exactly once. */
interface Call {
  id: number;
  method: HostMethod;
  params: unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The document mirror the request referred to, when it carried a document. */
  ref?: DocumentRef;
  /** Sent again once already, after the server had lost step with the document mirror. */
  retried?: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document a request carries (`params.document` with an id and a property), if any. */
function documentOf(params: unknown): { id: string; property: unknown; rest: Record<string, unknown> } | null {
  if (!isRecord(params) || !isRecord(params.document)) return null;
  const { property, ...rest } = params.document;
  if (typeof rest.id !== 'string' || !isRecord(property)) return null;
  return { id: rest.id, property, rest };
}

/**
 * HostApi over a WebSocket that reconnects with backoff; requests pending when the connection
 * drops fail at once (none is sent later behind its caller's back). A request that carries a
 * document sends only what changed since the document was last sent on this connection
 * (`docsync.ts`); one that would still not fit in a frame fails with `E_TOO_LARGE` and sends
 * nothing. `protocols` are offered in each handshake (the token, see `wsProtocols`).
 */
export function connectWebSocket(
  url: string,
  protocols: string[],
  onState: (s: ConnectionState) => void,
  options: WebSocketOptions = {},
): HostApi & { disconnect(): void } {
  const createSocket = options.createSocket ?? ((u, p) => new WebSocket(u, p) as unknown as SocketLike);
  const unreachable = options.unreachable ?? 'Cannot connect to the studio host.';
  const listeners = new Set<(event: HostEvent) => void>();
  const pending = new Map<number, Call>();
  const queue: Call[] = [];
  const uploader = new DocumentUploader();
  let nextId = 1;
  let socket: SocketLike;
  let retryMs = 250;
  let everOpened = false;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const fail = (call: Call, error: Error) => {
    pending.delete(call.id);
    call.reject(error);
  };

  /** Encodes and sends a call: its document's sync frames first, then the request. */
  const transmit = (call: Call) => {
    const frames: string[] = [];
    let params = call.params;
    const doc = documentOf(call.params);
    delete call.ref;
    try {
      if (doc) {
        const prepared = uploader.prepare(doc.id, doc.property);
        for (const message of prepared.frames) frames.push(encodeSync(message));
        call.ref = prepared.ref;
        params = { ...(call.params as Record<string, unknown>), document: doc.rest };
      }
      frames.push(encodeRequest(call.id, call.method, params, call.ref));
    } catch (err) {
      if (doc) uploader.forget(doc.id);
      fail(call, new HostError('E_BAD_PARAMS', `The ${call.method} request could not be encoded: ${(err as Error).message}`));
      return;
    }
    const tooLarge = frames.find((f) => !fitsInFrame(f));
    if (tooLarge !== undefined) {
      // Nothing is sent, so the host's copy of the document is as before; ours must be too.
      if (doc) uploader.forget(doc.id);
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      fail(
        call,
        new HostError(
          'E_TOO_LARGE',
          `The ${call.method} request is ${mb(utf8Length(tooLarge))} MB, over the ${mb(MAX_FRAME_BYTES)} MB the studio host accepts in one message; nothing was sent.`,
        ),
      );
      return;
    }
    for (const frame of frames) socket.send(frame);
  };

  const open = () => {
    onState('connecting');
    socket = createSocket(url, protocols);
    socket.onopen = () => {
      everOpened = true;
      retryMs = 250;
      onState('open');
      for (const call of queue.splice(0)) transmit(call);
    };
    socket.onmessage = (msg) => {
      const decoded = decodeServerMessage(String(msg.data));
      if (!decoded.ok) return;
      const frame = decoded.value;
      if (frame.type === 'event') {
        for (const l of listeners) l(frame.event);
        return;
      }
      const call = pending.get(frame.id);
      if (!call) return;
      if (!frame.ok && frame.error.code === 'E_BAD_MESSAGE' && frame.error.message.startsWith(SYNC_ERROR_PREFIX) && call.ref && !call.retried) {
        // The host lost step with our copy of the document: send it whole, once.
        uploader.forget(call.ref.key);
        call.retried = true;
        transmit(call);
        return;
      }
      pending.delete(frame.id);
      if (frame.ok) call.resolve(frame.result);
      else call.reject(new HostError(frame.error.code, frame.error.message));
    };
    socket.onclose = (event) => {
      onState('closed');
      // The next connection starts without the host's copies of our documents.
      uploader.reset();
      const message = everOpened ? `The connection to the studio host was lost${closeReason(event.code)}.` : unreachable;
      for (const call of [...pending.values()]) fail(call, new HostError('E_DISCONNECTED', message));
      queue.length = 0;
      if (stopped) return;
      retryTimer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  open();

  const api = createHostApi(
    (method, params) =>
      new Promise((resolve, reject) => {
        const call: Call = { id: nextId++, method, params, resolve, reject };
        pending.set(call.id, call);
        if (socket.readyState === OPEN) transmit(call);
        else queue.push(call);
      }),
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  );
  return Object.assign(api, {
    /** Closes the connection for good (tests; the page keeps its connection for its lifetime). */
    disconnect: () => {
      stopped = true;
      clearTimeout(retryTimer);
      socket.close();
    },
  });
}

/** What a close code the host sends when it drops a connection means (RFC 6455 section 7.4.1). */
function closeReason(code: number): string {
  switch (code) {
    case 1009:
      return ': the host closed it because a message was too large';
    case 1002:
      return ': the host closed it after a malformed message';
    case 1007:
      return ': the host closed it after a message that was not valid UTF-8';
    case 1001:
      return ': the host is shutting down';
    default:
      return '';
  }
}

/** Where the token is kept for a reload of this tab (see `takeToken`). */
const TOKEN_KEY = 'ten-studio.token';

/**
 * The per-launch token: taken from the address the page was opened with (`?token=…`, as
 * `ten-studio serve` prints it), then removed from the address bar so that it does not linger in
 * the history, bookmarks or a shared screen. It is kept in this tab's sessionStorage so that a
 * reload still works: unlike a cookie, sessionStorage belongs to this origin including its port,
 * so no other server on 127.0.0.1 ever receives it, and it is not sent with any request.
 */
function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    try {
      window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage disabled: the token lives in memory only, and a reload needs the printed address.
    }
    return fromUrl;
  }
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** A HostApi whose every request fails with `message` (a page opened without its token). */
function unavailableHost(message: string): HostApi {
  return createHostApi(
    () => Promise.reject(new HostError('E_DISCONNECTED', message)),
    () => () => undefined,
  );
}

/** Picks the transport: the preload's object in Electron, else the page's WebSocket. */
export function connectHost(onState: (s: ConnectionState) => void): HostApi {
  if (window.tenStudio) {
    onState('open');
    return window.tenStudio;
  }
  const token = takeToken();
  if (!token) {
    onState('closed');
    return unavailableHost(
      'This page was opened without its access token. Open the address that `ten-studio serve` printed (it ends in ?token=…).',
    );
  }
  return connectWebSocket(`ws://${window.location.host}/ws`, wsProtocols(token), onState, {
    // The browser does not say why a handshake failed: no server, or a refused (old) token.
    unreachable: `Cannot connect to the studio host at ${window.location.host}: it is not running, or this page's token is from an earlier launch. Open the address \`ten-studio serve\` printed.`,
  });
}
