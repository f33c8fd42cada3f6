/**
 * The renderer's only way to the host. In Electron the preload exposes `window.tenStudio`; in
 * browser mode the same `HostApi` runs over the local WebSocket, authorised by the page's token.
 */
import {
  createHostApi,
  decodeServerMessage,
  encodeRequest,
  HostError,
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

/** HostApi over a WebSocket that reconnects with backoff; pending requests fail on disconnect. */
export function connectWebSocket(url: string, onState: (s: ConnectionState) => void): HostApi {
  const listeners = new Set<(event: HostEvent) => void>();
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket;
  let retryMs = 250;

  const open = () => {
    onState('connecting');
    socket = new WebSocket(url);
    socket.onopen = () => {
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
    socket.onclose = () => {
      onState('closed');
      for (const waiter of pending.values()) {
        waiter.reject(new HostError('E_DISCONNECTED', 'The connection to the studio host was lost.'));
      }
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

/** Picks the transport: the preload's object in Electron, else the page's WebSocket. */
export function connectHost(onState: (s: ConnectionState) => void): HostApi {
  if (window.tenStudio) {
    onState('open');
    return window.tenStudio;
  }
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const wsUrl = `ws://${window.location.host}/ws?token=${encodeURIComponent(token)}`;
  return connectWebSocket(wsUrl, onState);
}
