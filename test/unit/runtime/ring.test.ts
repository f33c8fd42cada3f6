// The shared-memory ring between two groups' threads: records wrap around the buffer's end, a
// full ring refuses and takes again once read, a message too large for any ring is refused,
// FIFO holds between a real writer thread and its reader across the ring and the MessagePort
// beside it (large buffers and uncompact properties go by port), wakes are coalesced, a writer
// waiting for space is woken, and a writer thread terminated in the middle of writing leaves
// only whole records. A sleeping reader is woken by one small message on the pair's port, once
// per sleep; a busy reader is not woken.
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_DIR, ModuleBuilder } from '../../../src/runtime/app/build';
import { RingDecoder } from '../../../src/runtime/core/ring_codec';
import { Runloop } from '../../../src/runtime/core/runloop';
import { decodePeer, newWireMsg, packedOf, PeerIndex, wireBuf, type SharedLoc, type WireMsg } from '../../../src/runtime/core/wire';
import { closeRing, createRing, EMPTY, NO_ROOM, NOT_COMPACT, OP_MSG, RING_WAKE, ringCounters, RingReader, RingWriter, WRITTEN } from '../../../src/runtime/routing/ring';
import { RingInbox } from '../../../src/runtime/routing/ring_inbox';
import { Outbox } from '../../../src/runtime/routing/outbox';
import { RingOutbox } from '../../../src/runtime/routing/ring_outbox';

/** The writer thread's module, built as the runtime builds the modules of group threads. */
let WRITER: URL;
beforeAll(async () => {
  const [url] = await new ModuleBuilder(DEFAULT_CACHE_DIR).build([fileURLToPath(new URL('../../fixtures/runtime/ring/writer.ts', import.meta.url))]);
  WRITER = new URL(url);
});

const locs = new Map<string, SharedLoc>();
function locOf(ext: string): SharedLoc {
  let l = locs.get(ext);
  if (!l) {
    const loc = Object.freeze({ app: 'app', graph: 'g', ext });
    l = { loc, dests: Object.freeze([loc]) as unknown as WireMsg['dests'] };
    locs.set(ext, l);
  }
  return l;
}
const index = new PeerIndex(['a', 'b'], locOf);

function data(seq: number, text = ''): WireMsg {
  const w = newWireMsg('data', 'd');
  w.src = locOf('a').loc;
  w.dests = locOf('b').dests;
  w.props = { seq, text };
  return w;
}

/** Takes every published record and decodes it. */
function readAll(reader: RingReader, decoder: RingDecoder): WireMsg[] {
  const out: WireMsg[] = [];
  const batch = reader.take();
  if (batch === null) return out;
  decoder.use(batch.bytes);
  for (let op = batch.next(); op !== EMPTY; op = batch.next()) if (op === OP_MSG) out.push(decoder.decode(batch.start, batch.end));
  return out;
}

let workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
});

function writerThread(sab: SharedArrayBuffer, mode: string, extra: Record<string, unknown> = {}) {
  const ch = new MessageChannel();
  const worker = new Worker(WRITER, { workerData: { sab, port: ch.port2, mode, ...extra }, transferList: [ch.port2] });
  workers.push(worker);
  return { worker, port: ch.port1 };
}

