/**
 * Document sync for the browser-mode WebSocket: the page does not ship a document's whole
 * `property` with every request that carries the document (a check after each edit, recovery
 * copies, save, run). The server keeps, per connection, a mirror of each document's `property`
 * as last uploaded; the page sends only what changed since (`sync` frames), then the request
 * with a reference to the mirror's revision in place of the property.
 *
 * - Changes come from comparing the last uploaded value with the current one. Edits are
 *   immutable with structural sharing (`src/shared/graph/edit.ts`), so unchanged subtrees are the
 *   same objects and are skipped by identity: one edited node of a 71 MB document is a change of
 *   a few hundred bytes.
 * - A large change (the first upload of a large document) is cut into frames of at most
 *   `SYNC_FRAME_BUDGET` characters, so no frame nears the server's 64 MiB frame limit.
 * - The server applies changes copy-on-write and freezes what they bring: a value a running
 *   request holds is never changed under it, by a later frame or by the host itself.
 * - Both sides change their state only in frame order on one connection, so they agree by
 *   construction; a connection that closes drops the mirrors on both sides. If the server still
 *   cannot resolve a reference (it failed to apply a frame), the request fails with an
 *   `E_BAD_MESSAGE` starting with `SYNC_ERROR_PREFIX` and the page uploads the document whole
 *   again and retries once.
 */
import { HostError } from './errors';

/** A member name (objects) or an index (arrays). */
export type PathToken = string | number;

/** One change to a JSON value, at a path from its root. */
export type JsonChange =
  /** Sets a member, replaces an array element (index < length) or appends one (index = length); `[]` replaces the root. */
  | { op: 'set'; path: PathToken[]; value: unknown }
  /** Deletes an object member. */
  | { op: 'del'; path: PathToken[] }
  /** Removes `remove` elements of the array at `path` from `at`, and inserts `insert` there. */
  | { op: 'splice'; path: PathToken[]; at: number; remove: number; insert: unknown[] }
  /** Appends text to the string at `path` (a long string is uploaded in parts). */
  | { op: 'append'; path: PathToken[]; text: string };

/** Client → server: changes taking document `key` from revision `base` (0: nothing yet) to `rev`. */
export interface SyncMessage {
  type: 'sync';
  key: string;
  base: number;
  rev: number;
  changes: JsonChange[];
}

/** Client → server: the client no longer keeps document `key`; the server may forget it. */
export interface DropMessage {
  type: 'sync';
  key: string;
  drop: true;
}

/** In a request envelope: `params.document.property` is the mirror of `key` at `rev`. */
export interface DocumentRef {
  key: string;
  rev: number;
}

/** How `E_BAD_MESSAGE` texts about a mirror the server cannot resolve begin. */
export const SYNC_ERROR_PREFIX = 'Document sync:';

/**
 * Characters of JSON per sync frame, at most. A character is at most 3 bytes of UTF-8, so a
 * frame stays well under the 64 MiB frame limit.
 */
export const SYNC_FRAME_BUDGET = 8 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Defines a plain data member (a `__proto__` key stays data, as the JSON readers keep it). */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The same JSON value for the wire: `undefined` members are absent, as JSON has them. */
function present(o: Record<string, unknown>, k: string): boolean {
  return has(o, k) && o[k] !== undefined;
}

/**
 * The changes that turn `a` into `b`, both JSON values (numbers, bigints, strings, booleans,
 * null, arrays, plain objects). Applied to `a` with {@link applyChanges}, they give a value that
 * writes as the same JSON text as `b`, key order included.
 */
export function diffJson(a: unknown, b: unknown): JsonChange[] {
  const out: JsonChange[] = [];
  diffAt(a, b, [], out);
  return out;
}

function diffAt(a: unknown, b: unknown, path: PathToken[], out: JsonChange[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    diffArrays(a, b, path, out);
    return;
  }
  if (isObject(a) && isObject(b) && diffObjects(a, b, path, out)) return;
  out.push({ op: 'set', path, value: b });
}

/** Member changes, or false when the key order changes too (the caller then sets `b` whole). */
function diffObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: PathToken[], out: JsonChange[]): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  // Applying the changes keeps a's order for kept keys and appends new ones: b must be in that order.
  let i = 0;
  for (const k of ka) if (present(b, k)) if (kb[i++] !== k) return false;
  for (const k of kb.slice(i)) if (present(a, k)) return false;
  const mine: JsonChange[] = [];
  for (const k of ka) if (!present(b, k)) mine.push({ op: 'del', path: [...path, k] });
  for (const k of kb) {
    if (present(a, k)) diffAt(a[k], b[k], [...path, k], mine);
    else mine.push({ op: 'set', path: [...path, k], value: b[k] });
  }
  out.push(...mine);
  return true;
}

