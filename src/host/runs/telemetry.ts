/**
 * Telemetry of one running App: subscribes to its events and trace batches, samples its
 * counters at up to 10 Hz, and keeps everything in bounded structures:
 * - a pending batch for the event stream, capped per flush (overflow is counted, never queued);
 * - a bounded history (ring buffers) for clients that reconnect and for recordings.
 * Nothing here runs on the runtime's message path: samples are requested from the workers,
 * events and traces arrive already batched per worker loop turn.
 */
import type { App, AppSample, RuntimeEvent, TraceRecord } from '../../runtime';
import type { DropCounters, MetricsSnapshot, RunBatch, RunEvent, TalkTransportState, TraceStep } from '../../shared';
import type { TalkEvent } from '../../shared/talk/talk';
import { computeMetrics, PhaseTimer } from './aggregate';

/** A fixed-capacity ring: the oldest entries are overwritten. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  get size(): number {
    return this.items.length;
  }
}

export interface TelemetryLimits {
  /** Metrics sampling period (ms); 100 = 10 Hz. */
  sampleMs: number;
  /** Per flush of the stream: at most this many non-log events, logs, and trace steps. */
  eventsPerBatch: number;
  logsPerBatch: number;
  tracesPerBatch: number;
  /** History kept for `getRun` and recordings (logs apart, so a chatty graph keeps its lifecycle). */
  historyEvents: number;
  historyLogs: number;
  /**
   * Metrics are kept at full rate for the last `historyMetrics` samples and, before that, one in
   * `coarseEvery` for `historyMetricsCoarse` more: a snapshot grows with the graph, and a long
   * run must not hold every 100 ms of it.
   */
  historyMetrics: number;
  historyMetricsCoarse: number;
  coarseEvery: number;
  historyTraces: number;
  /** Talk events kept (text, speech, audio bursts, turns). */
  historyTalk: number;
  /** Per flush: at most this many talk events (the rest are counted as dropped events). */
  talkPerBatch: number;
}

export const DEFAULT_LIMITS: TelemetryLimits = {
  sampleMs: 100,
  eventsPerBatch: 200,
  logsPerBatch: 50,
  tracesPerBatch: 200,
  historyEvents: 10_000,
  historyLogs: 5_000,
  historyMetrics: 600,
  historyMetricsCoarse: 1_800,
  coarseEvery: 10,
  historyTraces: 20_000,
  historyTalk: 5_000,
  talkPerBatch: 200,
};

/** Traced cmds remembered for result latency (a result can follow its cmd by up to its path timeout). */
const MAX_OPEN_CMDS = 10_000;

export class RunTelemetry {
  readonly limits: TelemetryLimits;
  private readonly events: Ring<RunEvent>;
  private readonly logs: Ring<RunEvent>;
  private readonly metrics: Ring<MetricsSnapshot>;
  private readonly coarseMetrics: Ring<MetricsSnapshot>;
  private samples = 0;
  readonly traces: Ring<TraceStep>;
  readonly dropped: DropCounters = { events: 0, traces: 0, metrics: 0 };
  private pendingEvents: RunEvent[] = [];
  private pendingLogs = 0;
  private pendingMetrics: MetricsSnapshot[] = [];
  private pendingTraces: TraceStep[] = [];
  readonly talk: Ring<TalkEvent>;
  private pendingTalk: TalkEvent[] = [];
  /** The graph's audio per transport since the last batch. */
  private pendingAudio = new Map<string, { rate: number; chunks: Int16Array[] }>();
  /** Reads the transports' state for each batch (set when the run has transports). */
  transportState: (() => TalkTransportState[]) | null = null;
  private droppedChanged = false;
  private readonly phases = new PhaseTimer();
  private lastSample: AppSample | null = null;
  /** Per app process of the run (by URI): its last sample, and the metrics of its latest one. */
  private readonly appSamples = new Map<string, { sample: AppSample; metrics: MetricsSnapshot }>();
  private lastSnapshot: MetricsSnapshot | null = null;
  private sampling = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly offs: (() => void)[] = [];
  /** When traced cmds were sent, by graph, cmd id and sender, to give their results a latency. */
  private readonly cmdSentAt = new Map<string, number>();

