// Runs of graphs spanning apps, the pure parts: who runs which app, connection metrics from two
// samples, connection events in the Chrome trace export and in the run view.
import { describe, expect, it } from 'vitest';
import { computeMetrics, toChromeTrace } from '../../../src/host/runs';
import { planApps } from '../../../src/host/runs/apps';
import type { AppSample, ConnectionSample } from '../../../src/runtime';
import type { GraphDocument, Recording, RunEvent } from '../../../src/shared';
import { foldEvents } from '../../../src/renderer/debugger/runStore';

const A = 'msgpack://127.0.0.1:8001/';
const B = 'msgpack://127.0.0.1:8002/';
const C = 'msgpack://10.1.2.3:8003/';

function doc(uri: string | undefined, apps: string[]): GraphDocument {
  return {
    id: 'x',
    title: 'x',
    origin: { kind: 'untitled' },
    property: {
      ten: {
        ...(uri ? { uri } : {}),
        predefined_graphs: [{ name: 'g', auto_start: true, graph: { nodes: apps.map((app, i) => ({ type: 'extension', name: `n${i}`, addon: 'x', app })) } }],
      },
    },
  } as GraphDocument;
}

describe('which app runs where', () => {
  it("the document's own URI runs in the studio, other loopback apps as processes, others are remote", () => {
    expect(planApps(doc(A, [A, B, C]), ['g'])).toEqual({ own: A, processes: [B], remote: [C] });
  });

  it('without a ten.uri among the apps, the first loopback app runs in the studio', () => {
    expect(planApps(doc(undefined, [C, B, A]), ['g'])).toEqual({ own: B, processes: [A], remote: [C] });
  });

  it('apps the user says are running are connected to, not started', () => {
    expect(planApps(doc(A, [A, B]), ['g'], [B])).toEqual({ own: A, processes: [], remote: [B] });
  });

  it('a graph in one app needs no plan; one with no app the studio can run is refused', () => {
    expect(planApps(doc(A, [A, A]), ['g'])).toBeNull();
    expect(planApps(doc(undefined, []), ['g'])).toBeNull();
    expect(() => planApps(doc(undefined, [C, 'msgpack://10.1.2.4:1/']), ['g'])).toThrow(/can run in the studio/);
  });
});

const conn = (o: Partial<ConnectionSample>): ConnectionSample => ({
  id: 1,
  uri: B,
  peer: '127.0.0.1:8002',
  role: 'out_internal',
  graphId: 'G',
  state: 'init',
  migration: 'done',
  attachTo: 'remote',
  weak: false,
  bytesIn: 0,
  bytesOut: 0,
  msgsIn: 0,
  msgsOut: 0,
  dropsIn: 0,
  dropsOut: 0,
  ...o,
});

describe('connection metrics', () => {
  it('rates per direction over the interval, and the state in the studio words', () => {
    const s = (ts: number, connections: ConnectionSample[]): AppSample => ({ ts, graphs: [], connections });
    const m = computeMetrics(
      s(1000, [conn({ bytesIn: 100, bytesOut: 1000, msgsIn: 1, msgsOut: 10 }), conn({ id: 2, attachTo: 'app', migration: 'first_msg' })]),
      s(1500, [
        conn({ bytesIn: 600, bytesOut: 3000, msgsIn: 6, msgsOut: 30, dropsOut: 2 }),
        conn({ id: 2, attachTo: 'app', migration: 'first_msg' }),
        conn({ id: 3, attachTo: 'app', migration: 'init', uri: '' }),
        conn({ id: 4, state: 'closing' }),
      ]),
    );
    expect(m.connections?.map((c) => [c.id, c.state, c.bytesInPerSec, c.bytesOutPerSec, c.msgsInPerSec, c.msgsOutPerSec, c.dropsOut])).toEqual([
      [1, 'attached', 1000, 4000, 10, 40, 2],
      [2, 'migrating', 0, 0, 0, 0, 0],
      [3, 'open', 0, 0, 0, 0, 0],
      [4, 'closing', 0, 0, 0, 0, 0],
    ]);
  });

  it("says which thread owns each connection's socket", () => {
    const m = computeMetrics(null, { ts: 1000, graphs: [], connections: [conn({ socket: 'group g1' }), conn({ id: 2, socket: 'host' })] });
    expect(m.connections?.map((c) => c.socket)).toEqual(['group g1', 'host']);
  });
});

