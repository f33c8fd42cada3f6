/**
 * One runloop per thread (TEN `ten_runloop_t`). Producers append tasks or messages; the first
 * append to an empty queue arms a single wake (`setImmediate`), so any number of appends between
 * two loop turns costs one wake — like `uv_async_send`. On wake the loop swaps the whole queue out
 * and runs the batch, so work appended while draining waits for the next wake instead of
 * starving IO.
 *
 * Cross-thread producers never touch this queue directly: they write to a shared-memory ring
 * (routing/ring.ts) or post to a MessagePort, and the reading side appends a task (or the batch)
 * here on the owner thread.
 *
 * Counters are plain numbers updated per drain (not per message) and read by sampling.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';

export type Task = () => void;

/** Snapshot of a runloop's counters. */
export interface RunloopCounters {
  runloopId: string;
  threadId: number;
  /** Entries queued right now. */
  depth: number;
  /** Highest depth seen. */
  highWater: number;
  /** Number of drains (wakes that found work). */
  drains: number;
  /** Largest batch drained at once. */
  maxBatch: number;
  /** Entries run (tasks plus messages). */
  tasksRun: number;
  /** Milliseconds spent running batches. */
  busyMs: number;
  /** Wake requests that found a wake already armed (coalesced). */
  coalescedWakes: number;
}

let nextId = 0;

export class Runloop<M> {
  readonly id: string;
  readonly threadId = threadId;
  private queue: (Task | M)[] = [];
  /** The queue drained last, emptied: the next drain swaps it in (no array per turn). */
  private spare: (Task | M)[] = [];
  /** The one-task batch of `runOrPost` (never nested: it runs only while no batch runs). */
  private readonly one: (Task | M)[] = [];
  private armed = false;
  /** The armed wake, kept so that closing cancels it (a closed loop leaves nothing pending). */
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  /** A batch is running (`runOrPost` must not nest a task in it). */
  private running = false;
  /** Between `beginIo` and `endIo`: appends arm no wake, `endIo` runs or wakes for them. */
  private inIo = false;
  private highWater = 0;
  private drains = 0;
  private maxBatch = 0;
  private tasksRun = 0;
  private busyMs = 0;
  private coalescedWakes = 0;
  private readonly onMsg: (m: M) => void;
  private readonly onError: (e: unknown) => void;
  private readonly drainBound = (): void => this.drain();

  /**
   * @param onMsg handles one message entry (anything that is not a function).
   * @param onError receives exceptions thrown by a task or handler; the loop keeps running.
   */
  constructor(name: string, onMsg: (m: M) => void, onError: (e: unknown) => void) {
    this.id = `${name}#${threadId}.${nextId++}`;
    this.onMsg = onMsg;
    this.onError = onError;
  }

  /** Appends a task to the tail; runs on a later turn of this loop. */
  postTaskTail(task: Task): boolean {
    return this.push(task);
  }

  /**
   * Runs `task` at once, as a batch of its own, when the loop is idle (nothing queued, no batch
   * running): for a callback of the thread's event loop that would otherwise append the task and
   * wake the loop only to run it next (a ring's reader woken by port: routing/ring_inbox.ts),
   * which costs a `setImmediate` per wake. Else appends it like `postTaskTail`.
   */
  runOrPost(task: Task): boolean {
    if (this.closed) return false;
    if (this.queue.length !== 0 || this.running) return this.push(task);
    const one = this.one;
    one[0] = task;
    this.run(one);
    one.length = 0;
    return true;
  }

  /**
   * For a callback of the thread's event loop that may append entries (a frame from a Python
   * process: results and messages for extensions of this thread), when the loop is idle: until
   * `endIo`, appends arm no wake. False (and nothing changes) when the loop is not idle or a wake
   * is armed already; then the appends go as usual.
   */
  beginIo(): boolean {
    if (!this.idle || this.armed || this.inIo) return false;
    this.inIo = true;
    return true;
  }

  /**
   * Ends what `beginIo` began. `runNow`: what the callback appended runs now, as one batch (it
   * would have run on the next check phase, with nothing of this thread in between: the
   * callback's caller must know that no promise it settled is still to continue), saving the
   * `setImmediate` and the extra poll of the event loop that a wake costs; else a wake is armed
   * for it as an append would have.
   */
  endIo(runNow: boolean): void {
    this.inIo = false;
    if (this.queue.length === 0 || this.closed) return;
    if (runNow) this.drain();
    else this.wake();
  }

  /** Appends one message. */
  postMsg(m: M): boolean {
    return this.push(m);
  }

  /** Appends a batch received from another thread, keeping its order. */
  postMsgs(batch: readonly M[]): boolean {
    if (this.closed) return false;
    for (let i = 0; i < batch.length; i++) this.queue.push(batch[i]);
    if (this.queue.length > this.highWater) this.highWater = this.queue.length;
    this.wake();
    return true;
  }

  /** Stops accepting work; queued entries are dropped and the armed wake is cancelled. */
  close(): void {
    this.closed = true;
    this.queue = [];
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    this.armed = false;
  }

  /** Batches run so far: a new value is a new turn of this loop. */
  get turns(): number {
    return this.drains;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Nothing is waiting: no entry queued, no batch running, and the loop is open. An entry
   * handled at once now would be handled in the same order as if it had been posted.
   */
  get idle(): boolean {
    return this.queue.length === 0 && !this.running && !this.closed;
  }

  counters(): RunloopCounters {
    return {
      runloopId: this.id,
      threadId: this.threadId,
      depth: this.queue.length,
      highWater: this.highWater,
      drains: this.drains,
      maxBatch: this.maxBatch,
      tasksRun: this.tasksRun,
      busyMs: this.busyMs,
      coalescedWakes: this.coalescedWakes,
    };
  }

  private push(entry: Task | M): boolean {
    if (this.closed) return false;
    this.queue.push(entry);
    if (this.queue.length > this.highWater) this.highWater = this.queue.length;
    this.wake();
    return true;
  }

  private wake(): void {
    if (this.inIo) return;
    if (this.armed) {
      this.coalescedWakes++;
      return;
    }
    this.armed = true;
    this.immediate = setImmediate(this.drainBound);
  }

  private drain(): void {
    this.armed = false;
    this.immediate = null;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = this.spare;
    this.run(batch);
    batch.length = 0;
    this.spare = batch;
  }

  private run(batch: (Task | M)[]): void {
    const n = batch.length;
    if (n > this.maxBatch) this.maxBatch = n;
    this.drains++;
    this.running = true;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (this.closed) break;
      const e = batch[i];
      try {
        if (typeof e === 'function') (e as Task)();
        else this.onMsg(e as M);
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = false;
    this.tasksRun += n;
    this.busyMs += performance.now() - t0;
  }
}
