/**
 * TEN's connection and remote (`ten_connection_t`, `ten_remote_t`), on one thread.
 *
 * A connection is owned by exactly one of: the app (an orphan: accepted, not bound to a graph
 * yet), an engine (migrated, not linked to a remote yet), or a remote. The owner is recorded
 * (`attachTo`, `owner`) and checked: a send by anything but the owner is an owner violation,
 * as a call from the wrong thread is in TEN.
 *
 * Migration (`INIT → FIRST_MSG → DONE`, reset `FIRST_MSG → INIT`): the first message of an
 * accepted connection goes to the app; everything decoded after it is held, in order, until the
 * app has bound the connection to an engine (DONE) or found no engine (reset, and the next held
 * message is a new "first"). TEN freezes the stream and asserts if bytes still arrive; we pause
 * reading instead, so a client that pipelines loses nothing.
 *
 * Close is TEN's two-phase close: top-down (remote → connection → protocol, each CLOSING), then
 * bottom-up once the socket is gone (protocol → connection → remote CLOSED, each telling its
 * owner).
 */
import { randomUUID } from 'node:crypto';
import type { TenMsg } from './message';
import type { EncodeError } from './message';
import type { CloseState, Protocol } from './transport';
import type { InboundSource } from '../core/inflow';
import { finalResultIds } from './result_ids';

export type Migration = 'init' | 'first_msg' | 'done';
export type AttachTo = 'app' | 'engine' | 'remote';

/** Something that owns connections (the app, an engine, a remote). */
export interface Owner {
  /** For violation reports: `app msgpack://…`, `engine <graph id>`, `remote <uri> of engine <id>`. */
  readonly ownerName: string;
}

/** Reports a send by the wrong owner; true when the policy lets the send proceed. */
export type ViolationReporter = (object: string, owner: string, caller: string, reason: string) => boolean;

/** Held messages after which reading pauses until they are handled. */
const HOLD_PAUSE = 256;

function isDataLike(m: TenMsg): boolean {
  return m.type === 'data' || m.type === 'audio_frame' || m.type === 'video_frame';
}

export class Connection implements InboundSource {
  readonly protocol: Protocol;
  state: CloseState = 'init';
  migration: Migration = 'init';
  attachTo: AttachTo;
  owner: Owner;
  /** The peer: an app's URI, or a client's identity (the generated id of its first cmd). */
  uri = '';
  /** Marked when its start_graph was answered `==duplicate==` (another channel to the peer wins). */
  duplicate = false;
  /** Where delivered messages go; set by the owner. */
  handler: (conn: Connection, m: TenMsg) => void;
  /** Bottom-up: the connection is CLOSED; set by the owner. */
  onClosed: (conn: Connection) => void = () => {};
  /** Messages received while the first one is being handled (FIRST_MSG), in order. */
  private held: TenMsg[] = [];
  private readonly violation: ViolationReporter;
  /** Data-like messages that arrived while no graph could take them (TEN drops them silently). */
  droppedEarly = 0;
  /** Told when the connection starts closing (top-down or after EOF). */
  onClosing: (conn: Connection) => void = () => {};
  /** Resolves once the connection is CLOSED. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(protocol: Protocol, owner: Owner, attachTo: AttachTo, handler: (conn: Connection, m: TenMsg) => void, violation: ViolationReporter) {
    this.protocol = protocol;
    this.owner = owner;
    this.attachTo = attachTo;
    this.handler = handler;
    this.violation = violation;
    this.closed = new Promise<void>((r) => (this.resolveClosed = r));
    protocol.onMsgs = (msgs) => {
      for (const m of msgs) this.receive(m);
    };
    protocol.onClosed = () => this.onProtocolClosed();
  }

  get id(): number {
    return this.protocol.id;
  }

  // ---- flow control of what the host forwards to extension groups (core/inflow.ts) ----------

  /** Groups behind that hold this connection's reading. */
  private holds = 0;

  get pausable(): boolean {
    return this.protocol.canHoldInput;
  }

  hold(): void {
    if (this.holds++ === 0) this.protocol.holdInput();
  }

  release(): void {
    if (this.holds > 0 && --this.holds === 0) this.protocol.releaseInput();
  }

  dropped(n: number): void {
    this.protocol.stats.dropsIn += n;
  }

