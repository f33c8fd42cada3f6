// The misbehaving addon produces the violations, errors and hangs the studio has to show.
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/runtime';
import { closeAll, graphOf, startGraph } from './harness';

afterEach(closeAll);

function rogueGraph(property: Record<string, unknown>) {
  return graphOf(
    [
      { name: 'ticker', addon: 'data_generator', property: { interval_ms: 5 } },
      { name: 'rogue', addon: 'misbehaving', property },
      { name: 'stats', addon: 'counter_sink' },
    ],
    [
      { from: 'ticker', kind: 'data', name: 'tick', to: ['rogue'] },
      { from: 'rogue', kind: 'data', name: 'tick', to: ['stats'] },
    ],
  );
}

describe('misbehaving', () => {
  it('mutate_after_send: a violation event, and the mutation fails under policy fail', async () => {
    const graph = await startGraph(rogueGraph({ mode: 'mutate_after_send', every_n: 1 }));
    const violation = await graph.waitFor((e) => e.type === 'violation', 'a violation');
    expect(violation).toMatchObject({ type: 'violation', policy: 'fail' });
    const warned = await graph.waitFor(
      (e) => e.type === 'log' && e.extension === 'rogue' && e.message.includes('after sending it'),
      'the rogue reporting the failed call',
    );
    expect((warned as Extract<RuntimeEvent, { type: 'log' }>).message).not.toMatch(/→ allowed$/);
    await graph.close();
  });

  it('throw_in_handler: an error event naming the extension, and the graph keeps running', async () => {
    const graph = await startGraph(rogueGraph({ mode: 'throw_in_handler', every_n: 3 }));
    const error = (await graph.waitFor((e) => e.type === 'error', 'an error event')) as Extract<RuntimeEvent, { type: 'error' }>;
    expect(error.extension).toBe('rogue');
    expect(error.message).toContain('deliberate exception in onData');
    // Later messages still arrive: a second exception means the handler ran again.
    await graph.waitFor((e) => e.type === 'error' && e !== error, 'a second error event');
    await graph.close();
  });

  it('throw_in_phase: an exception in on_start is reported with its phase', async () => {
    const graph = await startGraph(rogueGraph({ mode: 'throw_in_phase', phase: 'start' }));
    const error = (await graph.waitFor((e) => e.type === 'error', 'an error event')) as Extract<RuntimeEvent, { type: 'error' }>;
    expect(error.extension).toBe('rogue');
    expect(error.message).toContain('on_start');
    await graph.close();
  });

  it('hang_in_stop: the stop timeout terminates the group and says so', async () => {
    const graph = await startGraph(rogueGraph({ mode: 'hang_in_stop' }), { stopTimeoutMs: 500 });
    await graph.waitFor((e) => e.type === 'lifecycle' && e.extension === 'rogue' && e.phase === 'on_start_done', 'rogue started');
    await graph.close();
    const terminated = graph.events.find((e) => e.type === 'worker_terminated');
    expect(terminated).toMatchObject({ type: 'worker_terminated', group: 'rogue_group' });
  });

  it('use_after_close: calls on a closed ten_env fail and are reported', async () => {
    // The rogue alone: its group's thread stays open for the rogue's timer after the group closed.
    const graph = await startGraph(graphOf([{ name: 'rogue', addon: 'misbehaving', property: { mode: 'use_after_close' } }], []));
    await graph.waitFor((e) => e.type === 'lifecycle' && e.extension === 'rogue' && e.phase === 'on_start_done', 'rogue started');
    // Stopped, not closed at once: its timer fires after on_deinit_done while the app lives (as
    // in TEN). An app closing first would find that timer still pending and report it.
    await graph.app.stopGraph(graph.graphId);
    await graph.waitFor((e) => e.type === 'violation', 'the violation of the closed ten_env');
    await graph.close();
    const violation = graph.events.find((e) => e.type === 'violation');
    expect(violation).toMatchObject({ type: 'violation', object: 'TenEnv(rogue)' });
    expect((violation as Extract<RuntimeEvent, { type: 'violation' }>).reason).toContain('after ten_env was closed');
    // Its timer ended, so the thread ended by itself: nothing was left open.
    expect(graph.events.filter((e) => e.type === 'worker_terminated')).toEqual([]);
  });
});
