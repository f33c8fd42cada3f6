/**
 * A one-way channel between two threads in one SharedArrayBuffer: a ring of records with exactly
 * one writer (the sending group's thread) and one reader (the receiving group's thread) — TEN's
 * `in_msgs` without a lock: the writer owns the write position, the reader the read position,
 * and each publishes its own with one atomic store.
 *
 * Layout: a header, then `capacity` bytes of records. The header keeps what each side writes on
 * a cache line of its own (the write position; the read position; the two wait states; the
 * writer's counters; the reader's counters), so publishing a record does not steal the line the
 * other thread reads. The host reads positions and counters in samples without asking either
 * thread. A record is a 32-bit head (body length << 2 | op) and its body, 4-byte aligned, and
 * never wraps: when the rest of the buffer is too short the writer leaves a WRAP record and
 * starts again at 0. Positions count bytes modulo 2^32; `capacity` is a power of two.
 *
 * Wakes (a wake is not a message): the reader drains everything published, then stores ASLEEP,
 * looks at the write position once more, and only then sleeps — it simply stops looking: no
 * thread blocked, no timer, no spinning, a quiet channel costs nothing. The writer wakes the
 * reader only if it finds it ASLEEP (compare-and-swap to AWAKE; `wake` says so), so a busy reader
 * is never woken and a burst costs one wake; the caller then wakes the reader's thread with one
 * small message on the pair's MessagePort (routing/ring_outbox.ts): the same wake a raw
 * `postMessage` costs; in the runtime it measured cheaper per cmd than an `Atomics.notify` to an
 * `Atomics.waitAsync` (a promise per sleep, a V8 task per wake; docs/BENCHMARKS.md). Both sides
 * use sequentially consistent atomics: either the reader sees the new position or the writer
 * sees ASLEEP, so no wake is lost. The same handshake, the other way round and with
 * `Atomics.notify`/`Atomics.waitAsync` (rare: only while the ring is full), wakes a writer that
 * waits for space (SPACE).
 *
 * A record becomes visible only when the writer publishes the position after it, so a thread
 * that dies in the middle of writing leaves nothing half-written to read.
 */
import { NO_ROOM, NOT_COMPACT, RingEncoder } from '../core/ring_codec';
import type { PeerIndex, WireMsg } from '../core/wire';

/** Int32 slots per 64-byte cache line. */
const LINE = 16;
// Header slots. Counters are uint32 and wrap; read them with `>>> 0`. Each has one writer, which
// stores it plainly (no ordering needed: the host only reads them, with `Atomics.load`, for
// samples); positions and states are atomics.
/** Line 0, the writer's: the published write position. */
const WRITE = 0;
/** Line 1, the reader's: the read position. */
const READ = LINE;
/** Line 2, both: the reader's state (ASLEEP/AWAKE/CLOSED), the writer's (IDLE/WAITING), the size. */
const STATE = 2 * LINE;
const SPACE = 2 * LINE + 1;
const CAPACITY = 2 * LINE + 2;
/** Line 3, the writer's counters, written once per loop turn. */
const SENT = 3 * LINE;
/** Wakes sent (a sleeping reader found by the writer, and woken). */
const WAKES = 3 * LINE + 1;
/** Messages that went through the channel's MessagePort instead (too large, not compact). */
const SPILLED = 3 * LINE + 2;
/** Times the writer found the ring too full for a message. */
const FULL = 3 * LINE + 3;
/** Messages the writer holds until the ring has room (routing/ring_outbox.ts). */
const BACKLOG = 3 * LINE + 4;
/** Most bytes queued at once, as the writer saw it. */
const HIGH_WATER = 3 * LINE + 5;
/** Line 4, the reader's counters, written once per drain. */
const TAKEN = 4 * LINE;
/** Drains that found records. */
const DRAINS = 4 * LINE + 1;
/** Most records taken in one drain. */
const MAX_BATCH = 4 * LINE + 2;
/** Times the reader looked for records, found or not: still while the channel is quiet (no polling). */
const LOOKS = 4 * LINE + 3;
const HEADER_SLOTS = 5 * LINE;
/** Records start on a fresh cache line. */
export const RING_HEADER_BYTES = HEADER_SLOTS * 4;

