/**
 * The live view of the run started from the studio: lifecycle phase per extension, queue depth
 * and rates from the latest metrics, per-edge rates, violations and runtime logs. Host telemetry
 * arrives in batches (≤ ~20/s); each batch updates this store once, and canvas overlays read
 * single entries through narrow selectors, so one extension's change re-renders one node.
 */
import { create } from 'zustand';
import type { ConnectionMetrics, HostEvent, RunBatch, RunEvent, RunInfo, RunLifecyclePhase } from '../../shared';
import { channelsOf, NO_CHANNELS, type ChannelsView } from './channels';
import { useDebug, type DebugState } from './debugStore';

const MAX_VIOLATIONS = 200;
const MAX_LOGS = 1000;
const MAX_CONNECTION_EVENTS = 500;

/** Lifecycle of one extension: the phase shown on its badge and how long each phase took. */
export interface LifecycleView {
  /** `configuring`, `initialized`, `started`, `stopped`, … or `error`. */
  label: string;
  phase: RunLifecyclePhase;
  /** Milliseconds per finished phase (`on_start` → `on_start_done` is `start`). */
  timings: Record<string, number>;
  error?: string;
}

/** Live numbers of one extension. */
export interface NodeMetricsView {
  queue: number;
  inPerSec: number;
  outPerSec: number;
  thread: number | null;
  /** The Python process hosting the node (a Python extension), else null. */
  pid: number | null;
  /** The oldest cmd this node sent that has long waited for its result (none: null). */
  waiting: { cmd: string; dest: string; ageMs: number } | null;
  /** Data and frames it dropped for want of a handler. */
  dropped: number;
}

export type ViolationEvent = Extract<RunEvent, { type: 'violation' }>;
export type ConnectionEvent = Extract<RunEvent, { type: 'connection' }>;
export type RuntimeLog = Extract<RunEvent, { type: 'log' }> | Extract<RunEvent, { type: 'error' }>;

export interface RunViewState {
  run: RunInfo | null;
  lifecycle: Record<string, LifecycleView>;
  metrics: Record<string, NodeMetricsView>;
  /** Messages per second by `<src>-><dest>`. */
  edgeRates: Record<string, number>;
  violations: ViolationEvent[];
  logs: RuntimeLog[];
  /** TEN protocol connections of the run's app, as the latest metrics report them. */
  connections: ConnectionMetrics[];
  /** The latest connection events (opened, migrating, attached, reset, closing, closed, error), oldest first. */
  connectionEvents: ConnectionEvent[];
  /** The rings between extension groups, as the latest metrics report them (the Channels tab). */
  channels: ChannelsView;
  droppedEvents: number;
  /** Applies one host event (run state or telemetry); log events are the document store's. */
  apply(event: HostEvent): void;
  /** Starts following a run (clearing the previous one's view). */
  follow(run: RunInfo): void;
}

const PHASE_LABEL: Record<RunLifecyclePhase, string> = {
  created: 'created',
  on_configure: 'configuring',
  on_configure_done: 'configured',
  on_init: 'initializing',
  on_init_done: 'initialized',
  on_start: 'starting',
  on_start_done: 'started',
  on_stop: 'stopping',
  on_stop_done: 'stopped',
  on_deinit: 'deinitializing',
  on_deinit_done: 'deinitialized',
};

/** Folds a batch of runtime events into the lifecycle, violations and logs. */
export function foldEvents(
  state: Pick<RunViewState, 'lifecycle' | 'violations' | 'logs'> & { connectionEvents?: ConnectionEvent[] },
  events: readonly RunEvent[],
): Pick<RunViewState, 'lifecycle' | 'violations' | 'logs' | 'connectionEvents'> {
  const before = state.connectionEvents ?? [];
  let lifecycle = state.lifecycle;
  const violations: ViolationEvent[] = [];
  const logs: RuntimeLog[] = [];
  const connectionEvents: ConnectionEvent[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'lifecycle': {
        const prev = lifecycle[e.extension];
        const timings = { ...prev?.timings };
        if (e.phaseMs !== undefined) timings[e.phase.replace(/^on_/, '').replace(/_done$/, '')] = e.phaseMs;
        if (lifecycle === state.lifecycle) lifecycle = { ...lifecycle };
        lifecycle[e.extension] = { label: prev?.error ? 'error' : PHASE_LABEL[e.phase], phase: e.phase, timings, ...(prev?.error ? { error: prev.error } : {}) };
        break;
      }
      case 'error': {
        const prev = lifecycle[e.extension];
        if (lifecycle === state.lifecycle) lifecycle = { ...lifecycle };
        lifecycle[e.extension] = { label: 'error', phase: prev?.phase ?? 'created', timings: prev?.timings ?? {}, error: `${e.phase}: ${e.message}` };
        logs.push(e);
        break;
      }
      case 'violation':
        violations.push(e);
        break;
      case 'log':
        logs.push(e);
        break;
      case 'worker_terminated':
        // A thread ended by the runtime (stop timeout, handles left open, a crash): an error line.
        logs.push({ type: 'error', ts: e.ts, graphId: e.graphId, extension: '', phase: 'thread terminated', message: e.reason, stack: '' });
        break;
      case 'connection':
        connectionEvents.push(e);
        // A connection that broke is an error line too, with its located reason.
        if (e.state === 'error') logs.push({ type: 'error', ts: e.ts, graphId: e.graphId, extension: '', phase: `connection #${e.id} ${e.uri || e.peer}`, message: e.detail ?? '', stack: '' });
        break;
      case 'graph':
      case 'app_closed':
        break;
    }
  }
  return {
    lifecycle,
    violations: violations.length ? [...state.violations, ...violations].slice(-MAX_VIOLATIONS) : state.violations,
    logs: logs.length ? [...state.logs, ...logs].slice(-MAX_LOGS) : state.logs,
    connectionEvents: connectionEvents.length ? [...before, ...connectionEvents].slice(-MAX_CONNECTION_EVENTS) : before,
  };
}

