/** A minimal client for the browser-mode WebSocket, speaking the real wire format. */
import WebSocket from 'ws';
import { decodeServerMessage, encodeRequest, wsProtocols, type HostEvent, type HostMethod, type ServerMessage } from '../../../src/shared';
import type { RunningServer } from '../../../src/main/server';

export interface TestClient {
  /** Sends one request and resolves with the response frame (ok or error). */
  call(method: HostMethod, params?: unknown): Promise<ServerMessage>;
  /** Sends a raw text frame and resolves with the next response frame. */
  raw(text: string): Promise<ServerMessage>;
  events: HostEvent[];
  close(): void;
  /** The underlying socket (tests pause its reading to play a slow client). */
  socket: WebSocket;
}

/** Connects as the page does: the token as a subprotocol, our own Origin. */
export function connect(server: Pick<RunningServer, 'port' | 'token'>): Promise<TestClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, wsProtocols(server.token), {
    headers: { origin: `http://127.0.0.1:${server.port}` },
    // Documents come back whole (a 71 MB one in the large-document tests).
    maxPayload: 0,
  });
  const waiting = new Map<number, (m: ServerMessage) => void>();
  const events: HostEvent[] = [];
  let rawWaiter: ((m: ServerMessage) => void) | null = null;
  ws.on('message', (data) => {
    const decoded = decodeServerMessage(data.toString());
    if (!decoded.ok) return;
    const frame = decoded.value;
    if (frame.type === 'event') {
      events.push(frame.event);
      return;
    }
    const waiter = waiting.get(frame.id);
    if (waiter) {
      waiting.delete(frame.id);
      waiter(frame);
    } else if (rawWaiter) {
      const w = rawWaiter;
      rawWaiter = null;
      w(frame);
    }
  });
  let next = 1;
  return new Promise((resolveOpen, reject) => {
    ws.on('error', reject);
    ws.on('open', () =>
      resolveOpen({
        call: (method, params) =>
          new Promise((r) => {
            const id = next++;
            waiting.set(id, r);
            ws.send(encodeRequest(id, method, params));
          }),
        raw: (text) =>
          new Promise((r) => {
            rawWaiter = r;
            ws.send(text);
          }),
        events,
        close: () => ws.close(),
        socket: ws,
      }),
    );
  });
}

/** The result of an ok response; throws with the error text otherwise. */
export function resultOf<T>(frame: ServerMessage): T {
  if (frame.type !== 'response') throw new Error('not a response');
  if (!frame.ok) throw new Error(`${frame.error.code}: ${frame.error.message}`);
  return frame.result as T;
}

/** The error of a failed response; throws when it succeeded. */
export function errorOf(frame: ServerMessage): { code: string; message: string } {
  if (frame.type !== 'response') throw new Error('not a response');
  if (frame.ok) throw new Error(`expected an error, got ${JSON.stringify(frame.result).slice(0, 200)}`);
  return frame.error;
}
