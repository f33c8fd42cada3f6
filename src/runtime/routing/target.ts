/**
 * The one interface the router hands messages to. Whatever receives a message sent in a group's
 * thread is one of these: an extension of this thread (the thread's runloop), another group of
 * the graph (its outbox), the host thread (another graph, the App's own cmds), another app (TEN
 * wire frames for the host to write to that app's connection, protocol/group_links.ts), or the
 * thread's timers (`ten:timer`). The router decides which; a target only carries.
 */
import type { Runloop } from '../core/runloop';
import type { WireMsg } from '../core/wire';

export type TargetKind = 'local' | 'peer' | 'host' | 'timers' | 'remote';

export interface MsgTarget {
  readonly kind: TargetKind;
  /**
   * Takes one message addressed to a receiver behind this target (`dests[0]`). Never runs a
   * handler before returning. False when the target is gone (its thread ended, its loop closed).
   */
  deliver(w: WireMsg): boolean;
}

/**
 * Extensions of this thread: the message is appended to the thread's runloop and handled on a
 * later turn, so no handler runs inside a send or `returnResult` (TEN's Node.js binding posts
 * every call into JS the same way). One queue per thread keeps FIFO per path.
 *
 * `atOnce` may take a message while the runloop is idle (nothing queued, no batch running, so
 * the order is the one the runloop would keep): for receivers whose handlers do not run in this
 * thread (a Python extension: its runtime checks, counts and appends a record for its process),
 * which saves a loop turn per message. It returns false to leave the message to the runloop.
 */
export class LocalTarget implements MsgTarget {
  readonly kind = 'local';
  private readonly loop: Runloop<WireMsg>;
  private readonly atOnce: ((w: WireMsg) => boolean) | null;

  constructor(loop: Runloop<WireMsg>, atOnce: ((w: WireMsg) => boolean) | null = null) {
    this.loop = loop;
    this.atOnce = atOnce;
  }

  deliver(w: WireMsg): boolean {
    if (this.atOnce !== null && this.loop.idle && this.atOnce(w)) return true;
    return this.loop.postMsg(w);
  }
}

/** A target made of one function (the host link and the timers of a group). */
export class FnTarget implements MsgTarget {
  readonly kind: TargetKind;
  private readonly fn: (w: WireMsg) => boolean;

  constructor(kind: TargetKind, fn: (w: WireMsg) => boolean) {
    this.kind = kind;
    this.fn = fn;
  }

  deliver(w: WireMsg): boolean {
    return this.fn(w);
  }
}
