import { describe, expect, it } from 'vitest';
import type { MetricsSnapshot, RunBatch, RunEvent } from '../../../src/shared';
import { foldEvents, foldMetrics, syncLifecycle, useRunView, violationNodes, type ViolationEvent } from '../../../src/renderer/debugger/runStore';

const empty = { lifecycle: {}, violations: [], logs: [] };

function metrics(state: string, depth = 0, rate = 0, waiting: { cmd: string; dest: string; ageMs: number }[] = [], dropped = 0): MetricsSnapshot {
  return {
    ts: 2,
    intervalMs: 100,
    graphs: [
      {
        graphId: 'g',
        name: 'main',
        extensions: [
          { extension: 'relay', group: 'workers', state, inMsgsDepth: depth, inMsgsHighWater: depth, pending: 0, msgsInPerSec: rate, msgsOutPerSec: rate / 2, inPerSecByName: {}, outPerSecByName: {}, handlerP50Ms: null, handlerP99Ms: null, msgsInTotal: 0, msgsOutTotal: 0, waiting, droppedNoHandler: dropped },
        ],
        runloops: [{ group: 'workers', runloopId: 'r', threadId: 3, depth, highWater: depth, drainsPerSec: 0, avgBatch: 0, maxBatch: 0, busyPct: 0 }],
        edges: [{ src: 'ticker', dest: 'relay', msgsPerSec: 99.6 }],
      },
    ],
  };
}
const batch = (m: MetricsSnapshot[], events: RunEvent[] = []): RunBatch => ({ runId: 'r', events, metrics: m, traces: [], dropped: { events: 0, traces: 0, metrics: 0 } });

