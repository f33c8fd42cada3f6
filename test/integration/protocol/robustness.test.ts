/**
 * Where TEN aborts the process, our app closes only the offending connection, with a located
 * error in the log and the event stream, and keeps serving everyone else: garbage, a wrong tag,
 * a NULL property, half a message, a frame past the size limit, data before any graph, a peer
 * that stops reading. Owner checks apply to connections.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/runtime';
import { TenMsg, tenLoc } from '../../../src/runtime/protocol';
import { BUILTIN_ADDONS_DIR } from '../../../src/runtime/addons';
import { closeAndCheck, connectionEvents, type TestApp } from './apps';
import { frameOf, trackResources, type PeerConn } from './peer';

const tracked = trackResources();

const serving = { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'echo', addon: 'mesh', property: { answer: 'still here' } }, { type: 'extension', name: 'sink', addon: 'mesh', property: { count: true } }] } }] } };

async function servingApp(opts: Parameters<typeof tracked.app>[0] = {}): Promise<TestApp> {
  const a = await tracked.app({ property: serving, ...opts });
  await a.app.startAutoGraphs();
  return a;
}

const errorsOf = (events: RuntimeEvent[]) => connectionEvents(events).filter((e) => e.state === 'error');

/** The app closed `conn` for what it sent: the error it reported (its first). */
async function closedWithError(a: TestApp, conn: PeerConn): Promise<ReturnType<typeof errorsOf>[number]> {
  await conn.closed;
  await a.until((ev) => errorsOf(ev).length > 0, 'the error event');
  return errorsOf(a.events)[0]!;
}

/** A cmd `hi` to the serving graph's `echo`. */
function hiToEcho(a: TestApp): TenMsg {
  const m = new TenMsg('cmd', 'hi');
  m.dests = [tenLoc(a.uri, 'default', 'echo')];
  return m;
}

async function stillServes(a: TestApp): Promise<void> {
  const c = await tracked.client(a.uri);
  const r = await c.cmd('hi', { graph: 'default', extension: 'echo' });
  expect([r.status, r.props.detail]).toEqual([0, 'still here']);
  await c.close();
}

