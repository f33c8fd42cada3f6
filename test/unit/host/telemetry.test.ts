// Pure telemetry aggregation: counters → rates and quantiles (runloops, extensions, the channels
// between groups), phase timings, rings, the Chrome trace export. Made-up samples, no threads.
import { describe, expect, it } from 'vitest';
import { computeMetrics, PhaseTimer, Ring, toChromeTrace } from '../../../src/host/runs';
import { HIST_BUCKETS, histBucket, histQuantile, type AppSample, type ChannelSample, type ExtensionCounters, type GroupSample } from '../../../src/runtime';
import type { ChannelMetrics, MetricsSnapshot, Recording } from '../../../src/shared';
import { channelMetrics } from '../../fixtures/channel-metrics';

function ext(name: string, o: Partial<ExtensionCounters> = {}): ExtensionCounters {
  return {
    extension: name,
    group: 'g',
    state: 'started',
    msgsIn: 0,
    msgsOut: 0,
    inByName: {},
    outByName: {},
    handlerMs: 0,
    handlerHist: new Array<number>(HIST_BUCKETS).fill(0),
    outByDest: {},
    outPaths: 0,
    inPaths: 0,
    pending: 0,
    waiting: [],
    droppedNoHandler: 0,
    ...o,
  };
}

function group(name: string, runloop: Partial<GroupSample['runloop']>, extensions: ExtensionCounters[]): GroupSample {
  return {
    group: name,
    runloop: { runloopId: `group:${name}#2.0`, threadId: 2, depth: 0, highWater: 0, drains: 0, maxBatch: 0, tasksRun: 0, busyMs: 0, coalescedWakes: 0, ...runloop },
    extensions,
    live: { engines: 0, threads: 0, extensions: extensions.length, paths: 0, timers: 0, handles: 0, processes: 0 },
    memory: { heapUsed: 0, external: 0 },
  };
}

const sample = (ts: number, groups: GroupSample[]): AppSample => ({ ts, graphs: [{ graphId: 'G', name: 'main', state: 'running', groups }] });

function histOf(entries: [ms: number, count: number][]): number[] {
  const h = new Array<number>(HIST_BUCKETS).fill(0);
  for (const [ms, n] of entries) h[histBucket(ms)]! += n;
  return h;
}

describe('handler-time histogram', () => {
  it('puts durations in log buckets and reads quantiles back within a bucket width', () => {
    expect(histBucket(0)).toBe(0);
    expect(histBucket(0.0005)).toBe(0);
    expect(histBucket(1e9)).toBe(HIST_BUCKETS - 1);
    const h = histOf([
      [0.01, 90],
      [5, 9],
      [100, 1],
    ]);
    expect(histQuantile(h, 0.5)!).toBeCloseTo(0.01, 2);
    const p99 = histQuantile(h, 0.99)!;
    expect(p99).toBeGreaterThan(5 * 0.9);
    expect(p99).toBeLessThan(5 * 1.1);
    expect(histQuantile(h, 1)!).toBeGreaterThan(90);
    expect(histQuantile(new Array<number>(HIST_BUCKETS).fill(0), 0.5)).toBeNull();
  });
});