/** Reader states. */
const ASLEEP = 0;
const AWAKE = 1;
const CLOSED = 2;
/** Writer states (SPACE). */
const IDLE = 0;
const WAITING = 1;

/** Record ops (low 2 bits of a record head). */
const OP_WRAP = 0;
export const OP_MSG = 1;
export const OP_RESUME = 2;
/** `RingBatch.next` at the end of the batch. */
export const EMPTY = -1;
/**
 * What the writer posts on the pair's MessagePort to wake the thread of a sleeping reader (port
 * batches are arrays; a wake is not one of them and does not count as one).
 */
export const RING_WAKE = 0;

/** Bytes of one reader arena (routing/ring.ts `RingReader.take`). */
const ARENA_BYTES = 256 * 1024;
/** Bytes a take copies word by word rather than with a view and TypedArray#set. */
const SMALL_COPY = 256;
/** Default bytes of records per ring (per direction per pair of groups that talk). */
export const DEFAULT_RING_BYTES = 256 * 1024;
const MIN_RING_BYTES = 4096;
/** The largest ring that the positions' modulo-2^32 arithmetic allows. */
const MAX_RING_BYTES = 1 << 30;

/** Rounds a wanted size to the ring's capacity: a power of two between 4 KiB and 1 GiB. */
export function ringCapacity(bytes: number): number {
  let cap = MIN_RING_BYTES;
  while (cap < bytes && cap < MAX_RING_BYTES) cap *= 2;
  return cap;
}

/** A new ring's shared memory: empty, its reader AWAKE until it first sleeps. */
export function createRing(bytes: number): SharedArrayBuffer {
  const cap = ringCapacity(bytes);
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + cap);
  const h = new Int32Array(sab, 0, HEADER_SLOTS);
  h[CAPACITY] = cap;
  h[STATE] = AWAKE;
  return sab;
}

/** What the host reads from a ring's header (no message to either thread). */
export interface RingCounters {
  capacity: number;
  /** Bytes queued now. */
  bytes: number;
  /** Messages queued now (as of the writer's last loop turn). */
  depth: number;
  sent: number;
  taken: number;
  drains: number;
  maxBatch: number;
  /** Times the reader looked for records (every drain, empty or not): unchanged while nothing is sent. */
  looks: number;
  wakes: number;
  spilled: number;
  full: number;
  /** Messages the writer holds until the ring has room (back-pressure, nothing dropped). */
  backlog: number;
  highWater: number;
  /** The reader waits for a wake. */
  asleep: boolean;
  /** The writer waits for the reader to free space. */
  writerWaiting: boolean;
  /** The reader is gone (its group closed or its thread ended). */
  closed: boolean;
}

export function ringCounters(sab: SharedArrayBuffer): RingCounters {
  const h = new Int32Array(sab, 0, HEADER_SLOTS);
  const u = (slot: number): number => Atomics.load(h, slot) >>> 0;
  const state = Atomics.load(h, STATE);
  const sent = u(SENT);
  const taken = u(TAKEN);
  return {
    capacity: u(CAPACITY),
    bytes: (u(WRITE) - u(READ)) >>> 0,
    // The writer counts once per turn, the reader per drain: the reader may be ahead for a moment.
    depth: Math.max(0, (sent - taken) | 0),
    sent,
    taken,
    drains: u(DRAINS),
    maxBatch: u(MAX_BATCH),
    looks: u(LOOKS),
    wakes: u(WAKES),
    spilled: u(SPILLED),
    full: u(FULL),
    backlog: u(BACKLOG),
    highWater: u(HIGH_WATER),
    asleep: state === ASLEEP,
    writerWaiting: Atomics.load(h, SPACE) === WAITING,
    closed: state === CLOSED,
  };
}

