// Runs and telemetry through the real browser-mode WebSocket transport: a real Host, real
// worker threads, the built-in example apps.
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import type {
  GraphDocument,
  HostEvent,
  MetricsSnapshot,
  Recording,
  RunInfo,
  RunSnapshot,
  TraceStep,
} from '../../../src/shared';
import type { TenGraph } from '../../../src/shared/graph/types';
import { connect, errorOf, resultOf, type TestClient } from './wsClient';
import { batches, runEvents, waitFor } from './runStream';

let host: Host;
let server: RunningServer;
let tmp: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ten-studio-runs-'));
  await writeFile(join(tmp, 'index.html'), '<!doctype html><title>studio</title>');
  host = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(tmp, 'data') });
  server = await startServer({ host, rendererDir: tmp, port: 0 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await host.dispose();
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

async function client(): Promise<TestClient> {
  const c = await connect(server);
  clients.push(c);
  return c;
}

const runTraces = (events: HostEvent[], runId: string): TraceStep[] => batches(events, runId).flatMap((b) => b.traces);

async function example(c: TestClient, id: string): Promise<GraphDocument> {
  return resultOf<GraphDocument>(await c.call('openExample', { id }));
}

/** A document with one generator → sink graph; `burst` messages every `intervalMs`. */
function generatorDoc(intervalMs: number, burst: number, name = 'gen'): GraphDocument {
  return {
    id: `example:${name}`,
    title: name,
    origin: { kind: 'example', exampleId: 'hello-pipeline' },
    property: {
      ten: {
        predefined_graphs: [
          {
            name,
            auto_start: true,
            graph: {
              nodes: [
                { type: 'extension', name: 'gen', addon: 'data_generator', extension_group: 'src', property: { interval_ms: intervalMs, burst, data_name: 'tick' } },
                { type: 'extension', name: 'sink', addon: 'counter_sink', extension_group: 'dst', property: { log_every_ms: 0 } },
              ],
              connections: [{ extension: 'gen', data: [{ name: 'tick', dest: [{ extension: 'sink' }] }] }],
            },
          },
        ],
      },
    },
  };
}

const PHASES = ['created', 'on_configure', 'on_configure_done', 'on_init', 'on_init_done', 'on_start', 'on_start_done'];
const STOP_PHASES = ['on_stop', 'on_stop_done', 'on_deinit', 'on_deinit_done'];

describe('runs over the WebSocket', () => {
  it('runs the hello-pipeline example and streams lifecycle events in order, with phase timings', async () => {
    const c = await client();
    const doc = await example(c, 'hello-pipeline');
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    expect(run.state).toBe('running');
    expect(run.graphs.map((g) => g.name)).toEqual(['hello_pipeline']);
    const extensions = ['ticker', 'mic', 'relay', 'echo', 'stats'];
    await waitFor('every on_start_done', () =>
      extensions.every((x) => runEvents(c.events, run.runId).some((e) => e.type === 'lifecycle' && e.extension === x && e.phase === 'on_start_done')),
    );
    const stopped = resultOf<RunInfo>(await c.call('stopRun', { runId: run.runId }));
    expect(stopped.state).toBe('stopped');
    await waitFor('every on_deinit_done', () =>
      extensions.every((x) => runEvents(c.events, run.runId).some((e) => e.type === 'lifecycle' && e.extension === x && e.phase === 'on_deinit_done')),
    );
    for (const x of extensions) {
      const phases = runEvents(c.events, run.runId).filter((e) => e.type === 'lifecycle' && e.extension === x);
      expect(phases.map((e) => (e as { phase: string }).phase)).toEqual([...PHASES, ...STOP_PHASES]);
      for (const e of phases) {
        if (e.type === 'lifecycle' && e.phase.endsWith('_done')) expect(e.phaseMs).toBeGreaterThanOrEqual(0);
      }
    }
    const states = c.events.filter((e) => e.type === 'run.state' && e.run.runId === run.runId).map((e) => (e as { run: RunInfo }).run.state);
    expect(states[0]).toBe('starting');
    expect(states.at(-1)).toBe('stopped');
    expect(states).toContain('running');
  }, 60_000);

  it('stops a run whose start never finishes: Stop works while it is starting, and startRun answers with the stopped run', async () => {
    const c = await client();
    // An app folder with the runtime fixtures' probe, whose instance `hang_create` is never created.
    const dir = join(tmp, 'hang-app');
    await cp(resolve('test/fixtures/runtime/app/ten_packages/extension/probe'), join(dir, 'ten_packages', 'extension', 'probe'), { recursive: true });
    const graph: TenGraph = { nodes: [{ type: 'extension', name: 'hang_create', addon: 'probe', extension_group: 'g1' }], connections: [] };
    const origin = { kind: 'app' as const, dir, propertyFile: join(dir, 'property.json'), packages: ['probe'] };
    const doc: GraphDocument = { id: 'app:hang', title: 'hang', origin, property: { ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph }] } } };
    const started = c.call('startRun', { document: doc });
    const starting = await waitFor('the run to be starting', () => {
      const e = c.events.find((x) => x.type === 'run.state' && x.run.documentId === 'app:hang' && x.run.state === 'starting');
      return e?.type === 'run.state' ? e.run : undefined;
    });
    const stopped = resultOf<RunInfo>(await c.call('stopRun', { runId: starting.runId }));
    expect(stopped.state).toBe('stopped');
    const answer = resultOf<RunInfo>(await started);
    expect(answer).toMatchObject({ runId: starting.runId, state: 'stopped' });
    // Stopped while its modules were built, or while the extension was being created.
    expect(answer.error).toMatch(/^main: The app is closing: the graph was stopped while it started(: extension 'hang_create' \(group 'g1'\) was still being created)?\.$/);
  }, 60_000);

  it("writes the file emitters of the app's ten.log handlers, and says what is wrong with the others", async () => {
    const c = await client();
    const doc = generatorDoc(10, 1, 'logged');
    const file = join(tmp, 'logs', 'run.log');
    const graph = doc.property.ten!.predefined_graphs![0]!.graph as TenGraph;
    graph.nodes[1]!.property = { log_every_ms: 30 };
    doc.property.ten!.log = {
      handlers: [
        { matchers: [{ level: 'info' }], formatter: { type: 'json' }, emitter: { type: 'file', config: { path: file } } },
        { matchers: [{ level: 'loud' }], formatter: { type: 'plain' }, emitter: { type: 'file', config: { path: join(tmp, 'never.log') } } },
      ],
    };
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter((l) => l !== '');
    await waitFor('a counter_sink line in the log file', () => lines().some((l) => l.includes('[sink] counter_sink:')));
    expect(resultOf<RunInfo>(await c.call('stopRun', { runId: run.runId })).state).toBe('stopped');
    for (const l of lines()) expect(JSON.parse(l)).toMatchObject({ level: expect.stringMatching(/^(INFO|WARN|ERROR)$/), category: '', tid: 0 });
    expect(c.events.some((e) => e.type === 'log' && e.message.includes('ten.log.handlers[1].matchers[0].level: "loud" is not a log level'))).toBe(true);
    expect(existsSync(join(tmp, 'never.log'))).toBe(false);
  });

  it('reports a generator at its known rate (within 20%)', async () => {
    const c = await client();
    // 20 messages every 50 ms: 400 msgs/s.
    const run = resultOf<RunInfo>(await c.call('startRun', { document: generatorDoc(50, 20) }));
    try {
      // Rate values of the sink over ~4 s of snapshots, weighted by each snapshot's interval.
      const rate = await waitFor('4 s of metrics', () => {
        let weighted = 0;
        let ms = 0;
        let skipped = 0;
        for (const b of batches(c.events, run.runId)) {
          for (const m of b.metrics) {
            const sink = m.graphs[0]?.extensions.find((x) => x.extension === 'sink');
            if (!sink || m.intervalMs === 0) continue;
            // The first second covers the start-up of the generator.
            if (skipped < 10) {
              skipped++;
              continue;
            }
            weighted += (sink.inPerSecByName.tick ?? 0) * m.intervalMs;
            ms += m.intervalMs;
          }
        }
        return ms >= 4000 ? weighted / ms : undefined;
      });
      expect(rate).toBeGreaterThan(400 * 0.8);
      expect(rate).toBeLessThan(400 * 1.2);
      const last = batches(c.events, run.runId).flatMap((b) => b.metrics).at(-1)!;
      const edge = last.graphs[0]!.edges.find((e) => e.src === 'gen' && e.dest === 'sink');
      expect(edge).toBeDefined();
      const gen = last.graphs[0]!.extensions.find((x) => x.extension === 'gen')!;
      expect(gen.outPerSecByName).toHaveProperty('tick');
      expect(last.graphs[0]!.runloops.map((r) => r.group).sort()).toEqual(['dst', 'src']);
    } finally {
      await c.call('stopRun', { runId: run.runId });
    }
  }, 60_000);

  it('delivers a violation from the misbehaving extension with object, owner, caller and stack', async () => {
    const c = await client();
    const doc = await example(c, 'misbehaving-demo');
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc, violationPolicy: 'report' }));
    try {
      const v = await waitFor('a violation', () => runEvents(c.events, run.runId).find((e) => e.type === 'violation'));
      if (v.type !== 'violation') throw new Error('unreachable');
      expect(v.object).not.toBe('');
      expect(v.owner).toMatch(/thread \d+/);
      expect(v.caller).toMatch(/thread \d+/);
      expect(v.stack).toMatch(/misbehaving/);
    } finally {
      await c.call('stopRun', { runId: run.runId });
    }
  }, 60_000);

  it('traces chosen edges, follows a cmd to its result, and exports a Perfetto trace with the expected tracks', async () => {
    const c = await client();
    const doc = await example(c, 'hello-pipeline');
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    try {
      const traced = resultOf<RunInfo>(await c.call('setTracing', { runId: run.runId, tracing: { edges: [{ src: 'ticker' }, { dest: 'ticker' }], sampleEvery: 1 } }));
      expect(traced.tracing).not.toBeNull();
      const result = await waitFor('a traced cmd result', () =>
        runTraces(c.events, run.runId).find((s) => s.type === 'cmd_result' && s.stage === 'delivered' && s.dest === 'ticker'),
      );
      const path = resultOf<TraceStep[]>(await c.call('followCmd', { runId: run.runId, cmdId: result.cmdId }));
      const stages = path.map((s) => `${s.type}:${s.stage}`);
      expect(stages).toContain('cmd:sent');
      expect(stages).toContain('cmd:queued');
      expect(stages).toContain('cmd:delivered');
      expect(stages).toContain('cmd_result:delivered');
      const sent = path.find((s) => s.type === 'cmd' && s.stage === 'sent')!;
      expect(sent.preview).toBeDefined();
      expect(result.status).toBe(0);
      expect(result.ts).toBeGreaterThanOrEqual(sent.ts);
      expect(result.latencyMs).toBeCloseTo(result.ts - sent.ts, 2);
      await waitFor('a violation-free second of metrics', () => batches(c.events, run.runId).flatMap((b) => b.metrics).length >= 5);
      // Off again: no more steps after the answer.
      resultOf(await c.call('setTracing', { runId: run.runId, tracing: null }));

      const out = join(tmp, 'trace.json');
      const written = resultOf<{ path: string; bytes: number }>(await c.call('exportChromeTrace', { source: { kind: 'run', runId: run.runId }, path: out }));
      expect(written.bytes).toBeGreaterThan(0);
      const trace = JSON.parse(await readFile(out, 'utf8')) as { traceEvents: { ph: string; name: string; cat?: string; tid?: number; args?: { name?: string } }[] };
      const ev = trace.traceEvents;
      const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name);
      expect(threads).toEqual(expect.arrayContaining(['group sources', 'group workers', 'group sinks']));
      expect(ev.some((e) => e.ph === 'X' && e.cat === 'handler')).toBe(true);
      expect(ev.some((e) => e.ph === 'X' && e.cat === 'lifecycle')).toBe(true);
      expect(ev.some((e) => e.ph === 'C' && e.name.startsWith('in_msgs '))).toBe(true);
      expect(ev.some((e) => e.ph === 's')).toBe(true);
      expect(ev.some((e) => e.ph === 'f')).toBe(true);
      expect(errorOf(await c.call('exportChromeTrace', { source: { kind: 'run', runId: run.runId }, path: out })).code).toBe('E_EXISTS');
    } finally {
      await c.call('stopRun', { runId: run.runId });
    }
  }, 60_000);

  it('exports each channel between two groups as Perfetto counter tracks named from → to, with the values the run sampled', async () => {
    const c = await client();
    const run = resultOf<RunInfo>(await c.call('startRun', { document: generatorDoc(10, 20, 'channels') }));
    const channelOf = (m: MetricsSnapshot) => m.graphs[0]?.channels?.find((x) => x.from === 'src' && x.to === 'dst');
    try {
      // The sink's group drains the ring: messages taken and drains counted in some sample.
      await waitFor('a sample of the src → dst channel with messages taken', () =>
        batches(c.events, run.runId)
          .flatMap((b) => b.metrics)
          .some((m) => (channelOf(m)?.msgsPerSec ?? 0) > 0 && (channelOf(m)?.drainsPerSec ?? 0) > 0),
      );
    } finally {
      resultOf(await c.call('stopRun', { runId: run.runId }));
    }
    const sampled = batches(c.events, run.runId)
      .flatMap((b) => b.metrics)
      .map(channelOf)
      .filter((x) => x !== undefined);
    const out = join(tmp, 'channels.trace.json');
    resultOf(await c.call('exportChromeTrace', { source: { kind: 'run', runId: run.runId }, path: out }));
    const trace = JSON.parse(await readFile(out, 'utf8')) as { traceEvents: { ph: string; name: string; pid: number; args?: Record<string, number> }[] };
    const track = (name: string) => trace.traceEvents.filter((e) => e.ph === 'C' && e.name === name).map((e) => e.args!);
    const depth = track('channel src → dst');
    const rates = track('channel src → dst rates');
    const bytes = track('channel src → dst queued');
    // One point per sample the host kept (the stream may have more than the history or fewer).
    expect(depth.length).toBeGreaterThan(0);
    expect(rates.length).toBe(depth.length);
    expect(bytes.length).toBe(depth.length);
    expect(track('channel src → dst batch').length).toBe(depth.length);
    for (const d of depth) {
      expect(d.depth).toBeGreaterThanOrEqual(0);
      expect(d.backlog).toBeGreaterThanOrEqual(0);
    }
    const capacity = sampled[0]!.capacity;
    for (const b of bytes) expect(b.bytes).toBeLessThanOrEqual(capacity);
    expect(Math.max(...rates.map((r) => r['msgs/s']!))).toBeGreaterThan(0);
    expect(Math.max(...rates.map((r) => r['drains/s']!))).toBeGreaterThan(0);
    // The rates the trace shows are the ones the run streamed, sample for sample.
    expect(rates.map((r) => r['msgs/s'])).toEqual(expect.arrayContaining(sampled.filter((x) => x.msgsPerSec > 0).map((x) => x.msgsPerSec).slice(-3)));
    // The ring the other way (one per direction) exists and carries nothing: the sink sends nothing back.
    expect(track('channel dst → src rates').length).toBe(depth.length);
    expect(track('channel dst → src rates').every((r) => r['msgs/s'] === 0)).toBe(true);
  }, 60_000);

  it('saves a recording that reopens, and exports violations as instants from the file', async () => {
    const c = await client();
    const doc = await example(c, 'misbehaving-demo');
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc, violationPolicy: 'report' }));
    await waitFor('a violation', () => runEvents(c.events, run.runId).find((e) => e.type === 'violation'));
    resultOf(await c.call('stopRun', { runId: run.runId }));
    const file = join(tmp, 'run.recording.json');
    resultOf(await c.call('saveRecording', { runId: run.runId, path: file }));
    const rec = resultOf<Recording>(await c.call('openRecording', { path: file }));
    expect(rec.run.runId).toBe(run.runId);
    expect(rec.events.some((e) => e.type === 'violation')).toBe(true);
    expect(rec.metrics.length).toBeGreaterThan(0);
    const out = join(tmp, 'from-file.trace.json');
    resultOf(await c.call('exportChromeTrace', { source: { kind: 'file', path: file }, path: out }));
    const trace = JSON.parse(await readFile(out, 'utf8')) as { traceEvents: { ph: string; cat?: string }[] };
    expect(trace.traceEvents.some((e) => e.ph === 'i' && e.cat === 'violation')).toBe(true);

    await writeFile(join(tmp, 'not-a-recording.json'), '{"format":"other"}');
    expect(errorOf(await c.call('openRecording', { path: join(tmp, 'not-a-recording.json') })).code).toBe('E_PARSE');
  }, 60_000);

  it('keeps runs across a client reconnect: the new client lists the run, reads its history and keeps receiving', async () => {
    const first = await client();
    const run = resultOf<RunInfo>(await first.call('startRun', { document: generatorDoc(20, 1, 'reconnect') }));
    try {
      await waitFor('metrics and on_start_done on the first client', () =>
        batches(first.events, run.runId).some((b) => b.metrics.length > 0) &&
        runEvents(first.events, run.runId).some((e) => e.type === 'lifecycle' && e.phase === 'on_start_done'),
      );
      first.close();
      const second = await client();
      const runs = resultOf<RunInfo[]>(await second.call('listRuns'));
      expect(runs.find((r) => r.runId === run.runId)?.state).toBe('running');
      const snap = resultOf<RunSnapshot>(await second.call('getRun', { runId: run.runId }));
      expect(snap.events.some((e) => e.type === 'lifecycle' && e.phase === 'on_start_done')).toBe(true);
      expect(snap.metrics).not.toBeNull();
      await waitFor('telemetry on the second client', () => batches(second.events, run.runId).some((b) => b.metrics.length > 0));
    } finally {
      await host.runs.stop(run.runId);
    }
  }, 60_000);

  it('isolates two runs: separate graphs and threads, stopping one leaves the other running', async () => {
    const c = await client();
    const a = resultOf<RunInfo>(await c.call('startRun', { document: generatorDoc(20, 1, 'a') }));
    const b = resultOf<RunInfo>(await c.call('startRun', { document: generatorDoc(20, 1, 'b') }));
    try {
      expect(a.runId).not.toBe(b.runId);
      expect(a.graphs[0]!.graphId).not.toBe(b.graphs[0]!.graphId);
      await waitFor('metrics of both', () => batches(c.events, a.runId).some((x) => x.metrics.length) && batches(c.events, b.runId).some((x) => x.metrics.length));
      const threadsOf = (runId: string) =>
        new Set(batches(c.events, runId).flatMap((x) => x.metrics.flatMap((m) => m.graphs.flatMap((g) => g.runloops.map((r) => r.threadId)))));
      const ta = threadsOf(a.runId);
      for (const t of threadsOf(b.runId)) expect(ta.has(t)).toBe(false);
      resultOf(await c.call('stopRun', { runId: a.runId }));
      const mark = c.events.length;
      await waitFor('metrics of b after a stopped', () => batches(c.events.slice(mark), b.runId).some((x) => x.metrics.length > 0));
      const list = resultOf<RunInfo[]>(await c.call('listRuns'));
      expect(list.find((r) => r.runId === a.runId)?.state).toBe('stopped');
      expect(list.find((r) => r.runId === b.runId)?.state).toBe('running');
      const stoppedAt = list.find((r) => r.runId === a.runId)!.stoppedAt!;
      expect(batches(c.events.slice(mark), a.runId).flatMap((x) => x.metrics).filter((m) => m.ts > stoppedAt)).toEqual([]);
    } finally {
      await c.call('stopRun', { runId: a.runId });
      await c.call('stopRun', { runId: b.runId });
    }
  }, 60_000);

  it('validates run requests where they enter', async () => {
    const c = await client();
    expect(errorOf(await c.call('stopRun', { runId: 'nope' })).code).toBe('E_NOT_FOUND');
    expect(errorOf(await c.call('stopRun', {})).message).toBe('stopRun needs "runId".');
    expect(errorOf(await c.call('setTracing', { runId: 'x', tracing: { edges: [], sampleEvery: 1 } })).message).toMatch(/at least one edge/);
    expect(errorOf(await c.call('setTracing', { runId: 'x', tracing: { edges: [{}], sampleEvery: 0 } })).code).toBe('E_BAD_PARAMS');
    expect(errorOf(await c.call('startRun', { document: generatorDoc(20, 1), graph: 'missing' })).message).toMatch(/no predefined graph "missing"/);
    expect(errorOf(await c.call('exportChromeTrace', { source: { kind: 'nope' }, path: '/tmp/x.json' })).message).toMatch(/source\.kind/);
    const broken = { ...generatorDoc(20, 1), property: { ten: { predefined_graphs: 'all' } } };
    expect(errorOf(await c.call('startRun', { document: broken })).message).toMatch(/must be an array of graphs/);
  });
});

