/**
 * Messages between the App/Engine (host thread) and an extension-group worker, and the runtime
 * events the host publishes. Every union is discriminated by `t` (control) or `type` (events).
 */
import type { MessagePort } from 'node:worker_threads';
import type { RunEvent, RunGraph, RunLifecyclePhase, RunViolationPolicy, TraceStep } from '../../shared';
import type { TextRecord } from '../../shared/talk/talk';
import type { ProtocolError } from '../protocol/stream';
import type { TransportLimits } from '../protocol/transport';
import type { RunloopCounters } from './runloop';
import type { WireMsg } from './wire';

/** What to do on an owner violation (wrong owner, use after close, mutation after send). */
export type ViolationPolicy = RunViolationPolicy;

/** One extension to create in a group, with everything the worker needs to run it. */
export interface NodeSpec {
  name: string;
  addon: string;
  /** URL of the built module to import (from the package's `main` or `src/index.ts`); registers the addon. */
  entry: string;
  /** Manifest `api` block (schemas). */
  api: Record<string, unknown>;
  /** property.json of the package merged with the graph node's `property`. */
  property: Record<string, unknown>;
  /** Ours: 'python' for an extension hosted by the group's Python process (then `entry` is ''). */
  runtime?: 'python';
  /** Python: the module that registers the addon (`ten_packages.extension.<folder>`). */
  pyModule?: string;
  /** The package folder. */
  dir?: string;
}

/** Ours: how a group with Python extensions starts its Python process. */
export interface GroupPython {
  /** Interpreter (already checked on the host: it exists and is recent enough). */
  exe: string;
  /** Prepended to `sys.path`: our `ten_runtime`, the system packages' `interface/` folders, the app. */
  paths: string[];
  /** Environment of the process (the app's, plus PYTHONPATH with our packages); what a spare must have been started with. */
  env: Record<string, string>;
  /** PYTHONPATH as the group's extensions see it (`paths` first), set in the process when it takes the group. */
  pythonpath?: string;
  /** Debugging (TEN_ENABLE_PYTHON_DEBUG): the process listens here with debugpy and waits for a client before it imports anything of the group. */
  debug?: { host: string; port: number };
  /** Set by the engine: the socket the process the host thread started listens on, and its pid. */
  sock?: string;
  pid?: number;
  /**
   * Test sessions: the Python process already runs (it started us) and its link is relayed by
   * the main thread through this port instead of a spawned process's pipes.
   */
  relay?: MessagePort;
}

/** A flattened flow destination. */
export interface RouteDest {
  ext: string;
  msgConversion?: unknown;
  /** Set when the destination runs in another app (its URI); messages to it go through the App. */
  app?: string;
}

/** One group's rings to one other group: it writes `tx` and reads `rx`. */
export interface RingPair {
  tx: SharedArrayBuffer;
  rx: SharedArrayBuffer;
}

export interface GroupInit {
  t: 'init';
  appUri: string;
  graphId: string;
  group: string;
  nodes: NodeSpec[];
  /** Extension name → group, for the whole graph. */
  groupOf: Record<string, string>;
  /** `${kind}\u0000${src}\u0000${name}` → destinations in graph order. */
  routes: Record<string, RouteDest[]>;
  /** Direct channels to the other groups of the graph. */
  peers: Record<string, MessagePort>;
  /** Shared-memory rings beside the channels to the groups a flow connects (routing/channels.ts). */
  rings: Record<string, RingPair>;
  policy: ViolationPolicy;
  syncStopBeforeDeinit: boolean;
  /** Ours: a cmd without a result this long is reported (a warning, and `waiting` in samples). */
  unansweredAfterMs: number;
  /** Ours: present when the group has Python extensions. */
  python?: GroupPython;
  /** Ours: the text tap is on from the start. */
  textTap?: boolean;
  /** Counters of what the host forwards to the group and it has taken (core/inflow.ts). */
  inflow: SharedArrayBuffer;
}

