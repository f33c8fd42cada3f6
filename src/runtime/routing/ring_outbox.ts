/**
 * A group's channel to one other group of its graph over a shared-memory ring (routing/ring.ts),
 * with the channel's MessagePort (routing/outbox.ts) beside it for what the ring does not carry:
 * buffers beyond the inline size (they move by transfer, never copied) and properties the compact
 * encoding does not hold.
 *
 * Back-pressure without loss: when the ring is full, messages wait here, in order, as they are
 * (nothing encoded twice), and every later message waits behind them; the reader wakes this
 * thread when it has freed space, and they are written then. The sender never blocks and nothing
 * is dropped; the held count is in the ring's counters (`backlog`).
 *
 * FIFO per channel holds across ring and port: before a message goes by port, everything written
 * to the ring is published; the next message for the ring is preceded by a RESUME marker
 * carrying the number of port batches posted so far, after the port batch so far is posted. The
 * reader (routing/ring_inbox.ts) does not read past a marker before it has handled that many
 * port batches, and handles a port batch only after the ring records before the next unmet
 * marker — exactly the records written before that batch.
 *
 * Wakes: the first message of a runloop turn (or since the last flush) is published at once and
 * wakes the reader if it sleeps (one `RING_WAKE` on the port: routing/ring.ts), so a lone cmd
 * does not wait for the end of the loop turn; and such a lone message leaves nothing for the end
 * of the turn, so the group is not asked to flush for it. The rest of a burst is published every
 * `PUBLISH_EVERY` records and at the end of the turn, when the reader is woken again if it
 * sleeps — at most two wakes per turn, where the MessagePort outbox posted once — and during a
 * long burst every `EARLY_WAKE` messages, so the next group works while this one still sends.
 * Whether the reader is gone is looked at once per turn and after each lone message.
 */
import { RingEncoder } from '../core/ring_codec';
import type { WireMsg } from '../core/wire';
import type { Outbox } from './outbox';
import { NO_ROOM, NOT_COMPACT, RING_WAKE, WRITTEN, type RingWriter } from './ring';
import type { MsgTarget } from './target';

/** Messages written in one loop turn after which a sleeping reader is woken before the turn ends. */
const EARLY_WAKE = 1024;
/** Records written between two publishes (one atomic store) of the write position within a turn. */
const PUBLISH_EVERY = 64;

export class RingOutbox implements MsgTarget {
  readonly kind = 'peer';
  readonly ring: RingWriter;
  readonly port: Outbox;
  /** The last message went by port: the next ring record needs a RESUME marker first. */
  private onPort = false;
  /** Messages waiting for room in the ring, oldest at `head`. */
  private held: WireMsg[] = [];
  private head = 0;
  private waiting = false;
  /** Messages sent by port since the counters were last written. */
  private spilled = 0;
  private unwoken = 0;
  private unpublished = 0;
  /** The runloop turn whose first message woke the reader at once (-1: none since the last flush). */
  private wokeInTurn = -1;
  /** The message `send` just wrote woke the reader at once and left nothing for the end of the turn. */
  private lone = false;
  private armed = false;
  /** The reader was gone at the last look (each loop turn, and when a write fails). */
  private dead = false;
  private readonly dirty: (box: RingOutbox) => void;
  /** The sending thread's runloop: its turn count tells a new turn's first message. */
  private readonly loop: { readonly turns: number };
  private readonly onSpace = (): void => {
    this.waiting = false;
    this.writeHeld();
    this.flush();
  };

  constructor(ring: RingWriter, port: Outbox, loop: { readonly turns: number }, dirty: (box: RingOutbox) => void) {
    this.ring = ring;
    this.port = port;
    this.loop = loop;
    this.dirty = dirty;
  }

  /** The channel's port closed (the other thread ended). */
  get closed(): boolean {
    return this.port.closed;
  }