/** Marks a ring's reader gone (the host does it for a thread that ended): writers stop at once. */
export function closeRing(sab: SharedArrayBuffer): void {
  const h = new Int32Array(sab, 0, HEADER_SLOTS);
  Atomics.store(h, STATE, CLOSED);
  Atomics.store(h, SPACE, IDLE);
  Atomics.notify(h, SPACE);
}

const align4 = (n: number): number => (n + 3) & ~3;

/** `Atomics.waitAsync` (Node ≥ 16; ES2024, newer than the lib this project compiles against). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Outcome of `RingWriter.write`. */
export const WRITTEN = 0;
export { NO_ROOM, NOT_COMPACT };

/** The writing end: one per ring, on the sending group's thread. */
export class RingWriter {
  private readonly h: Int32Array;
  private readonly dv: DataView;
  private readonly cap: number;
  private readonly mask: number;
  /**
   * The largest record (an eighth of the ring); a larger message goes by port even into an empty
   * ring. So when `roomy` (half the ring free) any message fits, even after a wrap.
   */
  private readonly maxRecord: number;
  private readonly encoder: RingEncoder;
  private w: number;
  private published: number;
  /** The published position when `wake` last looked at the reader. */
  private looked: number;
  /** The read position as last loaded: the real one is never behind it. */
  private r: number;
  private sent: number;
  private highWater: number;
  private spilled: number;
  private full: number;
  private wakes: number;
  /** SENT, WAKES, FULL and BACKLOG as last written to the header. */
  private readonly shown: number[];

  constructor(sab: SharedArrayBuffer, index: PeerIndex, appUri: string, graphId: string) {
    const h = (this.h = new Int32Array(sab, 0, HEADER_SLOTS));
    this.cap = h[CAPACITY];
    this.mask = this.cap - 1;
    this.maxRecord = this.cap / 8;
    this.dv = new DataView(sab, RING_HEADER_BYTES, this.cap);
    this.encoder = new RingEncoder(new Uint8Array(sab, RING_HEADER_BYTES, this.cap), index, appUri, graphId);
    this.w = this.published = this.looked = Atomics.load(h, WRITE) >>> 0;
    this.r = Atomics.load(h, READ) >>> 0;
    this.sent = Atomics.load(h, SENT) >>> 0;
    this.wakes = Atomics.load(h, WAKES) >>> 0;
    this.spilled = Atomics.load(h, SPILLED) >>> 0;
    this.full = Atomics.load(h, FULL) >>> 0;
    this.highWater = Atomics.load(h, HIGH_WATER) >>> 0;
    this.shown = [this.sent, this.wakes, this.full, Atomics.load(h, BACKLOG) >>> 0];
  }

  /**
   * The reader is gone: nothing written now would ever be read. A plain load (this is a hint
   * asked after every lone message: a close seen a moment late loses nothing the close itself
   * would not; the wake handshake uses atomics).
   */
  get readerClosed(): boolean {
    return this.h[STATE] === CLOSED;
  }

  /** Bytes free as of the last known read position (`fresh`: load it again first). */
  free(fresh: boolean): number {
    if (fresh) this.r = Atomics.load(this.h, READ) >>> 0;
    return this.cap - ((this.w - this.r) >>> 0);
  }

  /** Whether half the ring is free: held messages are written then (routing/ring_outbox.ts). */
  roomy(): boolean {
    return this.free(true) >= this.cap / 2;
  }

  /** Writes one message (unpublished until `publish`): `WRITTEN`, `NO_ROOM` or `NOT_COMPACT`. */
  write(m: WireMsg): number {
    let end = this.tryWrite(m, this.free(false));
    // Full as last seen: look at the reader's position again before saying so.
    if (end === NO_ROOM) end = this.tryWrite(m, this.free(true));
    if (end === NO_ROOM) this.full++;
    return end;
  }

