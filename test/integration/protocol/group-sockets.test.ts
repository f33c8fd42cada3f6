/**
 * A remote's socket on the thread of the extension group that talks to that app
 * (docs/protocol.md, "Threads on the path"), over real sockets, real group threads and, for
 * the exact bytes a peer sends, a peer app written here on a raw socket: the socket moves on
 * the dialling and the accepting side; cmds and data cross both ways; frames for another group,
 * relays, close_app and malformed bytes arriving on a moved socket take the host's path with
 * today's texts; stop cascades; a group thread that is terminated closes its remote; a flood
 * is not decoded ahead of the extensions; counters agree on both sides; nothing is left after
 * close.
 */
import { describe, expect, it } from 'vitest';
import type { TenClient } from '../../../src/runtime/protocol/client';
import { TenMsg, decodeAll, tenLoc } from '../../../src/runtime/protocol';
import type { ConnectionSample } from '../../../src/runtime/protocol/net';
import type { TenGraph } from '../../../src/shared/graph/types';
import { closeAndCheck, cmdFlow, connectionEvents, mesh, probeReports, type TestApp } from './apps';
import { frameOf, trackResources } from './peer';

const tracked = trackResources();

/** The open connection of `t` to the app `peer`, as its sample reports it. */
async function connectionTo(t: TestApp, peer: string): Promise<ConnectionSample | undefined> {
  return ((await t.app.sample()).connections ?? []).find((c) => c.uri === peer && c.state === 'init');
}

/** Waits (event-driven on the app's events, then by sampling) until the socket to `peer` is on a group. */
async function socketMoved(t: TestApp, peer: string): Promise<ConnectionSample> {
  await t.until((evs) => connectionEvents(evs).some((e) => e.state === 'attached' && e.uri === peer && (e.detail ?? '').includes('socket on group')), `the socket to ${peer} on a group`);
  const c = await connectionTo(t, peer);
  expect(c).toBeDefined();
  return c!;
}

