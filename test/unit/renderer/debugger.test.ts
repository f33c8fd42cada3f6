import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricsSnapshot, Recording, RunEvent, RunInfo, TraceStep } from '../../../src/shared';
import { MAX_TRACES, selectDroppedTotal, useDebug } from '../../../src/renderer/debugger/debugStore';
import { cmdPath, filterSteps, metricsAt, recordingSpan, viewAt } from '../../../src/renderer/debugger/replay';
import { useRunView } from '../../../src/renderer/debugger/runStore';

const run: RunInfo = { runId: 'r1', documentId: 'd', title: 'Hello', state: 'stopped', graphs: [], startedAt: 1000, stoppedAt: 5000, tracing: null };

function sample(ts: number, depth: number, rate: number): MetricsSnapshot {
  return {
    ts,
    intervalMs: 100,
    graphs: [
      {
        graphId: 'g',
        name: 'main',
        extensions: [
          {
            extension: 'relay',
            group: 'workers',
            state: 'started',
            inMsgsDepth: depth,
            inMsgsHighWater: depth,
            pending: 0,
            msgsInPerSec: rate,
            msgsOutPerSec: rate,
            inPerSecByName: {},
            outPerSecByName: {},
            handlerP50Ms: null,
            handlerP99Ms: null,
            msgsInTotal: 0,
            msgsOutTotal: 0,
            waiting: [],
            droppedNoHandler: 0,
          },
        ],
        runloops: [{ group: 'workers', runloopId: 'rl', threadId: 3, depth, highWater: depth, drainsPerSec: 1, avgBatch: 1, maxBatch: 1, busyPct: 1 }],
        edges: [{ src: 'ticker', dest: 'relay', msgsPerSec: rate }],
      },
    ],
  };
}

const events: RunEvent[] = [
  { type: 'lifecycle', ts: 1100, graphId: 'g', extension: 'relay', phase: 'on_start' },
  { type: 'lifecycle', ts: 1200, graphId: 'g', extension: 'relay', phase: 'on_start_done', phaseMs: 100 },
  { type: 'violation', ts: 3000, graphId: 'g', object: "TenEnv of 'rogue'", owner: 'a', caller: 'b', reason: 'misuse', stack: 'at x', policy: 'report' },
  { type: 'lifecycle', ts: 4500, graphId: 'g', extension: 'relay', phase: 'on_stop' },
];

const step = (ts: number, stage: TraceStep['stage'], type: string, extra: Partial<TraceStep> = {}): TraceStep => ({
  ts,
  graphId: 'g',
  stage,
  type,
  name: 'ping',
  src: 'ticker',
  dest: 'echo',
  cmdId: 'c1',
  group: 'workers',
  threadId: 3,
  ...extra,
});

const recording: Recording = {
  format: 'ten-studio-recording',
  version: 1,
  run,
  savedAt: 6000,
  events,
  metrics: [sample(2000, 1, 10), sample(4000, 40, 250)],
  traces: [step(2000, 'sent', 'cmd'), step(2500, 'delivered', 'cmd')],
  dropped: { events: 1, traces: 2, metrics: 0 },
};

describe('recording replay', () => {
  it('spans from the run start to its last item', () => {
    expect(recordingSpan(recording)).toEqual({ start: 1000, end: 5000 });
    expect(recordingSpan({ ...recording, run: { ...run, stoppedAt: undefined }, events: [...events, { type: 'app_closed', ts: 7000 }] })).toEqual({ start: 1000, end: 7000 });
  });

  it('takes the last metrics sample at or before the instant', () => {
    expect(metricsAt(recording.metrics, 1999)).toBeNull();
    expect(metricsAt(recording.metrics, 3999)?.ts).toBe(2000);
    expect(metricsAt(recording.metrics, 4000)?.ts).toBe(4000);
  });

  it('shows at each instant the lifecycle, queue, rates and violations of that moment', () => {
    const early = viewAt(recording, 1150);
    expect(early.lifecycle.relay?.phase).toBe('on_start');
    expect(early.metrics).toEqual({});
    expect(early.violations).toHaveLength(0);

    const mid = viewAt(recording, 3000);
    expect(mid.lifecycle.relay?.label).toBe('started');
    expect(mid.lifecycle.relay?.timings.start).toBe(100);
    expect(mid.metrics.relay).toMatchObject({ queue: 1, thread: 3 });
    expect(mid.edgeRates['ticker->relay']).toBe(10);
    expect(mid.violations).toHaveLength(1);
    expect(mid.traces).toHaveLength(2);
    expect(mid.eventCount).toBe(3);

    const late = viewAt(recording, 5000);
    expect(late.metrics.relay).toMatchObject({ queue: 40, inPerSec: 250 });
    expect(late.lifecycle.relay?.phase).toBe('on_stop');
  });
});