  private tryWrite(m: WireMsg, free: number): number {
    const most = this.maxRecord + 4;
    const off = this.w & this.mask;
    const contiguous = this.cap - off;
    let room = Math.min(free, contiguous, most);
    let end = room >= 8 ? this.encoder.encode(m, off + 4, off + room) : NO_ROOM;
    if (end === NO_ROOM && room === contiguous && free > contiguous) {
      // Too little left before the end of the buffer: wrap, and try again from the start.
      this.dv.setUint32(off, OP_WRAP, true);
      this.w = (this.w + contiguous) >>> 0;
      room = Math.min(free - contiguous, most);
      end = room >= 8 ? this.encoder.encode(m, 4, room) : NO_ROOM;
    }
    if (end === NO_ROOM) {
      // With the largest record's room it is too big for any ring; else the ring is full.
      return room === most ? NOT_COMPACT : NO_ROOM;
    }
    if (end === NOT_COMPACT) return NOT_COMPACT;
    this.commit(OP_MSG, end - (this.w & this.mask) - 4);
    this.sent++;
    return WRITTEN;
  }

  /**
   * A marker: what follows comes after the first `portBatches` batches of the channel's port.
   * False when there is no room for it.
   */
  writeResume(portBatches: number): boolean {
    let off = this.w & this.mask;
    const contiguous = this.cap - off;
    const free = this.free(true);
    if (contiguous < 8) {
      if (free < contiguous + 8) return false;
      this.dv.setUint32(off, OP_WRAP, true);
      this.w = (this.w + contiguous) >>> 0;
      off = 0;
    } else if (free < 8) return false;
    this.dv.setUint32(off + 4, portBatches, true);
    this.commit(OP_RESUME, 4);
    return true;
  }

  private commit(op: number, len: number): void {
    this.dv.setUint32(this.w & this.mask, (len << 2) | op, true);
    this.w = (this.w + 4 + align4(len)) >>> 0;
  }

  /** Makes every record written so far visible to the reader (one atomic store). */
  publish(): void {
    if (this.w === this.published) return;
    this.published = this.w;
    Atomics.store(this.h, WRITE, this.w);
  }

  /**
   * Marks the reader AWAKE if it sleeps and records were published since the last call (after
   * `publish`); true when it did: the caller must then wake the reader's thread (one message on
   * the pair's port), which nothing else will. Records published before the last call need no
   * wake: that call found the reader asleep and woke it, or awake, and then its next `sleep`
   * sees them. (Without this, the end of a loop turn woke a reader that had already handled the
   * turn's lone message and slept, for nothing.)
   */
  wake(): boolean {
    const h = this.h;
    if (this.published === this.looked) return false;
    this.looked = this.published;
    if (Atomics.load(h, STATE) !== ASLEEP || Atomics.compareExchange(h, STATE, ASLEEP, AWAKE) !== ASLEEP) return false;
    this.wakes++;
    return true;
  }

  /**
   * Waits until the reader frees space: returns false when there is room already (write now),
   * else calls `onSpace` once the reader has taken records (or is gone).
   */
  waitForSpace(onSpace: () => void): boolean {
    const h = this.h;
    Atomics.store(h, SPACE, WAITING);
    if (this.roomy() || this.readerClosed) {
      Atomics.store(h, SPACE, IDLE);
      return false;
    }
    const res = waitAsync(h, SPACE, WAITING);
    if (!res.async) return false;
    void res.value.then(onSpace);
    return true;
  }

  /** Writes the writer's counters (once per loop turn): messages sent by port since, and held. */
  counts(spilled: number, backlog: number): void {
    const h = this.h;
    const queued = (this.published - this.r) >>> 0;
    if (queued > this.highWater) h[HIGH_WATER] = this.highWater = queued;
    // Only what changed: most turns of a busy channel change SENT, and nothing else.
    if (this.sent !== this.shown[0]) h[SENT] = this.shown[0] = this.sent;
    if (this.wakes !== this.shown[1]) h[WAKES] = this.shown[1] = this.wakes;
    if (this.full !== this.shown[2]) h[FULL] = this.shown[2] = this.full;
    if (backlog !== this.shown[3]) h[BACKLOG] = this.shown[3] = backlog;
    if (spilled !== 0) h[SPILLED] = this.spilled = (this.spilled + spilled) >>> 0;
  }
}

