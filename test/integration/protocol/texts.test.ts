/**
 * TEN's texts of ten-protocol.md §5 that the other protocol tests do not reach, each pinned in
 * the situation TEN gives it, over real sockets; and TEN's duplicate-channel answer
 * (`==duplicate==`, §2.7) on the wire in both directions. Where one of our apps cannot be made
 * to send what TEN's would (a peer whose build fails without a detail, a peer that dials back
 * while answering), the peer is a scripted one: a real listening socket speaking TEN's frames.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tenResultFor } from '../../../src/runtime/protocol/bridge';
import { MSG_TYPE_CODE, STATUS_ERROR, STATUS_OK, TenMsg, tenLoc } from '../../../src/runtime/protocol';
import { Connection, Remote, shortlexLessOrEqual } from '../../../src/runtime/protocol/connection';
import { DUPLICATE_GRAPH_ID } from '../../../src/runtime/protocol/net';
import { Protocol } from '../../../src/runtime/protocol/transport';
import { closeAndCheck, cmdFlow, connectionEvents, freePort, mesh, uriOf } from './apps';
import { trackResources } from './peer';

const tracked = trackResources();

/** Two free ports, as [smaller URI, larger URI] in TEN's shortlex order. */
async function orderedPorts(): Promise<[number, number]> {
  const p = await freePort();
  let q = await freePort();
  while (q === p) q = await freePort();
  return shortlexLessOrEqual(uriOf(p), uriOf(q)) ? [p, q] : [q, p];
}

const twoNodeGraph = (own: string, peer: string) => ({
  nodes: [mesh('ext1', own), mesh('ext2', peer)],
  connections: [cmdFlow('ext1', own, 'hello_world', 'ext2', peer), cmdFlow('ext2', peer, 'back', 'ext1', own)],
});

