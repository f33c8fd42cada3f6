// Runloop: FIFO tasks and messages, coalesced wakes, drain-to-local batches, counters.
import { describe, expect, it } from 'vitest';
import { Runloop } from '../../../src/runtime/core/runloop';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Runloop', () => {
  it('runs tasks and messages in order, one wake per burst, one batch per wake', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', (m) => seen.push(`msg:${m}`), (e) => seen.push(`err:${String(e)}`));
    loop.postTaskTail(() => seen.push('task1'));
    loop.postMsg('a');
    loop.postMsgs(['b', 'c']);
    loop.postTaskTail(() => {
      // Appended while draining: runs on the next turn, not in this batch.
      loop.postTaskTail(() => seen.push('later'));
      seen.push('task2');
    });
    expect(loop.counters().depth).toBe(5);
    await turn();
    expect(seen).toEqual(['task1', 'msg:a', 'msg:b', 'msg:c', 'task2']);
    const c = loop.counters();
    expect(c).toMatchObject({ drains: 1, maxBatch: 5, tasksRun: 5, coalescedWakes: 3, highWater: 5, depth: 1 });
    await turn();
    expect(seen.at(-1)).toBe('later');
    expect(loop.counters().drains).toBe(2);
  });

  it('reports a throwing task and keeps running the batch', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', () => undefined, (e) => seen.push(`err:${(e as Error).message}`));
    loop.postTaskTail(() => {
      throw new Error('boom');
    });
    loop.postTaskTail(() => seen.push('after'));
    await turn();
    expect(seen).toEqual(['err:boom', 'after']);
  });

  it('drops work after close', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', (m) => seen.push(m), () => undefined);
    loop.postMsg('x');
    loop.close();
    expect(loop.postMsg('y')).toBe(false);
    await turn();
    expect(seen).toEqual([]);
  });
});