describe('a bad connection is closed with a located error; the app keeps serving', () => {
  it('garbage bytes', async () => {
    const a = await servingApp();
    const conn = await tracked.dial(a.uri);
    conn.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const e = await closedWithError(a, conn);
    expect(e.detail).toBe('Malformed TEN message #1 at stream byte 0 (ext header): expected a msgpack ext object (one TEN message), found positive fixint 71 (0x47).');
    expect(a.events.some((x) => x.type === 'log' && x.level === 4 && x.message.includes('Malformed TEN message #1 at stream byte 0'))).toBe(true);
    await stillServes(a);
    await closeAndCheck(a);
  });

  it('a NULL property after a good message, on a connection already bound to a graph', async () => {
    const a = await servingApp();
    const conn = await tracked.dial(a.uri);
    const good = hiToEcho(a);
    good.seqId = '1';
    const frame = conn.send(good);
    await conn.until(() => conn.msgs.length > 0, 'the answer to the good message');
    // properties {} → {"v": NULL}: a hand-made frame, as a broken peer would send it.
    const props = frame.indexOf(Buffer.from('1000', 'hex'), frame.indexOf(Buffer.from('echo')));
    const nullProp = Buffer.concat([frame.subarray(3, props), Buffer.from('1001a17601', 'hex'), frame.subarray(props + 2)]);
    conn.write(Buffer.concat([Buffer.from([0xc7, nullProp.length, 0x01]), nullProp]));
    const e = await closedWithError(a, conn);
    expect(e.detail).toMatch(new RegExp(`^Malformed TEN message #2 at stream byte \\d+ \\(properties \\.v\\): expected a TEN type tag from BOOL \\(2\\) to OBJECT \\(16\\), found NULL \\(1\\)`));
    expect(e.graphId).not.toBe('');
    await stillServes(a);
    await closeAndCheck(a);
  });

  it('half a message, then the end of the stream', async () => {
    const a = await servingApp();
    const conn = await tracked.dial(a.uri);
    const bytes = frameOf(hiToEcho(a));
    conn.socket.end(bytes.subarray(0, 20));
    expect((await closedWithError(a, conn)).detail).toBe(`Malformed TEN message #1 at stream byte 20 (stream): expected ${bytes.length - 20} more bytes of a ${bytes.length}-byte message, found the end of the stream.`);
    await stillServes(a);
    await closeAndCheck(a);
  });

  it('a frame past the size limit is refused from its header', async () => {
    const a = await servingApp({ transportLimits: { maxFrameBytes: 4096 } });
    const conn = await tracked.dial(a.uri);
    conn.write(Buffer.from('c90010000001', 'hex'));
    expect((await closedWithError(a, conn)).detail).toContain('expected a message of at most 4096 bytes (the frame size limit), found a message of 1048576 bytes');
    await stillServes(a);
    await closeAndCheck(a);
  });

  it('data as a first message is dropped and counted (TEN drops it silently); cmds after it still work', async () => {
    const a = await servingApp();
    const c = await tracked.client(a.uri);
    const d = new TenMsg('data', 'early');
    d.dests = [tenLoc(a.uri, 'default', 'sink')];
    d.buf = new Uint8Array(0);
    c.send(d);
    const r = await c.cmd('hi', { graph: 'default', extension: 'echo' });
    expect(r.status).toBe(0);
    // After migration, data reaches the graph, an empty buf included (TEN aborts on that).
    c.send(d);
    const counted = await c.cmd('count', { graph: 'default', extension: 'sink' });
    expect(counted.props.count).toBe(1);
    const sample = (await a.app.sample()).connections!;
    expect(sample.find((x) => x.migration === 'done')?.dropsIn).toBe(1);
    await c.close();
    await closeAndCheck(a);
  });

  it('a client that stops reading is closed past the hard limit of queued output', async () => {
    const a = await tracked.app({
      addonDirs: [BUILTIN_ADDONS_DIR],
      transportLimits: { dropDataAboveBytes: 64 * 1024, closeAboveBytes: 1024 * 1024 },
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, graph: { nodes: [{ type: 'extension', name: 'echo', addon: 'cmd_echo' }] } }] } },
    });
    const conn = await tracked.dial(a.uri);
    conn.socket.pause();
    // cmd_echo answers with the cmd's properties: 32 KiB per result, never read.
    const m = hiToEcho(a);
    m.props = { pad: 'x'.repeat(32 * 1024) };
    const frames: Buffer[] = [];
    for (let i = 0; i < 800; i++) {
      m.seqId = String(i);
      frames.push(frameOf(m));
    }
    conn.write(Buffer.concat(frames));
    await a.until((ev) => errorsOf(ev).some((e) => e.detail?.includes('is not reading')), 'the overflow error', 60_000);
    expect(errorsOf(a.events).find((e) => e.detail?.includes('is not reading'))!.detail).toMatch(/^The peer .* is not reading: \d+ bytes are queued for it; the connection is closed\.$/);
    conn.socket.destroy();
    await conn.closed;
    const c = await tracked.client(a.uri);
    const r = await c.cmd('hi', { graph: 'default', extension: 'echo' }, { small: 1 });
    expect([r.status, r.props.small]).toEqual([0, 1]);
    await c.close();
    await closeAndCheck(a);
  });
});

describe('messages pipelined behind a first message are held, in order, and none is lost', () => {
  it('a start_graph and 1000 cmds for its graph in one write: every cmd answered, in order', async () => {
    const a = await servingApp({ longRunning: true });
    const conn = await tracked.dial(a.uri);
    const start = new TenMsg('start_graph', 'ten:start_graph');
    start.dests = [tenLoc(a.uri)];
    start.seqId = 'start';
    start.graphJson = JSON.stringify({ nodes: [{ type: 'extension', name: 'echo', addon: 'mesh', property: { answer: 'held' } }] });
    const frames: Buffer[] = [frameOf(start)];
    const N = 1000;
    for (let i = 0; i < N; i++) {
      const m = new TenMsg('cmd', 'hi');
      // An empty graph: the graph this connection's start_graph creates (TEN fills it in).
      m.dests = [tenLoc(a.uri, '', 'echo')];
      m.seqId = String(i);
      frames.push(frameOf(m));
    }
    conn.write(Buffer.concat(frames));
    const rs = await conn.until(() => conn.msgs.length >= N + 1 && conn.msgs, 'the results of the start_graph and every cmd');
    expect(rs[0]).toMatchObject({ type: 'cmd_result', seqId: 'start', status: 0 });
    expect(rs.slice(1).map((r) => [r.seqId, r.status, r.props.detail])).toEqual(Array.from({ length: N }, (_, i) => [String(i), 0, 'held']));
    conn.socket.destroy();
    await closeAndCheck(a);
  });
});