/**
 * The reading end: one per ring, on the receiving group's thread. A drain takes every published
 * record at once: one copy into a buffer of its own (`RingBatch`), and the space goes back to the
 * writer at once. Messages keep views into that copy (their small buffers are not copied again),
 * and nothing in the ring is read twice or from two threads' caches for long.
 */
export class RingReader {
  private readonly bytes: Uint8Array;
  private readonly h: Int32Array;
  private readonly cap: number;
  private readonly mask: number;
  private r: number;
  private taken: number;
  private drains: number;
  private maxBatch: number;
  private looks: number;
  /** Where batches are copied: the rest of one larger buffer, a new one when it is used up. */
  private arena = new Uint8Array(0);
  private arena32 = new Int32Array(0);
  /** The ring's bytes as words (records are 4-aligned). */
  private readonly ring32: Int32Array;
  private arenaUsed = 0;
  /** The one batch cursor, pointed at each take's records (the caller is done with the last). */
  private readonly batch: RingBatch;

  constructor(sab: SharedArrayBuffer) {
    const h = (this.h = new Int32Array(sab, 0, HEADER_SLOTS));
    this.cap = h[CAPACITY];
    this.mask = this.cap - 1;
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, this.cap);
    this.ring32 = new Int32Array(sab, RING_HEADER_BYTES, this.cap >> 2);
    this.r = Atomics.load(h, READ) >>> 0;
    this.taken = Atomics.load(h, TAKEN) >>> 0;
    this.drains = Atomics.load(h, DRAINS) >>> 0;
    this.maxBatch = Atomics.load(h, MAX_BATCH) >>> 0;
    this.looks = Atomics.load(h, LOOKS) >>> 0;
    this.batch = new RingBatch(this.cap);
  }

  /** Closed (by this side, the host, or a corrupt record): a plain load, as `readerClosed`. */
  get closed(): boolean {
    return this.h[STATE] === CLOSED;
  }

  /**
   * Copies every published record out of the ring and gives their space back (waking the writer
   * if it waits for space); null when nothing is published. The batch returned is the reader's
   * one cursor: valid until the next `take`.
   */
  take(): RingBatch | null {
    const h = this.h;
    h[LOOKS] = this.looks = (this.looks + 1) | 0;
    const known = Atomics.load(h, WRITE) >>> 0;
    const n = (known - this.r) >>> 0;
    if (n === 0) return null;
    const off = this.r & this.mask;
    // The copy starts at the ring offset's place in a word (both are 4-aligned; this keeps them
    // congruent mod 8): copying from a SharedArrayBuffer, TypedArray#set goes word by word only
    // between buffers so aligned, byte by byte otherwise (V8's relaxed memmove), and the
    // inline buffers the writer aligned in the ring stay aligned in the copy.
    let at = this.arenaUsed + (off & 7);
    // Messages keep views into the copy, so an arena is never reused, only left to the GC once
    // full: one allocation per ARENA_BYTES of traffic rather than one per drain.
    if (at + n > this.arena.length) {
      // Not zeroed (only what a take copied in is ever read): a calloc of 256 KiB was ~2% of a
      // forwarder thread on the per-stage chain.
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, n + 8));
      this.arena32 = new Int32Array(this.arena.buffer, this.arena.byteOffset, this.arena.length >> 2);
      at = off & 7;
    }
    this.arenaUsed = (at + n + 7) & ~7;
    const first = Math.min(n, this.cap - off);
    this.copyOut(off, at, first);
    if (first < n) this.copyOut(0, at + first, n - first);
    const batch = this.batch;
    batch.reset(this.arena, at, at + n, off);
    this.r = known;
    Atomics.store(h, READ, known);
    if (Atomics.load(h, SPACE) === WAITING && Atomics.compareExchange(h, SPACE, WAITING, IDLE) === WAITING) Atomics.notify(h, SPACE, 1);
    return batch;
  }

  /**
   * Copies `n` bytes (a multiple of 4) at ring offset `from` to arena offset `to` (both
   * 4-aligned): a few records word by word (a view and TypedArray#set cost more than the copy of
   * a lone cmd), more with one view and TypedArray#set.
   */
  private copyOut(from: number, to: number, n: number): void {
    if (n <= SMALL_COPY) {
      const src = this.ring32;
      const dst = this.arena32;
      for (let i = from >> 2, j = to >> 2, end = (from + n) >> 2; i < end; i++, j++) dst[j] = src[i];
      return;
    }
    const ring = this.bytes;
    this.arena.set(new Uint8Array(ring.buffer, ring.byteOffset + from, n), to);
  }

  /** Counts a drain that handed on `msgs` messages. */
  counted(msgs: number): void {
    if (msgs === 0) return;
    const h = this.h;
    h[TAKEN] = this.taken = (this.taken + msgs) >>> 0;
    h[DRAINS] = this.drains = (this.drains + 1) >>> 0;
    if (msgs > this.maxBatch) h[MAX_BATCH] = this.maxBatch = msgs;
  }

  /**
   * Goes to sleep until the writer publishes: returns false when there is something to read
   * already (stay awake and drain), else true: the writer that finds the reader asleep will wake
   * its thread (by port). Closed: true, and nothing will wake it.
   */
  sleep(): boolean {
    const h = this.h;
    if (Atomics.compareExchange(h, STATE, AWAKE, ASLEEP) === CLOSED) return true;
    if ((Atomics.load(h, WRITE) >>> 0) !== this.r) {
      Atomics.compareExchange(h, STATE, ASLEEP, AWAKE);
      return false;
    }
    return true;
  }

  /** Marks the reader gone: writers get false from now on, and a writer waiting for space returns. */
  close(): void {
    closeRing(this.h.buffer as SharedArrayBuffer);
  }
}

