/**
 * The receiving end of a ring channel (routing/ring_outbox.ts is the sending end) on a group's
 * thread: reads the ring and the channel's MessagePort in the writer's order and hands every
 * message to the group, one runloop task per drain.
 *
 * Woken by the writer (a wake is not a message: one `RING_WAKE` on the port for a reader that
 * sleeps, routing/ring.ts), a drain takes every record published so far —
 * the batch, copied out of the ring at once, its space given back — and handles it; then, with
 * the ring empty, the reader sleeps again (`RingReader.sleep`). A RESUME marker whose port
 * batches have not all been handled stops the drain (the rest of the batch waits here); the port
 * batch that completes it continues it, and the drain that handles that rest takes the records
 * published meanwhile with it, so that a later port batch never overtakes them.
 */
import { RingFormatError, type RingDecoder } from '../core/ring_codec';
import type { Runloop } from '../core/runloop';
import type { WireMsg } from '../core/wire';
import { EMPTY, OP_MSG, RING_WAKE, type RingBatch, type RingReader } from './ring';

export interface InboxHost {
  /** Handles one arrived message (the group's `onInbound`). */
  deliver(w: WireMsg): void;
  /** A port batch of this channel, decoded. */
  decodePort(batch: unknown[]): WireMsg[];
  /** Reports an exception of a handler, or a record that cannot be read. */
  error(e: unknown): void;
}

export class RingInbox {
  private readonly reader: RingReader;
  private readonly decoder: RingDecoder;
  private readonly loop: Runloop<WireMsg>;
  private readonly host: InboxHost;
  /** Port batches handled. */
  private portSeen = 0;
  /** Stopped at a RESUME marker that needs this many port batches (0: not stopped). */
  private blockedOn = 0;
  /** The batch being handled (the rest of it waits here while a marker is not met). */
  private batch: RingBatch | null = null;
  private scheduled = false;
  private sleeping = false;
  private broken = false;
  private readonly drainTask = (): void => {
    this.scheduled = false;
    this.drain();
    this.rest();
  };

  constructor(reader: RingReader, decoder: RingDecoder, loop: Runloop<WireMsg>, host: InboxHost) {
    this.reader = reader;
    this.decoder = decoder;
    this.loop = loop;
    this.host = host;
  }

  /** Starts reading (the first wake may already be due). */
  start(): void {
    this.rest();
  }

  /** A message on the channel's port: the writer's wake, or a batch (see `portBatch`). */
  portMessage(m: unknown): void {
    if (m === RING_WAKE) this.woken();
    else this.portBatch(m as unknown[]);
  }

  /**
   * The writer found the reader asleep and woke it: the drain runs at once when the loop is idle
   * (the port's callback is a turn of its own), else behind what the loop has queued.
   */
  private woken(): void {
    this.sleeping = false;
    if (this.reader.closed || this.scheduled) return;
    this.scheduled = true;
    this.loop.runOrPost(this.drainTask);
  }

  /** A batch arrived on the channel's port: handled after the ring records written before it. */
  portBatch(batch: unknown[]): void {
    this.loop.postTaskTail(() => {
      this.drain();
      const msgs = this.host.decodePort(batch);
      for (let i = 0; i < msgs.length; i++) this.handle(msgs[i]);
      this.portSeen++;
      if (this.blockedOn !== 0 && this.portSeen >= this.blockedOn) {
        this.blockedOn = 0;
        this.schedule();
      }
    });
  }

  /** The writer's thread ended: what it published is still read, then the ring is closed. */
  writerGone(): void {
    this.loop.postTaskTail(() => {
      this.drain();
      this.close();
    });
  }

  /** This group is closing: writers are told at once (their sends fail as to a terminated extension). */
  close(): void {
    this.reader.close();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.loop.postTaskTail(this.drainTask);
  }

  /** After a drain: sleep until the next wake, or drain again if records came meanwhile. */
  private rest(): void {
    if (this.blockedOn !== 0 || this.sleeping || this.broken) return;
    if (this.reader.sleep()) this.sleeping = true;
    else if (!this.reader.closed) this.schedule();
  }

  /**
   * Handles the rest of the batch in hand and then every record published since, or else every
   * record published now, up to an unmet RESUME marker. The records published since count too: a
   * port batch handled right after this drain (port batches that arrive together run back to
   * back, before the drain the first one schedules) may have been posted after them.
   */
  private drain(): void {
    if (this.blockedOn !== 0 || this.broken) return;
    const reader = this.reader;
    let n = 0;
    try {
      let rest = this.batch;
      this.batch = null;
      let batch = rest ?? reader.take();
      while (batch !== null) {
        this.decoder.use(batch.bytes);
        for (;;) {
          const op = batch.next();
          if (op === EMPTY) break;
          if (op === OP_MSG) {
            let w: WireMsg | null = null;
            try {
              w = this.decoder.decode(batch.start, batch.end);
            } catch (e) {
              if (!(e instanceof RingFormatError)) throw e;
              this.host.error(e);
            }
            n++;
            if (w !== null) this.handle(w);
            continue;
          }
          const need = batch.resumeAfter();
          if (need > this.portSeen) {
            batch.again();
            this.batch = batch;
            this.blockedOn = need;
            break;
          }
        }
        if (this.blockedOn !== 0 || rest === null) break;
        rest = null;
        batch = reader.take();
      }
    } catch (e) {
      // A record head that is not one: nothing after it can be found. Reported once; the
      // channel is closed so the writer's sends fail instead of vanishing.
      this.broken = true;
      this.batch = null;
      this.host.error(e);
      reader.close();
    }
    reader.counted(n);
  }

  private handle(w: WireMsg): void {
    try {
      this.host.deliver(w);
    } catch (e) {
      this.host.error(e);
    }
  }
}