  /**
   * @param onNews called (synchronously) when something new is pending, so the owner can
   *   schedule a `takeBatch`; null when nobody streams (a CLI recording keeps history only).
   */
  constructor(
    private readonly app: App,
    private readonly runId: string,
    private readonly onNews: (() => void) | null,
    limits: Partial<TelemetryLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.events = new Ring(this.limits.historyEvents);
    this.logs = new Ring(this.limits.historyLogs);
    this.metrics = new Ring(this.limits.historyMetrics);
    this.coarseMetrics = new Ring(this.limits.historyMetricsCoarse);
    this.traces = new Ring(this.limits.historyTraces);
    this.talk = new Ring(this.limits.historyTalk);
    this.offs.push(app.onEvent((ev) => this.onEvent(ev)));
    this.offs.push(app.onTrace((graphId, records, dropped) => this.onTrace(graphId, records, dropped)));
  }

  /** Starts sampling counters every `limits.sampleMs`. */
  startSampling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleOnce(), this.limits.sampleMs);
    this.timer.unref();
  }

  /** Stops sampling and unsubscribes from the app. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.offs.splice(0)) off();
  }

  /** Takes one sample now (also used for the last one before a stop). */
  async sampleOnce(): Promise<void> {
    if (this.sampling) {
      // The previous sample has not come back (a thread is busy): skip rather than pile up.
      this.dropped.metrics++;
      this.droppedChanged = true;
      return;
    }
    this.sampling = true;
    try {
      // A sample can fail only while the app is closing; that run has nothing more to report.
      const sample = await this.app.sample().catch(() => null);
      // A sample still in flight when the run stopped comes back after its end was reported
      // (with threads that are gone); it is not news.
      if (this.stopped || sample === null || sample.graphs.length === 0) return;
      const snapshot = computeMetrics(this.lastSample, sample);
      this.lastSample = sample;
      this.joinAppMetrics(snapshot);
      this.lastSnapshot = snapshot;
      this.metrics.push(snapshot);
      if (this.samples++ % this.limits.coarseEvery === 0) this.coarseMetrics.push(snapshot);
      if (this.onNews === null) return;
      this.pendingMetrics.push(snapshot);
      this.onNews();
    } finally {
      this.sampling = false;
    }
  }

  /**
   * A sample of an app process of the run (`ten-studio app --metrics-ms`): its rates are taken
   * against that app's previous sample, and its graphs and connections join the next snapshot of
   * the run, tagged with the app.
   */
  addAppSample(app: string, sample: AppSample): void {
    if (this.stopped) return;
    const prev = this.appSamples.get(app)?.sample ?? null;
    this.appSamples.set(app, { sample, metrics: computeMetrics(prev, sample) });
  }

  /**
   * Adds each app process's latest metrics to the run's snapshot; one older than a few sampling
   * periods (the app ended or stalls) is left out rather than shown as current.
   */
  private joinAppMetrics(snapshot: MetricsSnapshot): void {
    const oldest = snapshot.ts - Math.max(1000, 5 * this.limits.sampleMs);
    for (const [app, { metrics }] of this.appSamples) {
      if (metrics.ts < oldest) continue;
      for (const g of metrics.graphs) snapshot.graphs.push({ ...g, app });
      if (metrics.connections?.length) (snapshot.connections ??= []).push(...metrics.connections.map((c) => ({ ...c, app })));
    }
  }

  /** An event from elsewhere than the App (an app process of the run): into the same stream. */
  push(ev: RuntimeEvent): void {
    this.onEvent(ev);
  }

  private onEvent(ev: RuntimeEvent): void {
    const event = this.phases.annotate(ev);
    const isLog = event.type === 'log';
    (isLog ? this.logs : this.events).push(event);
    if (this.onNews === null) return;
    if (isLog ? this.pendingLogs >= this.limits.logsPerBatch : this.pendingEvents.length - this.pendingLogs >= this.limits.eventsPerBatch) {
      this.dropped.events++;
      this.droppedChanged = true;
      return;
    }
    if (isLog) this.pendingLogs++;
    this.pendingEvents.push(event);
    this.onNews();
  }

  /** Trace steps of an app process of the run (`ten-studio app --control`), tagged with the app. */
  addAppTrace(app: string, graphId: string, records: TraceRecord[], dropped: number): void {
    if (!this.stopped) this.onTrace(graphId, records, dropped, app);
  }

  private onTrace(graphId: string, records: TraceRecord[], dropped: number, app?: string): void {
    if (dropped > 0) {
      this.dropped.traces += dropped;
      this.droppedChanged = true;
    }
    for (const r of records) {
      const step: TraceStep = app === undefined ? { ...r, graphId } : { ...r, graphId, app };
      if (r.cmdId !== '') this.pairCmd(step);
      this.traces.push(step);
      if (this.onNews === null) continue;
      if (this.pendingTraces.length < this.limits.tracesPerBatch) this.pendingTraces.push(step);
      else {
        this.dropped.traces++;
        this.droppedChanged = true;
      }
    }
    this.onNews?.();
  }

  /**
   * Remembers a traced cmd's send; gives a traced result delivered back to its sender the latency
   * (both in the same app: clocks of two processes are not compared).
   */
  private pairCmd(step: TraceStep): void {
    if (step.stage === 'sent' && step.type !== 'cmd_result') {
      // Insertion order is age: past the cap the oldest unanswered cmd is forgotten.
      if (this.cmdSentAt.size >= MAX_OPEN_CMDS) this.cmdSentAt.delete(this.cmdSentAt.keys().next().value!);
      this.cmdSentAt.set(`${step.app ?? ''}\u0000${step.graphId}\u0000${step.cmdId}\u0000${step.src}`, step.ts);
    } else if (step.stage === 'delivered' && step.type === 'cmd_result') {
      const sentAt = this.cmdSentAt.get(`${step.app ?? ''}\u0000${step.graphId}\u0000${step.cmdId}\u0000${step.dest}`);
      if (sentAt !== undefined) step.latencyMs = Math.round((step.ts - sentAt) * 1000) / 1000;
    }
  }

  /** A talk event of the run (kept, and streamed within the batch budget). */
  addTalk(ev: TalkEvent): void {
    this.talk.push(ev);
    if (this.onNews === null) return;
    if (this.pendingTalk.length >= this.limits.talkPerBatch) {
      this.dropped.events++;
      this.droppedChanged = true;
      return;
    }
    this.pendingTalk.push(ev);
    this.onNews();
  }

  /** The graph's audio back from a transport, for the page to play (streamed only, never kept). */
  addAudio(node: string, pcm: Int16Array, sampleRate: number): void {
    if (this.onNews === null) return;
    let p = this.pendingAudio.get(node);
    if (!p || p.rate !== sampleRate) this.pendingAudio.set(node, (p = { rate: sampleRate, chunks: [] }));
    p.chunks.push(pcm);
    this.onNews();
  }

  /** The pending news as one batch (null when there is none), and empties it. */
  takeBatch(): RunBatch | null {
    const transports = this.transportState?.() ?? null;
    const transportsChanged = transports !== null && JSON.stringify(transports) !== this.lastTransports;
    if (
      this.pendingEvents.length === 0 &&
      this.pendingMetrics.length === 0 &&
      this.pendingTraces.length === 0 &&
      this.pendingTalk.length === 0 &&
      this.pendingAudio.size === 0 &&
      !transportsChanged &&
      !this.droppedChanged
    ) {
      return null;
    }
    const batch: RunBatch = {
      runId: this.runId,
      events: this.pendingEvents,
      metrics: this.pendingMetrics,
      traces: this.pendingTraces,
      dropped: { ...this.dropped },
    };
    this.pendingEvents = [];
    this.pendingLogs = 0;
    this.pendingMetrics = [];
    this.pendingTraces = [];
    this.droppedChanged = false;
    if (this.pendingTalk.length) batch.talk = this.pendingTalk;
    this.pendingTalk = [];
    if (this.pendingAudio.size) {
      batch.audio = [...this.pendingAudio].map(([node, { rate, chunks }]) => ({ node, sampleRate: rate, pcm: pcmBase64(chunks) }));
      this.pendingAudio = new Map();
    }
    if (transportsChanged) {
      batch.transports = transports!;
      this.lastTransports = JSON.stringify(transports);
    }
    return batch;
  }

  private lastTransports = '';

  /** The kept events and logs, in time order. */
  history(): RunEvent[] {
    const all = [...this.events.toArray(), ...this.logs.toArray()];
    // Stable: events of one thread keep their order when timestamps tie.
    return all.sort((a, b) => a.ts - b.ts);
  }

  /** The kept metrics snapshots, oldest first: the coarse ones, then the full-rate recent ones. */
  metricsHistory(): MetricsSnapshot[] {
    const recent = this.metrics.toArray();
    const since = recent.length ? recent[0]!.ts : Infinity;
    return [...this.coarseMetrics.toArray().filter((m) => m.ts < since), ...recent];
  }

  /** The latest metrics snapshot, or null before the first. */
  latestMetrics(): MetricsSnapshot | null {
    return this.lastSnapshot;
  }
}

/** 16-bit samples as little-endian bytes in base64 (one string for a batch's chunks). */
function pcmBase64(chunks: Int16Array[]): string {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = Buffer.allocUnsafe(n * 2);
  let at = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) out.writeInt16LE(c[i]!, at + i * 2);
    at += c.length * 2;
  }
  return out.toString('base64');
}