function diffArrays(a: unknown[], b: unknown[], path: PathToken[], out: JsonChange[]): void {
  // Unchanged ends are skipped by identity; what differs in between is edited in place when the
  // lengths agree (an edited node), else spliced (a node added or removed).
  let start = 0;
  const min = Math.min(a.length, b.length);
  while (start < min && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (endA - start === endB - start) {
    for (let k = start; k < endA; k++) diffAt(a[k], b[k], [...path, k], out);
    return;
  }
  out.push({ op: 'splice', path, at: start, remove: endA - start, insert: b.slice(start, endB) });
}

/** A change that cannot be applied to the value it was meant for. */
export class SyncError extends Error {}

/**
 * Applies `changes` to `base` without changing it: containers along each changed path are
 * copied, everything else is shared. Throws {@link SyncError} for a change that does not fit.
 */
export function applyChanges(base: unknown, changes: readonly JsonChange[]): unknown {
  let root = base;
  for (const change of changes) root = applyOne(root, change);
  return root;
}

function applyOne(root: unknown, change: JsonChange): unknown {
  if (!isObject(change) || !Array.isArray(change.path)) throw new SyncError('a change needs a path');
  const path = change.path;
  if (path.length === 0) {
    if (change.op !== 'set') {
      if (change.op === 'append' && typeof root === 'string' && typeof change.text === 'string') return root + change.text;
      if (change.op === 'splice' && Array.isArray(root)) return spliced(root, change);
      throw new SyncError(`cannot ${String(change.op)} the root`);
    }
    return change.value;
  }
  return updateAt(root, path, 0, (container, token) => {
    switch (change.op) {
      case 'set':
        return setMember(container, token, change.value);
      case 'del':
        if (!isObject(container) || typeof token !== 'string' || !has(container, token)) throw new SyncError(`no member ${String(token)} to delete`);
        return without(container, token);
      case 'splice': {
        const target = memberOf(container, token);
        if (!Array.isArray(target)) throw new SyncError('splice of something that is not an array');
        return setMember(container, token, spliced(target, change));
      }
      case 'append': {
        const target = memberOf(container, token);
        if (typeof target !== 'string' || typeof change.text !== 'string') throw new SyncError('append to something that is not a string');
        return setMember(container, token, target + change.text);
      }
      default:
        throw new SyncError(`unknown change ${String((change as { op: unknown }).op)}`);
    }
  });
}

/** Rebuilds the containers from `node` down to the parent of `path`'s last token. */
function updateAt(node: unknown, path: PathToken[], depth: number, last: (container: object, token: PathToken) => unknown): unknown {
  const token = path[depth]!;
  if (!isContainer(node)) throw new SyncError(`no container at ${path.slice(0, depth).join('/') || 'the root'}`);
  if (depth === path.length - 1) return last(node, token);
  const child = memberOf(node, token);
  return setMember(node, token, updateAt(child, path, depth + 1, last));
}

function memberOf(container: object, token: PathToken): unknown {
  if (Array.isArray(container)) {
    if (typeof token !== 'number' || !Number.isInteger(token) || token < 0 || token >= container.length) throw new SyncError(`no element ${String(token)}`);
    return container[token];
  }
  if (typeof token !== 'string' || !has(container, token)) throw new SyncError(`no member ${String(token)}`);
  return (container as Record<string, unknown>)[token];
}

/** A copy of `container` with `token` set to `value` (an array index may be its length: append). */
function setMember(container: object, token: PathToken, value: unknown): object {
  if (Array.isArray(container)) {
    if (typeof token !== 'number' || !Number.isInteger(token) || token < 0 || token > container.length) throw new SyncError(`no element ${String(token)}`);
    const copy = container.slice();
    copy[token] = value;
    return copy;
  }
  if (typeof token !== 'string') throw new SyncError(`an object member needs a name, not ${String(token)}`);
  const copy = { ...(container as Record<string, unknown>) };
  define(copy, token, value);
  return copy;
}

function without(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (k !== key) define(copy, k, o[k]);
  return copy;
}

function spliced(array: unknown[], change: { at: unknown; remove: unknown; insert: unknown }): unknown[] {
  const { at, remove, insert } = change;
  if (!Number.isInteger(at) || !Number.isInteger(remove) || !Array.isArray(insert)) throw new SyncError('a splice needs at, remove and insert');
  if ((at as number) < 0 || (remove as number) < 0 || (at as number) + (remove as number) > array.length) throw new SyncError('a splice outside the array');
  const copy = array.slice();
  copy.splice(at as number, remove as number, ...insert);
  return copy;
}

/** Measures JSON text lengths (characters) of values, each container once. */
class JsonSizes {
  private readonly memo = new WeakMap<object, number>();

  of(v: unknown): number {
    switch (typeof v) {
      case 'string':
        // Exact for long strings (escapes can multiply the length); short ones barely matter.
        return v.length > 256 ? JSON.stringify(v).length : v.length + 2;
      case 'number':
      case 'bigint':
        return String(v).length;
      case 'boolean':
        return 5;
      case 'object': {
        if (v === null) return 4;
        const known = this.memo.get(v);
        if (known !== undefined) return known;
        let size = 2;
        if (Array.isArray(v)) for (const x of v) size += this.of(x) + 1;
        else for (const [k, x] of Object.entries(v)) if (x !== undefined) size += this.of(k) + this.of(x) + 2;
        this.memo.set(v, size);
        return size;
      }
      default:
        return 4;
    }
  }

  change(c: JsonChange): number {
    const base = 40 + this.of(c.path);
    switch (c.op) {
      case 'set':
        return base + this.of(c.value);
      case 'splice':
        return base + this.of(c.insert);
      case 'append':
        return base + this.of(c.text);
      default:
        return base;
    }
  }
}

/**
 * Cuts changes into groups of at most `budget` JSON characters each, splitting a change that is
 * larger on its own (a big object member by member, a big array in runs of elements, a long
 * string in parts). A single number or short string larger than the budget cannot be split;
 * it is left whole (the transport's own size check then refuses the frame).
 */
export function chunkChanges(changes: readonly JsonChange[], budget = SYNC_FRAME_BUDGET): JsonChange[][] {
  const sizes = new JsonSizes();
  const flat: JsonChange[] = [];
  for (const c of changes) split(c, budget, sizes, flat);
  const groups: JsonChange[][] = [];
  let current: JsonChange[] = [];
  let used = 0;
  for (const c of flat) {
    const size = sizes.change(c);
    if (current.length > 0 && used + size > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(c);
    used += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function split(c: JsonChange, budget: number, sizes: JsonSizes, out: JsonChange[]): void {
  if (sizes.change(c) <= budget) {
    out.push(c);
    return;
  }
  if (c.op === 'set') {
    const v = c.value;
    if (Array.isArray(v)) {
      out.push({ op: 'set', path: c.path, value: [] });
      insertRuns(c.path, 0, v, budget, sizes, out);
    } else if (isObject(v)) {
      out.push({ op: 'set', path: c.path, value: {} });
      for (const [k, x] of Object.entries(v)) if (x !== undefined) split({ op: 'set', path: [...c.path, k], value: x }, budget, sizes, out);
    } else if (typeof v === 'string') {
      out.push({ op: 'set', path: c.path, value: '' });
      appendParts(c.path, v, budget, out);
    } else out.push(c);
  } else if (c.op === 'splice') {
    out.push({ op: 'splice', path: c.path, at: c.at, remove: c.remove, insert: [] });
    insertRuns(c.path, c.at, c.insert, budget, sizes, out);
  } else if (c.op === 'append') {
    appendParts(c.path, c.text, budget, out);
  } else out.push(c);
}

/** Inserts `items` at `at` of the array at `path` in runs that fit the budget. */
function insertRuns(path: PathToken[], at: number, items: unknown[], budget: number, sizes: JsonSizes, out: JsonChange[]): void {
  let run: unknown[] = [];
  let runAt = at;
  let used = 0;
  const flush = () => {
    if (run.length === 0) return;
    out.push({ op: 'splice', path, at: runAt, remove: 0, insert: run });
    runAt += run.length;
    run = [];
    used = 0;
  };
  for (const item of items) {
    const size = sizes.of(item) + 1;
    if (size + 64 > budget) {
      flush();
      // Too big for any run: a placeholder, then the element itself, split in turn.
      out.push({ op: 'splice', path, at: runAt, remove: 0, insert: [null] });
      split({ op: 'set', path: [...path, runAt], value: item }, budget, sizes, out);
      runAt++;
      continue;
    }
    if (used + size > budget - 64) flush();
    run.push(item);
    used += size;
  }
  flush();
}

/** Appends a long string in parts; a part never ends between the two halves of a surrogate pair. */
function appendParts(path: PathToken[], text: string, budget: number, out: JsonChange[]): void {
  // Six characters per character at worst (\uXXXX), so a part always fits.
  const step = Math.max(1, Math.floor((budget - 64) / 6));
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + step);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff && end - 1 > i) end--;
    out.push({ op: 'append', path, text: text.slice(i, end) });
    i = end;
  }
}

/**
 * The client's side: per document key, the value the server holds and its revision. At most
 * `maxDocuments` are kept; the least recently used is dropped (and the server told).
 */
export class DocumentUploader {
  private readonly mirrors = new Map<string, { rev: number; value: unknown }>();

  constructor(
    private readonly maxDocuments = 4,
    private readonly budget = SYNC_FRAME_BUDGET,
  ) {}

  /**
   * The frames that bring the server's mirror of `key` to `value` (none when it already is), and
   * the reference a request then carries. The mirror counts as updated from here on: the frames
   * must be sent, in order, before anything else on the same connection.
   */
  prepare(key: string, value: unknown): { frames: (SyncMessage | DropMessage)[]; ref: DocumentRef } {
    const known = this.mirrors.get(key);
    const changes = known ? diffJson(known.value, value) : [{ op: 'set' as const, path: [], value }];
    const frames: (SyncMessage | DropMessage)[] = [];
    let rev = known?.rev ?? 0;
    if (changes.length > 0) {
      for (const group of chunkChanges(changes, this.budget)) {
        frames.push({ type: 'sync', key, base: rev, rev: rev + 1, changes: group });
        rev++;
      }
    }
    this.mirrors.delete(key);
    this.mirrors.set(key, { rev, value });
    for (const old of this.mirrors.keys()) {
      if (this.mirrors.size <= this.maxDocuments) break;
      this.mirrors.delete(old);
      frames.unshift({ type: 'sync', key: old, drop: true });
    }
    return { frames, ref: { key, rev } };
  }

  /** Forgets one document (the next request uploads it whole). */
  forget(key: string): void {
    this.mirrors.delete(key);
  }

  /** Forgets everything (a new connection starts with an empty server side). */
  reset(): void {
    this.mirrors.clear();
  }
}

/**
 * Freezes the containers of `value` that are not frozen yet. A mirror is shared by every request
 * that refers to it, so it must never change in place: frozen, a host path that tried would fail
 * loudly instead of corrupting what the next save writes. Shared subtrees are frozen already, so
 * only what a sync frame brought is walked.
 */
function freezeNew(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Array.isArray(value) ? value : Object.values(value)) freezeNew(member);
}