describe('computeMetrics', () => {
  it("counts a Python extension's backlog in its process link and tasks, and names its process", () => {
    const g = group('py', { depth: 2 }, [ext('p', { runtime: 'python', tasks: 3 }), ext('t')]);
    g.python = { pid: 4242, version: '3.11.7', tasks: 3, threads: 2, stalls: 0, queued: 5, bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, localRoutes: 0, localMsgs: 0 };
    const m = computeMetrics(null, sample(1000, [g]));
    const [p, t] = m.graphs[0]!.extensions;
    expect(p).toMatchObject({ extension: 'p', inMsgsDepth: 10, pythonPid: 4242 });
    expect(t).toMatchObject({ extension: 't', inMsgsDepth: 2 });
    expect(t).not.toHaveProperty('pythonPid');
  });

  it('turns counter differences into per-second rates, busy % and batch sizes', () => {
    const prev = sample(1000, [
      group('g', { drains: 10, tasksRun: 100, busyMs: 10, depth: 3, highWater: 50 }, [
        ext('a', { msgsOut: 100, outByName: { tick: 100 }, outByDest: { b: 100 } }),
        ext('b', { msgsIn: 100, inByName: { tick: 100 }, handlerHist: histOf([[0.02, 100]]) }),
      ]),
    ]);
    const cur = sample(1500, [
      group('g', { drains: 20, tasksRun: 600, busyMs: 135, depth: 7, highWater: 80, maxBatch: 64 }, [
        ext('a', { msgsOut: 600, outByName: { tick: 600 }, outByDest: { b: 600 } }),
        ext('b', { msgsIn: 600, inByName: { tick: 600 }, handlerHist: histOf([[0.02, 100], [1, 490], [10, 10]]) }),
      ]),
    ]);
    const m = computeMetrics(prev, cur);
    expect(m.intervalMs).toBe(500);
    const g = m.graphs[0]!;
    const rl = g.runloops[0]!;
    expect(rl).toMatchObject({ group: 'g', threadId: 2, depth: 7, highWater: 80, drainsPerSec: 20, avgBatch: 50, maxBatch: 64, busyPct: 25 });
    const a = g.extensions.find((x) => x.extension === 'a')!;
    expect(a.msgsOutPerSec).toBe(1000);
    expect(a.outPerSecByName).toEqual({ tick: 1000 });
    expect(a.handlerP50Ms).toBeNull();
    const b = g.extensions.find((x) => x.extension === 'b')!;
    expect(b.inPerSecByName).toEqual({ tick: 1000 });
    expect(b.inMsgsDepth).toBe(7);
    // Only this interval's 500 handler calls count: p50 is 1 ms, p99 is 10 ms (±10%).
    expect(b.handlerP50Ms!).toBeGreaterThan(0.9);
    expect(b.handlerP50Ms!).toBeLessThan(1.1);
    expect(b.handlerP99Ms!).toBeGreaterThan(9);
    expect(b.handlerP99Ms!).toBeLessThan(11);
    expect(g.edges).toEqual([{ src: 'a', dest: 'b', msgsPerSec: 1000 }]);
  });

  it('reports zero rates for the first sample and counts new extensions from zero', () => {
    const first = computeMetrics(null, sample(1000, [group('g', { drains: 5, tasksRun: 50 }, [ext('a', { msgsOut: 10, outByDest: { b: 10 } })])]));
    expect(first.intervalMs).toBe(0);
    expect(first.graphs[0]!.extensions[0]!.msgsOutPerSec).toBe(0);
    expect(first.graphs[0]!.runloops[0]!.busyPct).toBe(0);
    const next = computeMetrics(
      sample(1000, [group('g', {}, [])]),
      sample(2000, [group('g', {}, [ext('late', { msgsIn: 30, inByName: { x: 30 } })])]),
    );
    expect(next.graphs[0]!.extensions[0]!.msgsInPerSec).toBe(30);
  });

  it('reports the rings between groups from their counters: depth, rates, drain batches and wakes', () => {
    const ring = (o: Partial<ChannelSample>): ChannelSample => ({
      from: 'a',
      to: 'b',
      capacity: 262144,
      bytes: 0,
      depth: 0,
      sent: 0,
      taken: 0,
      drains: 0,
      maxBatch: 0,
      looks: 0,
      wakes: 0,
      spilled: 0,
      full: 0,
      backlog: 0,
      highWater: 0,
      asleep: true,
      writerWaiting: false,
      closed: false,
      ...o,
    });
    const withRings = (ts: number, channels: ChannelSample[]): AppSample => ({ ts, graphs: [{ ...sample(ts, [group('a', {}, []), group('b', {}, [])]).graphs[0]!, channels }] });
    const m = computeMetrics(
      withRings(1000, [ring({ sent: 1000, taken: 1000, drains: 10, wakes: 10, spilled: 4 })]),
      withRings(1500, [ring({ sent: 6000, taken: 5600, drains: 30, wakes: 12, spilled: 9, full: 3, depth: 400, bytes: 32000, maxBatch: 512, backlog: 7, highWater: 65536, asleep: false })]),
    );
    expect(m.graphs[0]!.channels).toEqual([
      {
        from: 'a',
        to: 'b',
        depth: 400,
        bytes: 32000,
        capacity: 262144,
        backlog: 7,
        msgsPerSec: 9200,
        drainsPerSec: 40,
        avgBatch: 230,
        maxBatch: 512,
        wakesPerSec: 4,
        spilledPerSec: 10,
        spilled: 9,
        highWater: 65536,
        fullPerSec: 6,
        asleep: false,
        closed: false,
      },
    ]);
    // Without rings (ringBytes 0, or one group) there is no list.
    expect(computeMetrics(null, sample(0, [group('g', {}, [])])).graphs[0]).not.toHaveProperty('channels');
  });

  it('ignores sends without a destination extension (to the app) in edges', () => {
    const m = computeMetrics(sample(0, [group('g', {}, [ext('a')])]), sample(1000, [group('g', {}, [ext('a', { outByDest: { '': 5, b: 2 } })])]));
    expect(m.graphs[0]!.edges).toEqual([{ src: 'a', dest: 'b', msgsPerSec: 2 }]);
  });
});

