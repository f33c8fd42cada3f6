/**
 * The channels between the groups of one graph: which pairs of groups get shared-memory rings
 * (the engine's side), and one group's end of a channel (the group's side): a ring in each
 * direction beside the pair's MessagePort, or the MessagePort alone.
 */
import type { MessagePort } from 'node:worker_threads';
import { RingDecoder } from '../core/ring_codec';
import type { RingPair, RouteDest } from '../core/protocol';
import type { Runloop } from '../core/runloop';
import { decodePeer, type PeerIndex, type SharedLoc, type WireMsg } from '../core/wire';
import { Outbox } from './outbox';
import { createRing, RingReader, RingWriter } from './ring';
import { RingInbox } from './ring_inbox';
import { RingOutbox } from './ring_outbox';
import type { MsgTarget } from './target';

/** A ring the host samples: written by `from`'s thread, read by `to`'s. */
export interface PlannedRing {
  from: string;
  to: string;
  sab: SharedArrayBuffer;
}

/**
 * Rings for every pair of groups that a flow of the graph connects (both directions: results go
 * back the other way), `bytes` each; other pairs talk only through their MessagePort (messages
 * with explicit destinations between groups the graph does not connect). Returns each group's
 * pairs and the list of rings.
 */
export function planRings(
  groupOf: Readonly<Record<string, string>>,
  routes: Readonly<Record<string, RouteDest[]>>,
  bytes: number,
): { byGroup: Map<string, Record<string, RingPair>>; rings: PlannedRing[] } {
  const byGroup = new Map<string, Record<string, RingPair>>();
  const rings: PlannedRing[] = [];
  if (bytes <= 0) return { byGroup, rings };
  const paired = new Set<string>();
  for (const [key, dests] of Object.entries(routes)) {
    const src = key.split('\u0000')[1];
    const a = groupOf[src];
    for (const d of dests) {
      const b = groupOf[d.ext];
      if (a === undefined || b === undefined || a === b) continue;
      const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
      if (paired.has(pair)) continue;
      paired.add(pair);
      const ab = createRing(bytes);
      const ba = createRing(bytes);
      rings.push({ from: a, to: b, sab: ab }, { from: b, to: a, sab: ba });
      if (!byGroup.has(a)) byGroup.set(a, {});
      if (!byGroup.has(b)) byGroup.set(b, {});
      byGroup.get(a)![b] = { tx: ab, rx: ba };
      byGroup.get(b)![a] = { tx: ba, rx: ab };
    }
  }
  return { byGroup, rings };
}

/** Something the group flushes at the end of a loop turn. */
export interface Flushable {
  readonly closed: boolean;
  flush(): void;
}

export interface ChannelOptions {
  port: MessagePort;
  ring: RingPair | undefined;
  index: PeerIndex;
  appUri: string;
  graphId: string;
  locOf: (ext: string) => SharedLoc;
  loop: Runloop<WireMsg>;
  /** Hands an arrived message to the group. */
  deliver: (w: WireMsg) => void;
  /** Reports an exception of a handler run for an arrived message, or an unreadable record. */
  error: (e: unknown) => void;
  /** The target has something to flush at the end of this loop turn. */
  dirty: (box: Flushable) => void;
  /** The other group's thread ended (its port closed). */
  peerClosed: () => void;
}

/** One group's end of the channel to another group. */
export interface PeerChannel {
  readonly target: MsgTarget;
  /** Resolves when the port has closed. */
  readonly closedPort: Promise<void>;
  /** The port has closed. */
  readonly portClosed: boolean;
  /** This group is closing. */
  close(): void;
}

export function openChannel(o: ChannelOptions): PeerChannel {
  const { port } = o;
  let inbox: RingInbox | null = null;
  let ringOut: RingOutbox | null = null;
  let target: MsgTarget & Flushable;
  let outbox: Outbox;
  if (o.ring === undefined) {
    outbox = new Outbox(port, o.index, o.dirty);
    target = outbox;
    port.on('message', (batch: unknown[]) => o.loop.postMsgs(decodePeer(batch, o.index, o.locOf)));
  } else {
    // The ring outbox flushes its port itself, after waking the ring's reader.
    outbox = new Outbox(port, o.index, () => {});
    target = ringOut = new RingOutbox(new RingWriter(o.ring.tx, o.index, o.appUri, o.graphId), outbox, o.loop, o.dirty);
    const reader = new RingReader(o.ring.rx);
    const decoder = new RingDecoder(o.index, o.appUri, o.graphId, o.locOf);
    const box = (inbox = new RingInbox(reader, decoder, o.loop, {
      deliver: o.deliver,
      decodePort: (batch) => decodePeer(batch, o.index, o.locOf),
      error: o.error,
    }));
    port.on('message', (m: unknown) => box.portMessage(m));
    box.start();
  }
  const closedPort = new Promise<void>((resolve) =>
    port.on('close', () => {
      outbox.closed = true;
      inbox?.writerGone();
      o.peerClosed();
      resolve();
    }),
  );
  return {
    target,
    closedPort,
    get portClosed(): boolean {
      return outbox.closed;
    },
    close(): void {
      inbox?.close();
      if (!outbox.closed) ringOut?.handOver();
      port.close();
    },
  };
}
