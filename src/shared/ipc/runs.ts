/**
 * Runs and live telemetry in the HostApi contract: the methods that start, stop, observe, trace
 * and record graph runs, and the event types the host streams while they run.
 *
 * How a client uses it: `startRun` returns a `RunInfo`; from then on the host's event stream
 * carries `run.state` events (whenever a run's state changes) and `telemetry` events (at most
 * ~20 per second in total, each holding one `RunBatch` per run with news). A client that
 * reconnects (a renderer reload) calls `listRuns` and then `getRun` for each run to rebuild its
 * view from the host's bounded history, and keeps listening. Nothing in this file imports Node.
 */
import type { GraphDocument } from './contract';
import { checkStandInChoice, type StandInChoice, type StandInLanguage } from '../talk/choice';
import type { TalkEvent, TalkRoles } from '../talk/talk';
import {
  arrayOf,
  isAbsolutePath,
  isBoolean,
  isFiniteNumber,
  isNonEmptyString,
  objectOf,
  oneOf,
  recordOf,
  taggedUnion,
  type Check,
  type FieldSpec,
} from './params';

/** `starting` → `running` → `stopping` → `stopped`; `failed` when no graph could start. */
export type RunState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Owner-violation policy of a run (the runtime's): fail the call, report only, or stop the graph. */
export type RunViolationPolicy = 'fail' | 'report' | 'abort';

/** Extension lifecycle phases as the runtime reports them. */
export type RunLifecyclePhase =
  | 'created'
  | 'on_configure'
  | 'on_configure_done'
  | 'on_init'
  | 'on_init_done'
  | 'on_start'
  | 'on_start_done'
  | 'on_stop'
  | 'on_stop_done'
  | 'on_deinit'
  | 'on_deinit_done';

/** One graph of a run. `graphId` is the runtime's id of the running graph instance. */
export interface RunGraph {
  graphId: string;
  name: string;
  state: 'starting' | 'started' | 'start_failed' | 'stopping' | 'stopped';
}

/** Which messages are traced; see `setTracing`. */
export interface TraceSettings {
  /**
   * Edges to capture, as (src extension → dest extension); an omitted side matches any
   * extension, so `[{}]` traces everything and `[{ dest: 'sink' }]` everything into `sink`.
   */
  edges: { src?: string; dest?: string }[];
  /** Keep one of every N data messages per thread (1 = capture all). Cmds and results are always kept. */
  sampleEvery: number;
  /**
   * Keep what each traced message carried when it was sent (`TraceStep.payload`): its properties,
   * its buffer and frame fields, so a replay stand-in can send it again. Off by default.
   */
  payloads?: boolean;
}

/** What a traced message carried when it was sent (tracing with `payloads`). */
export interface TracePayload {
  /** Its properties as sent; a buffer inside them is `{ "$ten_buf": "<base64>" }`. */
  props: Record<string, unknown>;
  /** Its buffer (data, audio and video frames), base64; absent when empty or over `MAX_PAYLOAD_BUF` bytes. */
  buf?: string;
  /** The buffer's size in bytes, also when it was too large to keep. */
  bufBytes?: number;
  /** A frame's timestamp. */
  frameTs?: number;
  audio?: { sampleRate: number; bytesPerSample: number; samplesPerChannel: number; channels: number; channelLayout: number; dataFmt: number; lineSize: number; eof: boolean };
  video?: { width: number; height: number; pixelFmt: number; eof: boolean };
}

/** Largest buffer a traced payload keeps (a 20 ms 48 kHz stereo frame is 3.75 KiB; a 1080p RGBA frame is 8 MiB). */
export const MAX_PAYLOAD_BUF = 256 * 1024;

/** A run as `startRun`, `listRuns` and `run.state` events describe it. */
export interface RunInfo {
  runId: string;
  /** `GraphDocument.id` of the document it was started from. */
  documentId: string;
  title: string;
  state: RunState;
  graphs: RunGraph[];
  startedAt: number;
  stoppedAt?: number;
  /** Why the run failed or what went wrong while stopping. */
  error?: string;
  /** Current message tracing, or null when off (the default). */
  tracing: TraceSettings | null;
  /**
   * The apps of a graph that spans apps (absent for a graph in one app): the one the studio runs,
   * the ones it started as processes, and the remote ones it connects to.
   */
  apps?: RunAppInfo[];
  /** Nodes running as stand-ins in this run (the canvas marks them). */
  standIns?: RunStandIn[];
  /** The run's local transports (stand-ins for RTC nodes, or `local_transport` nodes) and the roles around them: the Talk panel talks to these. */
  talk?: { transports: { graph: string; node: string }[]; roles: TalkRoles };
  /** Started with Python debugging (`startRun`'s `pythonDebug`): where each Python group's debugger listens, as the runtime reported it. */
  pythonDebug?: RunPythonDebug[];
}

/** The debugger (debugpy) of one Python group of a run: where to attach, and whether a client has. */
export interface RunPythonDebug {
  graphId: string;
  group: string;
  pid: number;
  host: string;
  port: number;
  /** `listening`: the process waits for a client before its extensions start; `error`: it could not listen (`message` says why). */
  state: 'listening' | 'attached' | 'error';
  message: string;
}

/** One app of a run whose graph spans apps. */
export interface RunAppInfo {
  /** The app's URI (`msgpack://host:port/`), as the graph's nodes name it. */
  uri: string;
  /** `studio`: the run's own app, in the studio; `process`: started by the studio as a process; `remote`: already running, connected to. */
  where: 'studio' | 'process' | 'remote';
  state: 'starting' | 'running' | 'stopped' | 'failed';
  /** The process id of a `process` app. */
  pid?: number;
  /** Why it failed (its own words: the app's output). */
  error?: string;
}

/** A node that runs as a stand-in in a run. */
export interface RunStandIn {
  graph: string;
  node: string;
  /** The addon the graph names (which is not what runs). */
  addon: string;
  kind: StandInChoice['kind'];
  /** What it does, in a line ("interface stand-in: answers as Python does (never answers …)"). */
  summary: string;
}

/** One extension node as the Run dialog sees it: can it run here, and which stand-in would it get. */
export interface RunNodePlan {
  graph: string;
  node: string;
  addon: string;
  /** The runtime finds the package with code it runs. */
  runsHere: boolean;
  /** Why not, when it cannot run. */
  reason?: string;
  language: StandInLanguage;
  languageFrom: 'manifest' | 'name' | 'assumed';
  hasManifest: boolean;
  /** It looks like a real-time transport (audio out, and audio in or user cmds). */
  rtc: boolean;
  rtcReasons: string[];
  suggested: StandInChoice;
  /** The choice stored in the layout sidecar, if any. */
  chosen?: StandInChoice;
  /** What an interface stand-in answers by default, in words. */
  defaultAnswer: string;
  /** The cmds it receives (declared or connected). */
  cmdsIn: string[];
}

/** A transport of a run, as the Talk panel shows it. */
export interface TalkTransportState {
  node: string;
  graph: string;
  sampleRate: number | null;
  frameMs: number | null;
  frameName: string | null;
  joined: boolean;
  frames: number;
  inputFrames: number;
  silentFrames: number;
  firstTs: number;
  lastTs: number;
  queuedMs: number;
  outMs: number;
  outFrames: number;
}

/** The graph's audio back from a transport, in playout order: mono 16-bit little-endian PCM, base64. */
export interface TalkAudio {
  node: string;
  sampleRate: number;
  pcm: string;
}

/**
 * A runtime event of a run. `lifecycle` events of a `*_done` phase carry `phaseMs`, the time
 * since the phase began (for example `on_start` → `on_start_done`).
 */
export type RunEvent =
  | { type: 'lifecycle'; ts: number; graphId: string; extension: string; phase: RunLifecyclePhase; phaseMs?: number }
  | {
      type: 'violation';
      ts: number;
      graphId: string;
      /** The object misused, e.g. `TenEnv of 'rogue'` or `Data 'tick'`. */
      object: string;
      /** Thread and runloop that own it. */
      owner: string;
      /** Thread and runloop of the misuse. */
      caller: string;
      reason: string;
      /** Source-mapped stack of the misuse. */
      stack: string;
      policy: RunViolationPolicy;
    }
  | {
      type: 'log';
      ts: number;
      graphId: string;
      extension: string;
      /** TEN log level: 1 debug, 2 info, 3 warn, 4 error (`logLevelName`; the runtime's LogLevel). */
      level: number;
      message: string;
      category?: string;
      /** Where the log call is: the caller's file, line and function (Python extensions report it). */
      loc?: { file: string; line: number; func?: string };
      /** The thread, and the asyncio task, that logged (Python extensions). */
      thread?: string;
      task?: string;
    }
  | { type: 'error'; ts: number; graphId: string; extension: string; phase: string; message: string; stack: string }
  | { type: 'graph'; ts: number; graphId: string; name: string; state: RunGraph['state']; detail?: string }
  | {
      type: 'worker_terminated';
      ts: number;
      graphId: string;
      group: string;
      reason: string;
      /**
       * Set when every extension of the group had closed but handles left open kept its thread
       * alive: their types as Node names them (`Timeout`, `TCPSocketWrap`…) → count.
       */
      handles?: Record<string, number>;
    }
  | { type: 'app_closed'; ts: number }
  | {
      /** Ours: a connection of TEN's msgpack protocol changed state (see docs/protocol.md). */
      type: 'connection';
      ts: number;
      /** The graph it is bound to ('' while it belongs to the app). */
      graphId: string;
      /** The connection's number in its app. */
      id: number;
      /** The peer app's URI, a client's identity, or '' before its first message. */
      uri: string;
      /** `host:port` of the socket's far end. */
      peer: string;
      role: RunConnectionRole;
      state: RunConnectionState;
      /** Why (an error's located text, what was dropped, the graph it migrated to). */
      detail?: string;
      /** The app that reports it, when it is not the run's own app (one the studio started). */
      app?: string;
    };

/** TEN's protocol roles of a connection: accepted from an app or a client, or dialled. */
export type RunConnectionRole = 'in_internal' | 'in_external' | 'out_internal' | 'out_external';

/**
 * A connection's life as events report it: `opened` (accepted or dialled), `migrating` (its
 * first message is being handled), `attached` (bound to a graph: migrated, or linked as a
 * remote), `reset` (the first message found no graph), `closing`, `closed`, `error` (the stream
 * broke: a located protocol error, an overflow), `dropped` (messages it could not deliver).
 */
export type RunConnectionState = 'opened' | 'migrating' | 'attached' | 'reset' | 'closing' | 'closed' | 'error' | 'dropped';

/**
 * One extension in a metrics snapshot. Rates are per second over the snapshot's interval;
 * `inMsgsDepth`/`inMsgsHighWater` are those of the extension's thread (TEN's in_msgs is per
 * extension thread, i.e. per extension group).
 */
export interface ExtensionMetrics {
  extension: string;
  group: string;
  state: string;
  inMsgsDepth: number;
  inMsgsHighWater: number;
  /** Messages held until `on_init_done`. */
  pending: number;
  msgsInPerSec: number;
  msgsOutPerSec: number;
  inPerSecByName: Record<string, number>;
  outPerSecByName: Record<string, number>;
  /** Handler time quantiles over the interval (±10%, log buckets); null when no handler ran. */
  handlerP50Ms: number | null;
  handlerP99Ms: number | null;
  msgsInTotal: number;
  msgsOutTotal: number;
  /** The oldest cmds (at most 3) this extension sent that have waited long for their result. */
  waiting: { cmd: string; dest: string; ageMs: number }[];
  /** Data and frames dropped because the extension has no handler for them. */
  droppedNoHandler: number;
  /**
   * A Python extension: the pid of its group's Python process. Its handler times are measured in
   * Python, and its queue counts what waits for the process and the handler tasks not finished.
   */
  pythonPid?: number;
}

/** One runloop (one extension group's thread) in a metrics snapshot. */
export interface RunloopMetrics {
  group: string;
  runloopId: string;
  threadId: number;
  depth: number;
  highWater: number;
  drainsPerSec: number;
  /** Entries per drain over the interval (0 when it did not drain). */
  avgBatch: number;
  /** Largest batch since the start. */
  maxBatch: number;
  /** Share of the interval spent running batches, 0–100. */
  busyPct: number;
}

/** Messages per second from one extension to another (all message names together). */
export interface EdgeMetrics {
  src: string;
  dest: string;
  msgsPerSec: number;
}

/** Metrics of one graph of a run at one instant. */
export interface GraphMetrics {
  graphId: string;
  name: string;
  /**
   * The app process of the run these numbers come from (its URI), for the part of a graph across
   * apps that runs there; absent for the studio's own app.
   */
  app?: string;
  extensions: ExtensionMetrics[];
  runloops: RunloopMetrics[];
  edges: EdgeMetrics[];
  /** The shared-memory rings between groups (absent when the run has none). */
  channels?: ChannelMetrics[];
}

/**
 * One ring from group `from` to group `to` (docs/runtime.md), read from shared memory: what waits
 * in it for the receiving thread, and how that thread drains it.
 */
export interface ChannelMetrics {
  from: string;
  to: string;
  /** Messages written and not yet taken by the receiver. */
  depth: number;
  bytes: number;
  capacity: number;
  /** Messages the sender holds until the ring has room (back-pressure; nothing is dropped). */
  backlog: number;
  /** Messages taken by the receiver per second. */
  msgsPerSec: number;
  drainsPerSec: number;
  /** Messages per drain over the interval (0 when it did not drain). */
  avgBatch: number;
  /** Largest drain since the start. */
  maxBatch: number;
  /** Wakes of a sleeping receiver per second. */
  wakesPerSec: number;
  /** Messages sent by the pair's MessagePort instead (large buffers, other properties) per second. */
  spilledPerSec: number;
  /** Messages sent by the pair's MessagePort instead since the start (absent in recordings made before it was kept). */
  spilled?: number;
  /** Most bytes waiting at once since the start, as the sender saw it (absent in older recordings). */
  highWater?: number;
  /** Times per second the sender found the ring too full for a message (absent in older recordings). */
  fullPerSec?: number;
  asleep: boolean;
  closed: boolean;
}

/**
 * One connection of TEN's msgpack protocol of the run's app (to another app of the graph or a
 * client) in a metrics snapshot: where it stands and its traffic per direction. `in` is what the
 * peer sent to this app.
 */
export interface ConnectionMetrics {
  id: number;
  /** The app process of the run whose connection this is (its URI); absent for the studio's own app. */
  app?: string;
  /** The peer: an app's URI, a client's identity, or '' before its first message. */
  uri: string;
  peer: string;
  role: string;
  /** The graph it belongs to ('' while the app holds it). */
  graphId: string;
  /** `open` (its first message pending), `migrating`, `attached`, `closing`, `closed`. */
  state: 'open' | 'migrating' | 'attached' | 'closing' | 'closed';
  /** A remote carrying a start_graph not answered yet. */
  weak: boolean;
  /** The thread that reads and writes its socket: `host`, or `group <name>` (docs/protocol.md, "Threads on the path"). */
  socket?: string;
  bytesInPerSec: number;
  bytesOutPerSec: number;
  msgsInPerSec: number;
  msgsOutPerSec: number;
  bytesIn: number;
  bytesOut: number;
  msgsIn: number;
  msgsOut: number;
  /** Messages it could not deliver (in) or send (out), since it opened. */
  dropsIn: number;
  dropsOut: number;
  /** Not read for now: an extension group it feeds is behind (docs/protocol.md, "Robustness"). */
  inputHeld?: boolean;
}

/** A metrics snapshot (the host samples at up to 10 Hz); rates cover `intervalMs` before `ts`. */
export interface MetricsSnapshot {
  ts: number;
  intervalMs: number;
  graphs: GraphMetrics[];
  /**
   * The connections of TEN's msgpack protocol of the run's apps (the studio's own, and those of the
   * app processes it started, tagged with their `app`); absent when there are none.
   */
  connections?: ConnectionMetrics[];
}

/** One traced step of a message (see `setTracing`); `ts` in epoch ms with sub-ms precision. */
export interface TraceStep {
  ts: number;
  /** The runtime's id of the graph the message travelled in. */
  graphId: string;
  /** The app process of the run that traced this step (its URI); absent for the studio's own app. */
  app?: string;
  stage: 'sent' | 'queued' | 'delivered';
  /** `cmd`, `cmd_result`, `data`, `audio_frame`, `video_frame` or a built-in cmd type. */
  type: string;
  name: string;
  src: string;
  dest: string;
  /** Empty for data and frames. A cmd and its results share it. */
  cmdId: string;
  group: string;
  threadId: number;
  /** `cmd_result` only: 0 OK, 1 ERROR. */
  status?: number;
  /** `sent` only: the first characters of the properties as JSON. */
  preview?: string;
  /** `sent` only, with `payloads` tracing: what the message carried. */
  payload?: TracePayload;
  /** `delivered` only: synchronous handler time. */
  durMs?: number;
  /** `delivered` of a `cmd_result` whose cmd was traced too: time since that cmd was sent. */
  latencyMs?: number;
}

/**
 * Cumulative counts of what the host did not keep or send for a run: events beyond the batch
 * budget, trace steps the runtime or the host discarded, metrics samples skipped because the
 * previous one had not returned. The UI shows them next to the stream ("1,203 trace steps dropped").
 */
export interface DropCounters {
  events: number;
  traces: number;
  metrics: number;
}

/** What one `telemetry` event carries for one run. */
export interface RunBatch {
  runId: string;
  events: RunEvent[];
  metrics: MetricsSnapshot[];
  traces: TraceStep[];
  dropped: DropCounters;
  /** Talk events (text, speech, audio bursts, turns) of a run with transports. */
  talk?: TalkEvent[];
  /** The graph's audio back from its transports since the last batch. */
  audio?: TalkAudio[];
  /** The transports' state, when it changed. */
  transports?: TalkTransportState[];
}

/** Telemetry events on the host's event stream (besides `log`). */
export type TelemetryHostEvent =
  /** A run's state or graphs changed. */
  | { type: 'run.state'; time: number; run: RunInfo }
  /** News of the runs since the previous telemetry event; sent at most ~20 times a second. */
  | { type: 'telemetry'; time: number; batches: RunBatch[] }
  /**
   * Sent by a transport to a client it had to skip events for (its connection could not keep
   * up); `events` counts the events this client missed since the last notice.
   */
  | { type: 'stream.dropped'; time: number; events: number };

/** What `getRun` returns: the run and the host's bounded recent history of it. */
export interface RunSnapshot {
  run: RunInfo;
  /** The most recent events (up to a few thousand), oldest first. */
  events: RunEvent[];
  /** The latest metrics snapshot, or null before the first. */
  metrics: MetricsSnapshot | null;
  /** The most recent trace steps, oldest first. */
  traces: TraceStep[];
  dropped: DropCounters;
  /** The run's talk history (text, speech, audio bursts, turns), when it has transports. */
  talk?: TalkEvent[];
  transports?: TalkTransportState[];
}

/** A saved run, as written by `saveRecording` and `ten-studio run --record`. */
export interface Recording {
  format: 'ten-studio-recording';
  version: 1;
  run: RunInfo;
  savedAt: number;
  events: RunEvent[];
  metrics: MetricsSnapshot[];
  traces: TraceStep[];
  dropped: DropCounters;
  /** Talk events, when the run had transports (its turns among them). */
  talk?: TalkEvent[];
}

/** Parameter and result types of the run methods (merged into `HostMethodTypes`). */
export interface RunMethodTypes {
  /**
   * Starts a run of `document` in its own runtime App (isolated from other runs; built-in
   * addons plus the document's app packages). `graph` names one predefined graph; without it
   * the `auto_start` graphs run, or the only graph when there is one. `E_BAD_PARAMS` when the
   * document names no such graph, `E_RUN` when the runtime cannot start it (the message says why).
   */
  startRun: {
    params: {
      document: GraphDocument;
      graph?: string;
      violationPolicy?: RunViolationPolicy;
      /**
       * Apps of a graph spanning apps that are already running (the studio connects to them); the
       * studio starts every other loopback app of the graph as a process of its own.
       */
      remoteApps?: string[];
      /** Stand-ins for this run, per graph and node, over those in the document's layout. */
      standIns?: Record<string, Record<string, StandInChoice>>;
      /**
       * Debug the Python extensions with debugpy (as TEN_ENABLE_PYTHON_DEBUG=true): each Python
       * group's process waits for a debugger before its extensions start, the first on `port`
       * (default 5678), the others on the next free ports; `RunInfo.pythonDebug` says where.
       */
      pythonDebug?: { port?: number };
    };
    result: RunInfo;
  };
  /**
   * Every extension node of the graphs a run would start: whether its package runs here, and the
   * stand-in it has (the layout's) or would get. The Run dialog asks before starting a run some
   * of whose nodes cannot run.
   */
  planRun: { params: { document: GraphDocument; graph?: string }; result: { graphs: string[]; nodes: RunNodePlan[] } };
  /** Joins (the transport sends `on_user_joined` and starts feeding), leaves, or drops the audio queued. */
  talkControl: { params: { runId: string; node?: string; action: 'join' | 'leave' | 'clear' }; result: TalkTransportState };
  /** Audio to feed (the page's microphone): 16-bit little-endian mono PCM at the transport's rate, base64, at most 1 MiB. */
  talkAudio: { params: { runId: string; node?: string; pcm: string }; result: { queuedMs: number } };
  /** Feeds a WAV file (decoded, mixed down and resampled on the host); joins first when needed. */
  talkFile: { params: { runId: string; node?: string; path: string }; result: { durationMs: number; warnings: string[] } };
  /** Stops a run; resolves once every thread has exited. Stopped runs stay listed for a while. */
  stopRun: { params: { runId: string }; result: RunInfo };
  /** Every run the host holds, running ones first, then the most recent stopped ones. */
  listRuns: { params: void; result: RunInfo[] };
  /** A run with its recent history, for a client that (re)connects. */
  getRun: { params: { runId: string }; result: RunSnapshot };
  /** Turns message tracing on (settings) or off (null) for a running run. Off by default. */
  setTracing: { params: { runId: string; tracing: TraceSettings | null }; result: RunInfo };
  /** Every traced step of one cmd (and of its results), in time order, from the host's trace history. */
  followCmd: { params: { runId: string; cmdId: string }; result: TraceStep[] };
  /** Writes the run's history (events, metrics, traces) as a recording file. `E_EXISTS` unless `overwrite`. */
  saveRecording: { params: { runId: string; path: string; overwrite?: boolean }; result: { path: string; bytes: number } };
  /** Reads a recording file back. `E_PARSE` when it is not one. */
  openRecording: { params: { path: string }; result: Recording };
  /**
   * Writes a Chrome trace JSON (opens in Perfetto / chrome://tracing) of a run or a recording
   * file: runloops as threads, handler calls as slices, queue depths as counters, cmd → result
   * as flows, violations as instants.
   */
  exportChromeTrace: {
    params: { source: { kind: 'run'; runId: string } | { kind: 'file'; path: string }; path: string; overwrite?: boolean };
    result: { path: string; bytes: number };
  };
}

/** Top-level params: an object with exactly these fields. */
function params(fields: Record<string, FieldSpec>): (p: unknown) => string | null {
  const check = objectOf(fields);
  return (p) => check(p, '');
}

const isPositiveInt: Check = (v, p) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1_000_000 ? null : `expects "${p}" to be an integer from 1 to 1000000`;

const isPort: Check = (v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535 ? null : `expects "${p}" to be a port (an integer from 1 to 65535)`);

const isName: Check = (v, p) => {
  const problem = isNonEmptyString(v, p);
  if (problem) return problem;
  return (v as string).length <= 256 ? null : `expects "${p}" to be at most 256 characters`;
};

const tracingCheck: Check = (v, p) => {
  if (v === null) return null;
  const problem = objectOf({
    edges: arrayOf(objectOf({ src: [isName, 'optional'], dest: [isName, 'optional'] })),
    sampleEvery: isPositiveInt,
    payloads: [isBoolean, 'optional'],
  })(v, p);
  if (problem) return problem;
  const edges = (v as TraceSettings).edges;
  if (edges.length === 0) return `expects "${p}.edges" to name at least one edge (use [{}] for all)`;
  return edges.length <= 1000 ? null : `expects "${p}.edges" to have at most 1000 entries`;
};

const runIdCheck = isName;

/** Base64 of 16-bit PCM: an even number of bytes, at most 1 MiB. */
const isBase64Audio: Check = (v, p) => {
  if (typeof v !== 'string') return `expects "${p}" to be a base64 string`;
  if (v.length > 1_400_000) return `expects "${p}" to be at most 1 MiB of audio`;
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return `expects "${p}" to be base64`;
  const bytes = (v.length / 4) * 3 - (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0);
  return bytes % 2 === 0 ? null : `expects "${p}" to hold whole 16-bit samples (an even number of bytes)`;
};

/**
 * Parameter validators of the run methods; `documentCheck` is the contract's document validator
 * (passed in so this file does not depend on the contract's values).
 */
export function runMethodValidators(documentCheck: Check): { [M in keyof RunMethodTypes]: { validate: (p: unknown) => string | null } } {
  const noParams = (p: unknown) => (p === undefined || p === null ? null : 'takes no parameters');
  return {
    startRun: {
      validate: params({
        document: documentCheck,
        graph: [isName, 'optional'],
        violationPolicy: [oneOf(['fail', 'report', 'abort']), 'optional'],
        remoteApps: [arrayOf(isNonEmptyString), 'optional'],
        standIns: [recordOf(recordOf(checkStandInChoice)), 'optional'],
        pythonDebug: [objectOf({ port: [isPort, 'optional'] }), 'optional'],
      }),
    },
    planRun: { validate: params({ document: documentCheck, graph: [isName, 'optional'] }) },
    talkControl: { validate: params({ runId: runIdCheck, node: [isName, 'optional'], action: oneOf(['join', 'leave', 'clear']) }) },
    talkAudio: { validate: params({ runId: runIdCheck, node: [isName, 'optional'], pcm: isBase64Audio }) },
    talkFile: { validate: params({ runId: runIdCheck, node: [isName, 'optional'], path: isAbsolutePath }) },
    stopRun: { validate: params({ runId: runIdCheck }) },
    listRuns: { validate: noParams },
    getRun: { validate: params({ runId: runIdCheck }) },
    setTracing: { validate: params({ runId: runIdCheck, tracing: tracingCheck }) },
    followCmd: { validate: params({ runId: runIdCheck, cmdId: isName }) },
    saveRecording: { validate: params({ runId: runIdCheck, path: isAbsolutePath, overwrite: [isBoolean, 'optional'] }) },
    openRecording: { validate: params({ path: isAbsolutePath }) },
    exportChromeTrace: {
      validate: params({
        source: taggedUnion('kind', {
          run: objectOf({ kind: isNonEmptyString, runId: runIdCheck }),
          file: objectOf({ kind: isNonEmptyString, path: isAbsolutePath }),
        }),
        path: isAbsolutePath,
        overwrite: [isBoolean, 'optional'],
      }),
    },
  };
}

/** Checks a recording file's top level (the host reads it back); an error text, or null. */
export function validateRecording(value: unknown): string | null {
  return objectOf(
    {
      format: (v, p) => (v === 'ten-studio-recording' ? null : `expects "${p}" to be "ten-studio-recording"`),
      version: (v, p) => (v === 1 ? null : `expects "${p}" to be 1 (a newer studio wrote this file?)`),
      run: objectOf({ runId: isNonEmptyString, title: (v, p) => (typeof v === 'string' ? null : `expects "${p}" to be a string`) }, { open: true }),
      savedAt: isFiniteNumber,
      events: arrayOf((v, p) => (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' ? null : `expects "${p}" to be an event`)),
      metrics: arrayOf(objectOf({ ts: isFiniteNumber, intervalMs: isFiniteNumber, graphs: arrayOf((v, p) => (typeof v === 'object' && v !== null ? null : `expects "${p}" to be an object`)) })),
      traces: arrayOf((v, p) => (typeof v === 'object' && v !== null && typeof (v as { stage?: unknown }).stage === 'string' ? null : `expects "${p}" to be a trace step`)),
      dropped: objectOf({ events: isFiniteNumber, traces: isFiniteNumber, metrics: isFiniteNumber }),
    },
    { open: true },
  )(value, 'recording');
}