describe("TEN's texts (spec §5), each in its situation", () => {
  it("a node in an app whose URI no protocol serves: 'Failed to connect to <uri>.' (with TEN's period), and the engine closes", async () => {
    const a = await tracked.app();
    const c = await tracked.client(a.uri);
    const bad = 'error://127.0.0.1:8001/';
    const r = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, bad)) });
    expect([r.status, r.props.detail]).toEqual([1, `Failed to connect to ${bad}.`]);
    await a.until(() => a.app.graphs().length === 0, 'the engine to close');
    // A msgpack URI nobody serves is the other text, without the period (after the retries).
    const nobody = uriOf(await freePort());
    const r2 = await (await tracked.client(a.uri)).startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, nobody)) });
    expect([r2.status, r2.props.detail]).toEqual([1, `Failed to connect to ${nobody}`]);
    await tracked.closeClients();
    await closeAndCheck(a);
  });

  it("stop_graph of another engine: 'close engine done' once it has closed, from a fresh connection (app) and from a bound one (engine)", async () => {
    const a = await tracked.app({ longRunning: true });
    const g1 = (await tracked.clientWithGraph(a, { nodes: [mesh('e', a.uri, { answer: 'x' })] }, { longRunningMode: true })).graphId;
    const g2 = (await tracked.clientWithGraph(a, { nodes: [mesh('e', a.uri, { answer: 'y' })] }, { longRunningMode: true })).graphId;
    const fresh = await tracked.client(a.uri);
    const r1 = await fresh.stopGraph(g1);
    expect([r1.status, r1.props.detail]).toEqual([0, 'close engine done']);
    expect(a.app.graphs()).not.toContain(g1);
    const g3 = (await tracked.clientWithGraph(a, { nodes: [mesh('e', a.uri, { answer: 'z' })] }, { longRunningMode: true })).graphId;
    // `bound` belongs to g3's engine now; it stops g2.
    const bound = await tracked.client(a.uri);
    expect((await bound.cmd('hi', { graph: g3, extension: 'e' })).props.detail).toBe('z');
    const r2 = await bound.stopGraph(g2);
    expect([r2.status, r2.props.detail]).toEqual([0, 'close engine done']);
    expect(a.app.graphs()).toEqual([g3]);
    await tracked.closeClients();
    await closeAndCheck(a);
  });

  it("a second start_graph on a client's bound connection: 'Receive a start_graph cmd after graph is built.'", async () => {
    const a = await tracked.app();
    const { client: c } = await tracked.clientWithGraph(a, { nodes: [mesh('e', a.uri, { answer: 'x' })] });
    const again = await c.startGraph({ json: JSON.stringify({ nodes: [mesh('z', a.uri)] }) });
    expect([again.status, again.props.detail]).toEqual([1, 'Receive a start_graph cmd after graph is built.']);
    expect(a.app.graphs()).toHaveLength(1);
    await c.close();
    await closeAndCheck(a);
  });

  it("a peer app whose build fails without a detail: 'Failed to start engine in app [<its uri>].'", async () => {
    const peer = await tracked.peer({
      answerStartGraph: false,
      onMsg: (conn, m) => {
        if (m.type === 'start_graph') conn.send(tenResultFor(m, STATUS_ERROR, {}));
      },
    });
    const a = await tracked.app();
    const c = await tracked.client(a.uri);
    const r = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, peer.uri)) });
    expect([r.status, r.props.detail]).toEqual([1, `Failed to start engine in app [${peer.uri}].`]);
    // The child start_graph the peer got was TEN's: from this app and the graph, to the peer.
    const child = peer.conn.msgs[0]!;
    expect([child.type, child.src.app, child.dests[0]!.app]).toEqual(['start_graph', a.uri, peer.uri]);
    await c.close();
    await closeAndCheck(a);
  });

  it("the engine closes while a peer is still being dialled: 'Failed to create remote (<uri>)'", async () => {
    const nobody = uriOf(await freePort());
    // Dialling goes on until the engine closes.
    const a = await tracked.app({ dial: { retries: 1_000_000, intervalMs: 20 } });
    const c = await tracked.client(a.uri);
    const started = c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, nobody)) });
    await a.until(() => a.app.graphs().length === 1, 'the engine being started');
    const g = a.app.graphs()[0]!;
    const stop = await (await tracked.client(a.uri)).stopGraph(g);
    expect([stop.status, stop.props.detail]).toEqual([0, 'close engine done']);
    await a.until((ev) => ev.some((e) => e.type === 'graph' && e.state === 'start_failed'), 'the start to fail');
    const failed = a.events.find((e): e is Extract<typeof e, { type: 'graph' }> => e.type === 'graph' && e.state === 'start_failed')!;
    expect(failed.detail).toBe(`Failed to create remote (${nobody})`);
    // Its client had the connection the engine closed: no result, the connection is gone.
    expect((await started).props.detail).toMatch(/^The connection to .* closed before the result arrived/);
    await tracked.closeClients();
    await closeAndCheck(a);
  });

  it("a data message through a bound connection to a graph the app does not run: dropped, with TEN's log line", async () => {
    const a = await tracked.app();
    const { client: c } = await tracked.clientWithGraph(a, { nodes: [mesh('e', a.uri, { answer: 'x' })] });
    const data = new TenMsg('data', 'lost');
    data.dests = [tenLoc(a.uri, 'no_such_graph', 'e')];
    c.send(data);
    await a.until((ev) => ev.some((e) => e.type === 'log' && e.message.startsWith('Discard message')), 'the discard log line');
    const line = a.events.find((e): e is Extract<typeof e, { type: 'log' }> => e.type === 'log' && e.message.startsWith('Discard message'))!;
    expect(line.message).toBe("Discard message to non-existent graph 'no_such_graph'.");
    // The connection still serves its graph.
    expect((await c.cmd('hi', { graph: '', extension: 'e' })).props.detail).toBe('x');
    await c.close();
    await closeAndCheck(a);
  });

  it("a cmd sent on a remote that is closing: 'Remote is closing, do not proceed to send this message.'", async () => {
    // A remote over a real socket pair whose far end does not answer the close (so the remote
    // stays CLOSING until it does).
    const far = await tracked.peer();
    const s = connect({ host: '127.0.0.1', port: Number(new URL(far.uri).port) });
    await new Promise<void>((r) => s.once('connect', () => r()));
    const p = new Protocol('out_internal');
    const host = { ownerName: 'engine test', onRemoteMsg: () => undefined, onRemoteClosed: () => undefined };
    const conn = new Connection(p, host, 'remote', () => undefined, () => false);
    p.attach(s);
    const remote = new Remote(far.uri, conn, host, false);
    remote.close();
    expect(remote.state).toBe('closing');
    const cmd = new TenMsg('cmd', 'hello');
    cmd.dests = [tenLoc(far.uri, 'g', 'e')];
    expect(remote.send(cmd)).toBe('Remote is closing, do not proceed to send this message.');
    (await far.until(() => far.conns[0], 'the connection')).socket.destroy();
    await remote.closed;
    expect(remote.state).toBe('closed');
  });
});