export type ToWorker =
  | GroupInit
  | { t: 'start' }
  | { t: 'stop' }
  | { t: 'deinit' }
  | { t: 'sample'; reqId: number }
  /** `flowBytes`: set when the host forwards them from outside the graph (flow controlled: core/inflow.ts). */
  | { t: 'msgs'; batch: WireMsg[]; flowBytes?: number }
  /**
   * Messages from another app for this group's extensions, as TEN's wire frames (one after
   * another in `bytes`), all received from the app `srcApp` (protocol/group_links.ts).
   */
  | { t: 'frames'; bytes: ArrayBuffer; length: number; srcApp: string; flowCount: number }
  | { t: 'trace'; config: TraceConfig | null }
  /** Ours: the text tap (routing/text_tap.ts) on or off. */
  | { t: 'text_tap'; on: boolean }
  /** The app is closing: a thread still alive after its extensions closed says what keeps it. */
  | { t: 'leftover' }
  | SockAdopt
  /** Frames for the peer of socket `id` from the host (or other groups through it), in order. */
  | { t: 'sock_write'; id: number; bytes: ArrayBuffer; length: number; count: number }
  /** The host closes the connection: end the socket after what was written (or destroy it, `abort`). */
  | { t: 'sock_close'; id: number; abort: boolean }
  /** Everything this group handed the host for that peer before it took the socket is written: it may write its own now. */
  | { t: 'sock_ready'; id: number }
  /** Stop reading socket `id` (`on`), or read it again: flow control of what the host forwards to other groups. */
  | { t: 'sock_hold'; id: number; on: boolean }
  /** Ours: the engine's connection to the app `app` closed; cmds sent there will never be answered. */
  | { t: 'remote_gone'; app: string }
  /** Ours: output of the group's Python process that bypassed Python's `sys.stdout` (null: its end). */
  | { t: 'py_out'; level: 2 | 3; text: string | null }
  /** Ours: the group's Python process exited (the host thread owns it). */
  | { t: 'py_exit'; code: number | null; signal: NodeJS.Signals | null };

/**
 * A socket of one of the graph's remotes moves to this group's thread (protocol/group_socket.ts,
 * docs/protocol.md "Threads on the path"): its file descriptor, the bytes of a message the host
 * had begun reading and where they are in the stream, and the counters the host samples.
 */
export interface SockAdopt {
  t: 'sock_adopt';
  /** The connection's id (the host's protocol id). */
  id: number;
  fd: number;
  held: Uint8Array;
  consumed: number;
  frames: number;
  /** The peer app's URI (the remote's). */
  peerApp: string;
  /** The graph's name (a peer may address the graph by it). */
  graphName: string;
  /** SOCK_* counters (protocol/transport.ts), written by the group only. */
  counters: SharedArrayBuffer;
  limits: TransportLimits;
}

/** Live runtime objects of a thread; all zero after a clean close. */
export interface LiveCounts {
  engines: number;
  threads: number;
  extensions: number;
  paths: number;
  timers: number;
  /**
   * Ours: handles (timers, sockets, servers, ports…) that user code left open in a group thread
   * after all its extensions had closed, so that the engine had to terminate the thread. Counted
   * at close only (0 in a running group's sample).
   */
  handles: number;
  /**
   * Ours: Python processes hosting extension groups that are still running (all 0 after a clean
   * stop: a group waits for its process to exit, and one that does not is killed).
   */
  processes: number;
}

/** Handle types as `process.getActiveResourcesInfo()` names them (`Timeout`, `TCPSocketWrap`…) → count. */
export type HandleCounts = Record<string, number>;

/** Per-extension counters kept on the message path (plain increments). */
export interface ExtensionCounters {
  extension: string;
  group: string;
  state: string;
  msgsIn: number;
  msgsOut: number;
  inByName: Record<string, number>;
  outByName: Record<string, number>;
  handlerMs: number;
  /** Ours: handler durations as a log-scale histogram (core/histogram.ts), since the start. */
  handlerHist: number[];
  /** Ours: messages sent per destination extension (the graph's edges from this extension). */
  outByDest: Record<string, number>;
  outPaths: number;
  inPaths: number;
  pending: number;
  /** Ours: the oldest cmds (at most 3) that have waited for their result past the app's threshold. */
  waiting: WaitingCmd[];
  /** Data and frames dropped because the extension has no handler for them (TEN's Node.js default). */
  droppedNoHandler: number;
  /** Ours: 'python' for an extension hosted by its group's Python process (handler time is Python's). */
  runtime?: 'python';
  /** Python: the extension's asyncio tasks not finished. */
  tasks?: number;
}

/** A cmd still waiting for its result, as samples report it. */
export interface WaitingCmd {
  cmd: string;
  /** Destination extension ('' when the App answers it). */
  dest: string;
  ageMs: number;
}

/** What a group thread's isolate holds (worker/memory.ts): its own, unlike the process's RSS. */
export interface GroupMemory {
  /** Bytes of V8 heap in use. */
  heapUsed: number;
  /** Bytes of external memory (the Buffers and ArrayBuffers it keeps alive). */
  external: number;
}

