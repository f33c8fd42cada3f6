/**
 * Our versions of TEN's multi-app smoke tests (the ★ scenarios of ten-protocol.md §4), over real
 * sockets between apps in this process, each ending with the leak check (engines, threads,
 * connections, remotes, sockets all zero).
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TenClient } from '../../../src/runtime/protocol/client';
import { TenMsg, tenLoc } from '../../../src/runtime/protocol';
import { TEN_DIAL } from '../../../src/runtime/protocol/net';
import { closeAndCheck, cmdFlow, connectionEvents, freePort, mesh, probeReports, uriOf, type TestApp } from './apps';
import { trackResources } from './peer';
import { App } from '../../../src/runtime';
import { FIXTURE_APP } from '../runtime/harness';

const tracked = trackResources();

const helloGraph = (a: string, b: string) => ({
  nodes: [mesh('ext1', a), mesh('ext2', b, { answer: 'hello world, too' })],
  connections: [cmdFlow('ext1', a, 'hello_world', 'ext2', b)],
});

const noEngines = (t: TestApp) => t.until(() => t.app.graphs().length === 0, 'no graphs left');

/**
 * The open channels of graph `g` between the apps, from each app's own connections: `X -> Y` for
 * one X dialled, `Y <- X` for one Y accepted from X, counted.
 */