describe('a slow client', () => {
  it('has events skipped and counted instead of buffered without bound', async () => {
    const slowHost = new Host({ resourcesDir: resolve('resources'), version: '0.0.0-test', dataDir: join(tmp, 'data2') });
    const slowServer = await startServer({ host: slowHost, rendererDir: tmp, port: 0, maxBufferedBytes: 16 * 1024 });
    const c = await connect(slowServer);
    try {
      const run = resultOf<RunInfo>(await c.call('startRun', { document: generatorDoc(1, 16, 'flood') }));
      resultOf(await c.call('setTracing', { runId: run.runId, tracing: { edges: [{}], sampleEvery: 1 } }));
      // Stop reading (ws keeps the TCP socket as `_socket`): the kernel buffers and then the
      // server's send buffer fill up behind it, until the server starts skipping events.
      const raw = (c.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      raw.pause();
      await waitFor('the server to skip events for the paused client', () => slowServer.clients().some((x) => x.missedEvents > 10), 60_000);
      expect(Math.max(...slowServer.clients().map((x) => x.bufferedBytes))).toBeLessThan(16 * 1024 + 256 * 1024);
      // The run ends while the client lags: its last events are skipped too, and no event
      // follows them, so the skip count must reach the client on its own.
      await slowHost.runs.stop(run.runId);
      const skipped = Math.max(...slowServer.clients().map((x) => x.missedEvents));
      raw.resume();
      const notice = await waitFor('a stream.dropped notice', () => c.events.find((e) => e.type === 'stream.dropped'));
      if (notice.type !== 'stream.dropped') throw new Error('unreachable');
      expect(notice.events).toBeGreaterThanOrEqual(skipped);
      // What it missed it reads back; the host's own budget counted trace steps too.
      const snap = resultOf<RunSnapshot>(await c.call('getRun', { runId: run.runId }));
      expect(snap.run.state).toBe('stopped');
      expect(snap.dropped.traces).toBeGreaterThan(0);
    } finally {
      c.close();
      await slowHost.dispose();
      await slowServer.close();
    }
  }, 120_000);
});
