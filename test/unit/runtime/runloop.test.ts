// Runloop: FIFO tasks and messages, coalesced wakes, drain-to-local batches, counters; a task
// run at once on an idle loop, behind queued work otherwise.
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

  it('is idle only with nothing queued, outside a drain, and open', async () => {
    const seen: boolean[] = [];
    const loop = new Runloop<string>('t', () => seen.push(loop.idle), () => undefined);
    expect(loop.idle).toBe(true);
    loop.postMsg('a');
    expect(loop.idle).toBe(false);
    await turn();
    // Inside its own drain (the batch may hold more), then idle again.
    expect(seen).toEqual([false]);
    expect(loop.idle).toBe(true);
    loop.close();
    expect(loop.idle).toBe(false);
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

  it('runs a task at once when the loop is idle, and behind queued work or a running batch otherwise', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', (m) => seen.push(`msg:${m}`), (e) => seen.push(`err:${(e as Error).message}`));
    // Idle: nothing queued, nothing running — the task runs inside the call, counted as a drain.
    expect(loop.runOrPost(() => seen.push('now'))).toBe(true);
    expect(seen).toEqual(['now']);
    expect(loop.counters()).toMatchObject({ drains: 1, tasksRun: 1, depth: 0 });
    // A throwing task is reported as in a batch, and the loop stays usable.
    loop.runOrPost(() => {
      throw new Error('boom');
    });
    expect(seen).toEqual(['now', 'err:boom']);
    // Work queued: the task waits behind it (FIFO), on the loop's turn.
    loop.postMsg('a');
    loop.runOrPost(() => seen.push('behind'));
    expect(seen).toEqual(['now', 'err:boom']);
    await turn();
    expect(seen).toEqual(['now', 'err:boom', 'msg:a', 'behind']);
    // From a running batch: never nested in it, it runs on the next turn.
    loop.postTaskTail(() => {
      loop.runOrPost(() => seen.push('next turn'));
      seen.push('in batch');
    });
    await turn();
    expect(seen.slice(4)).toEqual(['in batch']);
    await turn();
    expect(seen.slice(4)).toEqual(['in batch', 'next turn']);
    // Closed: refused.
    loop.close();
    expect(loop.runOrPost(() => seen.push('closed'))).toBe(false);
    expect(seen).not.toContain('closed');
  });

  it('runs what an IO callback appended right after it, without a wake, when the loop was idle', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', (m) => seen.push(`msg:${m}`), () => undefined);
    // Idle: appends between beginIo and endIo arm no wake; endIo(true) runs them as one batch.
    expect(loop.beginIo()).toBe(true);
    loop.postMsg('a');
    loop.postTaskTail(() => {
      // Appended by the batch: a wake as usual, never nested in it.
      loop.postMsg('later');
      seen.push('task');
    });
    loop.postMsg('b');
    expect(loop.idle).toBe(false);
    expect(seen).toEqual([]);
    loop.endIo(true);
    expect(seen).toEqual(['msg:a', 'task', 'msg:b']);
    expect(loop.counters()).toMatchObject({ drains: 1, maxBatch: 3, coalescedWakes: 0, depth: 1 });
    await turn();
    expect(seen).toEqual(['msg:a', 'task', 'msg:b', 'msg:later']);
    // endIo(false): what was appended waits for a wake, as if appended without beginIo.
    expect(loop.beginIo()).toBe(true);
    loop.postMsg('c');
    loop.endIo(false);
    expect(seen.at(-1)).toBe('msg:later');
    await turn();
    expect(seen.at(-1)).toBe('msg:c');
    // Nothing appended: nothing runs, nothing is armed.
    expect(loop.beginIo()).toBe(true);
    loop.endIo(true);
    expect(loop.counters().drains).toBe(3);
  });

  it('leaves appends to the usual wake when the loop is not idle or a wake is armed', async () => {
    const seen: string[] = [];
    const loop = new Runloop<string>('t', (m) => seen.push(m), () => undefined);
    loop.postMsg('queued');
    // A wake is armed for queued work: beginIo declines, and the appends join that batch (FIFO).
    expect(loop.beginIo()).toBe(false);
    loop.postMsg('x');
    expect(seen).toEqual([]);
    await turn();
    expect(seen).toEqual(['queued', 'x']);
    // From inside a running batch: declined too.
    let inBatch: boolean | undefined;
    loop.postTaskTail(() => {
      inBatch = loop.beginIo();
    });
    await turn();
    expect(inBatch).toBe(false);
    // Closed: declined, and endIo runs nothing.
    loop.close();
    expect(loop.beginIo()).toBe(false);
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
