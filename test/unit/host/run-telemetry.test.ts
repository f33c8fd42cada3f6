// RunTelemetry's budgets and history with a stand-in App: what the stream carries per batch,
// what it counts as dropped, and what it keeps for getRun and recordings.
import { describe, expect, it } from 'vitest';
import { RunTelemetry } from '../../../src/host/runs';
import type { App, AppSample, RuntimeEvent, TraceListener, TraceRecord } from '../../../src/runtime';
import { runMethodValidators, validateRecording } from '../../../src/shared';

class FakeApp {
  listeners = new Set<(e: RuntimeEvent) => void>();
  traceListeners = new Set<TraceListener>();
  pendingSample: ((s: AppSample) => void) | null = null;
  onEvent(l: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onTrace(l: TraceListener): () => void {
    this.traceListeners.add(l);
    return () => this.traceListeners.delete(l);
  }
  sample(): Promise<AppSample> {
    return new Promise((r) => (this.pendingSample = r));
  }
  emit(e: RuntimeEvent): void {
    for (const l of this.listeners) l(e);
  }
  trace(records: TraceRecord[], dropped: number): void {
    for (const l of this.traceListeners) l('G', records, dropped);
  }
}

const log = (i: number): RuntimeEvent => ({ type: 'log', ts: i, graphId: 'G', extension: 'x', level: 3, message: `m${i}` });
const lifecycle = (i: number): RuntimeEvent => ({ type: 'lifecycle', ts: i, graphId: 'G', extension: `x${i}`, phase: 'on_start' });
const step = (i: number): TraceRecord => ({ ts: i, stage: 'sent', type: 'data', name: 'd', src: 'a', dest: 'b', cmdId: '', group: 'g', threadId: 2 });

function setup(limits = {}) {
  const app = new FakeApp();
  let news = 0;
  const t = new RunTelemetry(app as unknown as App, 'R', () => news++, { logsPerBatch: 3, eventsPerBatch: 2, tracesPerBatch: 4, historyLogs: 5, historyEvents: 10, ...limits });
  return { app, t, news: () => news };
}

describe('RunTelemetry', () => {
  it('caps each batch by kind, counts the overflow, and keeps lifecycle apart from a log flood', () => {
    const { app, t, news } = setup();
    for (let i = 0; i < 10; i++) app.emit(log(i));
    app.emit(lifecycle(100));
    app.emit(lifecycle(101));
    app.emit(lifecycle(102));
    app.trace([1, 2, 3, 4, 5, 6].map(step), 7);
    expect(news()).toBeGreaterThan(0);
    const batch = t.takeBatch()!;
    expect(batch.events.filter((e) => e.type === 'log')).toHaveLength(3);
    expect(batch.events.filter((e) => e.type === 'lifecycle')).toHaveLength(2);
    expect(batch.traces).toHaveLength(4);
    expect(batch.traces[0]).toMatchObject({ graphId: 'G' });
    expect(batch.dropped).toEqual({ events: 7 + 1, traces: 7 + 2, metrics: 0 });
    expect(t.takeBatch()).toBeNull();
    // History: the newest 5 logs, every lifecycle event, in time order.
    const history = t.history();
    expect(history.filter((e) => e.type === 'log').map((e) => e.ts)).toEqual([5, 6, 7, 8, 9]);
    expect(history.filter((e) => e.type === 'lifecycle')).toHaveLength(3);
    expect(history.map((e) => e.ts)).toEqual([...history.map((e) => e.ts)].sort((a, b) => a - b));
  });

  it('skips and counts a sample while the previous one has not come back', async () => {
    const { app, t } = setup();
    const first = t.sampleOnce();
    await t.sampleOnce();
    expect(t.dropped.metrics).toBe(1);
    app.pendingSample!({ ts: 1, graphs: [{ graphId: 'G', name: 'g', state: 'running', groups: [] }] });
    await first;
    expect(t.latestMetrics()).toMatchObject({ ts: 1, graphs: [{ graphId: 'G' }] });
    expect(t.takeBatch()!.metrics).toHaveLength(1);
  });

  it("joins an app process's metrics to the run's snapshot, tagged with the app, rated against that app's own previous sample, and leaves out a stale one", async () => {
    const { app, t } = setup();
    const B = 'msgpack://127.0.0.1:8002/';
    const group = (msgsIn: number) => ({
      group: 'relays',
      runloop: { runloopId: 'r', threadId: 3, depth: 0, highWater: 0, drains: 0, tasksRun: 0, busyMs: 0, maxBatch: 0 },
      extensions: [{ extension: 'relay', state: 'started', msgsIn, msgsOut: 0, inByName: {}, outByName: {}, pending: 0, waiting: [], droppedNoHandler: 0, handlerHist: [] }],
    });
    const conn = { id: 1, uri: 'msgpack://127.0.0.1:8001/', peer: 'p', role: 'in_internal', graphId: 'G', state: 'attached', weak: false, bytesIn: 0, bytesOut: 0, msgsIn: 0, msgsOut: 0, dropsIn: 0, dropsOut: 0 };
    t.addAppSample(B, { ts: 1000, graphs: [{ graphId: 'G', name: 'g', state: 'running', groups: [group(0)] }], connections: [conn] } as unknown as AppSample);
    t.addAppSample(B, { ts: 1100, graphs: [{ graphId: 'G', name: 'g', state: 'running', groups: [group(50)] }], connections: [conn] } as unknown as AppSample);
    const own = async (ts: number) => {
      const p = t.sampleOnce();
      app.pendingSample!({ ts, graphs: [{ graphId: 'G', name: 'g', state: 'running', groups: [] }] });
      await p;
      return t.latestMetrics()!;
    };
    const m = await own(1150);
    expect(m.graphs.map((g) => g.app)).toEqual([undefined, B]);
    expect(m.graphs[1]!.extensions).toMatchObject([{ extension: 'relay', msgsInPerSec: 500, msgsInTotal: 50 }]);
    expect(m.connections).toMatchObject([{ id: 1, app: B, state: 'attached' }]);
    // Nothing from the app for more than a second (it ended or stalls): not shown as current.
    const later = await own(2200);
    expect(later.graphs.map((g) => g.app)).toEqual([undefined]);
    expect(later.connections).toBeUndefined();
  });

  it('only keeps history when nobody streams (the CLI recorder)', () => {
    const app = new FakeApp();
    const t = new RunTelemetry(app as unknown as App, 'R', null);
    app.emit(lifecycle(1));
    app.trace([step(1)], 0);
    expect(t.takeBatch()).toBeNull();
    expect(t.history()).toHaveLength(1);
    expect(t.traces.toArray()).toHaveLength(1);
    t.stop();
    app.emit(lifecycle(2));
    expect(t.history()).toHaveLength(1);
  });
});

describe('run method validators', () => {
  const v = runMethodValidators((x) => (typeof x === 'object' && x !== null ? null : 'expects "document" to be an object'));
  it('refuses bad tracing settings, unknown fields and relative paths with the field named', () => {
    expect(v.setTracing.validate({ runId: 'r', tracing: { edges: [{ src: '' }], sampleEvery: 1 } })).toBe('expects "tracing.edges[0].src" to be a non-empty string');
    expect(v.setTracing.validate({ runId: 'r', tracing: { edges: [{}], sampleEvery: 1.5 } })).toBe('expects "tracing.sampleEvery" to be an integer from 1 to 1000000');
    expect(v.setTracing.validate({ runId: 'r', tracing: { edges: [{ via: 'x' }], sampleEvery: 1 } })).toBe('does not accept "tracing.edges[0].via"');
    expect(v.setTracing.validate({ runId: 'r', tracing: null })).toBeNull();
    expect(v.saveRecording.validate({ runId: 'r', path: 'rec.json' })).toMatch(/absolute path/);
    expect(v.startRun.validate({ document: {}, violationPolicy: 'ignore' })).toMatch(/"violationPolicy" to be one of/);
    expect(v.listRuns.validate({})).toBe('takes no parameters');
    expect(v.stopRun.validate({ runId: 'x'.repeat(300) })).toMatch(/at most 256/);
  });

  it('checks a recording file before the host trusts it', () => {
    const ok = { format: 'ten-studio-recording', version: 1, run: { runId: 'r', title: 't' }, savedAt: 1, events: [], metrics: [], traces: [], dropped: { events: 0, traces: 0, metrics: 0 } };
    expect(validateRecording(ok)).toBeNull();
    expect(validateRecording({ ...ok, version: 2 })).toMatch(/"recording.version" to be 1/);
    expect(validateRecording({ ...ok, events: [1] })).toMatch(/"recording.events\[0\]" to be an event/);
  });
});

describe('metrics history', () => {
  it('keeps the recent samples at full rate and older ones thinned out', async () => {
    const app = new FakeApp();
    const t = new RunTelemetry(app as unknown as App, 'R', null, { historyMetrics: 5, historyMetricsCoarse: 3, coarseEvery: 4 });
    for (let ts = 0; ts < 20; ts++) {
      const p = t.sampleOnce();
      app.pendingSample!({ ts, graphs: [{ graphId: 'G', name: 'g', state: 'running', groups: [] }] });
      await p;
    }
    // Coarse: samples 0, 4, 8, 12, 16 → the last 3 (8, 12, 16), of which those before the recent window.
    expect(t.metricsHistory().map((m) => m.ts)).toEqual([8, 12, 15, 16, 17, 18, 19]);
  });
});

describe('cmd latency', () => {
  it('gives a traced result delivered back to its sender the time since its cmd was sent', () => {
    const { app, t } = setup({ tracesPerBatch: 100 });
    const base = { group: 'g', threadId: 2, name: 'ping' };
    app.trace(
      [
        { ...base, ts: 10, stage: 'sent', type: 'cmd', src: 'a', dest: 'b', cmdId: 'c1' },
        { ...base, ts: 12, stage: 'delivered', type: 'cmd', src: 'a', dest: 'b', cmdId: 'c1', durMs: 1 },
        { ...base, ts: 15.5, stage: 'delivered', type: 'cmd_result', src: 'b', dest: 'a', cmdId: 'c1', status: 0, durMs: 0.1 },
        { ...base, ts: 16, stage: 'delivered', type: 'cmd_result', src: 'b', dest: 'a', cmdId: 'unknown', status: 0 },
      ],
      0,
    );
    const steps = t.takeBatch()!.traces;
    expect(steps[2]!.latencyMs).toBe(5.5);
    expect(steps[1]).not.toHaveProperty('latencyMs');
    expect(steps[3]).not.toHaveProperty('latencyMs');
  });
});