describe('PhaseTimer', () => {
  it('gives *_done lifecycle events the time since their phase began, per extension', () => {
    const t = new PhaseTimer();
    const lc = (extension: string, phase: string, ts: number) =>
      t.annotate({ type: 'lifecycle', ts, graphId: 'G', extension, phase: phase as 'on_start' });
    expect(lc('a', 'on_start', 100)).not.toHaveProperty('phaseMs');
    lc('b', 'on_start', 110);
    expect(lc('a', 'on_start_done', 130)).toMatchObject({ phaseMs: 30 });
    expect(lc('b', 'on_start_done', 111)).toMatchObject({ phaseMs: 1 });
    expect(lc('a', 'on_stop_done', 200)).not.toHaveProperty('phaseMs');
  });

  it('drops free-form log fields from the stream', () => {
    const out = new PhaseTimer().annotate({ type: 'log', ts: 1, graphId: 'G', extension: 'a', level: 3, message: 'hi', fields: { big: 'x' } });
    expect(out).toEqual({ type: 'log', ts: 1, graphId: 'G', extension: 'a', level: 3, message: 'hi' });
  });
});

describe('Ring', () => {
  it('keeps the newest entries in order', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
  });
});

describe('toChromeTrace', () => {
  it('maps runloops to threads, deliveries to slices, depths to counters, cmd → result to flows, violations to instants', () => {
    const base = { graphId: 'G', group: 'g1', threadId: 7 };
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { runId: 'R', documentId: 'd', title: 't', state: 'stopped', graphs: [{ graphId: 'G', name: 'main', state: 'stopped' }], startedAt: 1000, tracing: null },
      savedAt: 2000,
      events: [
        { type: 'lifecycle', ts: 1010, graphId: 'G', extension: 'a', phase: 'on_start_done', phaseMs: 5 },
        { type: 'violation', ts: 1020, graphId: 'G', object: 'Data', owner: 'thread 7 runloop x', caller: 'thread 7 runloop x', reason: 'mutated after send', stack: 'Error\n at x', policy: 'report' },
      ],
      metrics: [
        {
          ts: 1100,
          intervalMs: 100,
          graphs: [
            {
              graphId: 'G',
              name: 'main',
              extensions: [{ extension: 'a', group: 'g1', state: 'started', inMsgsDepth: 4, inMsgsHighWater: 9, pending: 0, msgsInPerSec: 0, msgsOutPerSec: 0, inPerSecByName: {}, outPerSecByName: {}, handlerP50Ms: null, handlerP99Ms: null, msgsInTotal: 0, msgsOutTotal: 0, waiting: [], droppedNoHandler: 0 }],
              runloops: [{ group: 'g1', runloopId: 'x', threadId: 7, depth: 4, highWater: 9, drainsPerSec: 1, avgBatch: 1, maxBatch: 1, busyPct: 3 }],
              edges: [],
            },
          ],
        },
      ],
      traces: [
        { ...base, ts: 1030, stage: 'sent', type: 'cmd', name: 'ping', src: 'a', dest: 'b', cmdId: 'c1', preview: '{}' },
        { ...base, ts: 1031, stage: 'delivered', type: 'cmd', name: 'ping', src: 'a', dest: 'b', cmdId: 'c1', durMs: 0.5 },
        { ...base, ts: 1032, stage: 'sent', type: 'cmd_result', name: 'ping', src: 'b', dest: 'a', cmdId: 'c1', status: 0 },
        { ...base, ts: 1033, stage: 'delivered', type: 'cmd_result', name: 'ping', src: 'b', dest: 'a', cmdId: 'c1', status: 0, durMs: 0.1 },
      ],
      dropped: { events: 0, traces: 0, metrics: 0 },
    };
    const { traceEvents } = toChromeTrace(rec);
    expect(traceEvents).toContainEqual({ name: 'thread_name', ph: 'M', pid: 1, tid: 7, args: { name: 'group g1' } });
    expect(traceEvents).toContainEqual({ name: 'process_name', ph: 'M', pid: 1, args: { name: 'graph main' } });
    const lifecycle = traceEvents.find((e) => e.cat === 'lifecycle')!;
    expect(lifecycle).toMatchObject({ ph: 'X', tid: 7, ts: 5000, dur: 5000, name: 'a on_start' });
    expect(traceEvents.find((e) => e.cat === 'violation')).toMatchObject({ ph: 'i', s: 't', tid: 7, ts: 20000 });
    expect(traceEvents.find((e) => e.ph === 'C' && e.name === 'in_msgs g1')).toMatchObject({ ts: 100000, args: { depth: 4 } });
    const handler = traceEvents.filter((e) => e.cat === 'handler');
    expect(handler.map((e) => e.dur)).toEqual([500, 100]);
    const start = traceEvents.find((e) => e.ph === 's')!;
    const finish = traceEvents.find((e) => e.ph === 'f')!;
    expect(start.id).toBe(finish.id);
    expect(start.ts).toBe(30000);
    expect(finish).toMatchObject({ ts: 33000, bp: 'e' });
  });

  it('gives each channel between groups counter tracks (depth and backlog, bytes, rates) named from → to, and an instant when it fills', () => {
    const channel = (o: Partial<ChannelMetrics>): ChannelMetrics =>
      channelMetrics('src', 'dst', { capacity: 4096, spilled: 0, highWater: 0, ...o });
    const snapshot = (ts: number, channels: ChannelMetrics[]): MetricsSnapshot => ({
      ts,
      intervalMs: 100,
      graphs: [
        {
          graphId: 'G',
          name: 'main',
          extensions: [],
          runloops: [
            { group: 'src', runloopId: 's', threadId: 3, depth: 0, highWater: 0, drainsPerSec: 0, avgBatch: 0, maxBatch: 0, busyPct: 0 },
            { group: 'dst', runloopId: 'd', threadId: 4, depth: 0, highWater: 0, drainsPerSec: 0, avgBatch: 0, maxBatch: 0, busyPct: 0 },
          ],
          edges: [],
          channels,
        },
      ],
    });
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { runId: 'R', documentId: 'd', title: 't', state: 'stopped', graphs: [{ graphId: 'G', name: 'main', state: 'stopped' }], startedAt: 1000, tracing: null },
      savedAt: 2000,
      events: [],
      metrics: [
        snapshot(1100, [channel({ depth: 3, bytes: 120, msgsPerSec: 500, drainsPerSec: 50, avgBatch: 10, wakesPerSec: 20, spilledPerSec: 0 })]),
        snapshot(1200, [channel({ depth: 90, bytes: 4000, backlog: 12, fullPerSec: 20, msgsPerSec: 800, drainsPerSec: 4, avgBatch: 200, wakesPerSec: 0, spilledPerSec: 30, spilled: 3, asleep: false })]),
        snapshot(1300, [channel({ depth: 80, bytes: 3900, backlog: 40, fullPerSec: 10, msgsPerSec: 700, spilled: 3, asleep: false })]),
        snapshot(1400, [channel({ depth: 0, msgsPerSec: 900 })]),
        // Full for a moment between two samples: nothing held back when sampled, but the sender found no room.
        snapshot(1500, [channel({ depth: 2, fullPerSec: 30, msgsPerSec: 900 })]),
        snapshot(1600, [channel({ depth: 2, fullPerSec: 10, msgsPerSec: 900 })]),
      ],
      traces: [],
      dropped: { events: 0, traces: 0, metrics: 0 },
    };
    const { traceEvents } = toChromeTrace(rec);
    const counters = (name: string) => traceEvents.filter((e) => e.ph === 'C' && e.name === name);
    expect(counters('channel src → dst').map((e) => [e.pid, e.ts, e.args])).toEqual([
      [1, 100000, { depth: 3, backlog: 0 }],
      [1, 200000, { depth: 90, backlog: 12 }],
      [1, 300000, { depth: 80, backlog: 40 }],
      [1, 400000, { depth: 0, backlog: 0 }],
      [1, 500000, { depth: 2, backlog: 0 }],
      [1, 600000, { depth: 2, backlog: 0 }],
    ]);
    expect(counters('channel src → dst queued').map((e) => e.args)).toEqual([{ bytes: 120 }, { bytes: 4000 }, { bytes: 3900 }, { bytes: 0 }, { bytes: 0 }, { bytes: 0 }]);
    expect(counters('channel src → dst rates')[1]!.args).toEqual({ 'msgs/s': 800, 'drains/s': 4, 'wakes/s': 0, 'spills/s': 30 });
    expect(counters('channel src → dst batch')[0]!.args).toEqual({ 'msgs/drain': 10 });
    // Filling up is an instant on the sending group's thread, once per episode (samples in a row
    // whose interval found it full or that hold messages back).
    const full = traceEvents.filter((e) => e.cat === 'channel' && e.ph === 'i');
    expect(full).toEqual([
      { name: 'channel src → dst full', cat: 'channel', ph: 'i', s: 't', pid: 1, tid: 3, ts: 200000, args: { backlog: 12, bytes: 4000, capacity: 4096, 'full/s': 20 } },
      { name: 'channel src → dst full', cat: 'channel', ph: 'i', s: 't', pid: 1, tid: 3, ts: 500000, args: { backlog: 0, bytes: 0, capacity: 4096, 'full/s': 30 } },
    ]);
  });
});
