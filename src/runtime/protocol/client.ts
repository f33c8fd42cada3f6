/**
 * A client of TEN's msgpack protocol (what TEN's test client and `ten-studio send` are): one
 * TCP connection to an app, messages with an empty `cmd_id` (the app gives each one, and the
 * first names the client), results matched by `seq_id`, which TEN copies into results
 * unchanged. TCP_NODELAY is set.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { STATUS_ERROR, TenMsg, tenLoc, type TenLoc } from './message';
import { Protocol, dial } from './transport';

export interface ClientOptions {
  /** Connect attempts after the first fails (TEN's test client retries too). Default 0. */
  retries?: number;
  intervalMs?: number;
  /** Told after each failed attempt that is retried (`failed`: attempts failed so far). */
  onRetry?: (failed: number) => void;
}

export class TenClient {
  readonly uri: string;
  private readonly protocol: Protocol;
  private readonly waiting = new Map<string, (r: TenMsg) => void>();
  private readonly listeners = new Set<(m: TenMsg) => void>();
  private nextSeq = 1;
  /** Resolves when the connection is gone (closed by either side). */
  readonly closed: Promise<void>;
  /** Why the connection broke, if it did. */
  error: string | null = null;

  private constructor(uri: string, socket: Socket) {
    this.uri = uri;
    this.protocol = new Protocol('out_external');
    this.protocol.uri = uri;
    let resolveClosed!: () => void;
    this.closed = new Promise<void>((r) => (resolveClosed = r));
    this.protocol.onMsgs = (msgs) => {
      for (const m of msgs) this.onMsg(m);
    };
    this.protocol.onError = (e) => (this.error ??= e.message);
    this.protocol.onClosed = () => {
      for (const resolve of this.waiting.values()) resolve(connectionLost(this.uri, this.error));
      this.waiting.clear();
      resolveClosed();
    };
    this.protocol.attach(socket);
  }

  static async connect(uri: string, opts: ClientOptions = {}): Promise<TenClient> {
    const socket = await dial(uri, { retries: opts.retries ?? 0, intervalMs: opts.intervalMs ?? 500, isCancelled: () => false, onRetry: opts.onRetry });
    return new TenClient(uri, socket);
  }

  /** Every message that is not the answer to a request (cmds from the graph, data). */
  onMessage(listener: (m: TenMsg) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onMsg(m: TenMsg): void {
    if (m.type === 'cmd_result' && m.seqId !== '') {
      const w = this.waiting.get(m.seqId);
      if (w) {
        if (m.isFinal) this.waiting.delete(m.seqId);
        w(m);
        return;
      }
    }
    for (const l of this.listeners) l(m);
  }

  /** Sends a message as it is (a missing dest becomes the app, as TEN's client does). */
  send(m: TenMsg): void {
    if (m.dests.length === 0) m.dests = [tenLoc(this.uri)];
    const err = this.protocol.send(m);
    if (err !== null) throw new Error(typeof err === 'string' ? err : err.message);
  }

  /** Sends a cmd and resolves with its (final) result; the cmd gets a fresh `seq_id`. */
  request(m: TenMsg): Promise<TenMsg> {
    if (m.seqId === '') m.seqId = `${this.nextSeq++}-${randomUUID().slice(0, 8)}`;
    const p = new Promise<TenMsg>((resolve) => this.waiting.set(m.seqId, resolve));
    if (this.protocol.state !== 'init') return Promise.resolve(connectionLost(this.uri, this.error));
    this.send(m);
    return p;
  }

  /** A cmd named `name` to `dest` (the app itself when omitted) with properties `props`. */
  cmd(name: string, dest: Partial<TenLoc> = {}, props: Record<string, unknown> = {}): Promise<TenMsg> {
    const m = new TenMsg('cmd', name);
    m.dests = [tenLoc(dest.app ?? this.uri, dest.graph ?? null, dest.extension ?? null)];
    m.props = props;
    return this.request(m);
  }

  /** start_graph with a graph document (as JSON text, TEN's way) or a predefined graph's name. */
  startGraph(graph: { json: string } | { predefined: string }, opts: { longRunningMode?: boolean } = {}): Promise<TenMsg> {
    const m = new TenMsg('start_graph', 'ten:start_graph');
    m.dests = [tenLoc(this.uri)];
    if ('json' in graph) m.graphJson = graph.json;
    else m.predefinedGraph = graph.predefined;
    m.longRunningMode = opts.longRunningMode ?? false;
    return this.request(m);
  }

  stopGraph(graphId: string): Promise<TenMsg> {
    const m = new TenMsg('stop_graph', 'ten:stop_graph');
    m.dests = [tenLoc(this.uri)];
    m.graphId = graphId;
    return this.request(m);
  }

  /** close_app: the app answers nothing and shuts down. */
  closeApp(): void {
    const m = new TenMsg('close_app', 'ten:close_app');
    m.dests = [tenLoc(this.uri)];
    this.send(m);
  }

  /** Closes the connection; resolves once it is gone. */
  close(): Promise<void> {
    this.protocol.close();
    return this.closed;
  }
}

/** The result a request gets when the connection ends before its answer. */
function connectionLost(uri: string, error: string | null): TenMsg {
  const r = new TenMsg('cmd_result', 'ten:result');
  r.status = STATUS_ERROR;
  r.props = { detail: `The connection to ${uri} closed before the result arrived${error ? ` (${error})` : ''}.` };
  return r;
}
