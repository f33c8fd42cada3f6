// Channels between groups (routing/channels.ts): the shared-memory ring beside each MessagePort.
// Through it — with the default ring, a ring so small that senders must hold messages until the
// receiver frees space, and without rings — data of every kind keeps FIFO per path and arrives
// exactly as sent: small buffers, large buffers (moved, not copied), properties the ring's form
// does not take (by port), integers beyond 2^53, lone surrogates, property buffers. The rings'
// counters are sampled from shared memory. A group whose thread ends in the middle of a burst
// leaves its receiver an in-order prefix, and the graph still stops. A quiet graph's readers sleep:
// once the traffic ends no reader looks into its ring again until something is sent (no polling).
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, flow, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

const N = 3000;

describe('channels between groups', () => {
  for (const [label, ringBytes, spills] of [
    ['the default ring', undefined, true],
    ['a 4 KiB ring (senders hold messages until there is room)', 4096, true],
    ['no ring (MessagePort batches only)', 0, false],
  ] as const) {
    it(`mixed data keep FIFO and arrive exactly as sent, large buffers moved: ${label}`, async () => {
      h = new Harness(ringBytes === undefined ? {} : { ringBytes });
      await h.app.startGraph(
        graph(
          [probe('src', 'g0', { actions: [{ op: 'sendMixed', name: 'mix', ms: N }] }), probe('dst', 'g1', { expectSeq: N, verifyMixed: true })],
          [flow('src', 'data', 'mix', ['dst'])],
        ),
      );
      const [sent] = await h.report('src', 'sent_mixed');
      expect(sent).toMatchObject({ moved: N / 6 });
      const [o] = await h.report('dst', 'order');
      expect(o).toMatchObject({ inOrder: true, count: N, bad: [] });
      expect(h.errors()).toEqual([]);
      // The receiver counts a drain once it has handled it: sample until the counts settle.
      let channels = (await h.app.sample()).graphs[0].channels ?? [];
      while (channels.some((c) => c.taken !== c.sent)) {
        await new Promise((r) => setTimeout(r, 5));
        channels = (await h.app.sample()).graphs[0].channels ?? [];
      }
      if (ringBytes === 0) {
        expect(channels).toEqual([]);
        return;
      }
      const out = channels.find((c) => c.from === 'g0' && c.to === 'g1')!;
      // Large buffers and the deep properties went by port, everything else by ring.
      expect(out).toMatchObject({ sent: N - N / 3, taken: N - N / 3, spilled: N / 3, depth: 0, bytes: 0, backlog: 0 });
      expect(out.spilled > 0).toBe(spills);
      if (ringBytes === 4096) expect(out.full).toBeGreaterThan(0);
      // Results and cmds may go back: a ring each way.
      expect(channels.find((c) => c.from === 'g1' && c.to === 'g0')).toMatchObject({ sent: 0, closed: false });
    });
  }

  it('a quiet graph costs no wake loops: every reader sleeps and looks into its ring no more until something is sent', async () => {
    h = new Harness();
    await h.app.startGraph(
      graph(
        [
          probe('src', 'g0', { actions: [{ op: 'sendMixed', name: 'mix', ms: N }] }),
          probe('dst', 'g1', { expectSeq: N, verifyMixed: true }),
        ],
        [flow('src', 'data', 'mix', ['dst'])],
      ),
    );
    const [o] = await h.report('dst', 'order');
    expect(o).toMatchObject({ inOrder: true, count: N, bad: [] });
    // The receiver counts a drain once it has handled it, and sleeps in the same task.
    const settled = async () => {
      let channels = (await h!.app.sample()).graphs[0].channels ?? [];
      for (let i = 0; i < 200 && !channels.every((c) => c.taken === c.sent && c.asleep); i++) {
        await new Promise((r) => setTimeout(r, 5));
        channels = (await h!.app.sample()).graphs[0].channels ?? [];
      }
      return channels;
    };
    const before = await settled();
    expect(before.length).toBe(2);
    expect(before.find((c) => c.from === 'g0' && c.to === 'g1')!.looks).toBeGreaterThan(0);
    // An interval with nothing sent (its length bounds nothing: a polling reader would look in it).
    await new Promise((r) => setTimeout(r, 300));
    const after = await settled();
    const still = (cs: typeof before) => cs.map(({ from, to, looks, drains, wakes, asleep }) => ({ from, to, looks, drains, wakes, asleep }));
    expect(before.every((c) => c.asleep)).toBe(true);
    expect(still(after)).toEqual(still(before));
    expect(h.errors()).toEqual([]);
  });

  it('a group whose thread ends in the middle of a burst: the receiver keeps an in-order prefix, the graph stops', async () => {
    h = new Harness({ ringBytes: 4096 });
    const id = await h.app.startGraph(
      graph(
        [probe('src', 'g0', { actions: [{ op: 'sendMixed', name: 'mix', ms: N, times: N / 2 }] }), probe('dst', 'g1', { expectSeq: N, verifyMixed: true, reportSeqOnStop: true })],
        [flow('src', 'data', 'mix', ['dst'])],
      ),
    );
    await h.until(() => h!.events.some((e) => e.type === 'worker_terminated'), 'the end of g0');
    await h.app.stopGraph(id);
    const [seen] = await h.report('dst', 'seq_seen');
    expect(seen).toMatchObject({ inOrder: true, bad: [] });
    // What the ring had published before the end is read (the port's unposted batch is lost).
    expect(seen.count).toBeGreaterThan(0);
    expect(seen.count).toBeLessThanOrEqual(N / 2);
    expect(h.errors()).toEqual([]);
  });
});
