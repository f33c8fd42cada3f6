/**
 * Flow control of what the host thread forwards to an extension group from outside the graph
 * (clients' and other apps' messages read on the host: docs/protocol.md, "Robustness"). The
 * host counts what it posts to the group, the group counts what its runloop has taken, both in
 * one small shared array; the host stops reading the connections that feed a group past a
 * high-water mark and reads them again once the group is below a low-water mark, which the
 * group tells it with one message. Counts are int32 that wrap: every comparison is on
 * differences (`(a - b) | 0`), which stay small.
 *
 * The group acknowledges per posted batch, not per message: one pre-bound task at the tail of
 * its runloop at a time, which records how far the runloop had got when it was queued.
 */

/** Messages the host posted (cumulative, wrapping). */
export const FLOW_POSTED = 0;
export const FLOW_POSTED_BYTES = 1;
/** Messages the group's runloop has taken (cumulative, wrapping; always at a batch boundary). */
export const FLOW_TAKEN = 2;
export const FLOW_TAKEN_BYTES = 3;
/** 1 while the host waits for the group to get below the low-water mark (it paused a reader). */
export const FLOW_WAITING = 4;
/** The low-water mark: the group says so once what is not taken is at most this. */
export const FLOW_LOW = 5;
export const FLOW_LOW_BYTES = 6;
export const FLOW_SLOTS = 8;

/** The group's side: counts what the host posted as it is queued, acknowledges once taken. */
export class InflowAck {
  private queued = 0;
  private queuedBytes = 0;
  private ackAt = 0;
  private ackBytes = 0;
  private armed = false;
  private readonly ackBound = (): void => this.ack();

  /**
   * @param c the shared counters (FLOW_*)
   * @param loop the group's runloop
   * @param drained tells the host that the group is below the low-water mark (it waits for it)
   */
  constructor(
    private readonly c: Int32Array,
    private readonly loop: { postTaskTail(task: () => void): boolean },
    private readonly drained: () => void,
  ) {}

  /** `n` messages (`bytes` of buffers) the host posted were appended to the runloop. */
  add(n: number, bytes: number): void {
    this.queued = (this.queued + n) | 0;
    this.queuedBytes = (this.queuedBytes + bytes) | 0;
    if (!this.armed) this.arm();
  }

  private arm(): void {
    this.ackAt = this.queued;
    this.ackBytes = this.queuedBytes;
    this.armed = this.loop.postTaskTail(this.ackBound);
  }

  private ack(): void {
    this.armed = false;
    const c = this.c;
    Atomics.store(c, FLOW_TAKEN_BYTES, this.ackBytes);
    Atomics.store(c, FLOW_TAKEN, this.ackAt);
    if (Atomics.load(c, FLOW_WAITING) !== 0) {
      const msgs = (Atomics.load(c, FLOW_POSTED) - this.ackAt) | 0;
      const bytes = (Atomics.load(c, FLOW_POSTED_BYTES) - this.ackBytes) | 0;
      if (msgs <= c[FLOW_LOW]! && bytes <= c[FLOW_LOW_BYTES]! && Atomics.compareExchange(c, FLOW_WAITING, 1, 0) === 1) this.drained();
    }
    if (this.queued !== this.ackAt) this.arm();
  }
}

/**
 * Where the messages the host forwards to a group came from (a connection read on the host, or
 * on the group thread its socket moved to):
 * paused while a group it feeds is past the high-water mark, closed past the hard limit when
 * its reading cannot pause, and told what was lost.
 */
export interface InboundSource {
  /** Whether the host can stop reading it (read on the host thread, or on a group's that holds it when asked; not while moving). */
  readonly pausable: boolean;
  /** Stop reading (counted: one hold per group waiting). */
  hold(): void;
  /** One group that held it is below its low-water mark again. */
  release(): void;
  /** Messages from it that were lost (their group's thread ended before taking them). */
  dropped(n: number): void;
  /** It pushed past a hard limit: closed, with `text` as the located error. */
  overflow(text: string): void;
  /** `#id (uri, peer)`, for the error text. */
  readonly label: string;
}

/** The limits of what the host forwards to one group (part of `TransportLimits`). */
export interface InflowLimits {
  /** Messages / bytes posted to a group and not taken yet, past which the host stops reading the connections that feed it. */
  inboundPauseMsgs: number;
  inboundPauseBytes: number;
  /** Past these, a connection whose reading cannot pause is closed (and one holding this much while its graph starts). */
  inboundCloseMsgs: number;
  inboundCloseBytes: number;
}

/** A byte count as a person reads it. */
export function byteSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
}