/**
 * The server's side, per connection: each document's value and revision, as the client's sync
 * frames built it. A frame that does not apply marks its document broken until the client
 * uploads it from revision 0 again.
 */
export class DocumentMirrors {
  private readonly mirrors = new Map<string, { rev: number; value: unknown } | { broken: string }>();

  constructor(private readonly maxDocuments = 8) {}

  /** Applies one sync or drop frame. Never throws; a frame that does not apply breaks its document. */
  apply(message: SyncMessage | DropMessage): void {
    if ('drop' in message) {
      this.mirrors.delete(message.key);
      return;
    }
    const known = this.mirrors.get(message.key);
    const fresh = message.base === 0;
    if (!fresh && (!known || 'broken' in known || known.rev !== message.base)) {
      const why = !known ? 'unknown document' : 'broken' in known ? known.broken : `revision ${known.rev}, not ${message.base}`;
      this.mirrors.set(message.key, { broken: why });
      return;
    }
    try {
      const base = fresh ? undefined : (known as { value: unknown }).value;
      const value = applyChanges(base, message.changes);
      freezeNew(value);
      this.mirrors.delete(message.key);
      this.mirrors.set(message.key, { rev: message.rev, value });
    } catch (err) {
      this.mirrors.set(message.key, { broken: `a change did not apply (${(err as Error).message})` });
    }
    // A well-behaved client keeps fewer; the cap only bounds one that is not.
    for (const old of this.mirrors.keys()) {
      if (this.mirrors.size <= this.maxDocuments) break;
      this.mirrors.delete(old);
    }
  }

  /** The value a request refers to; `E_BAD_MESSAGE` (`SYNC_ERROR_PREFIX`) when the server does not hold it. */
  resolve(ref: DocumentRef): unknown {
    const known = this.mirrors.get(ref.key);
    if (!known) throw new HostError('E_BAD_MESSAGE', `${SYNC_ERROR_PREFIX} no copy of document ${JSON.stringify(ref.key)} on this connection.`);
    if ('broken' in known) throw new HostError('E_BAD_MESSAGE', `${SYNC_ERROR_PREFIX} the copy of document ${JSON.stringify(ref.key)} is out of step: ${known.broken}.`);
    if (known.rev !== ref.rev) {
      throw new HostError('E_BAD_MESSAGE', `${SYNC_ERROR_PREFIX} document ${JSON.stringify(ref.key)} is at revision ${known.rev}, not ${ref.rev}.`);
    }
    return known.value;
  }
}
