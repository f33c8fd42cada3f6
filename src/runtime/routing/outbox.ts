/**
 * A group's channel to one other group of its graph (TEN: the other extension thread's
 * `in_msgs`): messages are batched in the flat peer encoding and posted once per loop turn, or at
 * once when the batch is big. FIFO per channel, so FIFO per path.
 */
import type { MessagePort } from 'node:worker_threads';
import { PeerEncoder, type PeerIndex, type WireMsg } from '../core/wire';
import type { MsgTarget } from './target';

/**
 * Values after which an outbox posts at once (~1000 data messages): a sender looping without
 * yielding still feeds the next group while it runs, and batches stay small enough for the
 * young generation instead of piling up a whole burst in one array.
 */
const OUTBOX_FLUSH_VALUES = 8192;
/** Packed buffer bytes after which an outbox posts at once (frames up to PACK_MAX_BYTES). */
const OUTBOX_FLUSH_BYTES = 1 << 20;

export class Outbox implements MsgTarget {
  readonly kind = 'peer';
  readonly port: MessagePort;
  closed = false;
  /** Batches posted so far (a ring channel's FIFO markers count them: routing/ring_outbox.ts). */
  posted = 0;
  private readonly encoder: PeerEncoder;
  /** Called when the box holds a batch to post at the end of this loop turn. */
  private readonly dirty: (box: Outbox) => void;

  constructor(port: MessagePort, index: PeerIndex, dirty: (box: Outbox) => void) {
    this.port = port;
    this.encoder = new PeerEncoder(index);
    this.dirty = dirty;
  }

  /**
   * Large frame buffers go in the transfer list with no duplicate check here: scanning the list
   * per message made a batch quadratic (see flush).
   */
  deliver(w: WireMsg): boolean {
    if (this.closed) return false;
    const e = this.encoder;
    e.encode(w);
    if (e.size >= OUTBOX_FLUSH_VALUES || e.packedBytes >= OUTBOX_FLUSH_BYTES) this.flush();
    else this.dirty(this);
    return true;
  }

  flush(): void {
    const taken = this.encoder.take();
    if (taken === null) return;
    const { values: batch, transfer } = taken;
    try {
      this.port.postMessage(batch, transfer);
    } catch (e) {
      // Two messages of the batch share one buffer (unlockBuf with the same ArrayBuffer): the
      // port refuses duplicates before sending anything, so post again with each buffer once.
      if (!(e instanceof Error && e.name === 'DataCloneError')) throw e;
      this.port.postMessage(batch, [...new Set(transfer)]);
    }
    this.posted++;
  }
}
