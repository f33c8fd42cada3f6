/**
 * The app's side of TEN's multi-app machinery (spec §2–3): the listening endpoint, the app's
 * orphan connections and what their first message does (`ten_app_handle_in_msg`), and per
 * engine its remotes, weak remotes and orphans (`EngineNet`): start_graph propagation to the
 * other apps of a graph, routing to and from remotes, duplicate channels, two-phase close.
 *
 * Everything runs on the host thread with the App and the engines; nothing here is on the data
 * path of a graph that stays in one app.
 */
import { randomUUID } from 'node:crypto';
import { closeSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { RunConnectionState } from '../../shared/ipc/runs';
import type { TenGraph } from '../../shared/graph/types';
import { parseJsonText } from '../../shared/json/text';
import type { RuntimeEvent, ViolationPolicy } from '../core/protocol';
import { isCmdType, newWireMsg, wireBuf, type WireMsg } from '../core/wire';
import { fromTen, graphFromTen, graphToTen, tenResultFor, toTen } from './bridge';
import { Connection, Remote, shortlexLessOrEqual, type Owner, type RemoteHost } from './connection';
import { MSG_TYPE_CODE, STATUS_ERROR, STATUS_OK, TenMsg, tenLoc } from './message';
import { DEFAULT_LIMITS, Protocol, SOCK_SLOTS, dial, listen, type SocketThread, type TransportLimits } from './transport';
import type { ProtocolError } from './stream';
import { decodeAll } from './stream';
import { TERMINATED_TEXT } from '../routing/router';
import { byteSize, type InboundSource } from '../core/inflow';

/** What a start_graph names: a predefined graph, or a graph document. */
export type NetGraphSource = string | { graph: TenGraph; name?: string };

/** A start_graph that arrived over a connection, and where its answer goes. */
export interface StartOrigin {
  connection: Connection;
  cmd: TenMsg;
}

/** Options the net passes to the App's graph start. */
export interface NetStartOptions {
  graphId?: string;
  longRunningMode?: boolean;
  syncStopBeforeDeinit?: boolean;
  origin?: StartOrigin;
}

/** The engine as the net sees it (app/engine.ts implements it). */
export interface NetEngine {
  readonly graphId: string;
  readonly name: string;
  readonly state: string;
  hasExtension(name: string): boolean;
  /** The extension's group thread has ended (terminated, or it exited): nothing reaches it any more. */
  extensionGone(name: string): boolean;
  /** The engine's connection to the app `uri` closed: cmds its extensions sent there fail now. */
  remoteGone(uri: string): void;
  /**
   * Delivers messages from outside the graph that `src` sent to their extensions, one post per
   * group; flow controlled per group (core/inflow.ts: `src` may be held, or closed past the hard limit).
   */
  deliverMany(msgs: WireMsg[], src: InboundSource): void;
  /** Delivers TEN frames received from the app `srcApp` over `src`, each for extension `ext`, one post per group; flow controlled. */
  deliverFrames(frames: readonly { ext: string; raw: Uint8Array; data: boolean }[], srcApp: string, src: InboundSource): void;
  /** Delivers one message from outside the graph; false when its extension is unknown. */
  deliver(msg: WireMsg): boolean;
  /** The group that talks most with the app `uri` (its socket's best thread), or null. */
  groupFor(uri: string): string | null;
  /** Hands a remote's socket to a group's thread (protocol/group_socket.ts); null when it is gone. */
  adoptSocket(
    group: string,
    id: number,
    handover: { fd: number; held: Uint8Array; consumed: number; frames: number },
    peerApp: string,
    counters: SharedArrayBuffer,
    limits: TransportLimits,
    ev: { adopted(): void; input(bytes: Uint8Array): void; error(e: ProtocolError | Error): void; eof(half: ProtocolError | null): void; closed(): void },
  ): SocketThread | null;
}

/** What the net needs from the App (app/app.ts implements it). */
export interface NetHost {
  readonly uri: string;
  readonly policy: ViolationPolicy;
  emit(ev: RuntimeEvent): void;
  engineById(graphId: string): NetEngine | undefined;
  /** The engine of a graph id, or of a singleton predefined graph's name (started on demand). */
  resolveGraph(graph: string): Promise<NetEngine | null>;
  startGraph(source: NetGraphSource, opts: NetStartOptions): Promise<string>;
  stopGraph(graphId: string): Promise<void>;
  close(): Promise<void>;
  /** The engine must close (a remote it depended on is gone). */
  requestStop(engine: NetEngine): void;
}

/** Ours: how TEN's dial behaves (5 retries every 500 ms); tests may shorten it. */
export interface DialPolicy {
  retries: number;
  intervalMs: number;
}

export const TEN_DIAL: DialPolicy = { retries: 5, intervalMs: 500 };

/** TEN's answer to a start_graph on a channel another one between the same apps replaces. */
export const DUPLICATE_GRAPH_ID = '==duplicate==';

/** One connection in a sample: traffic per direction and where it belongs. */
export interface ConnectionSample {
  id: number;
  uri: string;
  peer: string;
  role: string;
  graphId: string;
  state: string;
  migration: string;
  attachTo: string;
  weak: boolean;
  /** The thread that reads and writes the socket: `host`, or `group <name>` (docs/protocol.md, "Threads on the path"). */
  socket?: string;
  bytesIn: number;
  bytesOut: number;
  msgsIn: number;
  msgsOut: number;
  dropsIn: number;
  dropsOut: number;
  /** Reading is held: an extension group this connection feeds is behind (docs/protocol.md, "Robustness"). */
  inputHeld?: boolean;
}

/** Leak report of the net: all zero after close. */
export interface NetLive {
  connections: number;
  remotes: number;
  sockets: number;
}

const isDataLike = (t: string): boolean => t === 'data' || t === 'audio_frame' || t === 'video_frame';

export class AppNet implements Owner {
  readonly host: NetHost;
  private readonly limits: TransportLimits;
  readonly dialPolicy: DialPolicy;
  private server: Server | null = null;
  private readonly orphans = new Set<Connection>();
  readonly engines = new Map<string, EngineNet>();
  /** Every connection not closed yet, whoever owns it. */
  readonly connections = new Set<Connection>();
  /** Every remote not closed yet. */
  readonly remotes = new Set<Remote>();
  /** Sockets being dialled (their attempts are cancelled at close). */
  readonly dialing = new Set<{ cancelled: boolean }>();
  private closing: Promise<void> | null = null;
  /** Connections closed after an error, per peer, for the report. */
  errors = 0;
  /** Whether remotes' sockets move to the group that talks to their app (docs/protocol.md). */
  readonly groupSockets: boolean;

  constructor(host: NetHost, opts: { limits?: Partial<TransportLimits>; dial?: DialPolicy; groupSockets?: boolean } = {}) {
    this.host = host;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.dialPolicy = opts.dial ?? TEN_DIAL;
    this.groupSockets = opts.groupSockets ?? true;
  }

  get ownerName(): string {
    return `app ${this.host.uri}`;
  }

  get uri(): string {
    return this.host.uri;
  }

  // ---- listening and accepting --------------------------------------------------------------

  /** Listens on the app's URI (TEN: an app with a URI that is not `client:`). */
  async listen(): Promise<void> {
    this.server = await listen(this.host.uri, (s) => this.accept(s));
  }

  get listening(): boolean {
    return this.server !== null;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const p = new Protocol('in_internal', this.limits);
    const conn = this.newConnection(p, this, 'app', (c, m) => this.onAppMsg(c, m));
    this.orphans.add(conn);
    conn.onClosed = (c) => this.orphanClosed(c);
    p.attach(socket);
    this.event(conn, 'opened', '');
  }

  /** A connection, registered for the leak report, its errors reported as events and logs. */
  newConnection(p: Protocol, owner: Owner, attachTo: 'app' | 'engine' | 'remote', handler: (c: Connection, m: TenMsg) => void): Connection {
    const conn = new Connection(p, owner, attachTo, handler, (object, ownerName, caller, reason) => this.violation(object, ownerName, caller, reason));
    this.connections.add(conn);
    conn.onClosing = (c) => this.event(c, 'closing', '');
    // What the read queued for extension groups goes at the end of the read, not a turn later.
    p.onReadDone = () => {
      for (const en of this.engines.values()) en.flushToGroups();
    };
    p.onError = (e) => {
      this.errors++;
      const text = e.message;
      this.event(conn, 'error', text);
      this.log(4, `Connection #${conn.id} (${conn.uri || p.peer}): ${text}`);
    };
    return conn;
  }

  private orphanClosed(c: Connection): void {
    this.orphans.delete(c);
    this.connectionClosed(c, '');
  }

  connectionClosed(c: Connection, graphId: string): void {
    this.connections.delete(c);
    this.event(c, 'closed', '', graphId);
  }

  /** TEN's `ten_app_handle_in_msg` for the first message of an app-owned connection. */
  private onAppMsg(conn: Connection, m: TenMsg): void {
    this.event(conn, 'migrating', `${m.type} '${m.name}'`);
    switch (m.type) {
      case 'start_graph':
        void this.onStartGraph(conn, m);
        return;
      case 'close_app':
        // C1: no engine, no result; the app closes.
        conn.doneWithoutEngine();
        this.log(2, `close_app from ${conn.uri || conn.protocol.peer}: the app closes.`);
        void this.host.close();
        return;
      case 'stop_graph':
        void this.onStopGraph(conn, m);
        return;
      case 'cmd_result':
        conn.protocol.stats.dropsIn++;
        this.resetConn(conn, 'a result for this app without a cmd waiting for it');
        return;
      default:
        void this.toGraph(conn, m);
    }
  }

  private resetConn(conn: Connection, why: string): void {
    this.event(conn, 'reset', why);
    conn.reset();
  }

  /** Answers a message on a connection the app still owns. */
  private replyOnOrphan(conn: Connection, cmd: TenMsg, status: number, props: Record<string, unknown>): void {
    const r = tenResultFor(cmd, status, props);
    this.sendOrReport(conn, r, this);
  }

  private async toGraph(conn: Connection, m: TenMsg): Promise<void> {
    const graph = m.dests[0]?.graph ?? '';
    const engine = graph === '' ? null : await this.host.resolveGraph(graph).catch(() => null);
    if (conn.state !== 'init') return;
    const en = engine ? this.engines.get(engine.graphId) : undefined;
    if (engine && en && !en.closing) {
      // M2 + U1: the connection belongs to the engine now; the message is queued to it.
      this.orphans.delete(conn);
      en.adoptOrphan(conn, m);
      return;
    }
    if (isCmdType(m.type)) {
      // R1: back to INIT, and TEN's error on this connection. TEN ignores a cmd with no graph
      // at all (and then aborts on the next bytes); it gets the same error here.
      this.resetConn(conn, `graph '${graph}' not found`);
      this.replyOnOrphan(conn, m, STATUS_ERROR, { detail: 'Graph not found.' });
      return;
    }
    conn.protocol.stats.dropsIn++;
    this.log(3, `Discard message to non-existent graph '${graph}'.`);
    this.resetConn(conn, `dropped ${m.type} '${m.name}' to graph '${graph}' (not found)`);
  }

  private async onStopGraph(conn: Connection, m: TenMsg): Promise<void> {
    const engine = this.host.engineById(m.graphId);
    if (!engine) {
      this.resetConn(conn, `no graph '${m.graphId}' to stop`);
      this.replyOnOrphan(conn, m, STATUS_ERROR, { detail: 'Failed to find the engine to be shut down.' });
      return;
    }
    await this.host.stopGraph(m.graphId).catch(() => undefined);
    if (conn.state !== 'init') return;
    this.resetConn(conn, `stopped graph ${m.graphId}`);
    this.replyOnOrphan(conn, m, STATUS_OK, { detail: 'close engine done' });
  }

  /** A start_graph arriving first on an accepted connection: from a client, or a child from another app. */
  private async onStartGraph(conn: Connection, m: TenMsg): Promise<void> {
    let source: NetGraphSource;
    try {
      source = startGraphSource(m);
    } catch (e) {
      // TEN sends nothing back for a graph it cannot parse; the sender gets the reason here.
      this.resetConn(conn, 'start_graph rejected');
      this.replyOnOrphan(conn, m, STATUS_ERROR, { detail: (e as Error).message });
      return;
    }
    const fromApp = conn.protocol.role === 'in_internal';
    const inherited = fromApp && m.src.graph ? m.src.graph : undefined;
    if (inherited !== undefined && (this.engines.has(inherited) || this.preparing.has(inherited))) {
      // Another app of the graph dialled us for a graph this app already runs or is starting (a
      // polygon): the connection joins that engine as soon as it exists.
      const en = this.engines.get(inherited) ?? (await this.preparing.get(inherited)!.promise);
      if (conn.state !== 'init') return;
      if (en && !en.closing) {
        this.orphans.delete(conn);
        en.adoptOrphan(conn, m);
      } else {
        this.resetConn(conn, `graph ${inherited} is gone`);
        this.replyOnOrphan(conn, m, STATUS_ERROR, { detail: 'Graph not found.' });
      }
      return;
    }
    if (inherited !== undefined) {
      let resolve!: (en: EngineNet | undefined) => void;
      const promise = new Promise<EngineNet | undefined>((r) => (resolve = r));
      this.preparing.set(inherited, { promise, resolve });
    }
    const origin: StartOrigin = { connection: conn, cmd: m };
    let graphId: string;
    try {
      graphId = await this.host.startGraph(source, {
        graphId: inherited,
        longRunningMode: m.longRunningMode,
        syncStopBeforeDeinit: m.syncStopBeforeDeinit,
        origin,
      });
    } catch (e) {
      if (inherited !== undefined) {
        this.preparing.get(inherited)?.resolve(undefined);
        this.preparing.delete(inherited);
      }
      // Once the engine had the connection, its failed start answered and closed it.
      if (conn.state !== 'init' || conn.attachTo !== 'app') return;
      this.resetConn(conn, 'start_graph failed');
      this.replyOnOrphan(conn, m, STATUS_ERROR, { detail: (e as Error).message });
      return;
    }
    this.engines.get(graphId)?.answerOrigin(STATUS_OK, { graph_id: graphId });
  }

  /** Engines being created for a graph id another app gave (their start_graph is in progress). */
  private readonly preparing = new Map<string, { promise: Promise<EngineNet | undefined>; resolve: (en: EngineNet | undefined) => void }>();

  // ---- engines ----------------------------------------------------------------------------

  /**
   * Called by the App when it creates an engine, before its extensions start. Links the
   * connection the start_graph came on (U1, L1), then starts the graph in every other app it
   * touches and waits for them (TEN starts its own extensions once every child answered OK).
   * Rejects with TEN's text when one fails.
   */
  async prepare(engine: NetEngine, graph: TenGraph, groupOf: (n: { name: string; extension_group?: string }) => string, opts: NetStartOptions): Promise<void> {
    const en = new EngineNet(this, engine, opts.longRunningMode ?? false);
    this.engines.set(engine.graphId, en);
    this.preparing.get(engine.graphId)?.resolve(en);
    this.preparing.delete(engine.graphId);
    if (opts.origin) {
      this.orphans.delete(opts.origin.connection);
      en.linkOrigin(opts.origin.connection, opts.origin.cmd);
    }
    const targets = connectableApps(graph, this.host.uri).filter((uri) => !en.hasRemoteFor(uri));
    if (targets.length === 0) return;
    const child = new TenMsg('start_graph', 'ten:start_graph');
    child.src = tenLoc(this.host.uri, engine.graphId);
    child.longRunningMode = opts.longRunningMode ?? false;
    const ten = graphToTen(withApps(graph, this.host.uri), engine.graphId, groupOf);
    child.nodes = ten.nodes;
    child.connections = ten.connections;
    // With more than one child: the first error, or the last OK (TEN's path group policy).
    await Promise.all(targets.map((uri) => en.startChild(uri, child)));
  }

  /** A group thread of the engine ended: cmds of peers still inside it are answered. */
  groupEnded(engine: NetEngine): void {
    this.engines.get(engine.graphId)?.groupEnded();
  }

  /** The engine's extensions are up: messages held for it go in. */
  started(engine: NetEngine): void {
    this.engines.get(engine.graphId)?.markRunning();
  }

  /**
   * Two-phase close of an engine's remotes and orphans; resolves when all are closed. With
   * `failure` (its start failed), the start_graph it came from is answered ERROR with that
   * detail first, as TEN does before closing.
   */
  async engineStopped(engine: NetEngine, failure?: string): Promise<void> {
    const en = this.engines.get(engine.graphId);
    if (!en) return;
    if (failure !== undefined) en.answerOrigin(STATUS_ERROR, { detail: failure });
    await en.close();
    this.engines.delete(engine.graphId);
  }

  /**
   * Messages of an engine's extensions for the app `app`, already TEN frames: written to the
   * engine's remote for that app as they are; when that cannot be done (no such remote, a client
   * whose results need its seq_id, a peer that is behind) they are decoded and sent one by one,
   * which answers cmds and counts what is dropped.
   */
  framesFromLocal(engine: NetEngine, app: string, bytes: Uint8Array, count: number): void {
    const en = this.engines.get(engine.graphId);
    const remote = en?.remotes.get(app);
    if (remote && !remote.isClient && remote.sendFrames(bytes, count) === null) return;
    const { msgs } = decodeAll(bytes);
    for (const m of msgs) this.fromLocal(engine, fromTen(m, m.buf));
  }

  /** A message from an extension to another app: through the engine's remote for that app. */
  fromLocal(engine: NetEngine, w: WireMsg): void {
    const en = this.engines.get(engine.graphId);
    if (!en) {
      this.replyLocal(engine, w, `Could not find suitable remote based on uri: ${w.dests[0]?.app ?? ''}`);
      return;
    }
    en.sendFromLocal(w);
  }

  /** Answers a cmd of a local extension with an ERROR result (results and data are dropped). */
  replyLocal(engine: NetEngine, w: WireMsg, detail: string): void {
    if (!isCmdType(w.type)) return;
    const r = newWireMsg('cmd_result', w.name);
    r.status = STATUS_ERROR;
    r.cmdId = w.cmdId;
    r.seqId = w.seqId;
    r.origName = w.name;
    r.origType = w.type;
    r.props = { detail };
    r.src = { app: w.dests[0]?.app ?? '', graph: w.dests[0]?.graph ?? '', ext: w.dests[0]?.ext ?? '' };
    r.dests = [{ ...w.src }];
    // Posted: the sender's send call returns before its result arrives, as for local errors.
    setImmediate(() => engine.deliver(r));
  }

  /** Messages of a remote for another graph of this app (engine → app). */
  toOtherGraph(m: TenMsg, via: Remote): void {
    const graphId = m.dests[0]?.graph ?? '';
    const en = this.engines.get(graphId);
    if (en) {
      en.dispatch(m, via);
      return;
    }
    if (isCmdType(m.type)) (via.engine as EngineNet).replyVia(via, m, 'Graph not found.');
    else {
      via.connection.protocol.stats.dropsIn++;
      if (m.type !== 'cmd_result') this.log(3, `Discard message to non-existent graph '${graphId}'.`, (via.engine as EngineNet).graphId);
    }
  }

  // ---- close and reports ------------------------------------------------------------------

  /** App close: engines first (the App does that), then orphans, then the endpoint. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const d of this.dialing) d.cancelled = true;
      const waits: Promise<void>[] = [];
      for (const c of [...this.orphans]) waits.push(closed(c));
      for (const en of [...this.engines.values()]) waits.push(en.close());
      if (this.server) {
        const server = this.server;
        waits.push(new Promise<void>((r) => server.close(() => r())));
      }
      await Promise.all(waits);
      this.server = null;
    })();
    return this.closing;
  }

  live(): NetLive {
    let sockets = this.server ? 1 : 0;
    for (const c of this.connections) if (c.protocol.hasSocket) sockets++;
    return { connections: this.connections.size, remotes: this.remotes.size, sockets };
  }

  sample(): ConnectionSample[] {
    const out: ConnectionSample[] = [];
    for (const c of this.connections) {
      const s = c.protocol.counters();
      const remote = c.owner instanceof Remote ? c.owner : null;
      out.push({
        id: c.id,
        uri: c.uri,
        peer: c.protocol.peer,
        role: c.protocol.role,
        graphId: graphOf(c),
        state: c.state,
        migration: c.migration,
        attachTo: c.attachTo,
        weak: remote?.weak ?? false,
        socket: c.protocol.socketOwner,
        ...s,
        ...(c.protocol.inputIsHeld ? { inputHeld: true } : {}),
      });
    }
    return out;
  }

  // ---- reporting --------------------------------------------------------------------------

  event(conn: Connection, state: RunConnectionState, detail: string, graphId = graphOf(conn)): void {
    const role = conn.protocol.role === 'listen' ? 'in_internal' : conn.protocol.role;
    this.host.emit({ type: 'connection', ts: Date.now(), graphId, id: conn.id, uri: conn.uri, peer: conn.protocol.peer, role, state, ...(detail ? { detail } : {}) });
  }

  log(level: number, message: string, graphId = ''): void {
    this.host.emit({ type: 'log', ts: Date.now(), graphId, extension: '', level, message, category: 'protocol' });
  }

  violation(object: string, owner: string, caller: string, reason: string): boolean {
    const policy = this.host.policy;
    this.host.emit({ type: 'violation', ts: Date.now(), graphId: '', object, owner, caller, reason, stack: new Error().stack ?? '', policy });
    return policy === 'report';
  }

  /** Sends, reporting a failure (a value TEN cannot carry, a closing connection) as a log line. */
  sendOrReport(conn: Connection, m: TenMsg, caller: Owner): boolean {
    const err = conn.send(m, caller);
    if (err === null) return true;
    this.log(3, `Connection #${conn.id} (${conn.uri || conn.protocol.peer}): cannot send ${m.type} '${m.name}': ${typeof err === 'string' ? err : err.message}`);
    return false;
  }

  get limitsForDial(): TransportLimits {
    return this.limits;
  }
}

function graphOf(c: Connection): string {
  const o = c.owner;
  if (o instanceof EngineNet) return o.graphId;
  if (o instanceof Remote && o.engine instanceof EngineNet) return o.engine.graphId;
  return '';
}

function closed(c: Connection): Promise<void> {
  c.close();
  return c.closed;
}

/** What a received start_graph asks for; throws with a readable reason. */
function startGraphSource(m: TenMsg): NetGraphSource {
  if (m.graphJson !== '') {
    let graph: unknown;
    try {
      graph = parseJsonText(m.graphJson);
    } catch (e) {
      throw new Error(`Invalid graph JSON: ${(e as Error).message}`);
    }
    if (graph === null || typeof graph !== 'object' || Array.isArray(graph)) throw new Error('Invalid graph JSON: a graph must be a JSON object.');
    return { graph: graph as TenGraph };
  }
  if (m.nodes.length > 0) return { graph: graphFromTen(m.nodes, m.connections) };
  if (m.predefinedGraph !== '') return m.predefinedGraph;
  throw new Error('The start_graph cmd names no graph: it has no graph_json, no nodes and no predefined_graph.');
}

/** Whether a protocol serves the URI's scheme (only msgpack, as TEN ships). */
function servedScheme(uri: string): boolean {
  return /^msgpack:\/\//i.test(uri);
}

/** Every node and connection end with its app written out (nodes without one run here). */
function withApps(graph: TenGraph, own: string): TenGraph {
  return {
    ...graph,
    nodes: (graph.nodes ?? []).map((n) => (n.app ? n : { ...n, app: own })),
    connections: (graph.connections ?? []).map((c) => {
      const out = { ...c, app: c.app || own };
      for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as const) {
        if (c[kind]) out[kind] = c[kind]!.map((f) => ({ ...f, dest: (f.dest ?? []).map((d) => (d.app ? d : { ...d, app: own })) }));
      }
      return out;
    }),
  };
}