function channels(all: TestApp[], g: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of all) {
    for (const c of t.app.net.sample()) {
      if (c.graphId !== g || c.state !== 'init' || c.attachTo !== 'remote' || !c.uri.startsWith('msgpack://')) continue;
      const key = c.role === 'out_internal' ? `${t.uri} -> ${c.uri}` : `${t.uri} <- ${c.uri}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

describe("TEN's multi-app scenarios", () => {
  it('MultiAppCloseThroughEngine: close_app on the migrated connection, then disconnect; app 1 closes cleanly, app 2 loses the graph', async () => {
    const [a, b] = await tracked.apps(2);
    const { client: c } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    c.closeApp();
    await c.close();
    await a.app.closed;
    await noEngines(b);
    await closeAndCheck(a, b);
  });

  it('close_app from fresh connections closes both apps (no result is sent)', async () => {
    const [a, b] = await tracked.apps(2);
    await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    for (const t of [a, b]) {
      const closer = await tracked.client(t.uri);
      closer.closeApp();
    }
    await Promise.all([a.app.closed, b.app.closed]);
    await closeAndCheck(a, b);
  });

  it('BatchSendMsgsInMigration: 10 cmds back to back to a singleton graph by name are all answered, in order', async () => {
    const a = await tracked.app({
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, graph: { nodes: [mesh('migration', '', { answer: 'a' })].map(({ app: _a, ...n }) => n) } }] } },
    });
    const c = await tracked.client(a.uri);
    const results = await Promise.all(Array.from({ length: 10 }, () => c.cmd('test', { graph: 'default', extension: 'migration' })));
    expect(results.map((r) => [r.status, r.props.detail])).toEqual(Array.from({ length: 10 }, () => [0, 'a']));
    const states = connectionEvents(a.events).map((e) => e.state);
    // One first message, then the connection belongs to the graph: no reset in between.
    expect(states.filter((s) => s === 'migrating')).toHaveLength(1);
    expect(states).not.toContain('reset');
    await c.close();
    await closeAndCheck(a);
  });

  it('WrongEngineThenCorrectInMigration: Graph not found (reset), then migrated, then Graph not found through the remote', async () => {
    const a = await tracked.app({
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'migration', addon: 'mesh', property: { answer: 'ok' } }] } }] } },
    });
    await a.app.startAutoGraphs();
    const c = await tracked.client(a.uri);
    const wrong = await c.cmd('test', { graph: 'incorrect_graph_id', extension: 'migration' });
    expect([wrong.status, wrong.props.detail]).toEqual([1, 'Graph not found.']);
    expect(wrong.src).toMatchObject({ app: a.uri, graph: 'incorrect_graph_id' });
    const right = await c.cmd('test', { graph: 'default', extension: 'migration' });
    expect([right.status, right.props.detail]).toEqual([0, 'ok']);
    const again = await c.cmd('test', { graph: 'incorrect_graph_id', extension: 'migration' });
    expect([again.status, again.props.detail]).toEqual([1, 'Graph not found.']);
    expect(connectionEvents(a.events).map((e) => e.state)).toEqual(expect.arrayContaining(['migrating', 'reset', 'attached']));
    await c.close();
    await closeAndCheck(a);
  });

  it('FailedToConnectToRemote: the exact error after the retries, and the app keeps serving its other graph', async () => {
    const unreachable = uriOf(await freePort());
    const a = await tracked.app({
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'test', addon: 'mesh', property: { answer: 'fine' } }] } }] } },
    });
    await a.app.startAutoGraphs();
    const c = await tracked.client(a.uri);
    const graph = { nodes: [mesh('ext1', a.uri), mesh('ext2', unreachable)], connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', unreachable)] };
    const r = await c.startGraph({ json: JSON.stringify(graph) });
    expect([r.status, r.props.detail]).toEqual([1, `Failed to connect to ${unreachable}`]);
    const other = await tracked.client(a.uri);
    const ok = await other.cmd('test', { graph: 'default', extension: 'test' });
    expect([ok.status, ok.props.detail]).toEqual([0, 'fine']);
    await Promise.all([c.close(), other.close()]);
    await closeAndCheck(a);
  });

  it("FailedToListen: an app whose URI no protocol serves closes itself, and so does one whose port is taken", async () => {
    const bad = new App({ appDir: FIXTURE_APP, property: { ten: { uri: 'error://127.0.0.1:8001/' } } });
    await expect(bad.listen()).rejects.toThrow("No protocol serves the scheme 'error' of 'error://127.0.0.1:8001/' (only msgpack:// is supported).");
    await bad.closed;
    const a = await tracked.app();
    const clash = new App({ appDir: FIXTURE_APP, property: { ten: { uri: a.uri } } });
    await expect(clash.listen()).rejects.toThrow(`Failed to listen on ${a.uri}: port ${a.uri.split(':')[2]!.slice(0, -1)} is in use`);
    await clash.closed;
    expect(clash.live()).toMatchObject({ sockets: 0, connections: 0 });
    await closeAndCheck(a);
  });

  it('GraphLoopInMultiApp: three apps with a 2→3→2 loop; a second client joins at app 2 by graph id', async () => {
    const [a, b, c3] = await tracked.apps(3);
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri), mesh('ext3', c3.uri, { answer: 'hello world, too' })],
      connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', b.uri), cmdFlow('ext2', b.uri, 'hello_world', 'ext3', c3.uri), cmdFlow('ext3', c3.uri, 'back', 'ext2', b.uri)],
    };
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, graph);
    const r1 = await c.cmd('hello_world', { graph: g, extension: 'ext1' });
    expect([r1.status, r1.props.detail]).toEqual([0, 'hello world, too']);
    const c2 = await tracked.client(b.uri);
    const r2 = await c2.cmd('hello_world', { graph: g, extension: 'ext2' });
    expect([r2.status, r2.props.detail]).toEqual([0, 'hello world, too']);
    // One channel per pair of apps that share a flow, seen from both ends: one side dialled it,
    // the other accepted it, and no other socket between them.
    expect(channels([a, b, c3], g)).toEqual({
      [`${a.uri} -> ${b.uri}`]: 1,
      [`${b.uri} <- ${a.uri}`]: 1,
      [`${b.uri} -> ${c3.uri}`]: 1,
      [`${c3.uri} <- ${b.uri}`]: 1,
    });
    await closeAndCheck(a, b, c3);
  });

  it('a triangle: both ends dial each other, the duplicate channel is resolved and one per pair is left', async () => {
    const [a, b, c3] = await tracked.apps(3);
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri), mesh('ext3', c3.uri, { answer: 'three' })],
      connections: [
        { app: a.uri, extension: 'ext1', cmd: [{ name: 'to2', dest: [{ app: b.uri, extension: 'ext2' }] }, { name: 'to3', dest: [{ app: c3.uri, extension: 'ext3' }] }] },
        cmdFlow('ext2', b.uri, 'to2', 'ext3', c3.uri),
        cmdFlow('ext3', c3.uri, 'back', 'ext2', b.uri),
      ],
    };
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, graph);
    expect((await c.cmd('to2', { graph: g, extension: 'ext1' })).props.detail).toBe('three');
    expect((await c.cmd('to3', { graph: g, extension: 'ext1' })).props.detail).toBe('three');
    await b.until(() => b.app.net.engines.get(g)!.weak.size === 0, 'weak remotes resolved in app 2');
    await c3.until(() => c3.app.net.engines.get(g)!.weak.size === 0, 'weak remotes resolved in app 3');
    // Between app 2 and app 3 exactly one channel is left, whoever dialled it, seen from both ends.
    const between = (): Record<string, number> => Object.fromEntries(Object.entries(channels([b, c3], g)).filter(([k]) => k.includes(a.uri) === false));
    await b.until(() => Object.keys(between()).length === 2 && Object.values(between()).every((n) => n === 1), 'one channel between apps 2 and 3');
    const bToC = `${b.uri} -> ${c3.uri}` in between();
    expect(between()).toEqual(bToC ? { [`${b.uri} -> ${c3.uri}`]: 1, [`${c3.uri} <- ${b.uri}`]: 1 } : { [`${c3.uri} -> ${b.uri}`]: 1, [`${b.uri} <- ${c3.uri}`]: 1 });
    expect(channels([a, b, c3], g)).toMatchObject({ [`${a.uri} -> ${b.uri}`]: 1, [`${b.uri} <- ${a.uri}`]: 1, [`${a.uri} -> ${c3.uri}`]: 1, [`${c3.uri} <- ${a.uri}`]: 1 });
    await closeAndCheck(a, b, c3);
  });

  it('GraphNameBasic: a graph started through app 1 is joined at app 2 by its graph id', async () => {
    const [a, b] = await tracked.apps(2);
    const { graphId: g } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    const c2 = await tracked.client(b.uri);
    const r = await c2.cmd('hello_world', { graph: g, extension: 'ext2' });
    expect([r.status, r.props.detail]).toEqual([0, 'hello world, too']);
    await closeAndCheck(a, b);
  });

  it("EngineLongRunningMode: the graph survives its client's disconnect; without it, the graph ends", async () => {
    const [a, b] = await tracked.apps(2);
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri), { longRunningMode: true });
    await c.close();
    const c2 = await tracked.client(a.uri);
    const r = await c2.cmd('hello_world', { graph: g, extension: 'ext1' });
    expect([r.status, r.props.detail]).toEqual([0, 'hello world, too']);
    await c2.close();
    expect(a.app.graphs()).toEqual([g]);

    const { client: c3, graphId: g2 } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    await c3.close();
    await a.until(() => !a.app.graphs().includes(g2), 'the short-lived graph to end in app 1');
    await b.until(() => !b.app.graphs().includes(g2), 'the short-lived graph to end in app 2 (cascade)');
    await closeAndCheck(a, b);
  });

  it('CommandStopGraphActively: an extension in app 3 answers, then stops the graph; every app tears it down', async () => {
    const [a, b, c3] = await tracked.apps(3);
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri), mesh('ext3', c3.uri, { answer: 'done', stop_after_answer: true })],
      connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', b.uri), cmdFlow('ext2', b.uri, 'hello_world', 'ext3', c3.uri)],
    };
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, graph);
    const r = await c.cmd('hello_world', { graph: g, extension: 'ext1' });
    expect([r.status, r.props.detail]).toEqual([0, 'done']);
    // The stop in app 3 closes its remotes; the engines that lost them close in turn.
    await Promise.all([noEngines(a), noEngines(b), noEngines(c3)]);
    await closeAndCheck(a, b, c3);
  });

  it("CommandStopGraphActivelyThroughCmdDest: ext4 in app 3 answers, then sends stop_graph with dests [{app: \"\"}] and no graph id; every app tears the graph down", async () => {
    const [a, b, c3] = await tracked.apps(3);
    // TEN's four nodes: ext2 and ext3 share a group in app 2.
    const graph = {
      nodes: [mesh('ext1', a.uri), mesh('ext2', b.uri, {}, 'g2'), mesh('ext3', b.uri, {}, 'g2'), mesh('ext4', c3.uri, { answer: 'must return result before close engine', stop_after_answer: true, stop_by_dest: true })],
      connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', b.uri), cmdFlow('ext2', b.uri, 'hello_world', 'ext3', b.uri), cmdFlow('ext3', b.uri, 'hello_world', 'ext4', c3.uri)],
    };
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, graph);
    expect(g).toBeTruthy();
    const r = await c.cmd('hello_world', { graph: '', extension: 'ext1' });
    expect([r.status, r.props.detail]).toEqual([0, 'must return result before close engine']);
    await Promise.all([noEngines(a), noEngines(b), noEngines(c3)]);
    // The stop is the graph's own: the apps stay (TEN's apps here are long-running).
    await closeAndCheck(a, b, c3);
  });

  it('stop_graph with no graph id from a client, on the connection its start_graph bound: the engine stops itself and the graph ends in every app', async () => {
    const [a, b] = await tracked.apps(2);
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    expect(g).toBeTruthy();
    const stop = new TenMsg('stop_graph', 'ten:stop_graph');
    stop.dests = [tenLoc('')];
    c.send(stop);
    await Promise.all([noEngines(a), noEngines(b)]);
    // No result: the engine that would answer it is gone, and the connection with it.
    await c.closed;
    await closeAndCheck(a, b);
  });

  it('a stop_graph with no graph id on a fresh connection finds no engine: TEN\'s text, and the connection serves its next first message', async () => {
    const a = await tracked.app({
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'e', addon: 'mesh', property: { answer: 'still here' } }] } }] } },
    });
    await a.app.startAutoGraphs();
    const c = await tracked.client(a.uri);
    const stop = new TenMsg('stop_graph', 'ten:stop_graph');
    stop.dests = [tenLoc('')];
    const r = await c.request(stop);
    expect([r.status, r.props.detail]).toEqual([1, 'Failed to find the engine to be shut down.']);
    expect(a.app.graphs()).toHaveLength(1);
    const next = await c.cmd('hi', { graph: 'default', extension: 'e' });
    expect([next.status, next.props.detail]).toEqual([0, 'still here']);
    await c.close();
    await closeAndCheck(a);
  });

  it('ExtensionSendMsgToIncorrectEngine: a cmd an extension sends to a graph id its app does not run gets Graph not found., relayed to the client', async () => {
    const a = await tracked.app();
    const { client: c } = await tracked.clientWithGraph(a, { nodes: [mesh('test_extension', a.uri)] });
    const send = { app: a.uri, graph: 'incorrect_graph_id', extension: 'test_extension', name: 'test' };
    const r = await c.cmd('send_to', { graph: '', extension: 'test_extension' }, send);
    expect([r.status, r.props.detail]).toEqual([1, 'Graph not found.']);
    // Nothing was reset: the client's connection still reaches the graph.
    const again = await c.cmd('send_to', { graph: '', extension: 'test_extension' }, send);
    expect([again.status, again.props.detail]).toEqual([1, 'Graph not found.']);
    expect(connectionEvents(a.events).map((e) => e.state)).not.toContain('reset');
    await c.close();
    await closeAndCheck(a);
  });

  it('ExtensionSendMsgToIncorrectEngine across apps: the cmd crosses to app 2, which answers Graph not found. through the channel; the channel stays', async () => {
    const [a, b] = await tracked.apps(2);
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, helloGraph(a.uri, b.uri));
    const r = await c.cmd('send_to', { graph: '', extension: 'ext1' }, { app: b.uri, graph: 'incorrect_graph_id', extension: 'ext2', name: 'test' });
    expect([r.status, r.props.detail]).toEqual([1, 'Graph not found.']);
    const hello = await c.cmd('hello_world', { graph: '', extension: 'ext1' });
    expect([hello.status, hello.props.detail]).toEqual([0, 'hello world, too']);
    expect(channels([a, b], g)).toEqual({ [`${a.uri} -> ${b.uri}`]: 1, [`${b.uri} <- ${a.uri}`]: 1 });
    await c.close();
    await closeAndCheck(a, b);
  });

  it("TEN's dial policy: a peer nobody listens on is tried once and retried 5 times before the start_graph fails", async () => {
    const unreachable = await freePort();
    const a = await tracked.app({ dial: TEN_DIAL });
    expect(a.app.net.dialPolicy).toEqual({ retries: 5, intervalMs: 500 });
    // Every TCP connect this process makes, as Node reports it; the refused ones to that port count.
    const dialled: number[] = [];
    const listener = (msg: unknown): void => {
      (msg as { socket: Socket }).socket.once('error', (e: NodeJS.ErrnoException & { port?: number }) => {
        if (e.port === unreachable) dialled.push(e.port);
      });
    };
    diagnostics_channel.subscribe('net.client.socket', listener);
    try {
      const c = await tracked.client(a.uri);
      const unreachableUri = uriOf(unreachable);
      const graph = { nodes: [mesh('ext1', a.uri), mesh('ext2', unreachableUri)], connections: [cmdFlow('ext1', a.uri, 'hello_world', 'ext2', unreachableUri)] };
      const r = await c.startGraph({ json: JSON.stringify(graph) });
      expect([r.status, r.props.detail]).toEqual([1, `Failed to connect to ${unreachableUri}`]);
    } finally {
      diagnostics_channel.unsubscribe('net.client.socket', listener);
    }
    expect(dialled).toHaveLength(6);
    await closeAndCheck(a);
  }, 30_000);

  it('SendCmdToDeadExtMultiApp: app 1 closes; ext2 in app 2 sends bye to it in on_stop and gets an ERROR', async () => {
    const [a, b] = await tracked.apps(2);
    const graph = {
      nodes: [mesh('ext1', a.uri, { answer: 'bye back' }), mesh('ext2', b.uri, { on_stop: { name: 'bye', app: a.uri, extension: 'ext1' } })],
      connections: [cmdFlow('ext2', b.uri, 'bye', 'ext1', a.uri)],
    };
    const { graphId: g } = await tracked.clientWithGraph(a, graph);
    expect(g).toBeTruthy();
    const done = b.until((ev) => ev.some((e) => e.type === 'log' && e.message.startsWith('on_stop result')), 'ext2 on_stop result');
    await a.app.close();
    await done;
    const line = b.events.find((e): e is Extract<typeof e, { type: 'log' }> => e.type === 'log' && e.message.startsWith('on_stop result'))!;
    // TEN's text here: app 2's remote for app 1 is gone (removed when its connection closed,
    // which is what stops app 2's engine) before ext2's on_stop runs.
    expect(line.message).toBe(`on_stop result ERROR Could not find suitable remote based on uri: ${a.uri}`);
    await closeAndCheck(a, b);
  });

  it('PredefinedGraphMultiApp: an auto-start singleton across two apps waits for the late one, serves a client, and both apps exit when it leaves', async () => {
    const portA = await freePort();
    const portB = await freePort();
    const [uriA, uriB] = [uriOf(portA), uriOf(portB)];
    const predefined = [
      {
        name: 'default',
        auto_start: true,
        singleton: true,
        graph: { nodes: [mesh('test_extension_1', uriA), mesh('test_extension_2', uriB, { answer: 'hello world, too' })], connections: [cmdFlow('test_extension_1', uriA, 'hello_world', 'test_extension_2', uriB)] },
      },
    ];
    // TEN's dial timing here: 5 retries every 500 ms.
    const a = await tracked.app({ port: portA, longRunning: false, dial: { retries: 5, intervalMs: 500 }, property: { ten: { predefined_graphs: predefined } } });
    const autoStarted = a.app.startAutoGraphs();
    await new Promise((r) => setTimeout(r, 300));
    const b = await tracked.app({ port: portB, longRunning: false });
    await autoStarted;
    const c = await tracked.client(a.uri);
    const r = await c.cmd('hello_world', { graph: 'default', extension: 'test_extension_1' });
    expect([r.status, r.props.detail]).toEqual([0, 'hello world, too']);
    await c.close();
    await Promise.all([a.app.closed, b.app.closed]);
    await closeAndCheck(a, b);
  });

  it('StartPredefinedGraphCrossApp: an extension starts a cross-app graph, says hello in it, stops it', async () => {
    const portB = await freePort();
    const uriB = uriOf(portB);
    const portA = await freePort();
    const uriA = uriOf(portA);
    const a = await tracked.app({
      port: portA,
      property: {
        ten: {
          predefined_graphs: [
            { name: 'default', auto_start: true, singleton: true, graph: { nodes: [{ type: 'extension', name: 'starter', addon: 'mesh' }] } },
            { name: 'graph_1', graph: { nodes: [mesh('ext_a', uriA), mesh('ext_b', uriB, { answer: 'hello world, too' })], connections: [cmdFlow('ext_a', uriA, 'hello_world', 'ext_b', uriB)] } },
          ],
        },
      },
    });
    const b = await tracked.app({ port: portB });
    await a.app.startAutoGraphs();
    const c = await tracked.client(a.uri);
    const r = await c.cmd('start_and_hello', { graph: 'default', extension: 'starter' }, { graph: 'graph_1', app: uriA, extension: 'ext_a' });
    expect([r.status, r.props.detail]).toEqual([0, 'OK/hello world, too/OK']);
    await b.until(() => b.app.graphs().length === 0, 'graph_1 to end in app 2');
    await c.close();
    await closeAndCheck(a, b);
  });

  it('MultiAppConcurrent: 200 clients each start a two-app graph and say hello', async () => {
    const [a, b] = await tracked.apps(2);
    const run = async (): Promise<[number, unknown]> => {
      const c = await TenClient.connect(a.uri, { retries: 5, intervalMs: 100 });
      const started = await c.startGraph({ json: JSON.stringify(helloGraph(a.uri, b.uri)) });
      if (started.status !== 0) {
        await c.close();
        return [started.status, started.props.detail];
      }
      const r = await c.cmd('hello_world', { graph: '', extension: 'ext1' });
      await c.close();
      return [r.status, r.props.detail];
    };
    const results = await Promise.all(Array.from({ length: 200 }, run));
    expect(results.filter(([s]) => s !== 0)).toEqual([]);
    await noEngines(a);
    await noEngines(b);
    await closeAndCheck(a, b);
  }, 300_000);
  it('ours: a cmd sent to another app whose connection closes before the answer fails at once, saying so (TEN waits for its path timeout)', async () => {
    const reports = probeReports();
    try {
      const [a, b] = await tracked.apps(2);
      const graph = {
        nodes: [mesh('a1', a.uri, {}, 'ga'), { type: 'extension', name: 'b1', addon: 'probe', extension_group: 'gb', app: b.uri, property: { probe: { reply: { hello: 'none' } } } }],
        connections: [cmdFlow('a1', a.uri, 'hello', 'b1', b.uri)],
      };
      // Long-running: A's engine stays when B goes, so the answer can only come from the path.
      const { client } = await tracked.clientWithGraph(a, graph, { longRunningMode: true });
      const pending = client.cmd('hello', { app: a.uri, graph: '', extension: 'a1' });
      await reports.next('b1', 'cmd');
      await b.app.close();
      const r = await pending;
      expect([r.status, r.props.detail]).toEqual([1, `The connection to ${b.uri} closed before the result arrived.`]);
      await closeAndCheck(a, b);
    } finally {
      reports.close();
    }
  });
});
