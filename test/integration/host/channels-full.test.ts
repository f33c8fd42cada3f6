// A channel that fills, with real threads: a 4 KiB ring between two groups cannot hold a burst,
// so its sender finds no room and holds messages back. The host's metrics of the rings' counters
// say so (fullPerSec), the Perfetto export marks it with an instant on the sender's thread, and
// the Channels tab's model flags the row.
import { afterEach, expect, it } from 'vitest';
import { computeMetrics, toChromeTrace } from '../../../src/host/runs';
import { channelsOf } from '../../../src/renderer/debugger/channels';
import type { AppSample } from '../../../src/runtime';
import type { Recording } from '../../../src/shared';
import { Harness, flow, graph, probe } from '../runtime/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

const N = 3000;

/** The app's sample as it was at the start: every ring counter starts at zero. */
const atStart = (s: AppSample, ts: number): AppSample => ({
  ts,
  graphs: s.graphs.map((g) => ({ ...g, channels: g.channels?.map((c) => ({ ...c, sent: 0, taken: 0, drains: 0, wakes: 0, spilled: 0, full: 0, looks: 0 })) })),
});

it('a ring too small for a burst shows as full in the metrics, the Perfetto trace and the Channels rows', async () => {
  h = new Harness({ ringBytes: 4096 });
  await h.app.startGraph(
    graph([probe('src', 'g0', { actions: [{ op: 'sendMixed', name: 'mix', ms: N }] }), probe('dst', 'g1', { expectSeq: N, verifyMixed: true })], [flow('src', 'data', 'mix', ['dst'])]),
  );
  const [o] = await h.report('dst', 'order');
  expect(o).toMatchObject({ inOrder: true, count: N });
  const cur = await h.app.sample();
  const snapshot = computeMetrics(atStart(cur, cur.ts - 1000), cur);
  const ch = snapshot.graphs[0]!.channels!.find((c) => c.from === 'g0' && c.to === 'g1')!;
  expect(ch.fullPerSec).toBeGreaterThan(0);
  expect(ch.capacity).toBe(4096);
  expect(ch.highWater).toBeGreaterThan(0);
  expect(ch.highWater).toBeLessThanOrEqual(4096);
  expect(snapshot.graphs[0]!.channels!.find((c) => c.from === 'g1' && c.to === 'g0')!.fullPerSec).toBe(0);

  const rec: Recording = {
    format: 'ten-studio-recording',
    version: 1,
    run: { runId: 'R', documentId: 'd', title: 't', state: 'stopped', graphs: [{ graphId: snapshot.graphs[0]!.graphId, name: 'main', state: 'stopped' }], startedAt: cur.ts - 1000, tracing: null },
    savedAt: cur.ts,
    events: [],
    metrics: [snapshot],
    traces: [],
    dropped: { events: 0, traces: 0, metrics: 0 },
  };
  const sender = snapshot.graphs[0]!.runloops.find((r) => r.group === 'g0')!.threadId;
  const instants = toChromeTrace(rec).traceEvents.filter((e) => e.cat === 'channel' && e.ph === 'i');
  expect(instants).toEqual([expect.objectContaining({ name: 'channel g0 → g1 full', s: 't', tid: sender, args: expect.objectContaining({ capacity: 4096 }) })]);

  const rows = channelsOf(snapshot).channels!;
  expect(rows.find((r) => r.from === 'g0')!.nearFull).toBe(true);
  expect(rows.find((r) => r.from === 'g1')!.nearFull).toBe(false);
  expect(h.errors()).toEqual([]);
});