describe('a remote socket on the group that talks to its app', () => {
  it('moves on the dialling and the accepting side; cmds and data cross both ways; counters agree; nothing is left', async () => {
    const [a, b] = await tracked.apps(2);
    const graph = {
      nodes: [
        mesh('a1', a.uri, {}, 'ga'),
        mesh('a2', a.uri, { answer: 'from a', count: true }, 'ga'),
        mesh('b1', b.uri, { answer: 'from b', count: true }, 'gb'),
        mesh('b2', b.uri, {}, 'gb'),
      ],
      connections: [
        cmdFlow('a1', a.uri, 'hello', 'b1', b.uri),
        cmdFlow('a1', a.uri, 'd', 'b1', b.uri, 'data'),
        cmdFlow('b2', b.uri, 'back', 'a2', a.uri),
        cmdFlow('b2', b.uri, 'd', 'a2', a.uri, 'data'),
      ],
    };
    const { client: ca, graphId } = await tracked.clientWithGraph(a, graph);
    // A dialled B, B accepted: both sockets are on the group with the flows to the other app.
    expect((await socketMoved(a, b.uri)).socket).toBe('group ga');
    expect((await socketMoved(b, a.uri)).socket).toBe('group gb');

    const cb = await tracked.client(b.uri);
    for (let i = 0; i < 20; i++) {
      const r1 = await ca.cmd('hello', { app: a.uri, graph: '', extension: 'a1' });
      expect([r1.status, r1.props.detail, r1.props.from]).toEqual([0, 'from b', 'b1']);
      const r2 = await cb.cmd('back', { app: b.uri, graph: graphId, extension: 'b2' });
      expect([r2.status, r2.props.detail, r2.props.from]).toEqual([0, 'from a', 'a2']);
    }
    // Data both ways, forwarded by a1 and b2 to the other app.
    const data = (to: string, app: string): TenMsg => {
      const d = new TenMsg('data', 'd');
      d.dests = [tenLoc(app, graphId, to)];
      return d;
    };
    for (let i = 0; i < 50; i++) {
      ca.send(data('a1', a.uri));
      cb.send(data('b2', b.uri));
    }
    const counted = async (c: TenClient, app: string, ext: string): Promise<void> => {
      for (;;) {
        const r = await c.cmd('count', { app, graph: graphId, extension: ext });
        if (r.props.count === 50) return;
        expect(r.props.count).toBeLessThan(50);
      }
    };
    await counted(cb, b.uri, 'b1');
    await counted(ca, a.uri, 'a2');

    // One TCP stream, two views of it: what A wrote B read, and the other way round.
    const ab = (await connectionTo(a, b.uri))!;
    const ba = (await connectionTo(b, a.uri))!;
    expect(ab.bytesOut).toBeGreaterThan(0);
    expect(ab.msgsOut).toBeGreaterThan(40);
    expect([ab.bytesOut, ab.msgsOut]).toEqual([ba.bytesIn, ba.msgsIn]);
    expect([ab.bytesIn, ab.msgsIn]).toEqual([ba.bytesOut, ba.msgsOut]);
    expect(a.events.filter((e) => e.type === 'error' || e.type === 'worker_terminated')).toEqual([]);
    expect(b.events.filter((e) => e.type === 'error' || e.type === 'worker_terminated')).toEqual([]);
    await ca.close();
    await cb.close();
    await closeAndCheck(a, b);
    // No thread was kept alive by a socket the user left open.
    expect([...a.events, ...b.events].filter((e) => e.type === 'worker_terminated')).toEqual([]);
  });

  it('stays on the host with the switch off (groupSockets: false)', async () => {
    const [a, b] = await tracked.apps(2, { groupSockets: false });
    const graph = { nodes: [mesh('a1', a.uri, {}, 'ga'), mesh('b1', b.uri, { answer: 'from b' }, 'gb')], connections: [cmdFlow('a1', a.uri, 'hello', 'b1', b.uri)] };
    const graphId = await a.app.startGraph({ graph: graph as TenGraph });
    const c = await tracked.client(a.uri);
    expect((await c.cmd('hello', { app: a.uri, graph: graphId, extension: 'a1' })).props.detail).toBe('from b');
    expect((await connectionTo(a, b.uri))?.socket).toBe('host');
    expect((await connectionTo(b, a.uri))?.socket).toBe('host');
    await c.close();
    await closeAndCheck(a, b);
  });

  it("frames for another group's extension and for the engine go through the host, each destination in order; a relay through the app works", async () => {
    const x = await tracked.peer();
    const [a, b] = await tracked.apps(2);
    const graph = {
      nodes: [mesh('a1', a.uri, { answer: 'one' }, 'g1'), mesh('a2', a.uri, { answer: 'two' }, 'g2'), mesh('a3', a.uri, {}, 'g2'), { type: 'extension', name: 'x1', addon: 'mesh', app: x.uri }, mesh('b1', b.uri, { answer: 'bee' }, 'gb')],
      connections: [
        // g1 has two flows with X, g2 one: the socket goes to g1.
        cmdFlow('x1', x.uri, 'hi', 'a1', a.uri),
        cmdFlow('x1', x.uri, 'hey', 'a1', a.uri),
        cmdFlow('x1', x.uri, 'hi', 'a2', a.uri),
        cmdFlow('a3', a.uri, 'hello', 'b1', b.uri),
      ],
    };
    const graphId = await a.app.startGraph({ graph: graph as TenGraph });
    expect(x.graphId).toBe(graphId);
    expect((await socketMoved(a, x.uri)).socket).toBe('group g1');
    const ids: { id: string; want: string }[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push({ id: x.cmd('hi', 'x1', { app: a.uri, extension: 'a1' }, { i }), want: 'one' });
      ids.push({ id: x.cmd('hi', 'x1', { app: a.uri, extension: 'a2' }, { i }), want: 'two' });
      // By the graph's name and with no graph: the engine's graph too.
      ids.push({ id: x.cmd('hey', 'x1', { app: a.uri, graph: i % 2 ? 'graph' : '', extension: 'a1' }, { i }), want: 'one' });
    }
    // A cmd to the engine itself, one to an extension nobody has, and a relay to B.
    const nobody = x.cmd('hi', 'x1', { app: a.uri, extension: 'nobody' });
    const relay = x.cmd('hello', 'x1', { app: b.uri, extension: 'b1' });
    const all = [...ids.map((i) => i.id), nobody, relay];
    await x.until(() => x.resultsFor(all).length === all.length, 'the results of all cmds');
    for (const { id, want } of ids) {
      const r = x.resultsFor([id])[0]!;
      expect([r.status, r.props.detail]).toEqual([0, want]);
    }
    // Results per destination in the order of their cmds (a1 and a2 answer in arrival order).
    const order = (ext: string): string[] => x.received.filter((m) => m.type === 'cmd_result' && m.src.extension === ext).map((m) => m.cmdId);
    expect(order('a1')).toEqual(ids.filter((i) => i.want === 'one').map((i) => i.id));
    expect(order('a2')).toEqual(ids.filter((i) => i.want === 'two').map((i) => i.id));
    expect(x.resultsFor([nobody])[0]!.props.detail).toBe('Failed to find destination.');
    expect([x.resultsFor([relay])[0]!.status, x.resultsFor([relay])[0]!.props.detail]).toEqual([0, 'bee']);
    await a.app.close();
    await x.until(() => x.ended, 'the end of the connection');
    await closeAndCheck(a, b);
  });

  it('a peer that stops reading: past the high-water mark data is dropped and counted, nothing else is lost, and all flows again once it reads', async () => {
    const x = await tracked.peer();
    const a = await tracked.app({ transportLimits: { dropDataAboveBytes: 256 * 1024, closeAboveBytes: 1024 * 1024 * 1024 } });
    const graph = {
      nodes: [mesh('a1', a.uri, {}, 'g1'), { type: 'extension', name: 'x1', addon: 'mesh', app: x.uri }],
      connections: [cmdFlow('a1', a.uri, 'd', 'x1', x.uri, 'data'), cmdFlow('x1', x.uri, 'hi', 'a1', a.uri)],
    };
    const graphId = await a.app.startGraph({ graph: graph as TenGraph });
    await socketMoved(a, x.uri);
    x.conn.socket.pause();
    const c = await tracked.client(a.uri);
    // Its first message binds the client's connection to the graph (data before that is dropped, as TEN does).
    await c.cmd('sync', { app: a.uri, graph: graphId, extension: 'nobody' });
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const d = new TenMsg('data', 'd');
      d.dests = [tenLoc(a.uri, graphId, 'a1')];
      d.buf = new Uint8Array(16 * 1024).fill(i & 0xff);
      c.send(d);
      // The client's own socket has its limits too: a cmd answered means A has read all before it.
      if (i % 500 === 499) await c.cmd('sync', { app: a.uri, graph: graphId, extension: 'nobody' });
    }
    // Every message a1 forwarded is either written to the socket or counted as dropped.
    const settled = async (): Promise<ConnectionSample> => {
      for (;;) {
        const conn = (await connectionTo(a, x.uri))!;
        if (conn.msgsOut - 1 + conn.dropsOut === N) return conn;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const conn = await settled();
    expect(conn.dropsOut).toBeGreaterThan(0);
    expect(conn.socket).toBe('group g1');
    // Reading again: what was written arrives, in order, and the connection still serves cmds.
    x.conn.socket.resume();
    await x.until(() => x.received.filter((m) => m.type === 'data').length === conn.msgsOut - 1, 'all data written to it');
    const seen = x.received.filter((m) => m.type === 'data').map((m) => m.buf![0]);
    expect(seen.length).toBe(N - conn.dropsOut);
    const id = x.cmd('hi', 'x1', { app: a.uri, extension: 'a1' });
    await x.until(() => x.resultsFor([id]).length === 1, 'the result');
    await c.close();
    await closeAndCheck(a);
  });

  it('a peer far ahead of a slow extension: the group decodes a chunk only after what the last one delivered has run', async () => {
    const reports = probeReports();
    try {
      const x = await tracked.peer();
      const a = await tracked.app();
      const N = 20_000;
      const graph = {
        nodes: [
          { type: 'extension', name: 'p1', addon: 'probe', extension_group: 'g1', app: a.uri, property: { probe: { expectSeq: N, reply: { hold: 'spin:1500' } } } },
          { type: 'extension', name: 'x1', addon: 'mesh', app: x.uri },
        ],
        connections: [cmdFlow('x1', x.uri, 'd', 'p1', a.uri, 'data'), cmdFlow('x1', x.uri, 'hold', 'p1', a.uri)],
      };
      const graphId = await a.app.startGraph({ graph: graph as TenGraph });
      expect((await socketMoved(a, x.uri)).socket).toBe('group g1');
      // The probe's thread is held while the whole flood is written: it waits in the socket.
      const hold = x.cmd('hold', 'x1', { app: a.uri, extension: 'p1' });
      await reports.next('p1', 'spinning');
      const frames: Buffer[] = [];
      for (let i = 0; i < N; i++) frames.push(frameOf(x.msg('data', 'd', 'x1', { app: a.uri, graph: graphId, extension: 'p1' }, { seq: i })));
      x.conn.write(Buffer.concat(frames));
      const done = await reports.next('p1', 'order');
      expect([done.count, done.inOrder]).toEqual([N, true]);
      await x.until(() => x.resultsFor([hold]).length === 1, 'the answer to hold');
      // A chunk the socket reads is at most 64 KiB (about 300 of these frames): without running
      // each chunk's messages before reading the next, the thread queued every chunk read in
      // one turn of its event loop (thousands).
      const g1 = (await a.app.sample()).graphs[0]!.groups.find((g) => g.group === 'g1')!;
      expect(g1.runloop.highWater).toBeLessThan(1000);
      await closeAndCheck(a);
    } finally {
      reports.close();
    }
  });

  it('close_app from a peer arrives on a moved socket and closes the app', async () => {
    const x = await tracked.peer();
    const a = await tracked.app();
    const graph = { nodes: [mesh('a1', a.uri, { answer: 'one' }, 'g1'), { type: 'extension', name: 'x1', addon: 'mesh', app: x.uri }], connections: [cmdFlow('x1', x.uri, 'hi', 'a1', a.uri)] };
    await a.app.startGraph({ graph: graph as TenGraph });
    await socketMoved(a, x.uri);
    const id = x.cmd('hi', 'x1', { app: a.uri, extension: 'a1' });
    await x.until(() => x.resultsFor([id]).length === 1, 'the result');
    x.send(x.msg('close_app', 'ten:close_app', 'x1', { app: a.uri, graph: '', extension: null }));
    await a.app.closed;
    await x.until(() => x.ended, 'the end of the connection');
    await closeAndCheck(a);
  });

  it('malformed bytes on a moved socket: the same located error as on the host, the connection closes, the app keeps serving', async () => {
    const x = await tracked.peer();
    const a = await tracked.app();
    const graph = { nodes: [mesh('a1', a.uri, { answer: 'one' }, 'g1'), { type: 'extension', name: 'x1', addon: 'mesh', app: x.uri }], connections: [cmdFlow('x1', x.uri, 'hi', 'a1', a.uri)] };
    await a.app.startGraph({ graph: graph as TenGraph }, { longRunningMode: false });
    await socketMoved(a, x.uri);
    const id = x.cmd('hi', 'x1', { app: a.uri, extension: 'a1' });
    await x.until(() => x.resultsFor([id]).length === 1, 'the result');
    // Half a frame, then the rest with a wrong ext type: the error names the stream's offsets.
    const good = frameOf(x.msg('cmd', 'hi', 'x1', { app: a.uri, graph: '', extension: 'a1' }));
    x.conn.write(good.subarray(0, 5));
    await new Promise<void>((r) => setImmediate(r));
    const bad = Buffer.concat([good.subarray(5), Buffer.from([0xd4, 0x07, 0x00])]);
    x.conn.write(bad);
    const expected = decodeAll(Buffer.concat(x.conn.written)).error!.message;
    expect(expected).toContain('Malformed TEN message');
    await a.until((evs) => connectionEvents(evs).some((e) => e.state === 'error'), 'the connection error');
    const err = connectionEvents(a.events).find((e) => e.state === 'error')!;
    expect(err.detail).toBe(expected);
    expect(a.events.some((e) => e.type === 'log' && e.message.includes(expected))).toBe(true);
    await x.until(() => x.ended, 'the end of the connection');
    // The remote is gone: its engine stops (not long-running); the app still serves.
    await a.until(() => a.app.graphs().length === 0, 'the graph stopped');
    const { client: c, graphId } = await tracked.clientWithGraph(a, { nodes: [mesh('solo', a.uri, { answer: 'still here' })] });
    expect((await c.cmd('ping', { app: a.uri, graph: graphId, extension: 'solo' })).props.detail).toBe('still here');
    await c.close();
    await closeAndCheck(a);
  });

  it('stop cascades both ways: the peer stops, the engine stops; a long-running engine stays', async () => {
    const [a, b] = await tracked.apps(2);
    const graph = { nodes: [mesh('a1', a.uri, {}, 'ga'), mesh('b1', b.uri, { answer: 'from b' }, 'gb')], connections: [cmdFlow('a1', a.uri, 'hello', 'b1', b.uri)] };
    // B stops its part: A's engine stops (its remote closed by EOF on a moved socket).
    let id = await a.app.startGraph({ graph: graph as TenGraph }, { longRunningMode: false });
    await socketMoved(a, b.uri);
    await socketMoved(b, a.uri);
    await b.app.stopGraph(id);
    await a.until(() => a.app.graphs().length === 0, 'A stopped by the cascade');
    // A stops: B's engine stops.
    id = await a.app.startGraph({ graph: graph as TenGraph }, { longRunningMode: false });
    await a.until((evs) => connectionEvents(evs).filter((e) => e.state === 'attached' && (e.detail ?? '').includes('socket on group')).length === 2, 'the second socket moved');
    await a.app.stopGraph(id);
    await b.until(() => b.app.graphs().length === 0, 'B stopped by the cascade');
    // Long-running (the start_graph's long_running_mode, in both apps): B stops, A stays.
    id = await a.app.startGraph({ graph: graph as TenGraph }, { longRunningMode: true });
    await a.until((evs) => connectionEvents(evs).filter((e) => e.state === 'attached' && (e.detail ?? '').includes('socket on group')).length === 3, 'the third socket moved');
    await b.app.stopGraph(id);
    await a.until((evs) => connectionEvents(evs).filter((e) => e.state === 'closed').length >= 3, 'the remote closed');
    expect(a.app.graphs()).toEqual([id]);
    await closeAndCheck(a, b);
  });

  it('a group thread terminated at the stop timeout while it owns a socket: the remote closes, the peer stops, nothing hangs or leaks', async () => {
    const a = await tracked.app({ stopTimeoutMs: 1000 });
    const b = await tracked.app();
    const graph = {
      nodes: [{ type: 'extension', name: 'p1', addon: 'probe', extension_group: 'ga', app: a.uri, property: { probe: { hangInStop: true } } }, mesh('a1', a.uri, {}, 'ga'), mesh('b1', b.uri, { answer: 'from b' }, 'gb')],
      connections: [cmdFlow('a1', a.uri, 'hello', 'b1', b.uri)],
    };
    const id = await a.app.startGraph({ graph: graph as TenGraph }, { longRunningMode: false });
    await socketMoved(a, b.uri);
    await a.app.stopGraph(id);
    expect(a.events.some((e) => e.type === 'worker_terminated' && e.group === 'ga')).toBe(true);
    await b.until(() => b.app.graphs().length === 0, 'B stopped by the cascade');
    expect((await a.app.sample()).connections).toEqual([]);
    await closeAndCheck(a, b);
  });
});