/**
 * TEN's immediate connectable apps: for every flow touching this app, the app at its other end,
 * whatever the direction; `client:` apps are never dialled.
 */
export function connectableApps(graph: TenGraph, own: string): string[] {
  const out = new Set<string>();
  const appOf = (a: string | undefined): string => a || own;
  for (const c of graph.connections ?? []) {
    const src = appOf(c.app);
    for (const kind of ['cmd', 'data', 'audio_frame', 'video_frame'] as const) {
      for (const f of c[kind] ?? []) {
        for (const d of f.dest ?? []) {
          const dst = appOf(d.app);
          if (src === own && dst !== own) out.add(dst);
          else if (dst === own && src !== own) out.add(src);
        }
      }
    }
  }
  return [...out].filter((u) => !u.startsWith('client:'));
}

/** The apps other than `own` whose nodes a graph has. */
export function otherApps(graph: TenGraph, own: string): string[] {
  return [...new Set((graph.nodes ?? []).map((n) => n.app).filter((a): a is string => !!a && a !== own))];
}

/** Cmds of one peer kept as inside a group, at most (the oldest is forgotten: a result that never comes). */
const MAX_INSIDE = 100_000;

interface Child {
  uri: string;
  remote: Remote | null;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** One engine's remotes, weak remotes and orphan connections. */
export class EngineNet implements RemoteHost {
  readonly net: AppNet;
  readonly engine: NetEngine;
  readonly longRunning: boolean;
  /** Normal remotes by URI (at most one per URI). */
  readonly remotes = new Map<string, Remote>();
  /** Remotes carrying a child start_graph not answered yet (at most one per URI). */
  readonly weak = new Set<Remote>();
  /** Migrated connections not linked to a remote yet. */
  readonly orphans = new Set<Connection>();
  private readonly children = new Map<string, Child>();
  /** Cmds relayed from one remote to another, by cmd id: where their results go back. */
  private readonly relays = new Map<string, { back: Remote; src: TenMsg['src'] }>();
  private running = false;
  private held: { m: TenMsg; via: Remote }[] = [];
  /**
   * Held messages per remote, counted against the hard limit: holding them cannot pause the
   * connection (the answer that lets the engine run may come behind them on the same one).
   */
  private heldBy = new Map<Remote, { msgs: number; bytes: number }>();
  closing = false;
  private closeDone: Promise<void> | null = null;
  /** Outgoing batch to the engine's groups, posted once per loop turn. */
  private batch: WireMsg[] = [];
  /** The remote the batch's messages came from. */
  private batchVia: Remote | null = null;
  private batchArmed = false;
  private readonly flushBound = (): void => this.flushBatch();

