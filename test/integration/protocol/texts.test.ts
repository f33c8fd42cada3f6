/**
 * TEN's texts of ten-protocol.md §5 that the other protocol tests do not reach, each pinned in
 * the situation TEN gives it, over real sockets; and TEN's duplicate-channel answer
 * (`==duplicate==`, §2.7) on the wire in both directions. Where one of our apps cannot be made
 * to send what TEN's would (a peer whose build fails without a detail, a peer that dials back
 * while answering), the peer is a scripted one: a real listening socket speaking TEN's frames.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TenClient } from '../../../src/runtime/protocol/client';
import { FrameDecoder, MSG_TYPE_CODE, STATUS_ERROR, STATUS_OK, TenMsg, encodeMsg, tenLoc } from '../../../src/runtime/protocol';
import { Connection, Remote, shortlexLessOrEqual } from '../../../src/runtime/protocol/connection';
import { DUPLICATE_GRAPH_ID } from '../../../src/runtime/protocol/net';
import { Protocol } from '../../../src/runtime/protocol/transport';
import { closeAndCheck, cmdFlow, connectionEvents, freePort, mesh, startTestApp, uriOf, type TestApp } from './apps';

let apps: TestApp[] = [];
let clients: TenClient[] = [];
let peers: ScriptedPeer[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(apps.map((a) => a.app.close()));
  for (const p of peers) p.close();
  apps = [];
  clients = [];
  peers = [];
});

async function client(uri: string): Promise<TenClient> {
  const c = await TenClient.connect(uri);
  clients.push(c);
  return c;
}

/** A result as TEN makes one: ids copied, src := the cmd's dest, dest := the cmd's src. */
function resultFor(cmd: TenMsg, status: number, props: Record<string, unknown>): TenMsg {
  const r = new TenMsg('cmd_result', 'ten:result');
  r.cmdId = cmd.cmdId;
  r.seqId = cmd.seqId;
  r.origType = MSG_TYPE_CODE[cmd.type];
  r.status = status;
  r.props = props;
  r.src = { ...cmd.dests[0]! };
  r.dests = [{ ...cmd.src }];
  return r;
}

/** One TCP connection of the scripted peer: frames in, frames out. */
interface PeerSocket {
  socket: Socket;
  msgs: TenMsg[];
  closed: Promise<void>;
  send(m: TenMsg): void;
}

function peerSocket(socket: Socket, onMsg: (ps: PeerSocket, m: TenMsg) => void): PeerSocket {
  const decoder = new FrameDecoder();
  const ps: PeerSocket = {
    socket,
    msgs: [],
    closed: new Promise<void>((r) => socket.once('close', () => r())),
    send: (m) => socket.write(encodeMsg(m) as Buffer),
  };
  socket.on('error', () => undefined);
  socket.on('data', (b: Buffer) => {
    const got: TenMsg[] = [];
    decoder.feed(b, got);
    for (const m of got) {
      ps.msgs.push(m);
      onMsg(ps, m);
    }
  });
  return ps;
}

