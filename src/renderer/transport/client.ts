/**
 * The renderer's only way to the host. In Electron the preload exposes `window.tenStudio`; in
 * browser mode the same `HostApi` runs over the local WebSocket, authorised by the page's token.
 */
import {
  createHostApi,
  decodeServerMessage,
  encodeRequest,
  HostError,
  wsProtocols,
  type HostApi,
  type HostEvent,
} from '../../shared';

declare global {
  interface Window {
    tenStudio?: HostApi;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * HostApi over a WebSocket that reconnects with backoff; pending requests fail on disconnect.
 * `protocols` are offered in each handshake (the token, see `wsProtocols`).
 */
export function connectWebSocket(url: string, protocols: string[], onState: (s: ConnectionState) => void): HostApi {
  const listeners = new Set<(event: HostEvent) => void>();
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket;
  let retryMs = 250;
  let everOpened = false;

  const open = () => {
    onState('connecting');
    socket = new WebSocket(url, protocols);
    socket.onopen = () => {
      everOpened = true;
      retryMs = 250;
      onState('open');
      for (const frame of queue.splice(0)) socket.send(frame);
    };
    socket.onmessage = (msg) => {
      const decoded = decodeServerMessage(String(msg.data));
      if (!decoded.ok) return;
      const frame = decoded.value;
      if (frame.type === 'event') {
        for (const l of listeners) l(frame.event);
        return;
      }
      const waiter = pending.get(frame.id);
      if (!waiter) return;
      pending.delete(frame.id);
      if (frame.ok) waiter.resolve(frame.result);
      else waiter.reject(new HostError(frame.error.code, frame.error.message));
    };
    socket.onclose = (event) => {
      onState('closed');
      const message = everOpened
        ? `The connection to the studio host was lost${closeReason(event.code)}.`
        : // The browser does not say why a handshake failed: no server, or a refused (old) token.
          `Cannot connect to the studio host at ${window.location.host}: it is not running, or this page's token is from an earlier launch. Open the address \`ten-studio serve\` printed.`;
      for (const waiter of pending.values()) waiter.reject(new HostError('E_DISCONNECTED', message));
      pending.clear();
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  open();

  return createHostApi(
    (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const frame = encodeRequest(id, method, params);
        if (socket.readyState === WebSocket.OPEN) socket.send(frame);
        else queue.push(frame);
      }),
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  );
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
  return connectWebSocket(`ws://${window.location.host}/ws`, wsProtocols(token), onState);
}
