/**
 * The wire format both transports use. Electron IPC carries the same request/response shapes
 * through `ipcRenderer.invoke` (structured clone, which keeps `bigint`); the WebSocket carries
 * them as JSON text frames written by `stringifyJson` and read by `parseJsonText`, so integers
 * beyond 2^53 in documents cross it exactly, as `bigint`, and numbers stay numbers.
 */
import { parseJsonText, stringifyJson } from '../json/text';
import { HOST_METHODS, isHostMethod, type HostEvent, type HostMethod } from './contract';
import type { DocumentMirrors, DocumentRef, DropMessage, SyncMessage } from './docsync';
import { HostError, type HostErrorInfo } from './errors';

/**
 * Browser mode's WebSocket subprotocols. The page offers both: the server answers with
 * `WS_PROTOCOL`, and reads the per-launch token from the second (`ten-studio.token.<hex>`).
 * The token travels in the handshake of the one socket the page opens to the studio, never in a
 * cookie (cookies are not isolated by port, so every server on 127.0.0.1 would receive it) nor
 * in the socket's URL (which ends up in logs and history).
 */
export const WS_PROTOCOL = 'ten-studio.v1';
export const WS_TOKEN_PREFIX = 'ten-studio.token.';

/** The subprotocols a client offers to present `token`. */
export function wsProtocols(token: string): string[] {
  return [WS_PROTOCOL, WS_TOKEN_PREFIX + token];
}

/**
 * The largest frame the server reads (64 MiB); a bigger one closes that client's connection
 * (close code 1009). Clients check their frames against it before sending, so a request that is
 * too large fails with `E_TOO_LARGE` instead of costing the connection.
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface RequestMessage {
  type: 'request';
  id: number;
  method: HostMethod;
  params?: unknown;
  /**
   * Browser mode: `params.document` comes without its `property`, which is the server's mirror of
   * this document at this revision (see `docsync.ts`).
   */
  document?: DocumentRef;
}

/** The number of bytes `text` takes as UTF-8 (what a WebSocket frame limit counts). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      // A surrogate pair: two UTF-16 units, four bytes.
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Whether `text` fits in one frame the server reads (checked without counting when it surely does). */
export function fitsInFrame(text: string): boolean {
  return text.length * 3 <= MAX_FRAME_BYTES || utf8Length(text) <= MAX_FRAME_BYTES;
}

export type ResponseMessage =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: HostErrorInfo };

export interface EventMessage {
  type: 'event';
  event: HostEvent;
}

export type ServerMessage = ResponseMessage | EventMessage;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: HostError; id?: number };

/**
 * Checks that a request names a contract method and carries acceptable params. Used on every
 * boundary where a request enters the host (IPC handler, WebSocket frame).
 */
export function validateRequest(method: unknown, params: unknown): HostError | null {
  if (!isHostMethod(method)) {
    return new HostError('E_UNKNOWN_METHOD', `Unknown method ${stringifyJson(method)}.`);
  }
  const problem = HOST_METHODS[method].validate(params);
  return problem ? new HostError('E_BAD_PARAMS', `${method} ${problem}.`) : null;
}

export function encodeRequest(id: number, method: HostMethod, params?: unknown, document?: DocumentRef): string {
  const msg: RequestMessage = { type: 'request', id, method };
  if (params !== undefined) msg.params = params;
  if (document !== undefined) msg.document = document;
  return stringifyJson(msg) as string;
}

/** A document sync frame (client → server). */
export function encodeSync(message: SyncMessage | DropMessage): string {
  return stringifyJson(message) as string;
}

/** Parses and validates one request frame. Never throws. */
export function decodeRequest(text: string): Decoded<RequestMessage> {
  return decodeClientFrame(text, null) as Decoded<RequestMessage>;
}

/**
 * Parses one client frame: a request, validated, its `params.document.property` taken from
 * `mirrors` when it refers to one; or, with `mirrors`, a sync frame, which is applied there and
 * decodes to `null` (it gets no response). Never throws.
 */