  constructor(net: AppNet, engine: NetEngine, longRunning: boolean) {
    this.net = net;
    this.engine = engine;
    this.longRunning = longRunning;
  }

  get graphId(): string {
    return this.engine.graphId;
  }

  get ownerName(): string {
    return `engine ${this.engine.graphId}`;
  }

  hasRemoteFor(uri: string): boolean {
    if (this.remotes.has(uri)) return true;
    for (const w of this.weak) if (w.uri === uri) return true;
    return false;
  }

  // ---- linking ----------------------------------------------------------------------------

  /**
   * U1 for the connection a start_graph created this engine from, and L1 at once (its start_graph
   * is that first cmd); then the messages held behind it come in.
   */
  linkOrigin(conn: Connection, cmd: TenMsg): void {
    const remote = this.link(conn);
    this.origin = { remote, cmd };
    conn.upgrade(remote, 'remote', conn.handler);
  }

  /** The start_graph this engine was created from, and the remote to answer it on. */
  private origin: { remote: Remote; cmd: TenMsg } | null = null;

  /** Answers the start_graph the engine was created from (once). */
  answerOrigin(status: number, props: Record<string, unknown>): void {
    const o = this.origin;
    if (!o) return;
    this.origin = null;
    const r = tenResultFor(o.cmd, status, props);
    if (status === STATUS_OK) r.src.graph = this.graphId;
    if (o.remote.state === 'init') this.send(o.remote, r);
  }