  deliver(w: WireMsg): boolean {
    if (this.dead || this.port.closed) return false;
    if (this.head < this.held.length) {
      this.held.push(w);
      if (!this.waiting && this.ring.roomy()) this.writeHeld();
    } else {
      this.lone = false;
      if (!this.send(w)) this.held.push(w);
      else if (this.lone) {
        // Woken at once: what the end of the turn would do for it is done here, and the group
        // is not asked to flush (a lone cmd would pay a loop turn of its own for it).
        this.ring.counts(0, 0);
        this.dead = this.ring.readerClosed;
        return true;
      }
    }
    this.arm();
    return true;
  }

  /** End of the loop turn: wakes the reader, posts what went by port, waits for room if held. */
  flush(): void {
    this.armed = false;
    // Each round writes at least one message: `waitForSpace` says there is room only when half
    // the ring is free (ring.ts). The group clears its dirty set after flushing, so nothing here
    // may ask to be flushed again.
    while (this.head < this.held.length && !this.waiting) {
      this.writeHeld();
      if (this.head < this.held.length && this.ring.waitForSpace(this.onSpace)) this.waiting = true;
    }
    this.wake();
    this.wokeInTurn = -1;
    this.port.flush();
    this.ring.counts(this.spilled, this.held.length - this.head);
    this.spilled = 0;
    this.dead = this.ring.readerClosed;
    if (this.dead) {
      // Nobody will read them: the receiver's paths fail through its port's close.
      this.held = [];
      this.head = 0;
    }
  }

  /**
   * This group is closing: what is still held for lack of room goes by port, after everything
   * in the ring (the reader handles a port batch after the ring records written before it), so
   * the receiver still gets what this group's extensions sent before they closed.
   */
  handOver(): void {
    for (let i = this.head; i < this.held.length; i++) this.toPort(this.held[i]);
    this.held = [];
    this.head = 0;
    this.port.flush();
    this.ring.counts(this.spilled, 0);
    this.spilled = 0;
  }

  /** Writes `w` to the ring, or by port; false when the ring is full. */
  private send(w: WireMsg): boolean {
    const ring = this.ring;
    if (!RingEncoder.fits(w)) return this.toPort(w);
    if (this.onPort) {
      // Back to the ring: the port batch so far goes first, then the marker that orders the two.
      this.port.flush();
      if (!ring.writeResume(this.port.posted)) return false;
      this.onPort = false;
    }
    const r = ring.write(w);
    if (r === WRITTEN) {
      // The first message of a runloop turn (or since the last flush) wakes a sleeping reader at
      // once (a lone cmd does not wait for the end of the turn); the rest of a burst is published
      // every PUBLISH_EVERY.
      const turn = this.loop.turns;
      if (this.wokeInTurn !== turn) {
        this.wokeInTurn = turn;
        this.wake();
        this.lone = true;
      } else if (++this.unwoken >= EARLY_WAKE) this.wake();
      else if (++this.unpublished >= PUBLISH_EVERY) {
        this.unpublished = 0;
        ring.publish();
      }
      return true;
    }
    if (r === NO_ROOM) {
      this.dead = ring.readerClosed;
      return false;
    }
    if (r === NOT_COMPACT) return this.toPort(w);
    return false;
  }

  private toPort(w: WireMsg): boolean {
    // Everything before this message must be readable before the port batch that carries it.
    this.ring.publish();
    this.onPort = true;
    this.spilled++;
    // A closed port (the other thread just ended) loses the message as a closed ring would.
    this.port.deliver(w);
    return true;
  }

  /** Writes held messages while the ring takes them. */
  private writeHeld(): void {
    const held = this.held;
    while (this.head < held.length && !this.dead) {
      if (!this.send(held[this.head])) return;
      held[this.head++] = undefined as unknown as WireMsg;
    }
    this.held = [];
    this.head = 0;
  }

  /** Publishes, and wakes the reader's thread by port if the reader sleeps. */
  private wake(): void {
    this.unwoken = 0;
    this.unpublished = 0;
    this.ring.publish();
    if (this.ring.wake() && !this.port.closed) this.port.port.postMessage(RING_WAKE);
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.dirty(this);
  }
}