/** Another "app": a listening socket at `uri` whose answers the test scripts. */
class ScriptedPeer {
  readonly sockets: PeerSocket[] = [];
  private constructor(
    readonly uri: string,
    private readonly server: Server,
  ) {}
  static async listen(port: number, onMsg: (ps: PeerSocket, m: TenMsg) => void): Promise<ScriptedPeer> {
    const server = createServer();
    const peer = new ScriptedPeer(uriOf(port), server);
    server.on('connection', (s) => peer.sockets.push(peerSocket(s, onMsg)));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    peers.push(peer);
    return peer;
  }
  /** Dials `uri` as this peer would (its own connection to that app). */
  async dial(uri: string, onMsg: (ps: PeerSocket, m: TenMsg) => void): Promise<PeerSocket> {
    const s = connect({ host: '127.0.0.1', port: Number(new URL(uri).port) });
    await new Promise<void>((r) => s.once('connect', () => r()));
    const ps = peerSocket(s, onMsg);
    this.sockets.push(ps);
    return ps;
  }
  close(): void {
    for (const ps of this.sockets) ps.socket.destroy();
    this.server.close();
  }
}

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
    const a = await startTestApp();
    apps.push(a);
    const c = await client(a.uri);
    const bad = 'error://127.0.0.1:8001/';
    const r = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, bad)) });
    expect([r.status, r.props.detail]).toEqual([1, `Failed to connect to ${bad}.`]);
    await a.until(() => a.app.graphs().length === 0, 'the engine to close');
    // A msgpack URI nobody serves is the other text, without the period (after the retries).
    const nobody = uriOf(await freePort());
    const r2 = await (await client(a.uri)).startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, nobody)) });
    expect([r2.status, r2.props.detail]).toEqual([1, `Failed to connect to ${nobody}`]);
    await Promise.all(clients.map((x) => x.close()));
    await closeAndCheck(a);
  });

  it("stop_graph of another engine: 'close engine done' once it has closed, from a fresh connection (app) and from a bound one (engine)", async () => {
    const a = await startTestApp({ longRunning: true });
    apps.push(a);
    const starter = await client(a.uri);
    const g1 = (await starter.startGraph({ json: JSON.stringify({ nodes: [mesh('e', a.uri, { answer: 'x' })] }) }, { longRunningMode: true })).props.graph_id as string;
    const g2 = (await (await client(a.uri)).startGraph({ json: JSON.stringify({ nodes: [mesh('e', a.uri, { answer: 'y' })] }) }, { longRunningMode: true })).props.graph_id as string;
    const fresh = await client(a.uri);
    const r1 = await fresh.stopGraph(g1);
    expect([r1.status, r1.props.detail]).toEqual([0, 'close engine done']);
    expect(a.app.graphs()).not.toContain(g1);
    const g3 = (await (await client(a.uri)).startGraph({ json: JSON.stringify({ nodes: [mesh('e', a.uri, { answer: 'z' })] }) }, { longRunningMode: true })).props.graph_id as string;
    // `bound` belongs to g3's engine now; it stops g2.
    const bound = await client(a.uri);
    expect((await bound.cmd('hi', { graph: g3, extension: 'e' })).props.detail).toBe('z');
    const r2 = await bound.stopGraph(g2);
    expect([r2.status, r2.props.detail]).toEqual([0, 'close engine done']);
    expect(a.app.graphs()).toEqual([g3]);
    await Promise.all(clients.map((x) => x.close()));
    await closeAndCheck(a);
  });

  it("a second start_graph on a client's bound connection: 'Receive a start_graph cmd after graph is built.'", async () => {
    const a = await startTestApp();
    apps.push(a);
    const c = await client(a.uri);
    expect((await c.startGraph({ json: JSON.stringify({ nodes: [mesh('e', a.uri, { answer: 'x' })] }) })).status).toBe(0);
    const again = await c.startGraph({ json: JSON.stringify({ nodes: [mesh('z', a.uri)] }) });
    expect([again.status, again.props.detail]).toEqual([1, 'Receive a start_graph cmd after graph is built.']);
    expect(a.app.graphs()).toHaveLength(1);
    await c.close();
    await closeAndCheck(a);
  });

  it("a peer app whose build fails without a detail: 'Failed to start engine in app [<its uri>].'", async () => {
    const peer = await ScriptedPeer.listen(await freePort(), (ps, m) => {
      if (m.type === 'start_graph') ps.send(resultFor(m, STATUS_ERROR, {}));
    });
    const a = await startTestApp();
    apps.push(a);
    const c = await client(a.uri);
    const r = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, peer.uri)) });
    expect([r.status, r.props.detail]).toEqual([1, `Failed to start engine in app [${peer.uri}].`]);
    // The child start_graph the peer got was TEN's: from this app and the graph, to the peer.
    const child = peer.sockets[0]!.msgs[0]!;
    expect([child.type, child.src.app, child.dests[0]!.app]).toEqual(['start_graph', a.uri, peer.uri]);
    await c.close();
    await closeAndCheck(a);
  });

  it("the engine closes while a peer is still being dialled: 'Failed to create remote (<uri>)'", async () => {
    const nobody = uriOf(await freePort());
    // Dialling goes on until the engine closes.
    const a = await startTestApp({ dial: { retries: 1_000_000, intervalMs: 20 } });
    apps.push(a);
    const c = await client(a.uri);
    const started = c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, nobody)) });
    await a.until(() => a.app.graphs().length === 1, 'the engine being started');
    const g = a.app.graphs()[0]!;
    const stop = await (await client(a.uri)).stopGraph(g);
    expect([stop.status, stop.props.detail]).toEqual([0, 'close engine done']);
    await a.until((ev) => ev.some((e) => e.type === 'graph' && e.state === 'start_failed'), 'the start to fail');
    const failed = a.events.find((e): e is Extract<typeof e, { type: 'graph' }> => e.type === 'graph' && e.state === 'start_failed')!;
    expect(failed.detail).toBe(`Failed to create remote (${nobody})`);
    // Its client had the connection the engine closed: no result, the connection is gone.
    expect((await started).props.detail).toMatch(/^The connection to .* closed before the result arrived/);
    await Promise.all(clients.map((x) => x.close()));
    await closeAndCheck(a);
  });

  it("a data message through a bound connection to a graph the app does not run: dropped, with TEN's log line", async () => {
    const a = await startTestApp();
    apps.push(a);
    const c = await client(a.uri);
    expect((await c.startGraph({ json: JSON.stringify({ nodes: [mesh('e', a.uri, { answer: 'x' })] }) })).status).toBe(0);
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
    const port = await freePort();
    let far: Socket | null = null;
    const server = createServer((s) => {
      far = s;
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const s = connect({ host: '127.0.0.1', port });
      await new Promise<void>((r) => s.once('connect', () => r()));
      const p = new Protocol('out_internal');
      const host = { ownerName: 'engine test', onRemoteMsg: () => undefined, onRemoteClosed: () => undefined };
      const conn = new Connection(p, host, 'remote', () => undefined, () => false);
      p.attach(s);
      const remote = new Remote(uriOf(port), conn, host, false);
      remote.close();
      expect(remote.state).toBe('closing');
      const cmd = new TenMsg('cmd', 'hello');
      cmd.dests = [tenLoc(uriOf(port), 'g', 'e')];
      expect(remote.send(cmd)).toBe('Remote is closing, do not proceed to send this message.');
      far!.destroy();
      await remote.closed;
      expect(remote.state).toBe('closed');
    } finally {
      server.close();
    }
  });
});

