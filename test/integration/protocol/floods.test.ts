/**
 * Floods past queue limits (issue 11, item 5; docs/protocol.md "Robustness"), over real sockets
 * and real worker threads: what the host forwards to an extension group is flow controlled (the
 * host stops reading a connection while the group it feeds is behind, so memory stays bounded
 * and nothing is dropped); a connection that pushes past the hard limit while its graph starts
 * is closed with a located error; a cmd already inside a group whose thread ends is answered.
 * Every wait is for an event or a count, never for a time.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AppSample, RuntimeEvent } from '../../../src/runtime';
import { TenMsg, tenLoc } from '../../../src/runtime/protocol';
import type { ConnectionSample } from '../../../src/runtime/protocol/net';
import { closeAndCheck, connectionEvents, type TestApp } from './apps';
import { trackResources } from './peer';

const TERMINATED = 'The destination extension has been terminated.';

const tracked = trackResources();
const app = tracked.app;
const client = tracked.client;
const files: string[] = [];
// Registered after trackResources, so it runs before it closes the apps: a gate still closed (a
// failed test) is opened, so nothing waits on it.
afterEach(() => {
  for (const f of files) writeFileSync(f, '');
});
afterAll(() => {
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

/** A file the test creates to let a `gate` go on (removed after the test). */
function gateFile(name = `ten-floods-${randomUUID()}`): string {
  const f = join(tmpdir(), name);
  files.push(f);
  return f;
}