  /** M2/U1 from the app: the connection is this engine's; `first` is its first message. */
  adoptOrphan(conn: Connection, first: TenMsg): void {
    this.orphans.add(conn);
    conn.onClosed = (c) => this.orphanClosed(c);
    this.net.event(conn, 'attached', 'migrated');
    // The first message goes in before the held ones (upgrade replays those).
    conn.attach(this, 'engine', (c, m) => this.onOrphanMsg(c, m));
    this.onOrphanMsg(conn, first);
    if (conn.state === 'init') conn.upgrade(conn.owner, conn.attachTo, conn.handler);
  }

  private orphanClosed(c: Connection): void {
    this.orphans.delete(c);
    this.net.connectionClosed(c, this.graphId);
  }

  /** L1: a cmd or result on an orphan links it to a remote named by its source. */
  private onOrphanMsg(conn: Connection, m: TenMsg): void {
    if (m.type === 'data' || m.type === 'audio_frame' || m.type === 'video_frame') {
      conn.protocol.stats.dropsIn++;
      return;
    }
    if (m.type === 'start_graph' && this.isDuplicate(m.src.app ?? '')) {
      // Another channel between the two apps wins: TEN's answer, sent on this one.
      conn.duplicate = true;
      const r = tenResultFor(m, STATUS_OK, { graph_id: DUPLICATE_GRAPH_ID });
      this.net.sendOrReport(conn, r, this);
      return;
    }
    if (!this.orphans.has(conn)) return;
    const remote = this.link(conn);
    if (m.type === 'start_graph') {
      // Another app of the graph joins it (a polygon): this app's part exists or is being
      // built, so it answers at once; messages that come before the extensions run are held.
      // (Waiting for the start here could deadlock two apps that dialled each other.)
      this.answerStartGraph(m, this.graphId);
      return;
    }
    // The first message came through the app, not through the remote: TEN fills no source
    // graph in it, so its result goes back to `{app: U}` (captures 02 and 06).
    this.firstViaApp = m;
    remote.receive(m);
    this.firstViaApp = null;
  }