describe('run view folding', () => {
  it('labels lifecycle phases with their timings and keeps an error', () => {
    const s = foldEvents(empty, [
      { type: 'lifecycle', ts: 1, graphId: 'g', extension: 'relay', phase: 'on_start' },
      { type: 'lifecycle', ts: 2, graphId: 'g', extension: 'relay', phase: 'on_start_done', phaseMs: 1.5 },
    ]);
    expect(s.lifecycle.relay).toEqual({ label: 'started', phase: 'on_start_done', timings: { start: 1.5 } });
    const failed = foldEvents(s, [{ type: 'error', ts: 3, graphId: 'g', extension: 'relay', phase: 'on_data', message: 'boom', stack: '' }]);
    expect(failed.lifecycle.relay).toMatchObject({ label: 'error', error: 'on_data: boom' });
    expect(foldEvents(failed, [{ type: 'lifecycle', ts: 4, graphId: 'g', extension: 'relay', phase: 'on_stop' }]).lifecycle.relay!.label).toBe('error');
    expect(failed.logs).toHaveLength(1);
  });

  it('shows a terminated thread, such as one kept alive by handles left open, as an error line in the logs', () => {
    const reason = "Extension group 'g1' closed all its extensions, but its thread was kept alive by 1 Timeout after on_deinit_done; terminated.";
    const s = foldEvents(empty, [{ type: 'worker_terminated', ts: 5, graphId: 'g', group: 'g1', reason, handles: { Timeout: 1 } }]);
    expect(s.logs).toEqual([{ type: 'error', ts: 5, graphId: 'g', extension: '', phase: 'thread terminated', message: reason, stack: '' }]);
    expect(s.lifecycle).toEqual({});
  });

  it('turns the latest metrics into per-node numbers and edge rates, reusing unchanged entries', () => {
    const first = foldMetrics({ metrics: {}, edgeRates: {} }, batch([metrics('started', 4, 120)]));
    expect(first.metrics.relay).toEqual({ queue: 4, inPerSec: 120, outPerSec: 60, thread: 3, pid: null, waiting: null, dropped: 0 });
    expect(first.edgeRates).toEqual({ 'ticker->relay': 100 });
    const again = foldMetrics(first, batch([metrics('started', 4, 120)]));
    expect(again.metrics.relay).toBe(first.metrics.relay);
  });

  it('shows the oldest unanswered cmd in whole seconds and the data dropped for want of a handler', () => {
    const waiting = [
      { cmd: 'c', dest: 'p', ageMs: 5_400 },
      { cmd: 'd', dest: 'q', ageMs: 5_100 },
    ];
    const first = foldMetrics({ metrics: {}, edgeRates: {} }, batch([metrics('started', 0, 0, waiting, 3)]));
    expect(first.metrics.relay).toMatchObject({ waiting: { cmd: 'c', dest: 'p', ageMs: 5_000 }, dropped: 3 });
    // Within the same second the node keeps its object (no re-render per sample).
    const later = foldMetrics(first, batch([metrics('started', 0, 0, [{ cmd: 'c', dest: 'p', ageMs: 5_900 }], 3)]));
    expect(later.metrics.relay).toBe(first.metrics.relay);
    const answered = foldMetrics(later, batch([metrics('started', 0, 0, [], 3)]));
    expect(answered.metrics.relay!.waiting).toBeNull();
  });

  it('keeps the events of a batch that carries no metrics sample', () => {
    const view = useRunView.getState();
    view.follow({ runId: 'r', documentId: 'd', title: 't', state: 'running', graphs: [], startedAt: 1, tracing: null });
    view.apply({ type: 'telemetry', time: 1, batches: [batch([metrics('started', 4, 120)])] });
    view.apply({
      type: 'telemetry',
      time: 2,
      batches: [batch([], [{ type: 'error', ts: 3, graphId: 'g', extension: 'relay', phase: 'on_data', message: 'boom', stack: '' }])],
    });
    const after = useRunView.getState();
    expect(after.logs).toHaveLength(1);
    expect(after.lifecycle.relay).toMatchObject({ label: 'error' });
    expect(after.metrics.relay).toEqual({ queue: 4, inPerSec: 120, outPerSec: 60, thread: 3, pid: null, waiting: null, dropped: 0 });
  });

  it('moves badges forward to the state metrics report, never back', () => {
    const configuring = foldEvents(empty, [{ type: 'lifecycle', ts: 1, graphId: 'g', extension: 'relay', phase: 'on_configure' }]).lifecycle;
    expect(syncLifecycle(configuring, batch([metrics('started')])).relay!.label).toBe('started');
    const stopping = foldEvents(empty, [{ type: 'lifecycle', ts: 1, graphId: 'g', extension: 'relay', phase: 'on_stop' }]).lifecycle;
    expect(syncLifecycle(stopping, batch([metrics('started')]))).toBe(stopping);
  });

  it('finds the node a violation is about: named, or on the violating thread with its addon on the stack', () => {
    const nodes = [
      { name: 'rogue', addon: 'misbehaving' },
      { name: 'sink', addon: 'counter_sink' },
    ];
    const threads = { rogue: { queue: 0, inPerSec: 0, outPerSec: 0, thread: 9, pid: null, waiting: null, dropped: 0 }, sink: { queue: 0, inPerSec: 0, outPerSec: 0, thread: 9, pid: null, waiting: null, dropped: 0 } };
    const v = (object: string, caller: string, stack = ''): ViolationEvent => ({ type: 'violation', ts: 1, graphId: 'g', object, owner: 'thread 2 runloop 1', caller, reason: 'r', stack, policy: 'report' });
    expect(violationNodes(v("TenEnv of 'rogue'", 'thread 9 runloop 2'), nodes, threads)).toEqual(['rogue']);
    expect(violationNodes(v('data(tick)', 'sink (thread 9 runloop 2)'), nodes, threads)).toEqual(['sink']);
    expect(violationNodes(v('data(tick)', 'thread 9 runloop 2', 'at x (/addons/misbehaving/src/index.ts:1:1)'), nodes, threads)).toEqual(['rogue']);
    expect(violationNodes(v('data(tick)', 'thread 9 runloop 2'), nodes, threads)).toEqual(['rogue', 'sink']);
  });
});
