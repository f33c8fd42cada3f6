/**
 * The routing authority of one extension group's thread: every message sent in the thread —
 * by an extension, a result going back, an error reply, a timer tick — leaves through here. It
 * resolves destinations (explicit dests, else the graph's flows), picks the target behind each
 * (this thread, another group, the host, the thread's timers) and hands the message over. It
 * never runs a handler: delivery to an extension of this thread is a runloop task too.
 *
 * Paths, schemas and result policies stay with the sending extension (worker/extension_rt.ts);
 * what happens on arrival stays with the group (worker/group.ts). Neither decides where a
 * message goes.
 */
import { GRAPH_PROXY } from '../../shared/graph/flatten';
import type { LogLevel } from '../api/log_level';
import type { RouteDest } from '../core/protocol';
import { isCmdType, newWireMsg, type MsgType, type RouteKind, type SharedLoc, type WireLoc, type WireMsg } from '../core/wire';
import type { Tracer } from './tracer';
import type { MsgTarget } from './target';

/** A resolved destination of one send. */
export interface Route {
  loc: WireLoc;
  /** `[loc]`, shared: message dests are replaced, never mutated. */
  dests: WireLoc[];
  /** The flow's `msg_conversion` for this destination, if any. */
  conversion: unknown;
  /** Where the message goes; null when no such destination exists in the graph. */
  target: MsgTarget | null;
}

export const NOT_FOUND_TEXT = 'Failed to find destination.';

/** A location and its one-element dests, frozen (a destination in another app: see `locOf`). */
function frozenLoc(app: string, graph: string, ext: string): SharedLoc {
  const loc = Object.freeze({ app, graph, ext }) as WireLoc;
  return { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] };
}
export const TERMINATED_TEXT = 'The destination extension has been terminated.';

export interface RouterConfig {
  appUri: string;
  graphId: string;
  group: string;
  /** Extension name → group, for the whole graph. */
  groupOf: ReadonlyMap<string, string>;
  /** `${kind}\u0000${src}\u0000${name}` → destinations in graph order. */
  routes: Record<string, RouteDest[]>;
  /** Extensions of this thread. */
  local: MsgTarget;
  /** The host thread: other graphs, the App's built-in cmds (and other apps without `remote`). */
  host: MsgTarget;
  /** Other apps: their messages leave encoded for TEN's protocol (absent: through `host`). */
  remote?: MsgTarget;
  /** `ten:timer` cmds (TEN's engine timers; here the thread's own). */
  timers: MsgTarget;
}

/** What the router reports through its group. */
export interface RouterHooks {
  log(extension: string, level: LogLevel, message: string): void;
  /** Trace records were added this turn: the group posts them at the end of it. */
  traced(): void;
}

export class Router {
  readonly appUri: string;
  readonly graphId: string;
  readonly group: string;
  /** Ours: message tracing; null (off) unless the host asks, so a send pays one null check. */
  tracer: Tracer | null = null;
  private readonly groupOf: ReadonlyMap<string, string>;
  private readonly local: MsgTarget;
  private readonly host: MsgTarget;
  private readonly remote: MsgTarget;
  private readonly timers: MsgTarget;
  private readonly peers = new Map<string, MsgTarget>();
  private readonly hooks: RouterHooks;
  private readonly locs = new Map<string, SharedLoc>();
  private readonly table: Map<string, Map<RouteKind, Map<string, Route[]>>>;
  /** Traced messages to an extension of this thread, so arrival records them without a second sampling. */
  private readonly tracedHere = new WeakSet<WireMsg>();

