/**
 * The host's side of the flow control of one extension group's inbound messages (core/inflow.ts,
 * docs/protocol.md "Robustness"): what the host posted and the group has not taken yet, the
 * connections it stopped reading for it, and what is lost if the group's thread ends.
 */
import {
  FLOW_LOW,
  FLOW_LOW_BYTES,
  FLOW_POSTED,
  FLOW_POSTED_BYTES,
  FLOW_SLOTS,
  FLOW_TAKEN,
  FLOW_TAKEN_BYTES,
  FLOW_WAITING,
  byteSize,
  type InboundSource,
  type InflowLimits,
} from '../core/inflow';

/** A post with data-like messages, until the group has taken it. */
interface DataPost {
  src: InboundSource;
  /** FLOW_POSTED after it. */
  end: number;
  data: number;
}

const MAX_I32 = 2 ** 31 - 1;

export class GroupInflow {
  readonly sab = new SharedArrayBuffer(FLOW_SLOTS * 4);
  private readonly c = new Int32Array(this.sab);
  private readonly pauseMsgs: number;
  private readonly pauseBytes: number;
  private readonly closeMsgs: number;
  private readonly closeBytes: number;
  private posted = 0;
  private postedBytes = 0;
  /** Posts with data in them not known to be taken, oldest first (from `head`). */
  private dataPosts: DataPost[] = [];
  private head = 0;
  /** Connections not read while this group is past its high-water mark. */
  private readonly waiting = new Set<InboundSource>();
  /** Highest backlog seen (messages), for samples. */
  private highWater = 0;

  /** `label`: `extension group 'g' of graph 'x'`, for error texts. */
  constructor(
    limits: InflowLimits,
    private readonly label: string,
  ) {
    this.pauseMsgs = Math.min(limits.inboundPauseMsgs, MAX_I32);
    this.pauseBytes = Math.min(limits.inboundPauseBytes, MAX_I32);
    this.closeMsgs = Math.min(limits.inboundCloseMsgs, MAX_I32);
    this.closeBytes = Math.min(limits.inboundCloseBytes, MAX_I32);
    this.c[FLOW_LOW] = this.pauseMsgs >> 1;
    this.c[FLOW_LOW_BYTES] = this.pauseBytes >> 1;
  }

  /** Posted and not taken yet: messages and bytes. */
  get backlogMsgs(): number {
    return (this.posted - Atomics.load(this.c, FLOW_TAKEN)) | 0;
  }

  get backlogBytes(): number {
    return (this.postedBytes - Atomics.load(this.c, FLOW_TAKEN_BYTES)) | 0;
  }

  /** For samples: the backlog, its highest, and how many connections wait for this group. */
  sample(): { msgs: number; bytes: number; highWater: number; pausedReaders: number } {
    return { msgs: this.backlogMsgs, bytes: this.backlogBytes, highWater: this.highWater, pausedReaders: this.waiting.size };
  }

  /**
   * `n` messages from `src` (`data` of them data-like, `bytes` of buffers) were posted to the
   * group. Past the high-water mark `src` stops being read; one that cannot be paused is
   * closed past the hard limit.
   */
  add(src: InboundSource, n: number, data: number, bytes: number): void {
    const c = this.c;
    this.posted = (this.posted + n) | 0;
    this.postedBytes = (this.postedBytes + bytes) | 0;
    Atomics.store(c, FLOW_POSTED_BYTES, this.postedBytes);
    Atomics.store(c, FLOW_POSTED, this.posted);
    const taken = Atomics.load(c, FLOW_TAKEN);
    this.forgetTaken(taken);
    if (data > 0) this.dataPosts.push({ src, end: this.posted, data });
    const msgs = (this.posted - taken) | 0;
    const held = (this.postedBytes - Atomics.load(c, FLOW_TAKEN_BYTES)) | 0;
    if (msgs > this.highWater) this.highWater = msgs;
    if (src.pausable) {
      if ((msgs <= this.pauseMsgs && held <= this.pauseBytes) || this.waiting.has(src)) return;
      this.waiting.add(src);
      src.hold();
      Atomics.store(c, FLOW_WAITING, 1);
      // The group may have taken the rest before it saw the flag: then nothing would wake us.
      if (this.belowLow() && Atomics.compareExchange(c, FLOW_WAITING, 1, 0) === 1) this.drained();
      return;
    }
    if (msgs > this.closeMsgs || held > this.closeBytes) {
      src.overflow(
        `${msgs} messages (${byteSize(held)}) that the connection ${src.label} sent to ${this.label} are not taken yet, past the limit of ${this.closeMsgs} messages or ${byteSize(this.closeBytes)} (transportLimits.inboundCloseMsgs, inboundCloseBytes); the connection is closed.`,
      );
    }
  }

  private belowLow(): boolean {
    return this.backlogMsgs <= this.c[FLOW_LOW]! && this.backlogBytes <= this.c[FLOW_LOW_BYTES]!;
  }

  /** Drops the records of posts the group has taken. */
  private forgetTaken(taken: number): void {
    const posts = this.dataPosts;
    while (this.head < posts.length && ((posts[this.head]!.end - taken) | 0) <= 0) this.head++;
    if (this.head === posts.length) {
      posts.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > posts.length) {
      this.dataPosts = posts.slice(this.head);
      this.head = 0;
    }
  }

  /** The group is below its low-water mark: the connections that waited for it are read again. */
  drained(): void {
    if (this.waiting.size === 0) return;
    const srcs = [...this.waiting];
    this.waiting.clear();
    for (const s of srcs) s.release();
  }

  /**
   * The group's thread ended: what it had not taken is lost. Data-like messages are counted as
   * dropped on the connections they came from (cmds are answered by the net); waiting readers
   * are read again (what they send for the group is refused from now on).
   */
  ended(): void {
    const taken = Atomics.load(this.c, FLOW_TAKEN);
    this.forgetTaken(taken);
    for (let i = this.head; i < this.dataPosts.length; i++) {
      const p = this.dataPosts[i]!;
      p.src.dropped(p.data);
    }
    this.dataPosts = [];
    this.head = 0;
    this.drained();
  }
}
