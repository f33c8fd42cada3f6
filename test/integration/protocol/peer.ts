// The fixtures of the protocol tests that play the other side of a socket: a scripted peer (a TEN
// app on a raw socket that listens, dials, reads TEN's frames, sends what a test asks and answers
// as TEN would), raw connections to an app, and the resources of a test closed after it
// (`trackResources`), with the "client that has started a graph" preamble.
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import { TenClient, type ClientOptions } from '../../../src/runtime/protocol/client';
import { tenResultFor } from '../../../src/runtime/protocol/bridge';
import { FrameDecoder, STATUS_OK, TenMsg, encodeMsg, tenLoc, type ProtocolError } from '../../../src/runtime/protocol';
import { freePort, startTestApp, uriOf, type TestApp } from './apps';

/** How long a wait on a peer or connection lasts before it fails the test. */
const WAIT_MS = 20_000;

/** Wakes the waits of `until` whenever something they look at may have changed. */
class Waiters {
  private list: (() => void)[] = [];
  wake(): void {
    for (const w of this.list.splice(0)) w();
  }

  /**
   * Resolves with what `find` returns once it is neither undefined, null nor false (re-checked on
   * every wake); fails with `why()` when `failure()` says so or after `ms`.
   */
  async until<T>(find: () => T | undefined | null | false, failure: () => Error | null, why: (ms: number) => string, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = find();
      if (v !== undefined && v !== null && v !== false) return v;
      const err = failure();
      if (err) throw err;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(why(ms));
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        this.list.push(r);
        timer = setTimeout(r, left);
      }).finally(() => clearTimeout(timer));
    }
  }
}

const listed = (msgs: TenMsg[]): string => (msgs.length === 0 ? 'nothing' : msgs.slice(-20).map((m) => `${m.type} '${m.name}'${m.type === 'cmd_result' ? ` (status ${m.status})` : ''}`).join(', ') + (msgs.length > 20 ? ` (the last 20 of ${msgs.length})` : ''));

/** A message's frame bytes; a message that cannot be encoded fails the test with the reason. */
export function frameOf(m: TenMsg): Buffer {
  const bytes = encodeMsg(m);
  if (!Buffer.isBuffer(bytes)) throw new Error(`The test's ${m.type} '${m.name}' cannot be encoded: ${bytes.message}`);
  return bytes;
}

/**
 * One TCP connection that speaks TEN's frames: every message read (decoded by the project's
 * FrameDecoder, `raw` copied out of the read buffer), every byte written, and its end.
 */
export class PeerConn {
  readonly msgs: TenMsg[] = [];
  /** Every byte written to the other side, in order (for a decoder's expected error text). */
  readonly written: Buffer[] = [];
  /** The error that ended decoding what the other side sent, if any (fails `until`). */
  decodeError: ProtocolError | null = null;
  /** The other side ended its stream ('end'), or the socket closed. */
  ended = false;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly waiters = new Waiters();