  /** The message that is linking an orphan connection, while it is dispatched. */
  private firstViaApp: TenMsg | null = null;

  /** Makes `conn` this engine's remote for its URI. */
  private link(conn: Connection): Remote {
    this.orphans.delete(conn);
    const remote = new Remote(conn.uri, conn, this, false);
    const prev = this.remotes.get(conn.uri);
    // At most one remote per URI: a client reconnecting under the same identity replaces the old one.
    if (prev) prev.close();
    this.remotes.set(conn.uri, remote);
    this.net.remotes.add(remote);
    this.net.event(conn, 'attached', `remote ${conn.uri}`);
    this.moveSocket(remote);
    return remote;
  }

  /**
   * Ours (docs/protocol.md, "Threads on the path"): once the engine runs, the socket of a
   * remote to another app moves to the thread of the group that talks most with that app; the
   * remote and its connection stay here with every decision about them.
   */
  private moveSocket(remote: Remote): void {
    if (!this.net.groupSockets || !this.running || this.closing) return;
    if (remote.weak || remote.isClient || remote.connection.duplicate || remote.state !== 'init' || remote.connection.state !== 'init') return;
    if (this.remotes.get(remote.uri) !== remote || !remote.connection.protocol.movable) return;
    const group = this.engine.groupFor(remote.uri);
    if (group !== null) void this.moveTo(remote, group);
  }

