// A runaway allocation in one extension ends that group, named, and the rest of the process runs
// on (app/memory.ts): buffers kept by callbacks (the group's own report), JavaScript objects in
// a loop (V8's heap limit), buffers in a loop that never yields (the process-wide guard). Every
// runaway here stops at a cap, so a failing test cannot take the machine's memory.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, graph, probe } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
});

const terminated = (x: Harness) => x.events.filter((e) => e.type === 'worker_terminated');

/** The calm group still answers a sample and still stops in order. */
async function calmSurvives(x: Harness, id: string): Promise<void> {
  const sample = await x.app.sample();
  const g = sample.graphs.find((s) => s.graphId === id)!;
  expect(g.unresponsive ?? []).toEqual([]);
  expect(g.groups.map((s) => s.group)).toEqual(['g2']);
  expect(g.groups[0].memory.heapUsed).toBeGreaterThan(0);
  await x.app.stopGraph(id);
  expect(x.phases('calm')).toContain('on_deinit_done');
}

describe('memory of extension groups', () => {
  it('a group keeping buffers past groupMemoryLimitMb is terminated and named; the other group runs on', async () => {
    h = new Harness({ groupMemoryLimitMb: 256 });
    const id = await h.app.startGraph(graph([probe('hog', 'g1', { hog: { chunkMb: 16, everyMs: 10, maxMb: 1024 } }), probe('calm', 'g2')]));
    await h.until(() => terminated(h!).length > 0, 'the hog to be terminated');
    expect(terminated(h)).toEqual([
      expect.objectContaining({
        graphId: id,
        group: 'g1',
        reason: expect.stringMatching(/^Extension group 'g1' of graph 'test' holds \d+ MB \(heap \d+ MB, buffers \d+ MB\), more than its limit of 256 MB \(groupMemoryLimitMb\); its thread was terminated\.$/),
      }),
    ]);
    await calmSurvives(h, id);
  });

  it("a loop filling the V8 heap is ended by the group's heap limit and reported as such", async () => {
    h = new Harness({ groupMemoryLimitMb: 128 });
    const id = await h.app.startGraph(graph([probe('hog', 'g1', { hog: { heap: true, maxMb: 2048 } }), probe('calm', 'g2')]));
    await h.until(() => terminated(h!).length > 0, 'the hog to be terminated');
    expect(terminated(h)).toEqual([
      expect.objectContaining({
        group: 'g1',
        reason: "Extension group 'g1' of graph 'test' ran out of its JavaScript heap (limit 128 MB, groupMemoryLimitMb); its thread was terminated.",
      }),
    ]);
    expect(h.errors()).toEqual([]);
    await calmSurvives(h, id);
  });

  it('a loop filling buffers without ever yielding is ended by the process guard, which names the busy group', async () => {
    // The limit sits 384 MB above what the process holds now; the hog stops at 1.5 GB.
    const limitMb = Math.round(process.memoryUsage.rss() / 2 ** 20) + 384;
    h = new Harness({ processMemoryLimitMb: limitMb });
    const id = await h.app.startGraph(graph([probe('hog', 'g1', { hog: { sync: true, chunkMb: 32, maxMb: 1536 } }), probe('calm', 'g2')]));
    await h.until(() => terminated(h!).length > 0, 'the hog to be terminated', 30_000);
    expect(terminated(h)).toEqual([
      expect.objectContaining({
        group: 'g1',
        reason: expect.stringMatching(
          new RegExp(
            `^Extension group 'g1' of graph 'test' was terminated to keep the process alive: the process holds \\d+ MB \\(limit ${limitMb} MB\\), and this group was busy the whole last 250 ms without reporting while the process grew by \\d+ MB \\(a loop allocating\\?\\)\\.$`,
          ),
        ),
      }),
    ]);
    await calmSurvives(h, id);
  });
});