describe('message inspector', () => {
  const steps = [
    step(10, 'sent', 'cmd', { preview: '{"seq":1}' }),
    step(10.2, 'queued', 'cmd'),
    step(10.5, 'delivered', 'cmd', { durMs: 0.1 }),
    step(10.7, 'sent', 'cmd_result', { src: 'echo', dest: 'ticker', status: 0 }),
    step(11.25, 'delivered', 'cmd_result', { src: 'echo', dest: 'ticker', status: 0 }),
    step(12, 'sent', 'cmd', { cmdId: 'c2' }),
    step(13, 'sent', 'data', { cmdId: '', name: 'tick', src: 'ticker', dest: 'relay' }),
  ];

  it('follows one cmd from sent to its result and measures the round trip', () => {
    const path = cmdPath('c1', [...steps].reverse());
    expect(path.steps.map((s) => `${s.type}:${s.stage}`)).toEqual(['cmd:sent', 'cmd:queued', 'cmd:delivered', 'cmd_result:sent', 'cmd_result:delivered']);
    expect(path.name).toBe('ping');
    expect(path.latencyMs).toBeCloseTo(1.25);
    expect(path.status).toBe('ok');
    const pending = cmdPath('c2', steps);
    expect(pending.latencyMs).toBeNull();
    expect(pending.status).toBe('no result traced');
    expect(cmdPath('c1', steps.map((s) => (s.type === 'cmd_result' ? { ...s, status: 1 } : s))).status).toBe('error');
  });

  it('across apps: the round trip is measured in the sender\'s app, not against the other app\'s steps', () => {
    const B = 'msgpack://127.0.0.1:8002/';
    const across = [
      step(10, 'sent', 'cmd'),
      step(10.4, 'delivered', 'cmd', { app: B }),
      step(10.5, 'sent', 'cmd_result', { src: 'echo', dest: 'ticker', status: 0, app: B }),
      // A result delivered in app B to someone else (a relay of the same cmd id) is not the answer.
      step(10.6, 'delivered', 'cmd_result', { src: 'echo', dest: 'ticker', status: 0, app: B }),
      step(11, 'delivered', 'cmd_result', { src: 'echo', dest: 'ticker', status: 0 }),
    ];
    const path = cmdPath('c1', across);
    expect(path.steps.map((s) => s.app ?? 'studio')).toEqual(['studio', B, B, B, 'studio']);
    expect(path.latencyMs).toBeCloseTo(1);
  });

  it('filters by edge and text and keeps the newest steps in time order', () => {
    expect(filterSteps(steps, { src: 'ticker', dest: 'relay' }, 10).map((s) => s.name)).toEqual(['tick']);
    expect(filterSteps(steps, { text: 'SEQ' }, 10)).toHaveLength(1);
    expect(filterSteps(steps, {}, 2).map((s) => s.ts)).toEqual([12, 13]);
  });
});

describe('debugger store', () => {
  beforeEach(() => useDebug.getState().reset());

  it('bounds the trace list and counts what it dropped with the host and stream counters', () => {
    const many = Array.from({ length: MAX_TRACES + 5 }, (_, i) => step(i, 'sent', 'data'));
    useDebug.getState().addTraces(many, { events: 1, traces: 2, metrics: 3 });
    useDebug.getState().addStreamDropped(4);
    const s = useDebug.getState();
    expect(s.traces).toHaveLength(MAX_TRACES);
    expect(s.traces[0]!.ts).toBe(5);
    expect(s.tracesDropped).toBe(5);
    expect(selectDroppedTotal(s)).toBe(1 + 2 + 3 + 4 + 5);
  });

  it('keeps the trace list object when a batch brings no steps', () => {
    useDebug.getState().addTraces([step(1, 'sent', 'data')], { events: 0, traces: 0, metrics: 0 });
    const before = useDebug.getState().traces;
    useDebug.getState().addTraces([], { events: 0, traces: 0, metrics: 0 });
    expect(useDebug.getState().traces).toBe(before);
  });
});

describe('run view under a fast stream', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('folds the batches that arrive before a frame once, in order, with the newest metrics', () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    useRunView.getState().follow({ ...run, state: 'running' });
    const batch = (evs: RunEvent[], metrics: MetricsSnapshot[]) => ({ type: 'telemetry' as const, time: 0, batches: [{ runId: 'r1', events: evs, metrics, traces: [], dropped: { events: 0, traces: 0, metrics: 0 } }] });
    useRunView.getState().apply(batch([events[0]!], [sample(2000, 1, 10)]));
    useRunView.getState().apply(batch([events[1]!], [sample(4000, 40, 250)]));
    useRunView.getState().apply(batch([events[2]!], []));
    expect(useRunView.getState().violations).toHaveLength(0);
    expect(frames).toHaveLength(1);
    frames[0]!(0);
    const s = useRunView.getState();
    expect(s.lifecycle.relay?.timings.start).toBe(100);
    expect(s.violations).toHaveLength(1);
    expect(s.metrics.relay).toMatchObject({ queue: 40, inPerSec: 250 });
  });
});

describe('connection state labels (the Connections panel and the app frames on the canvas)', () => {
  it('a weak remote says its start_graph is unanswered; it is not migrating (only an accepted connection migrates)', async () => {
    const { connectionStateLabel } = await import('../../../src/renderer/debugger/ConnectionsPanel');
    expect(connectionStateLabel({ state: 'open', weak: true })).toBe('open (start_graph sent)');
    expect(connectionStateLabel({ state: 'migrating', weak: false })).toBe('migrating');
    expect(connectionStateLabel({ state: 'attached', weak: false })).toBe('attached');
  });
});