describe('owner checks apply to connections', () => {
  it('a send by an object that does not own the connection is a violation, refused under the fail policy', async () => {
    const a = await servingApp();
    const c = await tracked.client(a.uri);
    await c.cmd('hi', { graph: 'default', extension: 'echo' });
    const conn = [...a.app.net.connections][0]!;
    expect(conn.attachTo).toBe('remote');
    const m = new TenMsg('cmd', 'sneaky');
    const err = conn.send(m, a.app.net);
    expect(err).toBe(`The connection belongs to ${conn.owner.ownerName}, not to app ${a.uri}.`);
    const v = a.events.find((e) => e.type === 'violation');
    expect(v).toMatchObject({ type: 'violation', owner: conn.owner.ownerName, caller: `app ${a.uri}`, policy: 'fail' });
    await c.close();
    await closeAndCheck(a);
  });
});

describe("a start_graph's graph is checked as TEN checks it when it starts, and always answered", () => {
  const node = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'extension', name, addon: 'mesh', ...extra });

  it("TEN's texts for a graph TEN refuses (TEN itself sends no answer); nothing is left running", async () => {
    const a = await servingApp();
    const cases: [unknown, string][] = [
      [{ nodes: [node('a', { app: a.uri }), node('b')] }, "Either all nodes should have 'app' declared, or none should, but not a mix of both."],
      [{ nodes: [node('a', { app: '' })] }, "nodes[0]: the 'app' field can not be empty, remove the field if the graph is a single-app graph"],
      [{ nodes: [node('a', { app: 'localhost' })] }, "nodes[0]: 'localhost' is not allowed in graph definition, and the graph seems to be a single-app graph, just remove the 'app' field"],
      [{ nodes: 5 }, "'nodes' must be an array"],
      [{ nodes: [node('e1'), node('e1')] }, 'Duplicated extension was found in nodes[1], addon: mesh, name: e1.'],
      [{ nodes: [{ type: 'extension', name: 'x', addon: 'no_such_addon' }] }, 'The following packages are declared in nodes but not installed: [("", Extension, "no_such_addon")].'],
    ];
    const before = a.app.graphs();
    for (const [g, text] of cases) {
      // A graph refused before its engine exists leaves the connection open; one refused by the
      // engine closes it after the answer (the engine's remotes close with it, as in TEN).
      const c = await tracked.client(a.uri);
      const r = await c.startGraph({ json: JSON.stringify(g) });
      expect([r.status, r.props.detail], JSON.stringify(g)).toEqual([1, text]);
      await c.close();
    }
    expect(a.app.graphs()).toEqual(before);
    await stillServes(a);
    await closeAndCheck(a);
  });

  it('a graph with no extension here starts (TEN checks for one only when a graph is designed) and is answered OK', async () => {
    const a = await servingApp({ longRunning: true });
    for (const g of [{ nodes: [] }, {}]) {
      const c = await tracked.client(a.uri);
      const r = await c.startGraph({ json: JSON.stringify(g) });
      expect(r.status, JSON.stringify(g)).toBe(0);
      expect(a.app.graphs()).toContain(r.props.graph_id);
      await c.close();
    }
    await closeAndCheck(a);
  });
});

describe('a group whose thread ended while its graph runs on', () => {
  it("a cmd from a client for one of its extensions gets the text a sender in the graph gets; the rest of the graph still serves", async () => {
    const graph = {
      nodes: [
        { type: 'extension', name: 'echo', addon: 'mesh', extension_group: 'g1', property: { answer: 'still here' } },
        // The probe ends its thread when it gets `ping` (process.exit in the group).
        { type: 'extension', name: 'victim', addon: 'probe', extension_group: 'g2', property: { probe: { reply: { ping: 'exit' } } } },
      ],
    };
    const a = await tracked.app({ longRunning: true, property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph }] } } });
    await a.app.startAutoGraphs();
    const c = await tracked.client(a.uri);
    // This cmd ends the thread: it is never answered (the group that held it is gone).
    void c.cmd('ping', { graph: 'default', extension: 'victim' });
    await a.until((ev) => ev.some((e) => e.type === 'worker_terminated'), 'the group ending');
    const r = await c.cmd('ping', { graph: 'default', extension: 'victim' });
    expect([r.status, r.props.detail]).toEqual([1, 'The destination extension has been terminated.']);
    const ok = await c.cmd('hi', { graph: 'default', extension: 'echo' });
    expect([ok.status, ok.props.detail]).toEqual([0, 'still here']);
    await c.close();
  });
});