describe("duplicate channels (spec §2.7): '==duplicate==' on the wire", () => {
  it('a peer with the smaller URI dials back while it has a channel: our app answers ==duplicate== on the new channel and keeps the first', async () => {
    const [small, large] = await orderedPorts();
    const a = await tracked.app({ port: large });
    const peer = await tracked.peer({
      port: small,
      answerStartGraph: false,
      onMsg: (conn, m, p) => {
        if (m.type !== 'start_graph' || conn !== p.conn) return;
        // The child start_graph from our app: first dial back with one of its own for the graph,
        // as a TEN app that has a flow to ours would, then answer OK.
        void p.dial(a.uri).then((back) => {
          back.send(p.startGraphFor(m, a.uri, '11111111-2222-4333-8444-555555555555'));
          conn.send(tenResultFor(m, STATUS_OK, { graph_id: m.dests[0]!.graph }));
        });
      },
    });
    const { client: c, graphId: g } = await tracked.clientWithGraph(a, twoNodeGraph(a.uri, peer.uri));
    const back = await peer.until(() => peer.conns[1], 'its dial back');
    await back.until(() => back.msgs.length > 0, 'the answer on the channel the peer dialled');
    expect(back.msgs).toHaveLength(1);
    const dup = back.msgs[0]!;
    expect(dup.type).toBe('cmd_result');
    expect([dup.status, dup.props, dup.cmdId, dup.origType]).toEqual([STATUS_OK, { graph_id: DUPLICATE_GRAPH_ID }, '11111111-2222-4333-8444-555555555555', MSG_TYPE_CODE.start_graph]);
    expect(dup.dests[0]).toMatchObject({ app: peer.uri, graph: g });
    // The peer closes the duplicate (TEN's dialler does); our app keeps the graph and its first channel.
    back.socket.end();
    await a.until(() => connectionEvents(a.events).filter((e) => e.state === 'closed').length === 1, 'the duplicate channel to close');
    expect(a.app.graphs()).toEqual([g]);
    const toPeer = a.app.net.sample().filter((x) => x.uri === peer.uri && x.state === 'init');
    expect(toPeer.map((x) => [x.role, x.attachTo, x.weak])).toEqual([['out_internal', 'remote', false]]);
    await c.close();
    await closeAndCheck(a);
  });

  it('a peer with the larger URI answers our start_graph ==duplicate== (its own channel wins): our app closes the channel it dialled, and the graph uses the peer\'s', async () => {
    const [small, large] = await orderedPorts();
    const a = await tracked.app({ port: small });
    const peer = await tracked.peer({
      port: large,
      answerStartGraph: false,
      answerCmds: () => ({ detail: 'from the peer' }),
      onMsg: (conn, m, p) => {
        if (m.type !== 'start_graph') return;
        conn.send(tenResultFor(m, STATUS_OK, { graph_id: DUPLICATE_GRAPH_ID }));
        // Once our app has closed that channel, the peer's own (the one that stays) comes in.
        void conn.closed.then(async () => (await p.dial(a.uri)).send(p.startGraphFor(m, a.uri, '11111111-2222-4333-8444-555555555555')));
      },
    });
    const { client: c, started } = await tracked.clientWithGraph(a, twoNodeGraph(a.uri, peer.uri));
    // The channel our app dialled is closed by our app (the peer sees its end); the graph runs on.
    await peer.conns[0]!.closed;
    const linked = (): string[][] => a.app.net.sample().filter((x) => x.uri === peer.uri && x.state === 'init').map((x) => [x.role, x.attachTo]);
    await a.until(() => linked().length === 1 && linked()[0]![1] === 'remote', "the peer's channel to be linked");
    expect(linked()).toEqual([['in_internal', 'remote']]);
    expect(a.app.graphs()).toEqual([started.props.graph_id]);
    // The graph's cmds to the peer go over the channel that stayed.
    const r = await c.cmd('hello_world', { graph: '', extension: 'ext1' });
    expect([r.status, r.props.detail]).toEqual([0, 'from the peer']);
    await c.close();
    await closeAndCheck(a);
  });
});