export function decodeClientFrame(text: string, mirrors: DocumentMirrors | null): Decoded<RequestMessage | null> {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch {
    return { ok: false, error: new HostError('E_BAD_MESSAGE', 'Request is not valid JSON.') };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: new HostError('E_BAD_MESSAGE', 'Request must be a JSON object.') };
  }
  const rec = raw as Record<string, unknown>;
  if (mirrors && rec.type === 'sync') return decodeSync(rec, mirrors);
  if (rec.type !== 'request' || !Number.isSafeInteger(rec.id)) {
    return {
      ok: false,
      error: new HostError('E_BAD_MESSAGE', 'Request needs "type": "request" and an integer "id".'),
    };
  }
  const id = rec.id as number;
  let params = rec.params;
  if (rec.document !== undefined) {
    const filled = withMirroredProperty(params, rec.document, mirrors);
    if (filled instanceof HostError) return { ok: false, error: filled, id };
    params = filled;
  }
  const problem = validateRequest(rec.method, params);
  if (problem) return { ok: false, error: problem, id };
  return { ok: true, value: { type: 'request', id, method: rec.method as HostMethod, params } };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeSync(rec: Record<string, unknown>, mirrors: DocumentMirrors): Decoded<null> {
  const bad = (why: string): Decoded<null> => ({ ok: false, error: new HostError('E_BAD_MESSAGE', `Sync frame ${why}.`) });
  if (typeof rec.key !== 'string') return bad('needs a string "key"');
  if (rec.drop === true) {
    mirrors.apply({ type: 'sync', key: rec.key, drop: true });
    return { ok: true, value: null };
  }
  if (!Number.isSafeInteger(rec.base) || !Number.isSafeInteger(rec.rev) || !Array.isArray(rec.changes)) {
    return bad('needs integer "base" and "rev" and a "changes" array');
  }
  mirrors.apply({ type: 'sync', key: rec.key, base: rec.base as number, rev: rec.rev as number, changes: rec.changes as SyncMessage['changes'] });
  return { ok: true, value: null };
}

/** `params` with `document.property` filled in from the mirror `ref` names, or why it cannot be. */
function withMirroredProperty(params: unknown, ref: unknown, mirrors: DocumentMirrors | null): unknown {
  if (!mirrors) return new HostError('E_BAD_MESSAGE', 'This transport keeps no document copies; send the document whole.');
  if (!isRecord(ref) || typeof ref.key !== 'string' || !Number.isSafeInteger(ref.rev)) {
    return new HostError('E_BAD_MESSAGE', 'Request "document" needs a string "key" and an integer "rev".');
  }
  if (!isRecord(params) || !isRecord(params.document) || 'property' in params.document) {
    return new HostError('E_BAD_MESSAGE', 'A request with "document" carries params.document without its "property".');
  }
  try {
    const property = mirrors.resolve({ key: ref.key, rev: ref.rev as number });
    return { ...params, document: { ...params.document, property } };
  } catch (err) {
    return err;
  }
}

export function encodeResult(id: number, result: unknown): string {
  return stringifyJson({ type: 'response', id, ok: true, result } satisfies ResponseMessage) as string;
}

export function encodeError(id: number, error: HostErrorInfo): string {
  return stringifyJson({ type: 'response', id, ok: false, error } satisfies ResponseMessage) as string;
}

export function encodeEvent(event: HostEvent): string {
  return stringifyJson({ type: 'event', event } satisfies EventMessage) as string;
}

/** Parses one server frame on the client. Never throws. */
export function decodeServerMessage(text: string): Decoded<ServerMessage> {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch {
    return { ok: false, error: new HostError('E_BAD_MESSAGE', 'Server frame is not valid JSON.') };
  }
  if (typeof raw !== 'object' || raw === null) {
    return { ok: false, error: new HostError('E_BAD_MESSAGE', 'Server frame must be an object.') };
  }
  const rec = raw as Record<string, unknown>;
  if (rec.type === 'event' && typeof rec.event === 'object' && rec.event !== null) {
    return { ok: true, value: rec as unknown as EventMessage };
  }
  if (rec.type === 'response' && Number.isSafeInteger(rec.id) && typeof rec.ok === 'boolean') {
    if (rec.ok || isErrorInfo(rec.error)) return { ok: true, value: rec as unknown as ResponseMessage };
  }
  return { ok: false, error: new HostError('E_BAD_MESSAGE', 'Unrecognised server frame.') };
}

function isErrorInfo(x: unknown): x is HostErrorInfo {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as HostErrorInfo).code === 'string' &&
    typeof (x as HostErrorInfo).message === 'string'
  );
}