  /** Closed with a located error: the error event and log line, then the socket is destroyed. */
  overflow(text: string): void {
    if (this.state !== 'init' || this.protocol.state !== 'init') return;
    this.protocol.onError(new Error(text));
    this.protocol.abort();
  }

  get label(): string {
    return `#${this.id} (${this.uri || 'not named yet'}, peer ${this.protocol.peer})`;
  }

  /** TEN's `ten_connection_on_msgs`, one message. */
  private receive(m: TenMsg): void {
    if (this.state !== 'init') return;
    if (isDataLike(m)) {
      // Data cannot be a first message: nothing binds the connection to a graph yet (TEN drops it).
      if (this.attachTo !== 'remote') {
        this.droppedEarly++;
        this.protocol.stats.dropsIn++;
        return;
      }
    } else if (m.cmdId === '') {
      // A cmd from outside the TEN world (a client): a fresh id, which also names the client.
      m.cmdId = randomUUID();
      m.src.app = m.cmdId;
      m.raw = null;
      this.protocol.role = 'in_external';
    }
    if (this.uri === '') this.uri = m.src.app ?? '';
    this.dispatch(m);
  }

  private dispatch(m: TenMsg): void {
    if (this.migration === 'first_msg') {
      this.held.push(m);
      if (this.held.length === HOLD_PAUSE) this.protocol.pause();
      return;
    }
    if (this.attachTo === 'app' && this.migration === 'init') this.migration = 'first_msg';
    this.handler(this, m);
  }

  /**
   * U1: the connection now belongs to `owner` (an engine), migration DONE; held messages are
   * delivered to it in order.
   */
  upgrade(owner: Owner, attachTo: AttachTo, handler: (conn: Connection, m: TenMsg) => void): void {
    this.owner = owner;
    this.attachTo = attachTo;
    this.handler = handler;
    this.migration = 'done';
    this.replay();
  }

  /** C1 (close_app first): DONE without an engine; the connection stays the app's. */
  doneWithoutEngine(): void {
    this.migration = 'done';
    this.replay();
  }

  /**
   * R1: the first message found no engine. Back to INIT, the URI forgotten; the next held
   * message is a new first message.
   */
  reset(): void {
    this.migration = 'init';
    this.uri = '';
    this.replay();
  }

  /** Hands the connection to another owner without changing its migration state (L1: to a remote). */
  attach(owner: Owner, attachTo: AttachTo, handler: (conn: Connection, m: TenMsg) => void): void {
    this.owner = owner;
    this.attachTo = attachTo;
    this.handler = handler;
  }

  private replay(): void {
    const held = this.held;
    this.held = [];
    for (const m of held) {
      if (this.state !== 'init') return;
      if (this.uri === '') this.uri = m.src.app ?? '';
      this.dispatch(m);
    }
    if (this.held.length < HOLD_PAUSE) this.protocol.resume();
  }

  /** Messages held while the first one is handled. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Sends a message; only the owner may. */
  send(m: TenMsg, caller: Owner): EncodeError | string | null {
    const refused = this.checkOwner(caller, `send of a ${m.type} '${m.name}'`);
    return refused ?? this.protocol.send(m);
  }

  /** Sends `count` messages already encoded as TEN frames; only the owner may. */
  sendFrames(bytes: Uint8Array, count: number, caller: Owner): string | null {
    const refused = this.checkOwner(caller, `send of ${count} encoded messages`);
    return refused ?? this.protocol.sendFrames(bytes, count);
  }

  /** The owner check: a caller that does not own the connection is a violation (refused unless the policy is `report`). */
  private checkOwner(caller: Owner, what: string): string | null {
    if (caller === this.owner) return null;
    const proceed = this.violation(`Connection #${this.id} (${this.uri || this.protocol.peer})`, this.owner.ownerName, caller.ownerName, `${what} by an object that does not own the connection`);
    if (proceed) return null;
    this.protocol.stats.dropsOut++;
    return `The connection belongs to ${this.owner.ownerName}, not to ${caller.ownerName}.`;
  }

  /** Top-down close (`ten_connection_close`). */
  close(): void {
    if (this.state !== 'init') return;
    this.state = 'closing';
    this.held = [];
    this.onClosing(this);
    if (this.protocol.state === 'closed') this.finish();
    else this.protocol.close();
  }