  constructor(cfg: RouterConfig, hooks: RouterHooks) {
    this.appUri = cfg.appUri;
    this.graphId = cfg.graphId;
    this.group = cfg.group;
    this.groupOf = cfg.groupOf;
    this.local = cfg.local;
    this.host = cfg.host;
    this.remote = cfg.remote ?? cfg.host;
    this.timers = cfg.timers;
    this.hooks = hooks;
    this.table = new Map();
    for (const [key, flows] of Object.entries(cfg.routes)) {
      if (flows.length === 0) continue;
      const [kind, src, name] = key.split('\u0000') as [RouteKind, string, string];
      let byKind = this.table.get(src);
      if (!byKind) this.table.set(src, (byKind = new Map()));
      let byName = byKind.get(kind);
      if (!byName) byKind.set(kind, (byName = new Map()));
      // Targets are filled in by addPeer/resolveTargets once every channel is known.
      byName.set(
        name,
        flows.map((f) => ({ ...(f.app ? frozenLoc(f.app, this.graphId, f.ext) : this.locOf(f.ext)), conversion: f.msgConversion, target: null })),
      );
    }
  }

  /** The channel to another group of the graph. */
  addPeer(group: string, target: MsgTarget): void {
    this.peers.set(group, target);
  }

  /** Every flow of the graph whose source is in this thread: (source, kind, name, destinations). */
  *flows(): Generator<[string, RouteKind, string, readonly Route[]]> {
    for (const [src, byKind] of this.table) for (const [kind, byName] of byKind) for (const [name, routes] of byName) yield [src, kind, name, routes];
  }

  /** Binds the graph's routes to their targets (after every peer is added). */
  bindTargets(): void {
    for (const byKind of this.table.values())
      for (const byName of byKind.values())
        for (const routes of byName.values()) for (const r of routes) r.target = this.targetOf(r.loc);
  }

  /**
   * The location of an extension of this graph and its one-element dests, created once and
   * frozen: messages share them (sends replace `src`/`dests`, nothing mutates them).
   */
  locOf(ext: string): SharedLoc {
    let l = this.locs.get(ext);
    if (!l) {
      const loc = Object.freeze({ app: this.appUri, graph: this.graphId, ext }) as WireLoc;
      l = { loc, dests: Object.freeze([loc]) as unknown as WireLoc[] };
      this.locs.set(ext, l);
    }
    return l;
  }

  /**
   * Whether a message that another app sent on a socket this thread owns
   * (protocol/group_socket.ts) is delivered here at once, the one decision of that kind: an
   * ordinary message (cmd, result, data, frame; a cmd with an id, i.e. not a client's) for an
   * extension of this group, in this app and this graph (by id, by `graphName`, or unnamed, as
   * the engine fills it in). Everything else (start_graph, stop_graph, close_app, results for
   * the engine, other graphs, other apps, other groups) goes to the host, which routes it as if
   * it had read it. The answer depends on the destination only, so each destination's messages
   * keep one path and their order.
   */
  takesArrival(type: string, cmdId: string, app: string | null, graph: string | null, ext: string | null, graphName: string): boolean {
    return this.takesKind(type, cmdId) && this.takesDest(app, graph, ext, graphName);
  }

  /** The half of `takesArrival` that depends on the message's kind. */
  takesKind(type: string, cmdId: string): boolean {
    if (type === 'data' || type === 'audio_frame' || type === 'video_frame') return true;
    return (type === 'cmd' || type === 'cmd_result') && cmdId !== '';
  }

  /**
   * The half of `takesArrival` that depends on the destination only, so its answer may be kept
   * for a destination's bytes (protocol/group_socket.ts decodes each location once).
   */
  takesDest(app: string | null, graph: string | null, ext: string | null, graphName: string): boolean {
    if (app !== null && app !== '' && app !== this.appUri) return false;
    if (graph !== null && graph !== '' && graph !== this.graphId && graph !== graphName) return false;
    return ext !== null && ext !== '' && this.groupOf.get(ext) === this.group;
  }

  /** Where a message to `d` goes; null when `d` names no extension of this graph. */
  targetOf(d: WireLoc): MsgTarget | null {
    if (d.app && d.app !== this.appUri) return this.remote;
    if (d.graph && d.graph !== this.graphId) return this.host;
    const g = this.groupOf.get(d.ext);
    if (g === undefined) return null;
    return g === this.group ? this.local : (this.peers.get(g) ?? null);
  }