  private async moveTo(remote: Remote, group: string): Promise<void> {
    const p = remote.connection.protocol;
    const h = await p.detach();
    if (h === null) return;
    // What was read before goes to the groups first (the same queue as the hand-over).
    this.flushToGroups();
    const counters = new SharedArrayBuffer(SOCK_SLOTS * 8);
    const thread = this.engine.adoptSocket(group, p.id, { fd: h.fd, held: h.held, consumed: h.at.consumed, frames: h.at.frames }, remote.uri, counters, this.net.limitsForDial, {
      adopted: () => p.flush(),
      input: (bytes) => p.movedInput(bytes),
      error: (e) => p.movedError(e),
      eof: (half) => p.movedEof(half),
      closed: () => p.movedClosed(),
    });
    if (thread === null) {
      // The thread ended meanwhile: for the connection, as if the peer had gone.
      closeSync(h.fd);
      p.movedClosed();
      return;
    }
    p.movedTo(thread, counters);
    this.net.event(remote.connection, 'attached', `remote ${remote.uri}: socket on ${thread.name}`);
  }

  /** TEN's duplicate rule: a (weak) remote for `uri` exists and `uri` ≤ this app's URI (shortlex). */
  private isDuplicate(uri: string): boolean {
    return this.hasRemoteFor(uri) && shortlexLessOrEqual(uri, this.net.uri);
  }

  // ---- start_graph ------------------------------------------------------------------------

  /** Answers the start_graph that created (or joined) this engine: OK with its graph id. */
  answerStartGraph(m: TenMsg, graphId: string): void {
    const remote = this.remotes.get(m.src.app ?? '');
    const r = tenResultFor(m, STATUS_OK, { graph_id: graphId });
    // As TEN's: the answer comes from the graph it started.
    r.src.graph = graphId;
    if (remote) this.send(remote, r);
  }