  /** Bottom-up (`ten_connection_on_protocol_closed`): an EOF-initiated close passes through CLOSING too. */
  private onProtocolClosed(): void {
    if (this.state === 'init') {
      this.state = 'closing';
      this.onClosing(this);
    }
    this.held = [];
    this.finish();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onClosed(this);
    this.resolveClosed();
  }
}

/** Shortlex order of URIs as TEN compares them: length first, then bytes; `a ≤ b`. */
export function shortlexLessOrEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return a.length < b.length;
  return a <= b;
}

/** The engine side of a remote: where its messages go and who hears it close. */
export interface RemoteHost extends Owner {
  onRemoteMsg(remote: Remote, m: TenMsg): void;
  onRemoteClosed(remote: Remote): void;
}

/**
 * A connection to another app (or a client) linked to an engine; named by the peer's URI.
 * Weak while it only carries a child start_graph that has not been answered yet.
 */
export class Remote implements Owner {
  readonly uri: string;
  readonly connection: Connection;
  readonly engine: RemoteHost;
  weak: boolean;
  state: CloseState = 'init';
  /** Client cmds seen on this remote by cmd id → seq_id, so results carry the client's seq_id. */
  private readonly seqIds = new Map<string, string>();
  /**
   * Cmds of the peer handed to an extension group and not answered yet, by the cmd id their
   * result carries: answered by the engine if that group's thread ends (docs/protocol.md,
   * "Robustness"). Emptied by the results that go out here.
   */
  readonly inside = new Map<string, TenMsg>();
  private readonly forgetBound = (id: string): void => {
    this.inside.delete(id);
  };
  /** Resolves once the remote is CLOSED. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(uri: string, connection: Connection, engine: RemoteHost, weak: boolean) {
    this.uri = uri;
    this.connection = connection;
    this.engine = engine;
    this.weak = weak;
    this.closed = new Promise<void>((r) => (this.resolveClosed = r));
    connection.attach(this, 'remote', (_c, m) => this.receive(m));
    connection.protocol.uri = uri;
    connection.onClosed = () => this.onConnectionClosed();
  }

  get ownerName(): string {
    return `remote ${this.uri} of ${this.engine.ownerName}`;
  }

  /** TEN's `ten_remote_on_input`: every message from a remote comes from its URI. */
  receive(m: TenMsg): void {
    m.src.app = this.uri;
    if (m.type !== 'cmd_result' && m.seqId !== '' && m.type !== 'data' && m.type !== 'audio_frame' && m.type !== 'video_frame') {
      this.seqIds.set(m.cmdId, m.seqId);
      if (this.seqIds.size > 100_000) this.seqIds.delete(this.seqIds.keys().next().value!);
    }
    this.engine.onRemoteMsg(this, m);
  }

  /** Sends on the remote's connection (the remote owns it). */
  send(m: TenMsg): EncodeError | string | null {
    if (this.state !== 'init') return 'Remote is closing, do not proceed to send this message.';
    if (m.type === 'cmd_result') {
      if (m.isFinal && this.inside.size > 0) this.inside.delete(m.cmdId);
      const seq = this.seqIds.get(m.cmdId);
      if (seq !== undefined) {
        if (m.seqId === '') m.seqId = seq;
        if (m.isFinal) this.seqIds.delete(m.cmdId);
      }
    }
    return this.connection.send(m, this);
  }

  /** Sends messages already encoded (by an extension group's thread) as they are. */
  sendFrames(bytes: Uint8Array, count: number): string | null {
    if (this.state !== 'init') return 'Remote is closing, do not proceed to send this message.';
    const err = this.connection.sendFrames(bytes, count, this);
    // Only while cmds of the peer are inside a group: which of them these frames answer.
    if (err === null && this.inside.size > 0) finalResultIds(bytes, this.forgetBound);
    return err;
  }

  /** Whether results to this remote need their client's seq_id filled in (a client, not an app). */
  get isClient(): boolean {
    return this.connection.protocol.role === 'in_external';
  }

  /** Top-down close (`ten_remote_close`). */
  close(): void {
    if (this.state !== 'init') return;
    this.state = 'closing';
    if (this.connection.state === 'init') this.connection.close();
    else if (this.connection.state === 'closed') this.onConnectionClosed();
  }

  private onConnectionClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.seqIds.clear();
    this.inside.clear();
    this.engine.onRemoteClosed(this);
    this.resolveClosed();
  }
}