/** Samples until `pred` holds (each sample answers on its own; no time is asserted). */
async function sampleUntil(a: TestApp, pred: (s: AppSample) => boolean): Promise<AppSample> {
  for (;;) {
    const s = await a.app.sample();
    if (pred(s)) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const clientConn = (s: AppSample, role = 'in_external'): ConnectionSample | undefined => s.connections?.find((c) => c.role === role);
const errorsOf = (events: RuntimeEvent[]) => connectionEvents(events).filter((e) => e.state === 'error');
const gateNode = (name: string, group: string) => ({ type: 'extension', name, addon: 'gate', extension_group: group });
const echoNode = { type: 'extension', name: 'echo', addon: 'mesh', extension_group: 'fast', property: { answer: 'still here' } };

async function stillServes(a: TestApp, graph: string): Promise<void> {
  const other = await client(a.uri);
  const r = await other.cmd('hi', { graph, extension: 'echo' });
  expect([r.status, r.props.detail]).toEqual([0, 'still here']);
}

describe('a client floods a slow extension', () => {
  it('the host stops reading it while the group is behind: the backlog stays bounded, others are served, nothing is lost', async () => {
    const PAUSE = 64;
    const a = await app({
      transportLimits: { inboundPauseMsgs: PAUSE },
      property: { ten: { predefined_graphs: [{ name: 'flood', singleton: true, auto_start: true, graph: { nodes: [gateNode('slow', 'slow'), echoNode] } }] } },
    });
    await a.app.startAutoGraphs();
    const file = gateFile();
    const c = await client(a.uri);
    const dest = { graph: 'flood', extension: 'slow' };
    // Bound to the graph first (data before that is dropped, as TEN drops it).
    expect((await c.cmd('hi', { graph: 'flood', extension: 'echo' })).status).toBe(0);
    // The next cmd holds the group's thread until the file exists; the flood queues behind it.
    const blocked = c.cmd('block', dest, { file });
    const N = 6000;
    const M = 4000;
    const pings: Promise<TenMsg>[] = [];
    for (let i = 0; i < N; i++) {
      pings.push(c.cmd('ping', dest));
      if (i < M) {
        const d = new TenMsg('data', 'tick');
        d.dests = [tenLoc(a.uri, 'flood', 'slow')];
        d.buf = new Uint8Array(8);
        c.send(d);
      }
    }
    const total = 2 + N + M;
    // Held (the fix), or everything read into the host (no flow control).
    await sampleUntil(a, (x) => clientConn(x)?.inputHeld === true || clientConn(x)?.msgsIn === total);
    // Nothing moves while the group is held: this sample's parts (read at different moments) agree.
    const s = await a.app.sample();
    const conn = clientConn(s)!;
    expect(conn.msgsIn).toBeLessThan(total);
    expect(conn.inputHeld).toBe(true);
    const slow = s.graphs[0]!.inbound!.find((g) => g.group === 'slow')!;
    // Bounded by the mark plus what one socket read (64 KiB) can carry, not by the flood.
    expect(slow.highWater).toBeLessThan(PAUSE + 2000);
    expect(slow.pausedReaders).toBe(1);
    // Another client is served meanwhile (another group of the same graph).
    await stillServes(a, 'flood');

    writeFileSync(file, '');
    expect((await blocked).status).toBe(0);
    const results = await Promise.all(pings);
    expect(results.every((r) => r.status === 0)).toBe(true);
    expect(results.map((r) => r.props.n)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    // Every data message arrived: none was dropped on the way.
    expect((await c.cmd('count', dest)).props.count).toBe(M);
    // The group acknowledges a batch after its handlers ran, so the last one may still be counted.
    const after = await sampleUntil(a, (x) => x.graphs[0]!.inbound!.find((g) => g.group === 'slow')!.msgs === 0);
    expect(clientConn(after)).toMatchObject({ dropsIn: 0, msgsIn: total + 1 });
    expect(clientConn(after)!.inputHeld).toBeUndefined();
    expect(after.graphs[0]!.inbound!.find((g) => g.group === 'slow')!.pausedReaders).toBe(0);
    await tracked.closeClients();
    await closeAndCheck(a);
  });
});

describe("a flood through another group's socket", () => {
  it('the host asks that group to stop reading the socket while the group it feeds is behind: bounded, nothing lost, nothing closed', async () => {
    const PAUSE = 64;
    const a = await app({ transportLimits: { inboundPauseMsgs: PAUSE }, property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [echoNode] } }] } } });
    await a.app.startAutoGraphs();
    const b = await app({ property: {} });
    // A's socket to B goes to group 'near' (two flows with B against one): what B sends to
    // 'slow' reaches A's host from that thread, which stops reading the socket when asked.
    const graph = {
      nodes: [
        { type: 'extension', name: 'caller', addon: 'mesh', extension_group: 'c', app: b.uri },
        { ...gateNode('near', 'near'), app: a.uri },
        { ...gateNode('slow', 'slow'), app: a.uri },
      ],
      connections: [
        {
          app: b.uri,
          extension: 'caller',
          cmd: [
            { name: 'one', dest: [{ app: a.uri, extension: 'near' }] },
            { name: 'two', dest: [{ app: a.uri, extension: 'near' }] },
            { name: 'block', dest: [{ app: a.uri, extension: 'slow' }] },
            { name: 'ping', dest: [{ app: a.uri, extension: 'slow' }] },
          ],
        },
      ],
    };
    const gid = await b.app.startGraph({ graph: graph as never });
    const toB = (x: AppSample) => x.connections?.find((k) => k.uri === b.uri);
    await sampleUntil(a, (x) => toB(x)?.socket === 'group near');
    const file = gateFile();
    const cb = await client(b.uri);
    const via = { graph: gid, extension: 'caller' };
    const blocked = cb.cmd('block', via, { file });
    const N = 3000;
    const pings: Promise<TenMsg>[] = [];
    for (let i = 0; i < N; i++) pings.push(cb.cmd('ping', via));
    // Held (the fix), or everything read (no flow control on a moved socket).
    await sampleUntil(a, (x) => toB(x)?.inputHeld === true || (toB(x)?.msgsIn ?? 0) >= 1 + N);
    const s = await a.app.sample();
    expect(toB(s)!.inputHeld).toBe(true);
    expect(toB(s)!.socket).toBe('group near');
    expect(toB(s)!.msgsIn).toBeLessThan(1 + N);
    // Bounded by the mark plus what the socket's thread read before it was asked to stop.
    expect(s.graphs.find((g) => g.graphId === gid)!.inbound!.find((g) => g.group === 'slow')!.highWater).toBeLessThan(PAUSE + 2000);
    await stillServes(a, 'default');
    writeFileSync(file, '');
    expect((await blocked).status).toBe(0);
    const results = await Promise.all(pings);
    // All answered OK, through B's forwarder (which returns status and detail, not the count).
    expect(results.filter((r) => r.status !== 0).map((r) => r.props.detail)).toEqual([]);
    expect(errorsOf(a.events)).toEqual([]);
    expect(toB(await sampleUntil(a, (x) => toB(x)?.inputHeld === undefined))!.dropsIn).toBe(0);
    await tracked.closeClients();
    await closeAndCheck(a, b);
  });
});

describe('a flood while the graph starts', () => {
  it('past the hard limit the connection is closed with a located error; the app serves everyone else', async () => {
    const LIMIT = 300;
    const a = await app({
      transportLimits: { inboundCloseMsgs: LIMIT },
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [echoNode] } }] } },
    });
    await a.app.startAutoGraphs();
    // Its extension is created only once the file exists: the graph stays starting until then.
    const held = `gate__hold__${randomUUID().slice(0, 8)}`;
    const file = gateFile(`${held}.go`);
    const c = await client(a.uri);
    const started = c.startGraph({ json: JSON.stringify({ nodes: [gateNode(held, 'g')] }) });
    const pings: Promise<TenMsg>[] = [];
    const N = 2 * LIMIT;
    for (let i = 0; i < N; i++) pings.push(c.cmd('ping', { graph: '', extension: held }));
    const conn = (x: AppSample) => x.connections?.find((k) => k.role === 'in_external' && k.graphId !== '');
    await sampleUntil(a, (x) => errorsOf(a.events).length > 0 || conn(x)?.msgsIn === 1 + N);
    const e = errorsOf(a.events)[0];
    expect(e?.detail).toMatch(
      new RegExp(`^The connection #${e?.id} \\([0-9a-f-]+, peer 127\\.0\\.0\\.1:\\d+\\) sent ${LIMIT + 1} messages for extensions of graph [0-9a-f-]+ while it starts, past the limit of ${LIMIT} messages or 256 MiB held \\(transportLimits\\.inboundCloseMsgs, inboundCloseBytes\\); the connection is closed and the ${LIMIT + 1} messages are dropped\\.$`),
    );
    expect(a.events.some((x) => x.type === 'log' && x.level === 4 && x.message.startsWith(`Connection #${e!.id} (`) && x.message.includes(`past the limit of ${LIMIT} messages`))).toBe(true);
    // Everyone else is served while that graph is still starting, and after.
    await stillServes(a, 'default');
    await c.closed;
    expect((await started).status).not.toBe(0);
    expect((await Promise.all(pings)).every((r) => r.status !== 0)).toBe(true);
    writeFileSync(file, '');
    await stillServes(a, 'default');
    await tracked.closeClients();
    await closeAndCheck(a);
  });
});