  /** Sends the child start_graph to `uri` over a new weak remote and waits for its answer. */
  startChild(uri: string, template: TenMsg): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const m = cloneStartGraph(template, uri, this.graphId);
      const child: Child = { uri, remote: null, resolve, reject };
      this.children.set(m.cmdId, child);
      const fail = (detail: string): void => {
        if (!this.children.delete(m.cmdId)) return;
        reject(new Error(detail));
      };
      if (!servedScheme(uri)) {
        // No protocol for the URI (TEN finds none among its protocol addons): the start fails
        // at once, with TEN's period, and the engine closes.
        fail(`Failed to connect to ${uri}.`);
        return;
      }
      const token = { cancelled: false };
      this.net.dialing.add(token);
      dial(uri, { ...this.net.dialPolicy, isCancelled: () => token.cancelled || this.closing }).then(
        (socket) => {
          this.net.dialing.delete(token);
          const p = new Protocol('out_internal', this.net.limitsForDial);
          p.uri = uri;
          const conn = this.net.newConnection(p, this, 'remote', () => undefined);
          conn.uri = uri;
          conn.migration = 'done';
          p.attach(socket);
          this.net.event(conn, 'opened', `dialled for graph ${this.graphId}`);
          if (this.closing) {
            conn.onClosed = (c) => this.net.connectionClosed(c, this.graphId);
            conn.close();
            fail(`Failed to create remote (${uri})`);
            return;
          }
          const remote = new Remote(uri, conn, this, true);
          if (this.isDuplicate(uri)) {
            // Created while another channel to the app appeared: closed, and counted as answered.
            this.net.remotes.add(remote);
            remote.close();
            this.children.delete(m.cmdId);
            resolve();
            return;
          }
          this.weak.add(remote);
          this.net.remotes.add(remote);
          child.remote = remote;
          this.net.event(conn, 'attached', `weak remote ${uri} (start_graph sent)`);
          this.send(remote, m);
        },
        () => {
          this.net.dialing.delete(token);
          fail(`Failed to connect to ${uri}`);
        },
      );
    });
  }

  /** The answer to a child start_graph (TEN `cmd_result.c` for `original_cmd_type` start_graph). */
  private onChildResult(child: Child, r: TenMsg): void {
    const remote = child.remote;
    if (r.status !== STATUS_OK) {
      const detail = typeof r.props.detail === 'string' && r.props.detail !== '' ? r.props.detail : `Failed to start engine in app [${r.src.app ?? child.uri}].`;
      child.reject(new Error(detail));
      return;
    }
    const gid = r.props.graph_id;
    if (typeof gid !== 'string') {
      // TEN asserts here; the start fails with a reason instead.
      child.reject(new Error(`The app ${child.uri} answered the start_graph without a graph_id.`));
      return;
    }
    if (remote) {
      this.weak.delete(remote);
      if (gid === DUPLICATE_GRAPH_ID || this.remotes.has(remote.uri)) {
        remote.connection.duplicate = true;
        remote.close();
      } else {
        remote.weak = false;
        this.remotes.set(remote.uri, remote);
        this.net.event(remote.connection, 'attached', `remote ${remote.uri} (start_graph answered OK)`);
        this.moveSocket(remote);
      }
    }
    child.resolve();
  }

  /** A remote the engine depends on closed while it was starting. */
  private lostWhileStarting = false;

  /** The engine's extensions are up: held messages go in, waiting start_graphs are answered. */
  markRunning(): void {
    this.running = true;
    if (this.lostWhileStarting) {
      this.net.host.requestStop(this.engine);
      return;
    }
    const held = this.held;
    this.held = [];
    this.heldBy.clear();
    for (const { m, via } of held) this.dispatch(m, via);
    for (const r of this.remotes.values()) this.moveSocket(r);
  }

  // ---- messages from remotes --------------------------------------------------------------

  onRemoteMsg(remote: Remote, m: TenMsg): void {
    // TEN fills what a peer leaves out: the source graph, and the destination graph when empty
    // or named by a predefined graph's name.
    if (!m.src.graph && m !== this.firstViaApp) m.src.graph = this.graphId;
    const d = m.dests[0];
    if (d && (d.app === null || d.app === this.net.uri) && d.graph !== this.graphId && (d.graph === null || d.graph === '' || this.engine.name === d.graph)) d.graph = this.graphId;
    this.dispatch(m, remote);
  }

  /** TEN's `ten_engine_dispatch_msg` for a message that came through `via`. */
  dispatch(m: TenMsg, via: Remote): void {
    const d = m.dests[0];
    if (!d) {
      via.connection.protocol.stats.dropsIn++;
      return;
    }
    if (d.app !== null && d.app !== '' && d.app !== this.net.uri) {
      this.relay(m, via, d.app);
      return;
    }
    if (d.graph !== null && d.graph !== '' && d.graph !== this.graphId) {
      this.net.toOtherGraph(m, via);
      return;
    }
    if (!d.extension) {
      this.engineMsg(m, via);
      return;
    }
    if (!this.running) {
      this.hold(m, via);
      return;
    }
    if (!this.engine.hasExtension(d.extension)) {
      if (isCmdType(m.type)) this.replyVia(via, m, 'Failed to find destination.');
      else via.connection.protocol.stats.dropsIn++;
      return;
    }
    // Its thread ended while the graph runs on: the text a sender in the graph gets, and data counted.
    if (this.engine.extensionGone(d.extension)) {
      if (isCmdType(m.type)) this.replyVia(via, m, TERMINATED_TEXT);
      else via.connection.protocol.stats.dropsIn++;
      return;
    }
    // Frames as they arrived go to the group as bytes (decoded there); a client's messages (its
    // cmds get new ids here) go as runtime messages, all of them, so they keep their order.
    if (m.raw !== null && !via.isClient) {
      this.framesToGroups(m.raw, d.extension, via, isDataLike(m.type));
      // The frame's bytes are in the batch; the cmd kept below must not hold the whole read.
      m.raw = null;
    } else this.toGroups(m, via);
    // Inside a group until its result goes out: answered here if that group's thread ends.
    if (m.type === 'cmd') {
      via.inside.set(m.cmdId, m);
      if (via.inside.size > MAX_INSIDE) via.inside.delete(via.inside.keys().next().value!);
    }
  }

  /** A message for an extension while the engine starts: held, up to the hard limit per connection. */
  private hold(m: TenMsg, via: Remote): void {
    let n = this.heldBy.get(via);
    if (!n) this.heldBy.set(via, (n = { msgs: 0, bytes: 0 }));
    n.msgs++;
    n.bytes += m.raw !== null ? m.raw.byteLength : m.buf !== null ? m.buf.byteLength : 0;
    const limits = this.net.limitsForDial;
    if (n.msgs <= limits.inboundCloseMsgs && n.bytes <= limits.inboundCloseBytes) {
      this.held.push({ m, via });
      return;
    }
    // Past the hard limit: that connection is closed, what it had sent is dropped and counted.
    const before = this.held.length;
    this.held = this.held.filter((h) => h.via !== via);
    const dropped = before - this.held.length + 1;
    this.heldBy.delete(via);
    via.connection.dropped(dropped);
    via.connection.overflow(
      `The connection ${via.connection.label} sent ${n.msgs} messages${n.bytes > 0 ? ` (${byteSize(n.bytes)})` : ''} for extensions of graph ${this.graphId} while it starts, past the limit of ${limits.inboundCloseMsgs} messages or ${byteSize(limits.inboundCloseBytes)} held (transportLimits.inboundCloseMsgs, inboundCloseBytes); the connection is closed and the ${dropped} messages are dropped.`,
    );
  }

  /**
   * A group's thread ended: the cmds of peers inside it (handed to it, not answered) get the text
   * a sender in the graph gets (`The destination extension has been terminated.`).
   */
  groupEnded(): void {
    // Any remote: a message for this graph may have come over another graph's remote.
    for (const r of this.net.remotes) {
      if (r.inside.size === 0) continue;
      for (const [id, m] of r.inside) {
        const d = m.dests[0];
        if (!d || d.graph !== this.graphId || !this.engine.extensionGone(d.extension ?? '')) continue;
        r.inside.delete(id);
        if (r.state === 'init') this.replyVia(r, m, TERMINATED_TEXT);
      }
    }
  }

  /** Frames per remote, posted once per loop turn. */
  private frames = new Map<Remote, { ext: string; raw: Uint8Array; data: boolean }[]>();
  private framesArmed = false;
  private readonly flushFramesBound = (): void => this.flushFrames();

  private framesToGroups(raw: Uint8Array, ext: string, via: Remote, data: boolean): void {
    let list = this.frames.get(via);
    if (!list) this.frames.set(via, (list = []));
    list.push({ ext, raw, data });
    if (!this.framesArmed) {
      this.framesArmed = true;
      setImmediate(this.flushFramesBound);
    }
  }

  private flushFrames(): void {
    this.framesArmed = false;
    const all = this.frames;
    if (all.size === 0) return;
    this.frames = new Map();
    for (const [via, list] of all) this.engine.deliverFrames(list, via.uri, via.connection);
  }

  /** Posts what is queued for the engine's groups now (at the end of a read). */
  flushToGroups(): void {
    if (this.frames.size > 0) this.flushFrames();
    if (this.batch.length > 0) this.flushBatch();
  }

  /** A message addressed to the engine itself (no extension). */
  private engineMsg(m: TenMsg, via: Remote): void {
    if (m.type === 'cmd_result') {
      const child = this.children.get(m.cmdId);
      if (child && m.origType === MSG_TYPE_CODE.start_graph) {
        this.children.delete(m.cmdId);
        this.onChildResult(child, m);
        return;
      }
      const relay = this.relays.get(m.cmdId);
      if (relay) {
        if (m.isFinal) this.relays.delete(m.cmdId);
        m.dests = [{ ...relay.src }];
        this.send(relay.back, m);
        return;
      }
      via.connection.protocol.stats.dropsIn++;
      return;
    }
    switch (m.type) {
      case 'start_graph':
        this.replyVia(via, m, 'Receive a start_graph cmd after graph is built.');
        return;
      case 'stop_graph': {
        const target = m.graphId || this.graphId;
        if (!this.net.engines.has(target)) {
          this.replyVia(via, m, 'Failed to find the engine to be shut down.');
          return;
        }
        const r = tenResultFor(m, STATUS_OK, { detail: 'close engine done' });
        void this.net.host.stopGraph(target).then(() => {
          if (via.state === 'init') this.send(via, r);
        });
        return;
      }
      case 'close_app':
        this.net.log(2, `close_app from ${via.uri}: the app closes.`, this.graphId);
        void this.net.host.close();
        return;
      default:
        if (isCmdType(m.type)) this.replyVia(via, m, 'Failed to find destination.');
        else via.connection.protocol.stats.dropsIn++;
    }
  }

  /**
   * A message for another app, relayed through this one. A cmd is re-addressed from here, so
   * its result comes back here and is passed on (TEN's relay aborts the relaying app when the
   * result comes back).
   */
  private relay(m: TenMsg, via: Remote, app: string): void {
    const to = this.remotes.get(app);
    if (!to || to.state !== 'init') {
      if (isCmdType(m.type)) this.replyVia(via, m, to ? 'Remote is closing, do not proceed to send this message.' : `Could not find suitable remote based on uri: ${app}`);
      else via.connection.protocol.stats.dropsIn++;
      return;
    }
    if (isCmdType(m.type)) {
      this.relays.set(m.cmdId, { back: via, src: { ...m.src } });
      m.src = tenLoc(this.net.uri, this.graphId);
    }
    this.send(to, m);
  }

  /** Answers `m` with an ERROR result through the remote it came from. */
  replyVia(via: Remote, m: TenMsg, detail: string): void {
    this.send(via, tenResultFor(m, STATUS_ERROR, { detail }));
  }

  private send(remote: Remote, m: TenMsg): void {
    const err = remote.send(m);
    if (err !== null) this.net.log(3, `Cannot send ${m.type} '${m.name}' to ${remote.uri}: ${typeof err === 'string' ? err : err.message}`, this.graphId);
  }

  /** Into the engine's extension groups, batched per loop turn (the engine packs the buffers). */
  private toGroups(m: TenMsg, via: Remote): void {
    // One sender per post: what a group has not taken is charged to the connection that sent it.
    if (this.batchVia !== via && this.batch.length > 0) this.flushBatch();
    this.batchVia = via;
    this.batch.push(fromTen(m, m.buf));
    if (!this.batchArmed) {
      this.batchArmed = true;
      setImmediate(this.flushBound);
    }
  }

  private flushBatch(): void {
    this.batchArmed = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.engine.deliverMany(batch, this.batchVia!.connection);
  }

  // ---- messages from local extensions -----------------------------------------------------

  /** TEN's `ten_engine_route_msg_to_remote`. */
  sendFromLocal(w: WireMsg): void {
    const uri = w.dests[0]?.app ?? '';
    const remote = this.remotes.get(uri);
    if (!remote) {
      this.net.replyLocal(this.engine, w, `Could not find suitable remote based on uri: ${uri}`);
      if (!isCmdType(w.type)) this.dropLocal(w, `no remote for ${uri}`);
      return;
    }
    const buf = wireBuf(w);
    const m = toTen(w, buf ? new Uint8Array(buf) : null);
    const err = remote.send(m);
    if (err === null) return;
    const text = typeof err === 'string' ? err : err.message;
    this.net.replyLocal(this.engine, w, text);
    if (!isCmdType(w.type)) this.dropLocal(w, text);
  }

  private dropped = 0;

  private dropLocal(w: WireMsg, why: string): void {
    this.dropped++;
    if (this.dropped % 1000 === 1) this.net.log(3, `Dropped ${w.type} '${w.name}' to ${w.dests[0]?.app ?? ''}: ${why} (${this.dropped} dropped so far)`, this.graphId);
  }

  // ---- close ------------------------------------------------------------------------------

  /** A remote closed (bottom-up): a normal one closes the engine unless it is long-running. */
  onRemoteClosed(remote: Remote): void {
    this.net.remotes.delete(remote);
    this.net.connectionClosed(remote.connection, this.graphId);
    const wasWeak = this.weak.delete(remote);
    if (this.remotes.get(remote.uri) === remote) {
      this.remotes.delete(remote.uri);
      // No result of a cmd sent over it can come back: its senders learn it now, not at their
      // path timeout (ours; TEN waits), and an extension awaiting one in on_stop does not hold the stop.
      if (!remote.connection.duplicate) this.engine.remoteGone(remote.uri);
    }
    for (const [id, child] of this.children) {
      if (child.remote === remote) {
        this.children.delete(id);
        child.reject(new Error(`Failed to connect to ${remote.uri}`));
      }
    }
    for (const [id, r] of this.relays) if (r.back === remote) this.relays.delete(id);
    if (this.closing || wasWeak || remote.weak || remote.connection.duplicate || this.longRunning) return;
    // A remote the graph depended on is gone: the engine closes (TEN's cascade), once it runs.
    if (this.running) this.net.host.requestStop(this.engine);
    else this.lostWhileStarting = true;
  }

  /** Closes every remote, weak remote and orphan; resolves when all are CLOSED. */
  close(): Promise<void> {
    this.closeDone ??= (async () => {
      this.closing = true;
      this.held = [];
      this.heldBy.clear();
      for (const child of this.children.values()) child.reject(new Error(`Failed to create remote (${child.uri})`));
      this.children.clear();
      const waits: Promise<void>[] = [];
      for (const r of [...this.remotes.values(), ...this.weak]) {
        r.close();
        waits.push(r.closed);
      }
      for (const c of [...this.orphans]) waits.push(closed(c));
      await Promise.all(waits);
    })();
    return this.closeDone;
  }
}

/** The child start_graph for `uri` (TEN clones the cmd: a new id, src this app, dest that app). */
function cloneStartGraph(t: TenMsg, uri: string, graphId: string): TenMsg {
  const m = new TenMsg('start_graph', 'ten:start_graph');
  m.cmdId = randomUUID();
  m.src = { ...t.src };
  m.dests = [tenLoc(uri, graphId)];
  m.longRunningMode = t.longRunningMode;
  m.syncStopBeforeDeinit = t.syncStopBeforeDeinit;
  m.nodes = t.nodes;
  m.connections = t.connections;
  return m;
}