  constructor(
    readonly socket: Socket,
    /** Called for every message read, in order, after it is recorded. */
    onMsg: (conn: PeerConn, m: TenMsg) => void = () => undefined,
    /** Called after every read and at the end (the owning peer's wake). */
    private readonly onChange: () => void = () => undefined,
  ) {
    socket.setNoDelay(true);
    this.closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const got: TenMsg[] = [];
      this.decodeError ??= this.decoder.feed(chunk, got);
      for (const m of got) {
        m.raw = m.raw && Uint8Array.from(m.raw);
        this.msgs.push(m);
        onMsg(this, m);
      }
      this.changed();
    });
    const end = (): void => {
      this.ended = true;
      this.changed();
    };
    socket.once('end', end);
    socket.once('close', end);
  }

  private changed(): void {
    this.waiters.wake();
    this.onChange();
  }

  /** Writes bytes as they are (half a frame, a broken one), recorded in `written`. */
  write(bytes: Buffer): void {
    this.written.push(Buffer.from(bytes));
    this.socket.write(bytes);
  }

  /** Sends one message as its frame; returns the frame's bytes. */
  send(m: TenMsg): Buffer {
    const bytes = frameOf(m);
    this.write(bytes);
    return bytes;
  }

  /** Resolves with what `find` returns once it holds (see Waiters.until); a clear failure, never a hang. */
  until<T>(find: () => T | undefined | null | false, what: string, ms = WAIT_MS): Promise<T> {
    const addr = `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
    return this.waiters.until(find, () => this.failure(what), (t) => `The connection to ${addr} did not get ${what} in ${t} ms; it got ${listed(this.msgs)}${this.ended ? ', then its end' : ''}`, ms);
  }

  failure(what: string): Error | null {
    return this.decodeError && new Error(`Waiting for ${what}, the bytes read do not decode: ${this.decodeError.message}`);
  }
}

/** A raw connection to the app at `uri`, reading TEN's frames. */
export async function dialApp(uri: string, onMsg?: (conn: PeerConn, m: TenMsg) => void, onChange?: () => void): Promise<PeerConn> {
  const s = connect({ host: '127.0.0.1', port: Number(new URL(uri).port) });
  s.on('error', () => undefined);
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  return new PeerConn(s, onMsg, onChange);
}

export interface PeerOptions {
  /** The port to listen on (a free one if not given). */
  port?: number;
  /** Answer a start_graph OK with its graph id, as a TEN app that starts its part does (default true). */
  answerStartGraph?: boolean;
  /** Answer every cmd OK with these properties (default: cmds are not answered). */
  answerCmds?: (cmd: TenMsg) => Record<string, unknown>;
  /** The test's script: called for every message on any connection, after the answers above. */
  onMsg?: (conn: PeerConn, m: TenMsg, peer: ScriptedPeer) => void;
}

/**
 * Another "app" at `uri`: a real listening socket speaking TEN's frames, whose behaviour the test
 * scripts. It records every message it reads on any of its connections (`received`, in arrival
 * order) and the graph id of the last start_graph it got (`graphId`).
 */
export class ScriptedPeer {
  /** Its connections: the ones it accepted and the ones it dialled, in order. */
  readonly conns: PeerConn[] = [];
  readonly received: TenMsg[] = [];
  graphId = '';
  private accepted: PeerConn | null = null;
  private readonly waiters = new Waiters();
  private closing: Promise<void> | null = null;

  private constructor(
    readonly uri: string,
    private readonly server: Server,
    private readonly opts: PeerOptions,
  ) {}

  static async listen(opts: PeerOptions = {}): Promise<ScriptedPeer> {
    const port = opts.port ?? (await freePort());
    const server = createServer();
    const peer = new ScriptedPeer(uriOf(port), server, opts);
    server.on('connection', (s) => {
      peer.accepted = new PeerConn(s, peer.onMsg, () => peer.waiters.wake());
      peer.conns.push(peer.accepted);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return peer;
  }

  private readonly onMsg = (conn: PeerConn, m: TenMsg): void => {
    this.received.push(m);
    if (m.type === 'start_graph') {
      this.graphId = m.dests[0]?.graph || ((m.nodes[0] as { graph?: string } | undefined)?.graph ?? '');
      if (this.opts.answerStartGraph !== false) conn.send(tenResultFor(m, STATUS_OK, { graph_id: this.graphId }));
    } else if (m.type === 'cmd' && this.opts.answerCmds) conn.send(tenResultFor(m, STATUS_OK, this.opts.answerCmds(m)));
    this.opts.onMsg?.(conn, m, this);
  };

  /** The connection it accepted last (the app's dial); fails the test if there is none. */
  get conn(): PeerConn {
    if (!this.accepted) throw new Error(`No app has connected to the peer ${this.uri}`);
    return this.accepted;
  }

  /** Dials the app at `uri` as this peer would (its own connection to that app). */
  async dial(uri: string): Promise<PeerConn> {
    const conn = await dialApp(uri, this.onMsg, () => this.waiters.wake());
    this.conns.push(conn);
    return conn;
  }

  /** Sends `m` on the connection it accepted last. */
  send(m: TenMsg): Buffer {
    return this.conn.send(m);
  }

  /** A message of this app's node `from` to `dest` (in the peer's graph unless `dest.graph` says). */
  msg(type: TenMsg['type'], name: string, from: string | null, dest: { app: string; graph?: string; extension: string | null }, props: Record<string, unknown> = {}): TenMsg {
    const m = new TenMsg(type, name);
    if (type !== 'data' && type !== 'audio_frame' && type !== 'video_frame') m.cmdId = randomUUID();
    m.src = tenLoc(this.uri, this.graphId, from);
    m.dests = [tenLoc(dest.app, dest.graph ?? this.graphId, dest.extension)];
    m.props = props;
    return m;
  }

  /** Sends a cmd from this app's node `from` to `dest`; returns its cmd id. */
  cmd(name: string, from: string, dest: { app: string; graph?: string; extension: string | null }, props: Record<string, unknown> = {}): string {
    const m = this.msg('cmd', name, from, dest, props);
    this.send(m);
    return m.cmdId;
  }

  /** A start_graph of its own for the graph of `child` (a child start_graph it got) to `app`, as a TEN app with a flow to `app` sends one. */
  startGraphFor(child: TenMsg, app: string, cmdId: string = randomUUID()): TenMsg {
    const sg = new TenMsg('start_graph', 'ten:start_graph');
    sg.cmdId = cmdId;
    sg.src = tenLoc(this.uri, child.dests[0]!.graph);
    sg.dests = [tenLoc(app, child.dests[0]!.graph)];
    sg.nodes = child.nodes;
    sg.connections = child.connections;
    return sg;
  }

  /** The results it got for these cmd ids (those that came), in the order of the ids. */
  resultsFor(ids: string[]): TenMsg[] {
    return ids.map((id) => this.received.find((m) => m.type === 'cmd_result' && m.cmdId === id)).filter((m): m is TenMsg => m !== undefined);
  }

  /** Whether the app ended the connection the peer accepted last. */
  get ended(): boolean {
    return this.conn.ended;
  }

  /** Resolves with what `find` returns once it holds over what the peer got (re-checked on every read and end); a clear failure, never a hang. */
  until<T>(find: () => T | undefined | null | false, what: string, ms = WAIT_MS): Promise<T> {
    const failure = (): Error | null => this.conns.map((c) => c.failure(what)).find((e) => e !== null) ?? null;
    return this.waiters.until(find, failure, (t) => `The peer ${this.uri} did not get ${what} in ${t} ms; it got ${listed(this.received)}`, ms);
  }

  /** Closes its connections and stops listening (again: nothing more). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((r) => {
      for (const c of this.conns) c.socket.destroy();
      this.server.close(() => r());
    });
    return this.closing;
  }
}

/** What a test opened, closed after it (by `trackResources`), whatever the test did. */
export interface TrackedResources {
  /** An app as `startTestApp` makes it. */
  app(opts?: Parameters<typeof startTestApp>[0]): Promise<TestApp>;
  /** `n` apps with the same options. */
  apps(n: number, opts?: Parameters<typeof startTestApp>[0]): Promise<TestApp[]>;
  /** Tracks an app made elsewhere. */
  own(app: TestApp): TestApp;
  client(uri: string, opts?: ClientOptions): Promise<TenClient>;
  /** The preamble of most tests: a client of `app` that has started `graph`, its result asserted OK. */
  clientWithGraph(app: TestApp, graph: unknown, opts?: { longRunningMode?: boolean }): Promise<{ client: TenClient; graphId: string; started: TenMsg }>;
  peer(opts?: PeerOptions): Promise<ScriptedPeer>;
  /** A raw connection to an app (see `dialApp`). */
  dial(uri: string): Promise<PeerConn>;
  /** Every client tracked so far, closed. */
  closeClients(): Promise<void>;
}

/**
 * Registers an afterEach that closes what the test opened through the returned object: raw
 * connections, clients, apps, then peers. Call it once at the top of a test file.
 */
export function trackResources(): TrackedResources {
  let apps: TestApp[] = [];
  let clients: TenClient[] = [];
  let peers: ScriptedPeer[] = [];
  let conns: PeerConn[] = [];
  afterEach(async () => {
    for (const c of conns) c.socket.destroy();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(apps.map((a) => a.app.close()));
    await Promise.all(peers.map((p) => p.close()));
    [apps, clients, peers, conns] = [[], [], [], []];
  });
  const t: TrackedResources = {
    own: (a) => {
      apps.push(a);
      return a;
    },
    app: async (opts) => t.own(await startTestApp(opts)),
    apps: async (n, opts) => {
      const out: TestApp[] = [];
      for (let i = 0; i < n; i++) out.push(await t.app(opts));
      return out;
    },
    client: async (uri, opts) => {
      const c = await TenClient.connect(uri, opts);
      clients.push(c);
      return c;
    },
    clientWithGraph: async (app, graph, opts = {}) => {
      const client = await t.client(app.uri);
      const started = await client.startGraph({ json: JSON.stringify(graph) }, opts);
      expect(started.status, String(started.props.detail)).toBe(STATUS_OK);
      return { client, graphId: started.props.graph_id as string, started };
    },
    peer: async (opts) => {
      const p = await ScriptedPeer.listen(opts);
      peers.push(p);
      return p;
    },
    dial: async (uri) => {
      const c = await dialApp(uri);
      conns.push(c);
      return c;
    },
    closeClients: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
  return t;
}