describe('a cmd inside a group whose thread ends', () => {
  it("is answered 'The destination extension has been terminated.' to the client waiting for it", async () => {
    const a = await app({ property: { ten: { predefined_graphs: [{ name: 'mortal', singleton: true, auto_start: true, graph: { nodes: [gateNode('mortal', 'm'), echoNode] } }] } } });
    await a.app.startAutoGraphs();
    const c = await client(a.uri);
    const dest = { graph: 'mortal', extension: 'mortal' };
    let settled = false;
    const hang = c.cmd('hang', dest).finally(() => (settled = true));
    await a.until((ev) => ev.some((x) => x.type === 'log' && x.message === 'gate mortal holds hang'), 'the hang cmd inside the group');
    const exit = c.cmd('exit', dest);
    // Data behind the exit is never taken: counted as dropped, wherever the thread ending finds it.
    const K = 50;
    for (let i = 0; i < K; i++) {
      const d = new TenMsg('data', 'tick');
      d.dests = [tenLoc(a.uri, 'mortal', 'mortal')];
      d.buf = new Uint8Array(8);
      c.send(d);
    }
    await a.until((ev) => ev.some((x) => x.type === 'worker_terminated'), 'the thread ending');
    // Answered on the same connection after the cmds that were inside (b57474d's path).
    const later = await c.cmd('ping', dest);
    expect([later.status, later.props.detail]).toEqual([1, TERMINATED]);
    expect(settled).toBe(true);
    expect([(await hang).status, (await hang).props.detail]).toEqual([1, TERMINATED]);
    expect((await exit).props.detail).toBe(TERMINATED);
    expect(clientConn(await a.app.sample())?.dropsIn).toBe(K);
    await stillServes(a, 'mortal');
    await tracked.closeClients();
    await closeAndCheck(a);
  });

  it('is answered to another app waiting for it (its socket read on the host), and answered cmds are not answered again', async () => {
    const a = await app({ groupSockets: false, property: {} });
    const b = await app({ groupSockets: false, property: {} });
    const graph = {
      nodes: [
        { type: 'extension', name: 'caller', addon: 'mesh', extension_group: 'c', app: b.uri },
        { ...gateNode('mortal', 'm'), app: a.uri },
      ],
      connections: [{ app: b.uri, extension: 'caller', cmd: ['ping', 'hang'].map((name) => ({ name, dest: [{ app: a.uri, extension: 'mortal' }] })) }],
    };
    const gid = await b.app.startGraph({ graph: graph as never });
    const cb = await client(b.uri);
    const via = { graph: gid, extension: 'caller' };
    // An answered cmd first: its result, passed on as frames, takes it out of what is inside.
    const ping = await cb.cmd('ping', via);
    expect([ping.status, ping.props.detail]).toEqual([0, '']);
    let settled = false;
    const hang = cb.cmd('hang', via).finally(() => (settled = true));
    await a.until((ev) => ev.some((x) => x.type === 'log' && x.message === 'gate mortal holds hang'), 'the hang cmd inside the group');
    const ca = await client(a.uri);
    void ca.cmd('exit', { graph: gid, extension: 'mortal' });
    await a.until((ev) => ev.some((x) => x.type === 'worker_terminated'), 'the thread ending');
    const later = await cb.cmd('hang', via);
    expect([later.status, later.props.detail]).toEqual([1, TERMINATED]);
    expect(settled).toBe(true);
    expect([(await hang).status, (await hang).props.detail]).toEqual([1, TERMINATED]);
    // One answer per cmd: A sent B the ping's result, and one result for each hang.
    const toB = (await a.app.sample()).connections!.find((k) => k.uri === b.uri)!;
    expect(toB.msgsOut).toBe(4);
    await tracked.closeClients();
    await b.app.stopGraph(gid);
    await closeAndCheck(a, b);
  });
});