describe("duplicate channels (spec §2.7): '==duplicate==' on the wire", () => {
  it('a peer with the smaller URI dials back while it has a channel: our app answers ==duplicate== on the new channel and keeps the first', async () => {
    const [small, large] = await orderedPorts();
    const a = await startTestApp({ port: large });
    apps.push(a);
    const answered: TenMsg[] = [];
    const peer: ScriptedPeer = await ScriptedPeer.listen(small, (ps, m) => {
      if (m.type !== 'start_graph') return;
      // The child start_graph from our app: first dial back with one of its own for the graph,
      // as a TEN app that has a flow to ours would, then answer OK.
      void peer.dial(a.uri, (_ps2, r) => answered.push(r)).then((back) => {
        const sg = new TenMsg('start_graph', 'ten:start_graph');
        sg.cmdId = '11111111-2222-4333-8444-555555555555';
        sg.src = tenLoc(peer.uri, m.dests[0]!.graph);
        sg.dests = [tenLoc(a.uri, m.dests[0]!.graph)];
        sg.nodes = m.nodes;
        sg.connections = m.connections;
        back.send(sg);
        ps.send(resultFor(m, STATUS_OK, { graph_id: m.dests[0]!.graph }));
      });
    });
    const c = await client(a.uri);
    const started = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, peer.uri)) });
    expect(started.status, String(started.props.detail)).toBe(0);
    const g = started.props.graph_id as string;
    await a.until(() => answered.length === 1, 'the answer on the channel the peer dialled');
    const dup = answered[0]!;
    expect(dup.type).toBe('cmd_result');
    expect([dup.status, dup.props, dup.cmdId, dup.origType]).toEqual([STATUS_OK, { graph_id: DUPLICATE_GRAPH_ID }, '11111111-2222-4333-8444-555555555555', MSG_TYPE_CODE.start_graph]);
    expect(dup.dests[0]).toMatchObject({ app: peer.uri, graph: g });
    // The peer closes the duplicate (TEN's dialler does); our app keeps the graph and its first channel.
    peer.sockets[1]!.socket.end();
    await a.until(() => connectionEvents(a.events).filter((e) => e.state === 'closed').length === 1, 'the duplicate channel to close');
    expect(a.app.graphs()).toEqual([g]);
    const toPeer = a.app.net.sample().filter((x) => x.uri === peer.uri && x.state === 'init');
    expect(toPeer.map((x) => [x.role, x.attachTo, x.weak])).toEqual([['out_internal', 'remote', false]]);
    await c.close();
    await closeAndCheck(a);
  });

  it('a peer with the larger URI answers our start_graph ==duplicate== (its own channel wins): our app closes the channel it dialled, and the graph uses the peer\'s', async () => {
    const [small, large] = await orderedPorts();
    const a = await startTestApp({ port: small });
    apps.push(a);
    const peer: ScriptedPeer = await ScriptedPeer.listen(large, (ps, m) => {
      if (m.type !== 'start_graph') return;
      ps.send(resultFor(m, STATUS_OK, { graph_id: DUPLICATE_GRAPH_ID }));
      // Once our app has closed that channel, the peer's own (the one that stays) comes in.
      void ps.closed.then(async () => {
        const back = await peer.dial(a.uri, (b, r) => {
          if (r.type === 'cmd') b.send(resultFor(r, STATUS_OK, { detail: 'from the peer' }));
        });
        const sg = new TenMsg('start_graph', 'ten:start_graph');
        sg.cmdId = '11111111-2222-4333-8444-555555555555';
        sg.src = tenLoc(peer.uri, m.dests[0]!.graph);
        sg.dests = [tenLoc(a.uri, m.dests[0]!.graph)];
        sg.nodes = m.nodes;
        sg.connections = m.connections;
        back.send(sg);
      });
    });
    const c = await client(a.uri);
    const started = await c.startGraph({ json: JSON.stringify(twoNodeGraph(a.uri, peer.uri)) });
    expect(started.status, String(started.props.detail)).toBe(0);
    // The channel our app dialled is closed by our app (the peer sees its end); the graph runs on.
    await peer.sockets[0]!.closed;
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