/**
 * Records taken from a ring, copied into an arena: `[from, to)` of `bytes` holds the ring's bytes
 * from the read position, unwrapped (arena offset `from + i` is ring offset `base + i`, modulo the
 * ring's size). `next` walks them.
 */
export class RingBatch {
  bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.bytes.buffer);
  private readonly cap: number;
  /** Ring offset of `bytes[from]` (a WRAP record runs to the ring's end). */
  private base = 0;
  private from = 0;
  private to = 0;
  private pos = 0;
  /** The body of the record `next` found. */
  start = 0;
  end = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  /** Points the cursor at `[from, to)` of `bytes` (an arena: its view is made once per arena). */
  reset(bytes: Uint8Array, from: number, to: number, base: number): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.from = this.pos = from;
    this.to = to;
    this.base = base;
  }

  /**
   * The op of the next record (its body is at `[start, end)` of `bytes`), or `EMPTY` at the end.
   * Throws when a head is not a record's (its writer is defective).
   */
  next(): number {
    const n = this.to;
    for (;;) {
      const pos = this.pos;
      if (pos >= n) return EMPTY;
      const head = this.dv.getUint32(pos, true);
      const op = head & 3;
      const len = head >>> 2;
      if (op === OP_WRAP && len === 0) {
        // The rest of the ring up to its end, which may hold any stale bytes.
        this.pos = pos + this.cap - ((this.base + pos - this.from) & (this.cap - 1));
        if (this.pos > n) break;
        continue;
      }
      if (op === OP_WRAP || op > OP_RESUME || pos + 4 + len > n) break;
      this.start = pos + 4;
      this.end = pos + 4 + len;
      this.pos = pos + 4 + align4(len);
      return op;
    }
    throw new Error(`Corrupt ring record at ${this.pos - this.from} of a ${n - this.from}-byte batch.`);
  }

  /** The port batch count of the RESUME record `next` found. */
  resumeAfter(): number {
    return this.dv.getUint32(this.start, true);
  }

  /** Goes back to the record `next` found last (a RESUME marker not met yet). */
  again(): void {
    this.pos = this.start - 4;
  }
}