/** Ours: the Python process of a group, as its last stats report (every 250 ms) saw it. */
export interface PythonSample {
  pid: number;
  /** Interpreter version (`3.11.7`). */
  version: string;
  /** asyncio tasks of the process, and its threads. */
  tasks: number;
  threads: number;
  /** Times the dispatch loop was blocked over 250 ms. */
  stalls: number;
  /** Records queued for the process and not written yet (this turn's batch). */
  queued: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Route lists the engine lets the process deliver itself (0 while tracing or the text tap is on). */
  localRoutes: number;
  /** Messages delivered inside the process by that local path, in total. */
  localMsgs: number;
}

export interface GroupSample {
  group: string;
  runloop: RunloopCounters;
  extensions: ExtensionCounters[];
  live: LiveCounts;
  memory: GroupMemory;
  /** Ours: present when the group hosts Python extensions. */
  python?: PythonSample;
}

export type FromWorker =
  /** The thread took its init (the creation's time limit starts). */
  | { t: 'creating' }
  | { t: 'created'; ok: boolean; error?: string }
  | { t: 'events'; events: RuntimeEvent[] }
  | { t: 'sample'; reqId: number; sample: GroupSample }
  | { t: 'to_app'; msg: WireMsg }
  /** Messages for the app `app`, already TEN wire frames (`count` of them in `bytes[0..length)`). */
  | { t: 'to_remote'; app: string; bytes: ArrayBuffer; length: number; count: number }
  /** Frames read on socket `id` that are the host's to route (whole frames, in stream order). */
  | { t: 'sock_in'; id: number; bytes: ArrayBuffer; length: number }
  /** Socket `id` broke: a located protocol error, or a socket error's text. */
  | { t: 'sock_error'; id: number; located: ProtocolError | null; message: string }
  /** The peer ended socket `id` (EOF); `half`: it stopped in the middle of a message. */
  | { t: 'sock_eof'; id: number; half: ProtocolError | null }
  /** Socket `id` is closed. */
  | { t: 'sock_closed'; id: number }
  /**
   * The group took socket `id`: what it handed the host for that peer before (posted before this)
   * is to be written first; the host answers `sock_ready` once it has passed all of it on.
   */
  | { t: 'sock_adopted'; id: number }
  | { t: 'stopped' }
  | { t: 'start_failed'; error: string }
  | { t: 'abort'; reason: string }
  | { t: 'closed'; live: LiveCounts }
  | { t: 'leftover'; handles: HandleCounts }
  /** Asked what keeps it alive, the thread answers once its own channels have closed. */
  | { t: 'leftover_wait' }
  /** Nothing keeps the closed group's thread alive any more: it ends by itself, leaking nothing. */
  | { t: 'ending' }
  | ({ t: 'memory' } & GroupMemory)
  /** The group took what the host forwarded down to its low-water mark, which the host waits for (core/inflow.ts). */
  | { t: 'inflow' }
  /** Ours: the group's Python debugger listens (the creation's time limit pauses while it waits for a client) or a client attached. */
  | { t: 'py_debug'; state: 'listening' | 'attached' | 'error' }
  | { t: 'trace'; records: TraceRecord[]; dropped: number }
  | { t: 'text'; records: TextRecord[]; dropped: number };

/**
 * Ours: message tracing, off unless the host asks. `edges` lists the (src → dest) extension pairs
 * to capture (`dest` or `src` omitted = any); `sampleEvery` keeps one of every N data messages
 * per thread (cmds and results on a traced edge are always kept, so a cmd can be followed).
 */
export interface TraceConfig {
  edges: { src?: string; dest?: string }[];
  sampleEvery: number;
  /** Keep each `sent` step's payload (properties, buffer, frame fields) for replay. */
  payloads?: boolean;
}

/**
 * One traced step of a message as a worker records it: the wire type of the host's stream
 * (`TraceStep`) before the host adds the graph id and the cmd→result latency it derives.
 */
export type TraceRecord = Omit<TraceStep, 'graphId' | 'latencyMs'>;

/** Extension lifecycle phases as events report them (the host's stream carries the same). */
export type LifecyclePhase = RunLifecyclePhase;

/**
 * Events published by the App; `ts` is milliseconds since epoch. They are the host stream's
 * `RunEvent`s, less the `phaseMs` the host derives, and a log may carry TEN's structured fields.
 */
export type RuntimeEvent =
  | Omit<Extract<RunEvent, { type: 'lifecycle' }>, 'phaseMs'>
  | (Extract<RunEvent, { type: 'log' }> & { fields?: unknown })
  | Exclude<RunEvent, { type: 'lifecycle' | 'log' }>;

export type GraphState = RunGraph['state'];

export function routeKey(kind: string, src: string, name: string): string {
  return `${kind}\u0000${src}\u0000${name}`;
}
