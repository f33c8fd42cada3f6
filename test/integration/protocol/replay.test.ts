/**
 * TEN's captured sessions replayed against our apps over real sockets: every reply must be the
 * one TEN's app sent, byte for byte, once what legitimately differs is put aside.
 *
 * The apps are what the captures were made with (../shared/ten-corpus/protocol/README.md), their
 * extension `proto_echo` written again (test/fixtures/runtime/app/ten_packages/extension):
 * - single-app.json: one app with a singleton, auto-started graph `default` (`echo_1`);
 * - two-apps.json: two long-running apps with no graphs of their own; replayed with both apps
 *   ours (the clients' replies), with app B played by the bytes TEN's B sent to A (what our A
 *   sends B: the child start_graph, the forwarded cmd, data and audio frame), and with app A
 *   played by the bytes TEN's A sent to B (B's replies to A).
 *
 * What may differ, and how it is put aside:
 * - UUID4s the app generates (a client's identity = the cmd_id of its first cmd, the cmd_id the
 *   app stamps on each later client cmd, graph ids): each side's UUIDs are numbered in order of
 *   first appearance over the whole session, so the same id must stand in the same places
 *   (e.g. a result's cmd_id and its dest app, one graph's id across connections);
 * - the ports in the apps' URIs (TEN's listened on 8201, 8301, 8302; ours on free ports).
 * What a client sends that depends on an earlier reply (the graph id a start_graph returned)
 * is rewritten to our value before it is sent, and TEN's URIs to ours wherever they appear
 * (locations, graph_json, a child start_graph's nodes); nothing else of the captured bytes changes.
 * A property an extension forwards keeps its TEN type, as in TEN (see the app-B-played test).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TenMsg, TenType, decodeAll } from '../../../src/runtime/protocol';
import { freePort, uriOf } from './apps';
import { frameOf, trackResources, type PeerConn } from './peer';

const SESSIONS = resolve(process.cwd(), '..', 'shared', 'ten-corpus', 'protocol', 'sessions');
const HAS_SESSIONS = existsSync(SESSIONS);
const TEN_URI = 'msgpack://127.0.0.1:8201/';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

interface Session {
  connections: { connection: string; direction: 'client -> app' | 'app -> client' | 'app A -> app B' | 'app B -> app A'; chunks: string[] }[];
}

const concatHex = (chunks: string[]): Buffer => Buffer.from(chunks.join(''), 'hex');

/** Every string of a message (locations, ids, properties) mapped through `f`, in place. */
function mapStrings(m: TenMsg, f: (s: string) => string): TenMsg {
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return f(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object' && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  const loc = (l: TenMsg['src']): TenMsg['src'] => ({ app: l.app === null ? null : f(l.app), graph: l.graph === null ? null : f(l.graph), extension: l.extension === null ? null : f(l.extension) });
  m.raw = null;
  m.src = loc(m.src);
  m.dests = m.dests.map(loc);
  m.props = deep(m.props) as Record<string, unknown>;
  m.cmdId = f(m.cmdId);
  m.seqId = f(m.seqId);
  m.graphId = f(m.graphId);
  m.graphJson = f(m.graphJson);
  m.nodes = deep(m.nodes) as unknown[];
  m.connections = deep(m.connections) as unknown[];
  return m;
}

/** Numbers one side's UUIDs in order of first appearance, and maps its app URIs to TEN's. */
class Normaliser {
  readonly ids = new Map<string, string>();
  /** `uris`: [this side's URI, TEN's URI in its place]. */
  constructor(private readonly uris: [string, string][]) {}
  norm = (s: string): string => {
    let out = s.replace(UUID, (u) => {
      if (!this.ids.has(u)) this.ids.set(u, `<uuid ${this.ids.size + 1}>`);
      return this.ids.get(u)!;
    });
    for (const [mine, ten] of this.uris) out = out.replaceAll(mine, ten);
    return out;
  };
  /** The message as a plain object, normalised (what a failure shows). */
  view(m: TenMsg): Record<string, unknown> {
    const c = mapStrings(Object.assign(new TenMsg(m.type, m.name), m), this.norm);
    const { raw: _r, buf, ...rest } = c;
    return { ...rest, buf: buf ? Buffer.from(buf).toString('hex') : null };
  }
}

const tracked = trackResources();

/**
 * One captured session against our apps: TEN's app URIs stand for ours, TEN's graph ids the
 * client sends back are replaced by ours as our replies bring them.
 */
class SessionReplay {
  readonly ours: Normaliser;
  readonly ten: Normaliser;
  /** TEN's graph ids as the client sent them back, and ours in their place. */
  private readonly graphIds = new Map<string, string>();
  constructor(
    private readonly session: Session,
    private readonly uris: [ten: string, ours: string][],
  ) {
    this.ours = new Normaliser(uris.map(([t, o]) => [o, t]));
    this.ten = new Normaliser(uris.map(([t]) => [t, t]));
  }

  /** Opens connection `id` to our app at `uri` and sends its chunks, each once the replies to the cmds before it came. */
  async play(id: string, uri: string): Promise<PeerConn> {
    const sent = this.session.connections.find((c) => c.connection === id && c.direction === 'client -> app')!;
    const want = this.want(id);
    const r = await tracked.dial(uri);
    let cmds = 0;
    for (const chunk of sent.chunks) {
      const msgs = decodeAll(Buffer.from(chunk, 'hex')).msgs;
      const out = msgs.map((m) => {
        if (m.type === 'cmd' || m.type === 'start_graph' || m.type === 'stop_graph') cmds++;
        return frameOf(mapStrings(m, (s) => this.toOurs(s)));
      });
      r.write(Buffer.concat(out));
      if (msgs.some((m) => m.type === 'close_app')) continue;
      const n = cmds;
      await r.until(() => r.msgs.length >= n, `reply ${n} (${id}, after the chunk with ${msgs.map((m) => `${m.type} '${m.name}'`).join(', ')})`);
      for (const [i, w] of want.entries()) {
        const h = r.msgs[i];
        if (h && typeof w.props.graph_id === 'string' && typeof h.props.graph_id === 'string') this.graphIds.set(w.props.graph_id, h.props.graph_id);
      }
    }
    return r;
  }

  private toOurs(s: string): string {
    let out = this.graphIds.get(s) ?? s;
    for (const [ten, ours] of this.uris) out = out.replaceAll(ten, ours);
    return out;
  }

  private want(id: string): TenMsg[] {
    const got = this.session.connections.find((c) => c.connection === id && c.direction === 'app -> client');
    return got ? decodeAll(concatHex(got.chunks)).msgs : [];
  }

  /** Our replies on `id` are TEN's: field by field, then byte for byte. */
  check(id: string, r: PeerConn): void {
    const want = this.want(id);
    expect(
      r.msgs.map((m) => this.ours.view(m)),
      `${id}: our replies, normalised`,
    ).toEqual(want.map((m) => this.ten.view(m)));
    // Our replies with TEN's UUIDs and URIs put in, encoded, are TEN's bytes.
    const back = new Map([...this.ten.ids].map(([u, p]) => [p, u]));
    const asTen = r.msgs.map((m) => frameOf(mapStrings(m, (s) => this.ours.norm(s).replace(/<uuid \d+>/g, (p) => back.get(p) ?? p))));
    const got = this.session.connections.find((c) => c.connection === id && c.direction === 'app -> client');
    expect(Buffer.concat(asTen).toString('hex'), `${id}: our reply bytes`).toBe(got ? concatHex(got.chunks).toString('hex') : '');
  }
}

/** Polls `pred` until it holds (for counters no event reports). */
async function waitFor(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

const readSession = (file: string): Session => JSON.parse(readFileSync(resolve(SESSIONS, file), 'utf8')) as Session;

describe.skipIf(!HAS_SESSIONS)("TEN's captured sessions replayed against our apps", () => {
  it('single-app.json: every reply is the one TEN sent, byte for byte (UUIDs and the port aside)', async () => {
    const session = readSession('single-app.json');
    const app = await tracked.app({
      longRunning: true,
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'echo_1', addon: 'proto_echo' }] } }] } },
    });
    await app.app.startAutoGraphs();
    const replay = new SessionReplay(session, [[TEN_URI, app.uri]]);
    for (const id of [...new Set(session.connections.map((c) => c.connection))]) {
      const r = await replay.play(id, app.uri);
      if (id === 'c3') await app.app.closed; // its close_app
      r.socket.destroy();
      replay.check(id, r);
    }
    expect(app.app.live()).toMatchObject({ engines: 0, connections: 0, remotes: 0, sockets: 0 });
  });

  it("two-apps.json: the clients' replies from both apps are TEN's, byte for byte, through the start, the graph's life and its teardown", async () => {
    const session = readSession('two-apps.json');
    // TEN's apps here: long-running, no graphs of their own.
    const [a, b] = await tracked.apps(2, { longRunning: true });
    const replay = new SessionReplay(session, [
      ['msgpack://127.0.0.1:8301/', a.uri],
      ['msgpack://127.0.0.1:8302/', b.uri],
    ]);
    // The client at A starts the graph, says hello through echo_a to echo_b, sends data and audio.
    const starter = await replay.play('client-A', a.uri);
    // Both reached echo_b in app B before the next client asks for its count (app A's channel to
    // B carried the child start_graph, the cmd, the data and the audio frame).
    await waitFor(() => b.app.net.sample().some((c) => c.uri === a.uri && c.msgsIn >= 4), "the data and audio frame to reach app B");
    const joined = await replay.play('client1-B', b.uri);
    joined.socket.destroy();
    replay.check('client1-B', joined);
    // The starter leaves: the graph ends in A, and through the closed channel in B.
    starter.socket.destroy();
    replay.check('client-A', starter);
    await a.until(() => a.app.graphs().length === 0, 'the graph to end in app A');
    await b.until(() => b.app.graphs().length === 0, 'the graph to end in app B');
    const late = await replay.play('client2-B', b.uri);
    late.socket.destroy();
    replay.check('client2-B', late);
  });

  it("two-apps.json, app B played by its captured bytes: what our app A sends to app B is TEN's, byte for byte", async () => {
    const session = readSession('two-apps.json');
    const [TEN_A, TEN_B] = ['msgpack://127.0.0.1:8301/', 'msgpack://127.0.0.1:8302/'];
    const stream = (id: string, direction: string): TenMsg[] => decodeAll(concatHex(session.connections.find((c) => c.connection === id && c.direction === direction)!.chunks)).msgs;
    const a = await tracked.app({ longRunning: true });
    const portB = await freePort();
    const uriB = uriOf(portB);
    const ours = new Normaliser([
      [a.uri, TEN_A],
      [uriB, TEN_B],
    ]);
    const ten = new Normaliser([]);
    // A property an extension forwards keeps its TEN type: the client's `seq` 1 is an INT64
    // (not the UINT64 inference would give it), and our A sends it on as TEN's did.
    const tenAB = stream('A-B', 'app A -> app B');
    expect(tenAB.find((m) => m.type === 'data')!.propTypes).toEqual({ seq: TenType.INT64 });
    const want = tenAB.map((m) => ten.view(m));
    /** TEN's ids and URIs as ours (by the numbering both sides share once normalised). */
    const toOurs = (s: string): string => {
      const byPlaceholder = new Map([...ours.ids].map(([u, p]) => [p, u]));
      return s.replace(UUID, (u) => byPlaceholder.get(ten.ids.get(u) ?? '') ?? u).replaceAll(TEN_A, a.uri).replaceAll(TEN_B, uriB);
    };
    // App B: answers the child start_graph and the cmd with what TEN's B answered.
    const peerB = await tracked.peer({
      port: portB,
      answerStartGraph: false,
      onMsg: (conn, m) => {
        ours.view(m);
        const answer = m.type === 'start_graph' ? 0 : m.type === 'cmd' ? 1 : -1;
        if (answer >= 0) conn.send(mapStrings(stream('A-B', 'app B -> app A')[answer]!, toOurs));
      },
    });
    const got = peerB.received;
    const replay = new SessionReplay(session, [
      [TEN_A, a.uri],
      [TEN_B, uriB],
    ]);
    const client = await replay.play('client-A', a.uri);
    await peerB.until(() => got.length >= want.length, 'the data and audio frame from app A');
    expect(
      got.map((m) => ours.view(m)),
      'what our A sent to B, normalised',
    ).toEqual(want);
    const back = new Map([...ten.ids].map(([u, p]) => [p, u]));
    const asTen = got.map((m) => frameOf(mapStrings(m, (x) => ours.norm(x).replace(/<uuid \d+>/g, (p) => back.get(p) ?? p))));
    const tenBytes = tenAB.map((m) => frameOf(Object.assign(m, { raw: null })));
    expect(Buffer.concat(asTen).toString('hex'), 'the bytes our A sent to B').toBe(Buffer.concat(tenBytes).toString('hex'));
    client.socket.destroy();
    await a.until(() => a.app.graphs().length === 0, 'the graph to end in app A');
  });

  it("two-apps.json, app A played by its captured bytes: app B's replies to app A are TEN's, byte for byte", async () => {
    const session = readSession('two-apps.json');
    // App A is the captured stream A sent to B (its child start_graph, the cmd, data and audio
    // frame echo_a forwarded); app B is ours. A's URI is a port nobody listens on: B must answer
    // over the channel A opened, never dial A.
    const uriA = uriOf(await freePort());
    const b = await tracked.app({ longRunning: true });
    const replay = new SessionReplay(
      { connections: session.connections.map((c) => ({ ...c, direction: c.direction === 'app A -> app B' ? 'client -> app' : c.direction === 'app B -> app A' ? 'app -> client' : c.direction })) } as Session,
      [
        ['msgpack://127.0.0.1:8301/', uriA],
        ['msgpack://127.0.0.1:8302/', b.uri],
      ],
    );
    const fromA = await replay.play('A-B', b.uri);
    // The graph runs in B under the id A gave, with A's channel as its remote.
    await waitFor(() => b.app.net.sample().some((c) => c.uri === uriA && c.msgsIn >= 4), 'the data and audio frame to reach app B');
    const joined = await replay.play('client1-B', b.uri);
    joined.socket.destroy();
    replay.check('client1-B', joined);
    replay.check('A-B', fromA);
    // A goes away: B's graph ends (its non-weak remote closed) and the late client gets TEN's answer.
    fromA.socket.destroy();
    await b.until(() => b.app.graphs().length === 0, 'the graph to end in app B');
    const late = await replay.play('client2-B', b.uri);
    late.socket.destroy();
    replay.check('client2-B', late);
  });
});
