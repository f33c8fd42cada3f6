// A run of a graph spanning apps through the real host over the browser-mode WebSocket: the
// studio runs one app, starts the other as a process of its own (or connects to it when the
// user says it is already running), the apps' events and connections reach the stream, and
// Stop ends the process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { startServer, type RunningServer } from '../../../src/main/server';
import { App } from '../../../src/runtime';
import { BUILTIN_ADDONS_DIR } from '../../../src/runtime/addons';
import type { ConnectionMetrics, GraphDocument, HostEvent, RunInfo, TraceStep } from '../../../src/shared';
import { connect, errorOf, resultOf, type TestClient } from './wsClient';
import { batches, runEvents, waitFor } from './runStream';

let host: Host;
let server: RunningServer;
let tmp: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ten-studio-multi-app-'));
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

const connections = (events: HostEvent[], runId: string): ConnectionMetrics[] => batches(events, runId).flatMap((b) => b.metrics.flatMap((m) => m.connections ?? []));
const A = 'msgpack://127.0.0.1:28311/';
const B = 'msgpack://127.0.0.1:28312/';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runs of a graph across apps', () => {
  it('runs the two-apps example with one click: the second app as a process, data and a cmd crossing both ways, Stop ends it', async () => {
    const c = await client();
    const doc = resultOf<GraphDocument>(await c.call('openExample', { id: 'two-apps' }));
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    expect(run.state).toBe('running');
    expect(run.apps?.map((a) => [a.uri, a.where, a.state])).toEqual([
      [A, 'studio', 'running'],
      [B, 'process', 'running'],
    ]);
    const pid = run.apps!.find((a) => a.where === 'process')!.pid!;
    expect(pidAlive(pid)).toBe(true);
    // The process app's extensions report their lifecycle into the run's stream.
    await waitFor('relay and echo on_start_done (in the process app)', () =>
      ['relay', 'echo'].every((x) => runEvents(c.events, run.runId).some((e) => e.type === 'lifecycle' && e.extension === x && e.phase === 'on_start_done')),
    );
    // The studio app's connection to app B carries traffic both ways.
    const busy = await waitFor('an attached connection to app B with traffic both ways', () =>
      connections(c.events, run.runId).find((x) => x.uri === B && x.state === 'attached' && x.bytesInPerSec > 0 && x.bytesOutPerSec > 0 && x.msgsInPerSec > 0),
    );
    expect(busy.graphId).toBe(run.graphs[0]!.graphId);
    const events = runEvents(c.events, run.runId);
    expect(events.some((e) => e.type === 'connection' && e.uri === B && e.state === 'attached' && !e.app)).toBe(true);
    // App B's side of the same link, reported by the process.
    expect(events.some((e) => e.type === 'connection' && e.app === B && e.uri === A && e.state === 'attached')).toBe(true);
    // Ticks come back to stats in the studio app.
    await waitFor('stats to log ticks', () => runEvents(c.events, run.runId).some((e) => e.type === 'log' && e.extension === 'stats' && /tick/.test(e.message)));
    // The process app's own metrics join the run's: its nodes' rates, its groups' runloops, its
    // side of the connection, each tagged with the app it runs in.
    const inB = await waitFor('metrics of the process app with relay and echo busy', () =>
      batches(c.events, run.runId)
        .flatMap((b) => b.metrics.flatMap((m) => m.graphs))
        .find((g) => g.app === B && ['relay', 'echo'].every((x) => g.extensions.some((e) => e.extension === x && e.msgsInPerSec > 0))),
    );
    expect(inB.graphId).toBe(run.graphs[0]!.graphId);
    expect(inB.runloops.map((r) => r.group)).toEqual(['relays']);
    expect(inB.extensions.map((e) => e.extension).sort()).toEqual(['echo', 'relay']);
    const ownGraphs = batches(c.events, run.runId).flatMap((b) => b.metrics.flatMap((m) => m.graphs.filter((g) => g.app === undefined)));
    expect(new Set(ownGraphs.flatMap((g) => g.extensions.map((e) => e.extension)))).toEqual(new Set(['ticker', 'stats']));
    await waitFor("app B's side of the link in the metrics, with traffic", () => connections(c.events, run.runId).find((x) => x.app === B && x.uri === A && x.state === 'attached' && x.msgsInPerSec > 0));

    const stopped = resultOf<RunInfo>(await c.call('stopRun', { runId: run.runId }));
    expect(stopped.state).toBe('stopped');
    expect(stopped.apps?.map((a) => [a.where, a.state])).toEqual([
      ['studio', 'stopped'],
      ['process', 'stopped'],
    ]);
    expect(pidAlive(pid)).toBe(false);
    // Events travel in the run's batches, which may reach the client after stopRun's answer.
    await waitFor('the connection to app B reported closed', () => runEvents(c.events, run.runId).some((e) => e.type === 'connection' && e.uri === B && e.state === 'closed'));
  }, 120_000);

  it('traces messages in the process app too: a ping followed from the studio app into the other and back', async () => {
    const c = await client();
    const doc = resultOf<GraphDocument>(await c.call('openExample', { id: 'two-apps' }));
    const run = resultOf<RunInfo>(await c.call('startRun', { document: doc }));
    try {
      await waitFor('echo on_start_done (in the process app)', () => runEvents(c.events, run.runId).some((e) => e.type === 'lifecycle' && e.extension === 'echo' && e.phase === 'on_start_done'));
      resultOf(await c.call('setTracing', { runId: run.runId, tracing: { edges: [{}], sampleEvery: 1 } }));
      const traces = () => batches(c.events, run.runId).flatMap((b) => b.traces);
      // Data the relay forwards, traced where the relay runs.
      const relayed = await waitFor('a tick delivered to relay, traced in app B', () => traces().find((t) => t.app === B && t.stage === 'delivered' && t.dest === 'relay' && t.name === 'tick'));
      expect(relayed.graphId).toBe(run.graphs[0]!.graphId);
      // A ping from ticker: sent in the studio app, handled by echo in app B, its result back at ticker.
      const ping = await waitFor('a ping delivered to echo in app B', () => traces().find((t) => t.app === B && t.stage === 'delivered' && t.type === 'cmd' && t.name === 'ping'));
      const follow = async () => resultOf<TraceStep[]>(await c.call('followCmd', { runId: run.runId, cmdId: ping.cmdId }));
      let steps: TraceStep[] = [];
      for (let i = 0; i < 300 && !steps.some((t) => t.type === 'cmd_result' && t.stage === 'delivered' && t.dest === 'ticker'); i++) {
        steps = await follow();
        await new Promise((r) => setTimeout(r, 20));
      }
      const where = (t: TraceStep) => `${t.app ?? 'studio'}: ${t.stage} ${t.type} ${t.src}>${t.dest}`;
      expect(steps.filter((t) => t.stage !== 'queued').map(where)).toEqual([
        'studio: sent cmd ticker>echo',
        `${B}: delivered cmd ticker>echo`,
        `${B}: sent cmd_result echo>ticker`,
        'studio: delivered cmd_result echo>ticker',
      ]);
    } finally {
      resultOf<RunInfo>(await c.call('stopRun', { runId: run.runId }));
    }
  }, 120_000);

  it('refuses to start when a node of an app it would start as a process cannot run, naming it, and starts no process', async () => {
    const c = await client();
    const doc = resultOf<GraphDocument>(await c.call('openExample', { id: 'two-apps' }));
    const graph = doc.property.ten!.predefined_graphs![0]!.graph as { nodes: { name: string; addon: string }[] };
    graph.nodes.find((n) => n.name === 'relay')!.addon = 'no_such_addon';
    const err = errorOf(await c.call('startRun', { document: doc }));
    expect(err.code).toBe('E_RUN');
    expect(err.message).toMatch(/^1 of the graph's 4 extension nodes cannot run here:\n- relay \(no_such_addon\): not installed/);
    const runs = resultOf<RunInfo[]>(await c.call('listRuns'));
    expect(runs.filter((r) => r.state === 'running' || r.state === 'starting')).toEqual([]);
  }, 60_000);

  it('connects to an app the user says is already running instead of starting it', async () => {
    const other = new App({ property: { ten: { uri: B } }, addonDirs: [BUILTIN_ADDONS_DIR] });
    await other.listen();
    try {
      const c = await client();
      const doc = resultOf<GraphDocument>(await c.call('openExample', { id: 'two-apps' }));
      const run = resultOf<RunInfo>(await c.call('startRun', { document: doc, remoteApps: [B] }));
      expect(run.apps?.map((a) => [a.uri, a.where])).toEqual([
        [A, 'studio'],
        [B, 'remote'],
      ]);
      // The graph's part for app B runs in the app we started here.
      await waitFor('the graph in the remote app', () => other.graphs().includes(run.graphs[0]!.graphId));
      await waitFor('traffic to the remote app', () => connections(c.events, run.runId).find((x) => x.uri === B && x.msgsOutPerSec > 0));
      resultOf<RunInfo>(await c.call('stopRun', { runId: run.runId }));
      // Its part of the graph ends with the run's (the remote it depended on closed).
      await waitFor('the remote app to drop the graph', () => other.graphs().length === 0);
    } finally {
      await other.close();
    }
    expect(other.live()).toMatchObject({ engines: 0, connections: 0, remotes: 0, sockets: 0 });
  }, 120_000);
});