/** The latest metrics of a batch as per-node and per-edge numbers; unchanged entries keep their objects. */
export function foldMetrics(state: Pick<RunViewState, 'metrics' | 'edgeRates'>, batch: RunBatch): Pick<RunViewState, 'metrics' | 'edgeRates'> {
  const latest = batch.metrics[batch.metrics.length - 1];
  if (!latest) return { metrics: state.metrics, edgeRates: state.edgeRates };
  const metrics: Record<string, NodeMetricsView> = {};
  const edgeRates: Record<string, number> = {};
  for (const g of latest.graphs) {
    const threads = new Map(g.runloops.map((r) => [r.group, r.threadId]));
    for (const x of g.extensions) {
      const w = x.waiting?.[0];
      const next: NodeMetricsView = {
        queue: x.inMsgsDepth,
        inPerSec: Math.round(x.msgsInPerSec),
        outPerSec: Math.round(x.msgsOutPerSec),
        thread: threads.get(x.group) ?? null,
        pid: x.pythonPid ?? null,
        // Whole seconds, so a long wait re-renders the node once a second, not per sample.
        waiting: w ? { cmd: w.cmd, dest: w.dest, ageMs: Math.floor(w.ageMs / 1000) * 1000 } : null,
        dropped: x.droppedNoHandler ?? 0,
      };
      const prev = state.metrics[x.extension];
      metrics[x.extension] = prev && sameMetrics(prev, next) ? prev : next;
    }
    for (const e of g.edges) edgeRates[`${e.src}->${e.dest}`] = Math.round(e.msgsPerSec);
  }
  return { metrics, edgeRates };
}

function sameMetrics(a: NodeMetricsView, b: NodeMetricsView): boolean {
  return (
    a.queue === b.queue &&
    a.inPerSec === b.inPerSec &&
    a.outPerSec === b.outPerSec &&
    a.thread === b.thread &&
    a.pid === b.pid &&
    a.dropped === b.dropped &&
    a.waiting?.cmd === b.waiting?.cmd &&
    a.waiting?.dest === b.waiting?.dest &&
    a.waiting?.ageMs === b.waiting?.ageMs
  );
}

/** The runtime's extension states (as metrics report them) in the badge's words. */
const STATE_LABEL: Record<string, string> = {
  created: 'created',
  configuring: 'configuring',
  configured: 'configured',
  initing: 'initializing',
  inited: 'initialized',
  starting: 'starting',
  started: 'started',
  stopping: 'stopping',
  stopped: 'stopped',
  deiniting: 'deinitializing',
  closed: 'deinitialized',
};

/** Badge words in lifecycle order: a badge only ever moves forward. */
const LABEL_ORDER = Object.values(STATE_LABEL);

/**
 * Moves badges forward to the states the latest metrics report. Lifecycle events carry the
 * timings, but an event this client missed (a reconnect, a skipped batch) would otherwise leave
 * a badge stuck in an old phase for the rest of the run; a sample older than the batch's events
 * never moves one back.
 */
export function syncLifecycle(lifecycle: Record<string, LifecycleView>, batch: RunBatch): Record<string, LifecycleView> {
  const latest = batch.metrics[batch.metrics.length - 1];
  if (!latest) return lifecycle;
  let out = lifecycle;
  for (const g of latest.graphs) {
    for (const x of g.extensions) {
      const label = STATE_LABEL[x.state];
      const prev = out[x.extension];
      if (!label || prev?.label === 'error' || (prev && LABEL_ORDER.indexOf(label) <= LABEL_ORDER.indexOf(prev.label))) continue;
      if (out === lifecycle) out = { ...lifecycle };
      out[x.extension] = { label, phase: prev?.phase ?? 'created', timings: prev?.timings ?? {} };
    }
  }
  return out;
}