  /**
   * The target of a built-in cmd that the App or the engine answers (`ten:start_graph`,
   * `ten:stop_graph`, `ten:close_app` → the host; `ten:timer` → the thread's timers), or null.
   */
  engineTarget(type: MsgType): MsgTarget | null {
    switch (type) {
      case 'start_graph':
      case 'stop_graph':
      case 'close_app':
        return this.host;
      case 'timer':
        return this.timers;
      default:
        return null;
    }
  }

  /**
   * Destinations of a send: explicit dests win, else the graph's flows for (kind, src, name).
   * The graph's routes are built once and shared: a send looks them up with three map reads.
   */
  resolve(w: WireMsg, kind: RouteKind, src: string): Route[] | null {
    if (w.dests.length > 0) {
      return w.dests.map((d) => {
        // Addressed to a graph, not to an extension: its graph proxy takes it (TEN).
        const ext = d.ext || (d.graph ? GRAPH_PROXY : '');
        const loc = { app: d.app || this.appUri, graph: d.graph || this.graphId, ext };
        return { loc, dests: [loc], conversion: undefined, target: this.targetOf(loc) };
      });
    }
    const byName = this.table.get(src)?.get(kind);
    if (!byName) return null;
    // `*` flows exist only in ExtensionTester graphs: everything goes to the other side.
    return byName.get(w.name) ?? byName.get('*') ?? null;
  }

  /** Hands an addressed message (one dest) to `target`; a missing or gone target is reported. */
  deliver(w: WireMsg, target: MsgTarget | null, from: string): void {
    if (target === null) return this.undeliverable(w, from, NOT_FOUND_TEXT);
    if (this.tracer !== null) return this.deliverTraced(w, target, from);
    if (!target.deliver(w)) this.undeliverable(w, from, TERMINATED_TEXT);
  }

  /** Sends an addressed message (one dest) from `from`, resolving its target. */
  send(w: WireMsg, from: string): void {
    this.deliver(w, this.targetOf(w.dests[0]), from);
  }

  private deliverTraced(w: WireMsg, target: MsgTarget, from: string): void {
    const tracer = this.tracer!;
    const dest = w.dests[0]?.ext ?? '';
    const traced = tracer.wants(w, from, dest);
    if (traced) {
      tracer.record('sent', w, from, dest);
      if (target.kind === 'local') this.tracedHere.add(w);
      this.hooks.traced();
    }
    if (!target.deliver(w)) this.undeliverable(w, from, TERMINATED_TEXT);
    else if (traced && target.kind === 'peer') tracer.record('queued', w, from, dest);
  }

  /** On arrival (tracing on): whether the message's delivery is traced. */
  arrivalTraced(w: WireMsg, dest: string): boolean {
    if (this.tracedHere.delete(w)) return true;
    // Sent in this thread and not traced when it was sent.
    if (this.groupOf.get(w.src.ext) === this.group && w.src.graph === this.graphId) return false;
    return this.tracer!.wants(w, w.src.ext, dest);
  }

  /** A message that cannot reach its destination: a cmd is answered with an ERROR result; data is dropped and logged. */
  undeliverable(w: WireMsg, from: string, text: string): void {
    if (isCmdType(w.type)) this.replyError(w, w.dests[0]?.ext ?? '', text);
    else if (w.type !== 'cmd_result') this.hooks.log(from, 3, `Dropped ${w.type} '${w.name}': ${text}`);
  }

  /** Answers a cmd that never reached a handler (no IN path) with an ERROR result to its sender. */
  replyError(w: WireMsg, from: string, text: string): void {
    const r = newWireMsg('cmd_result', w.name);
    r.status = 1;
    r.cmdId = w.cmdId;
    r.origName = w.name;
    r.origType = w.type;
    r.props.detail = text;
    r.src = { app: this.appUri, graph: this.graphId, ext: from };
    r.dests = [{ ...w.src }];
    if (r.dests[0].ext === '' && r.dests[0].graph === '') return;
    // A result nobody can take any more (its sender's thread is gone) is dropped, as TEN drops
    // results without a path.
    this.targetOf(r.dests[0])?.deliver(r);
  }
}
