/**
 * TEN's captured client sessions replayed against our app over a real socket: every reply must
 * be the one TEN's app sent, byte for byte, once what legitimately differs is put aside.
 *
 * The app is what the captures were made with (../shared/ten-corpus/protocol/README.md): a
 * singleton, auto-started predefined graph `default` with one `proto_echo` node, `echo_1`
 * (test/fixtures/runtime/app/ten_packages/extension/proto_echo is that extension, written again).
 *
 * What may differ, and how it is put aside:
 * - UUID4s the app generates (a client's identity = the cmd_id of its first cmd, the cmd_id the
 *   app stamps on each later client cmd, graph ids): each side's UUIDs are numbered in order of
 *   first appearance over the whole session, so the same id must stand in the same places
 *   (e.g. a result's cmd_id and its dest app, one graph's id across connections);
 * - the port in the app's URI (TEN's app listened on 8201; ours on a free port).
 * What the client sends that depends on an earlier reply (the graph id a start_graph returned)
 * is rewritten to our value before it is sent; nothing else of the client's bytes changes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, TenMsg, decodeAll, encodeMsg } from '../../../src/runtime/protocol';
import { startTestApp, type TestApp } from './apps';

const SESSIONS = resolve(process.cwd(), '..', 'shared', 'ten-corpus', 'protocol', 'sessions');
const HAS_SESSIONS = existsSync(SESSIONS);
const TEN_URI = 'msgpack://127.0.0.1:8201/';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

interface Session {
  connections: { connection: string; direction: 'client -> app' | 'app -> client'; chunks: string[] }[];
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
  return m;
}

/** Numbers one side's UUIDs in order of first appearance, and maps its app URI to TEN's. */
class Normaliser {
  readonly ids = new Map<string, string>();
  constructor(private readonly uri: string) {}
  norm = (s: string): string =>
    s.replace(UUID, (u) => {
      if (!this.ids.has(u)) this.ids.set(u, `<uuid ${this.ids.size + 1}>`);
      return this.ids.get(u)!;
    }).replace(this.uri, TEN_URI);
  /** The message as a plain object, normalised (what a failure shows). */
  view(m: TenMsg): Record<string, unknown> {
    const c = mapStrings(Object.assign(new TenMsg(m.type, m.name), m), this.norm);
    const { raw: _r, buf, ...rest } = c;
    return { ...rest, buf: buf ? Buffer.from(buf).toString('hex') : null };
  }
}

/** A socket whose replies are decoded as they come, with a wait for the n-th. */
class Replayer {
  readonly replies: TenMsg[] = [];
  private readonly decoder = new FrameDecoder();
  private waiter: { n: number; resolve: () => void } | null = null;
  readonly raw: Buffer[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.raw.push(b);
      const err = this.decoder.feed(b, this.replies);
      if (err) throw new Error(`Our reply does not decode: ${JSON.stringify(err)}`);
      if (this.waiter && this.replies.length >= this.waiter.n) this.waiter.resolve();
    });
    socket.on('error', () => undefined);
  }
  static async open(port: number): Promise<Replayer> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
    return new Replayer(s);
  }
  async until(n: number, what: string): Promise<void> {
    if (this.replies.length >= n) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => (this.waiter = { n, resolve: r })),
      new Promise<void>((_, j) => (timer = setTimeout(() => j(new Error(`No reply ${n} (${what}); got ${this.replies.length}`)), 20_000))),
    ]).finally(() => clearTimeout(timer));
  }
}

let app: TestApp | null = null;
afterEach(async () => {
  await app?.app.close();
  app = null;
});

describe.skipIf(!HAS_SESSIONS)("TEN's captured client sessions replayed against our app", () => {
  it('single-app.json: every reply is the one TEN sent, byte for byte (UUIDs and the port aside)', async () => {
    const session = JSON.parse(readFileSync(resolve(SESSIONS, 'single-app.json'), 'utf8')) as Session;
    app = await startTestApp({
      longRunning: true,
      property: { ten: { predefined_graphs: [{ name: 'default', singleton: true, auto_start: true, graph: { nodes: [{ type: 'extension', name: 'echo_1', addon: 'proto_echo' }] } }] } },
    });
    await app.app.startAutoGraphs();
    const port = Number(new URL(app.uri).port);
    const ours = new Normaliser(app.uri);
    const ten = new Normaliser(TEN_URI);
    /** TEN's graph ids as the client sent them back, and ours in their place. */
    const graphIds = new Map<string, string>();
    const ids = [...new Set(session.connections.map((c) => c.connection))];
    for (const id of ids) {
      const sent = session.connections.find((c) => c.connection === id && c.direction === 'client -> app')!;
      const got = session.connections.find((c) => c.connection === id && c.direction === 'app -> client');
      const want = got ? decodeAll(concatHex(got.chunks)).msgs : [];
      const r = await Replayer.open(port);
      let cmds = 0;
      for (const chunk of sent.chunks) {
        const msgs = decodeAll(Buffer.from(chunk, 'hex')).msgs;
        const out = msgs.map((m) => {
          if (m.type === 'cmd' || m.type === 'start_graph' || m.type === 'stop_graph') cmds++;
          const bytes = encodeMsg(mapStrings(m, (s) => (s === TEN_URI ? app!.uri : (graphIds.get(s) ?? s))));
          if (!Buffer.isBuffer(bytes)) throw new Error(`cannot re-encode ${m.type}: ${bytes.message}`);
          return bytes;
        });
        r.socket.write(Buffer.concat(out));
        if (msgs.some((m) => m.type === 'close_app')) {
          await app.app.closed;
          continue;
        }
        await r.until(cmds, `${id}, after the chunk with ${msgs.map((m) => `${m.type} '${m.name}'`).join(', ')}`);
        // A graph id TEN answered with, and ours, for what the client sends next.
        for (const [i, w] of want.entries()) {
          const h = r.replies[i];
          if (h && typeof w.props.graph_id === 'string' && typeof h.props.graph_id === 'string') graphIds.set(w.props.graph_id, h.props.graph_id);
        }
      }
      r.socket.destroy();
      expect(
        r.replies.map((m) => ours.view(m)),
        `${id}: our replies, normalised`,
      ).toEqual(want.map((m) => ten.view(m)));
      // Byte for byte: our replies with TEN's UUIDs and URI put in, encoded, are TEN's bytes.
      const back = new Map([...ten.ids].map(([u, p]) => [p, u]));
      const asTen = r.replies.map((m) => encodeMsg(mapStrings(m, (s) => ours.norm(s).replace(/<uuid \d+>/g, (p) => back.get(p) ?? p))) as Buffer);
      expect(Buffer.concat(asTen).toString('hex'), `${id}: our reply bytes`).toBe(got ? concatHex(got.chunks).toString('hex') : '');
    }
    expect(app.app.live()).toMatchObject({ engines: 0, connections: 0, remotes: 0, sockets: 0 });
  });
});