describe('connection events', () => {
  const ev = (ts: number, state: Extract<RunEvent, { type: 'connection' }>['state'], extra: Partial<Extract<RunEvent, { type: 'connection' }>> = {}): RunEvent => ({
    type: 'connection',
    ts,
    graphId: 'G',
    id: 3,
    uri: B,
    peer: '127.0.0.1:8002',
    role: 'in_internal',
    state,
    ...extra,
  });

  it('become a thread per connection in the Chrome trace: its life as a slice, each step an instant', () => {
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { runId: 'r', documentId: 'd', title: 't', state: 'stopped', graphs: [{ graphId: 'G', name: 'main', state: 'stopped' }], startedAt: 1000, tracing: null },
      savedAt: 5000,
      events: [ev(1000, 'opened'), ev(1001, 'migrating', { detail: "start_graph 'ten:start_graph'" }), ev(1002, 'attached'), ev(1010, 'closed'), ev(1003, 'error', { app: B, id: 7, uri: A, detail: 'Malformed' })],
      metrics: [{ ts: 1005, intervalMs: 100, graphs: [], connections: [{ id: 3, uri: B, peer: 'p', role: 'in_internal', graphId: 'G', state: 'attached', weak: false, bytesInPerSec: 10, bytesOutPerSec: 20, msgsInPerSec: 1, msgsOutPerSec: 2, bytesIn: 0, bytesOut: 0, msgsIn: 0, msgsOut: 0, dropsIn: 0, dropsOut: 0 }] }],
      traces: [],
      dropped: { events: 0, traces: 0, metrics: 0 },
    };
    const { traceEvents } = toChromeTrace(rec);
    const mine = traceEvents.filter((e) => e.cat === 'connection' && e.tid === 3);
    expect(mine.filter((e) => e.ph === 'i').map((e) => [e.name, e.ts])).toEqual([
      ['opened', 0],
      ["migrating: start_graph 'ten:start_graph'", 1000],
      ['attached', 2000],
      ['closed', 10000],
    ]);
    expect(mine.find((e) => e.ph === 'X')).toMatchObject({ name: B, ts: 0, dur: 10000 });
    expect(traceEvents).toContainEqual({ name: 'process_name', ph: 'M', pid: 100_000, args: { name: 'connections of the studio app' } });
    expect(traceEvents).toContainEqual({ name: 'process_name', ph: 'M', pid: 100_001, args: { name: `connections of ${B}` } });
    expect(traceEvents.find((e) => e.ph === 'C' && e.name.startsWith('bytes/s #3'))).toMatchObject({ args: { in: 10, out: 20 } });
  });

  it("the part of a graph in an app process is a process of its own in the Chrome trace, its extensions' phases on its threads", () => {
    const runloop = (group: string, threadId: number) => ({ group, runloopId: group, threadId, depth: 1, highWater: 1, drainsPerSec: 0, avgBatch: 0, maxBatch: 0, busyPct: 5 });
    const ext = (extension: string, group: string) => ({ extension, group, state: 'started', inMsgsDepth: 0, inMsgsHighWater: 0, pending: 0, msgsInPerSec: 0, msgsOutPerSec: 0, inPerSecByName: {}, outPerSecByName: {}, handlerP50Ms: null, handlerP99Ms: null, msgsInTotal: 0, msgsOutTotal: 0, waiting: [], droppedNoHandler: 0 });
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { runId: 'r', documentId: 'd', title: 't', state: 'stopped', graphs: [{ graphId: 'G', name: 'main', state: 'stopped' }], startedAt: 1000, tracing: null },
      savedAt: 5000,
      events: [{ type: 'lifecycle', ts: 1004, graphId: 'G', extension: 'relay', phase: 'on_start_done', phaseMs: 2 }],
      metrics: [
        {
          ts: 1005,
          intervalMs: 100,
          graphs: [
            { graphId: 'G', name: 'main', extensions: [ext('ticker', 'sources')], runloops: [runloop('sources', 2)], edges: [] },
            { graphId: 'G', name: 'main', app: B, extensions: [ext('relay', 'relays')], runloops: [runloop('relays', 2)], edges: [] },
          ],
        },
      ],
      traces: [
        { ts: 1006, graphId: 'G', stage: 'sent', type: 'cmd', name: 'ping', src: 'ticker', dest: 'echo', cmdId: 'c', group: 'sources', threadId: 2 },
        { ts: 1007, graphId: 'G', app: B, stage: 'delivered', type: 'cmd', name: 'ping', src: 'ticker', dest: 'echo', cmdId: 'c', group: 'relays', threadId: 2, durMs: 0.1 },
      ],
      dropped: { events: 0, traces: 0, metrics: 0 },
    };
    const { traceEvents } = toChromeTrace(rec);
    expect(traceEvents.find((e) => e.name === 'send cmd ping')).toMatchObject({ pid: 1, tid: 2 });
    expect(traceEvents.find((e) => e.name === 'echo: cmd ping')).toMatchObject({ pid: 2, tid: 2 });
    const names = traceEvents.filter((e) => e.name === 'process_name').map((e) => [e.pid, (e.args as { name: string }).name]);
    expect(names).toContainEqual([1, 'graph main']);
    expect(names).toContainEqual([2, `graph main in ${B}`]);
    // Both apps have a thread 2: each is on its own process's track.
    expect(traceEvents.filter((e) => e.name === 'thread_name' && e.tid === 2).map((e) => [e.pid, (e.args as { name: string }).name])).toEqual([
      [1, 'group sources'],
      [2, 'group relays'],
    ]);
    expect(traceEvents.find((e) => e.name === 'relay on_start')).toMatchObject({ pid: 2, tid: 2 });
    expect(traceEvents.filter((e) => e.name === 'busy % relays').map((e) => e.pid)).toEqual([2]);
  });

  it('are kept in the run view, and a broken connection is an error line too', () => {
    const s = foldEvents({ lifecycle: {}, violations: [], logs: [] }, [ev(1, 'opened'), ev(2, 'error', { detail: 'Malformed TEN message #1 …' })]);
    expect(s.connectionEvents.map((e) => e.state)).toEqual(['opened', 'error']);
    expect(s.logs).toEqual([{ type: 'error', ts: 2, graphId: 'G', extension: '', phase: `connection #3 ${B}`, message: 'Malformed TEN message #1 …', stack: '' }]);
  });
});