/** Events queued before a flush is forced even without a frame (a hidden window paints none). */
const MAX_QUEUED_EVENTS = 2000;
let queued: RunBatch | null = null;
let flushScheduled = false;

/**
 * Merges telemetry batches until the next animation frame and folds them once there: when the
 * page falls behind (a busy or loaded machine), several host batches cost one render, not one
 * each, and the stream can no longer keep the page from painting. Only the newest metrics sample
 * of the merged batches matters to the overlays; events are kept in order.
 */
function queueBatch(batch: RunBatch, fold: (merged: RunBatch) => void): void {
  queued =
    queued && queued.runId === batch.runId
      ? { ...batch, events: queued.events.concat(batch.events), metrics: batch.metrics.length ? batch.metrics : queued.metrics, traces: [] }
      : batch;
  const flush = () => {
    flushScheduled = false;
    const merged = queued;
    queued = null;
    if (merged) fold(merged);
  };
  if (typeof requestAnimationFrame !== 'function' || queued.events.length > MAX_QUEUED_EVENTS) {
    flush();
    return;
  }
  if (flushScheduled) return;
  flushScheduled = true;
  requestAnimationFrame(flush);
}

export const useRunView = create<RunViewState>()((set, get) => ({
  run: null,
  lifecycle: {},
  metrics: {},
  edgeRates: {},
  violations: [],
  logs: [],
  connections: [],
  connectionEvents: [],
  channels: NO_CHANNELS,
  droppedEvents: 0,
  follow: (run) => set({ run, lifecycle: {}, metrics: {}, edgeRates: {}, violations: [], logs: [], connections: [], connectionEvents: [], channels: NO_CHANNELS, droppedEvents: 0 }),
  apply: (event) => {
    const s = get();
    switch (event.type) {
      case 'run.state':
        if (s.run && event.run.runId === s.run.runId) set({ run: event.run });
        return;
      case 'telemetry': {
        const batch = event.batches.find((b) => b.runId === s.run?.runId);
        if (!batch) return;
        queueBatch(batch, (merged) => {
          const now = get();
          if (now.run?.runId !== merged.runId) return;
          const folded = foldEvents(now, merged.events);
          const latest = merged.metrics[merged.metrics.length - 1];
          set({
            ...folded,
            lifecycle: syncLifecycle(folded.lifecycle, merged),
            ...foldMetrics(now, merged),
            ...(latest ? { connections: latest.connections ?? [], channels: channelsOf(latest) } : {}),
            droppedEvents: merged.dropped.events,
          });
        });
        return;
      }
      case 'stream.dropped':
        set({ droppedEvents: s.droppedEvents + event.events });
        return;
      case 'log':
        return;
    }
  },
}));

/**
 * The nodes a violation may be about. The runtime names the extension when it knows it (in the
 * object, `TenEnv of 'rogue'`, or as owner/caller); otherwise the violating thread's nodes are
 * the candidates, narrowed to those whose addon's code is on the stack.
 */
export function violationNodes(v: ViolationEvent, nodes: readonly { name: string; addon: string }[], threadOf: Record<string, NodeMetricsView>): string[] {
  const quoted = /'([^']+)'/.exec(v.object)?.[1];
  if (quoted && nodes.some((n) => n.name === quoted)) return [quoted];
  for (const who of [v.caller, v.owner]) {
    const named = /^([A-Za-z_][A-Za-z0-9_]*) \(/.exec(who)?.[1];
    if (named && nodes.some((n) => n.name === named)) return [named];
  }
  const thread = Number(/thread (\d+)/.exec(v.caller)?.[1]);
  const onThread = nodes.filter((n) => threadOf[n.name]?.thread === thread);
  const onStack = onThread.filter((n) => v.stack.includes(`/${n.addon}/`));
  return (onStack.length ? onStack : onThread).map((n) => n.name);
}

/** Whether the followed run is still going (Stop is offered). */
export function isActive(run: RunInfo | null): boolean {
  return run !== null && (run.state === 'starting' || run.state === 'running' || run.state === 'stopping');
}

const selectRunEnded = (s: RunViewState) => s.run !== null && !isActive(s.run);
const selectReplaying = (s: DebugState) => s.replay !== null;

/**
 * True while the canvas shows the figures of a run that has ended (stopped or failed): the last
 * sample it took, not live numbers, so overlays draw them dimmed and labelled. A replayed
 * recording shows its own instant and is not "ended" in this sense.
 */
export function useFiguresEnded(): boolean {
  const ended = useRunView(selectRunEnded);
  const replaying = useDebug(selectReplaying);
  return ended && !replaying;
}