describe('ring', () => {
  it('wraps records around the end of the buffer, in order and intact', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    const got: WireMsg[] = [];
    let seq = 0;
    // Sizes vary so that records meet the end of the buffer at every offset.
    while (seq < 3000) {
      for (let i = 0; i < 7 && seq < 3000; i++, seq++) expect(writer.write(data(seq, 'y'.repeat((seq * 37) % 200)))).toBe(WRITTEN);
      writer.publish();
      got.push(...readAll(reader, decoder));
    }
    expect(got.map((w) => w.props.seq)).toEqual([...Array(3000).keys()]);
    expect(got.every((w) => w.props.text === 'y'.repeat(((w.props.seq as number) * 37) % 200))).toBe(true);
    // 3000 records of ~30–230 bytes went through a 4 KiB ring many times over.
    expect(writer.free(true)).toBe(4096);
  });

  it('a take keeps the ring\'s alignment: inline buffers stay on 8-byte boundaries in the copy, intact, in lone records and batches, across the wrap', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    let seq = 0;
    let got = 0;
    // Batches of one record (copied word by word) and of many (one TypedArray#set); names and
    // texts of every length put records at every 4-byte offset of the ring.
    for (const per of [1, 2, 9, 1, 13, 1, 5]) {
      for (let round = 0; round < 60; round++) {
        for (let i = 0; i < per; i++, seq++) {
          const w = data(seq, 'z'.repeat(seq % 11));
          w.buf = new Uint8Array(64).fill(seq & 255).buffer;
          expect(writer.write(w)).toBe(WRITTEN);
        }
        writer.publish();
        for (const w of readAll(reader, decoder)) {
          expect(w.arenaAt % 8, `record ${w.props.seq as number}`).toBe(0);
          expect(packedOf(w)!.every((b) => b === ((w.props.seq as number) & 255))).toBe(true);
          expect(w.props.seq).toBe(got++);
        }
      }
    }
    expect(got).toBe(seq);
  });

  it('a full ring refuses the next message and takes it once read; one too large for any ring is refused outright', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    let n = 0;
    while (writer.write(data(n, 'z'.repeat(100))) === WRITTEN) n++;
    expect(writer.write(data(n, 'z'.repeat(100)))).toBe(NO_ROOM);
    writer.publish();
    writer.counts(0, 1);
    expect(ringCounters(sab)).toMatchObject({ sent: n, full: 2, backlog: 1 });
    // Nothing was read yet: nothing is free.
    expect(writer.roomy()).toBe(false);
    expect(readAll(reader, decoder)).toHaveLength(n);
    expect(writer.roomy()).toBe(true);
    expect(writer.write(data(n, 'z'.repeat(100)))).toBe(WRITTEN);
    // An eighth of the ring is the largest record: this does not fit even into an empty ring.
    expect(writer.write(data(-1, 'q'.repeat(600)))).toBe(NOT_COMPACT);
  });

  it('a record written but not published is not there for the reader', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    expect(writer.write(data(1))).toBe(WRITTEN);
    expect(reader.take()).toBeNull();
    writer.publish();
    expect(reader.take()).not.toBeNull();
  });

  it('a writer waiting for space is woken when the reader takes, and when the reader is gone', async () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    while (writer.write(data(0, 'w'.repeat(200))) === WRITTEN);
    writer.publish();
    let woken = 0;
    const wake = new Promise<void>((resolve) => expect(writer.waitForSpace(() => (woken++, resolve()))).toBe(true));
    expect(ringCounters(sab).writerWaiting).toBe(true);
    expect(reader.take()).not.toBeNull();
    await wake;
    expect(woken).toBe(1);
    while (writer.write(data(0, 'w'.repeat(200))) === WRITTEN);
    writer.publish();
    const gone = new Promise<void>((resolve) => expect(writer.waitForSpace(resolve)).toBe(true));
    reader.close();
    await gone;
    expect(writer.readerClosed).toBe(true);
  });

  it('FIFO from a writer thread through ring and port, with coalesced wakes and no loss', async () => {
    const sab = createRing(16 * 1024);
    const { worker, port } = writerThread(sab, 'stream', { count: 20_000, burst: 300 });
    const got: WireMsg[] = [];
    const errors: unknown[] = [];
    const loop = new Runloop<WireMsg>('test', () => undefined, (e) => errors.push(e));
    let allIn!: () => void;
    const arrived = new Promise<void>((resolve) => (allIn = resolve));
    const inbox = new RingInbox(new RingReader(sab), new RingDecoder(index, 'app', 'g', locOf), loop, {
      deliver: (w) => {
        if (got.push(w) === 20_000) allIn();
      },
      decodePort: (batch) => decodePeer(batch, index, locOf),
      error: (e) => errors.push(e),
    });
    port.on('message', (m: unknown) => inbox.portMessage(m));
    inbox.start();
    await Promise.race([arrived, new Promise((_, reject) => worker.on('error', reject))]);
    expect(errors).toEqual([]);
    expect(got.map((w) => w.props.seq)).toEqual([...Array(20_000).keys()]);
    for (const w of got) {
      const i = w.props.seq as number;
      expect(w.props.big).toBe(BigInt(i) * 2n ** 60n);
      if (i % 89 === 0) expect(w.props.map).toEqual(new Map([[i, i]]));
      const b = wireBuf(w);
      if (i % 97 === 0) expect(b?.byteLength).toBe(8192);
      else if (i % 5 === 0) expect(new Uint8Array(b!)[63]).toBe(i & 255);
      else expect(b).toBeNull();
    }
    const c = ringCounters(sab);
    // Messages with an 8 KiB buffer (moved by transfer) or a Map went by port: 207 + 225 − 3 with both.
    expect(c.spilled).toBe(429);
    expect(c.sent + c.spilled).toBe(20_000);
    // A wake is not a message: far fewer wakes than messages.
    expect(c.wakes).toBeLessThan(c.sent / 10);
    port.close();
    worker.postMessage('done');
  });

  it('a sender holds what a full ring does not take, in order, and hands it over by port when its group closes', async () => {
    const sab = createRing(4096);
    const ch = new MessageChannel();
    const out = new RingOutbox(new RingWriter(sab, index, 'app', 'g'), new Outbox(ch.port1, index, () => {}), { turns: 0 }, () => {});
    for (let i = 0; i < 300; i++) expect(out.deliver(data(i, 'h'.repeat(i % 50)))).toBe(true);
    out.flush();
    expect(ringCounters(sab)).toMatchObject({ backlog: expect.any(Number), writerWaiting: true });
    expect(ringCounters(sab).backlog).toBeGreaterThan(200);
    // The group closes before the reader has read anything.
    out.handOver();
    ch.port1.close();
    const got: WireMsg[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const loop = new Runloop<WireMsg>('test', () => undefined, (e) => {
      throw e;
    });
    const inbox = new RingInbox(new RingReader(sab), new RingDecoder(index, 'app', 'g', locOf), loop, {
      deliver: (w) => {
        if (got.push(w) === 300) done();
      },
      decodePort: (batch) => decodePeer(batch, index, locOf),
      error: (e) => {
        throw e;
      },
    });
    ch.port2.on('message', (m: unknown) => inbox.portMessage(m));
    inbox.start();
    await all;
    expect(got.map((w) => w.props.seq)).toEqual([...Array(300).keys()]);
    expect(ringCounters(sab)).toMatchObject({ backlog: 0 });
    ch.port2.close();
  });

  it('two port batches handled back to back keep FIFO with the ring records published between them', async () => {
    const sab = createRing(16 * 1024);
    const ch = new MessageChannel();
    const out = new RingOutbox(new RingWriter(sab, index, 'app', 'g'), new Outbox(ch.port1, index, () => {}), { turns: 0 }, () => {});
    // A Map is not compact: that message goes by port.
    const byPort = (seq: number) => Object.assign(data(seq), { props: { seq, map: new Map([[seq, seq]]) } });
    const posted: unknown[][] = [];
    let arrivedAll!: () => void;
    const bothPosted = new Promise<void>((resolve) => (arrivedAll = resolve));
    ch.port2.on('message', (b: unknown[]) => {
      if (posted.push(b) === 2) arrivedAll();
    });
    const got: number[] = [];
    let wanted = 0;
    let reached!: () => void;
    let arrived = Promise.resolve();
    const expectAll = (n: number) => {
      wanted = n;
      arrived = new Promise<void>((resolve) => (reached = resolve));
    };
    const loop = new Runloop<WireMsg>('test', () => undefined, (e) => {
      throw e;
    });
    const inbox = new RingInbox(new RingReader(sab), new RingDecoder(index, 'app', 'g', locOf), loop, {
      deliver: (w) => {
        if (got.push(w.props.seq as number) === wanted) reached();
      },
      decodePort: (batch) => decodePeer(batch, index, locOf),
      error: (e) => {
        throw e;
      },
    });
    // Ring: 0, RESUME(1), 2, 3; port batch 1: [1].
    out.deliver(data(0));
    out.deliver(byPort(1));
    out.deliver(data(2));
    out.deliver(data(3));
    out.flush();
    // The reader takes all of it, handles 0 and stops at the marker with 2 and 3 in hand.
    expectAll(1);
    inbox.start();
    await arrived;
    // Ring: 4, RESUME(2), 6; port batch 2: [5]. Record 4 is published before batch 2 is posted.
    out.deliver(data(4));
    out.deliver(byPort(5));
    out.deliver(data(6));
    out.flush();
    await bothPosted;
    // Both port batches arrive in one go, so both are handled before the drain that batch 1 asks for.
    expectAll(7);
    inbox.portBatch(posted[0]);
    inbox.portBatch(posted[1]);
    await arrived;
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
    inbox.close();
    ch.port1.close();
  });

  it('the writer wakes a sleeping reader only for records published since its last look', () => {
    const sab = createRing(4096);
    const writer = new RingWriter(sab, index, 'app', 'g');
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    expect(reader.sleep()).toBe(true);
    expect(writer.write(data(0))).toBe(WRITTEN);
    writer.publish();
    expect(writer.wake()).toBe(true);
    expect(readAll(reader, decoder)).toHaveLength(1);
    expect(reader.sleep()).toBe(true);
    // The end of the writer's loop turn: nothing new since the wake, so the reader sleeps on.
    writer.publish();
    expect(writer.wake()).toBe(false);
    expect(ringCounters(sab).asleep).toBe(true);
    expect(writer.write(data(1))).toBe(WRITTEN);
    writer.publish();
    expect(writer.wake()).toBe(true);
    // Published while the reader was awake: its next sleep sees the record and it stays awake.
    expect(writer.write(data(2))).toBe(WRITTEN);
    writer.publish();
    expect(writer.wake()).toBe(false);
    expect(readAll(reader, decoder).map((w) => w.props.seq)).toEqual([1, 2]);
    expect(reader.sleep()).toBe(true);
    writer.counts(0, 0);
    expect(ringCounters(sab)).toMatchObject({ asleep: true, wakes: 2 });
  });

  it('a lone message to a sleeping reader leaves nothing for the end of the turn; a second one in the turn does', () => {
    const sab = createRing(4096);
    const ch = new MessageChannel();
    const loop = { turns: 7 };
    let flushes = 0;
    const out = new RingOutbox(new RingWriter(sab, index, 'app', 'g'), new Outbox(ch.port1, index, () => {}), loop, () => flushes++);
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    expect(reader.sleep()).toBe(true);
    // Woken at once, counted at once: the sender's group is not asked to flush.
    expect(out.deliver(data(0))).toBe(true);
    expect(flushes).toBe(0);
    expect(ringCounters(sab)).toMatchObject({ sent: 1, wakes: 1, asleep: false });
    // A second message in the same turn waits for the end of the turn (a burst wakes once more at most).
    expect(out.deliver(data(1))).toBe(true);
    expect(flushes).toBe(1);
    out.flush();
    expect(readAll(reader, decoder).map((w) => w.props.seq)).toEqual([0, 1]);
    expect(reader.sleep()).toBe(true);
    // The next turn's first message is lone again.
    loop.turns++;
    expect(out.deliver(data(2))).toBe(true);
    expect(flushes).toBe(1);
    expect(ringCounters(sab)).toMatchObject({ sent: 3, wakes: 2 });
    expect(readAll(reader, decoder).map((w) => w.props.seq)).toEqual([2]);
    // A reader gone: the next lone message saw it, and the one after fails at once.
    reader.close();
    loop.turns++;
    out.deliver(data(3));
    expect(out.deliver(data(4))).toBe(false);
    ch.port1.close();
  });

  it("a sleeping reader is woken by one message on the pair's port, once per sleep, and a busy reader not at all", async () => {
    const sab = createRing(64 * 1024);
    const ch = new MessageChannel();
    let flushArmed = false;
    const out: RingOutbox = new RingOutbox(new RingWriter(sab, index, 'app', 'g'), new Outbox(ch.port1, index, () => {}), { turns: 0 }, () => {
      if (flushArmed) return;
      flushArmed = true;
      setImmediate(() => {
        flushArmed = false;
        out.flush();
      });
    });
    const loop = new Runloop<WireMsg>('test', () => undefined, (e) => {
      throw e;
    });
    const got: number[] = [];
    let want = 0;
    let arrived: () => void = () => {};
    const inbox = new RingInbox(new RingReader(sab), new RingDecoder(index, 'app', 'g', locOf), loop, {
      deliver: (w) => {
        if (got.push(w.props.seq as number) === want) arrived();
      },
      decodePort: (batch) => decodePeer(batch, index, locOf),
      error: (e) => {
        throw e;
      },
    });
    const onPort: unknown[] = [];
    ch.port2.on('message', (m: unknown) => {
      onPort.push(m);
      inbox.portMessage(m);
    });
    const expectUpTo = (n: number) => {
      want = n;
      return new Promise<void>((resolve) => (arrived = resolve));
    };
    inbox.start();
    expect(ringCounters(sab).asleep).toBe(true);
    // A lone message: the sleeping reader is woken at once, by one wake on the port.
    let all = expectUpTo(1);
    out.deliver(data(0));
    await all;
    expect(got).toEqual([0]);
    expect(onPort).toEqual([RING_WAKE]);
    // A burst in one turn wakes the reader once more, however long it is.
    all = expectUpTo(1001);
    for (let i = 1; i <= 1000; i++) out.deliver(data(i));
    await all;
    expect(got).toEqual([...Array(1001).keys()]);
    expect(onPort.length).toBeLessThanOrEqual(3);
    expect(onPort.every((m) => m === RING_WAKE)).toBe(true);
    // A reader that has not slept since its wake is not woken again.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const c = ringCounters(sab);
    expect(c.asleep).toBe(true);
    expect(c.wakes).toBe(onPort.length);
    inbox.close();
    ch.port1.close();
  });

  it('a writer thread terminated while writing leaves only whole records, and a closed reader sleeps for good', async () => {
    const sab = createRing(64 * 1024);
    const { worker } = writerThread(sab, 'forever');
    const reader = new RingReader(sab);
    const decoder = new RingDecoder(index, 'app', 'g', locOf);
    const got: WireMsg[] = [];
    await new Promise((resolve) => worker.once('message', resolve));
    // Read while it writes, then kill it wherever it is.
    while (got.length < 5000) {
      got.push(...readAll(reader, decoder));
      await new Promise((r) => setImmediate(r));
    }
    await worker.terminate();
    got.push(...readAll(reader, decoder));
    expect(got.length).toBeGreaterThanOrEqual(5000);
    expect(got.map((w) => w.props.seq)).toEqual([...Array(got.length).keys()]);
    expect(got.every((w) => w.props.text === 'x'.repeat((w.props.seq as number) % 300))).toBe(true);
    // Nothing more will come: the reader sleeps, and the host closes the ring of the dead thread.
    expect(reader.sleep()).toBe(true);
    expect(ringCounters(sab).asleep).toBe(true);
    closeRing(sab);
    expect(reader.closed).toBe(true);
    // Closed: the reader sleeps at once, and no writer will wake it.
    expect(reader.sleep()).toBe(true);
    const writer = new RingWriter(sab, index, 'app', 'g');
    expect(writer.readerClosed).toBe(true);
    expect(writer.wake()).toBe(false);
  });
});
