/**
 * Pure helpers of the debugger's recording replay and message inspector: the time span of a
 * recording, the run view at one instant of it (folded with the same functions as live
 * telemetry, so the overlays cannot tell a replay from a run), and one cmd's traced path.
 */
import type { DropCounters, MetricsSnapshot, Recording, RunEvent, TraceStep } from '../../shared';
import { channelsOf } from './channels';
import { foldEvents, foldMetrics, type RunViewState } from './runStore';

/** Time range a recording covers, from its first to its last item (epoch ms). */
export function recordingSpan(rec: Recording): { start: number; end: number } {
  let start = rec.run.startedAt;
  let end = rec.run.stoppedAt ?? rec.run.startedAt;
  const see = (t: number) => {
    if (!Number.isFinite(t)) return;
    if (t < start) start = t;
    if (t > end) end = t;
  };
  for (const e of rec.events) see(e.ts);
  for (const m of rec.metrics) see(m.ts);
  return { start, end };
}

/** The last metrics sample at or before `ts`, or null. */
export function metricsAt(metrics: readonly MetricsSnapshot[], ts: number): MetricsSnapshot | null {
  let best: MetricsSnapshot | null = null;
  for (const m of metrics) if (m.ts <= ts && (best === null || m.ts >= best.ts)) best = m;
  return best;
}

const NO_DROPS: DropCounters = { events: 0, traces: 0, metrics: 0 };

/** The run view a recording shows at `ts`: every event up to it folded, the metrics sample of that moment. */
export function viewAt(
  rec: Recording,
  ts: number,
): Pick<RunViewState, 'lifecycle' | 'violations' | 'logs' | 'metrics' | 'edgeRates' | 'connectionEvents' | 'connections' | 'channels'> & { traces: TraceStep[]; eventCount: number } {
  const events: RunEvent[] = rec.events.filter((e) => e.ts <= ts);
  const folded = foldEvents({ lifecycle: {}, violations: [], logs: [] }, events);
  const sample = metricsAt(rec.metrics, ts);
  const metrics = sample
    ? foldMetrics({ metrics: {}, edgeRates: {} }, { runId: rec.run.runId, events: [], metrics: [sample], traces: [], dropped: NO_DROPS })
    : { metrics: {}, edgeRates: {} };
  return { ...folded, ...metrics, connections: sample?.connections ?? [], channels: channelsOf(sample), traces: rec.traces.filter((t) => t.ts <= ts), eventCount: events.length };
}

/** One cmd's journey as the message inspector shows it. */
export interface CmdPath {
  cmdId: string;
  name: string;
  steps: TraceStep[];
  /** From the cmd's first `sent` to its first result `delivered` back to that sender (ms), when both were traced. */
  latencyMs: number | null;
  status: 'ok' | 'error' | 'no result traced';
}

export function cmdPath(cmdId: string, steps: readonly TraceStep[]): CmdPath {
  const own = steps.filter((s) => s.cmdId === cmdId).sort((a, b) => a.ts - b.ts);
  const sent = own.find((s) => s.stage === 'sent' && s.type !== 'cmd_result');
  // The result back at the sender, in the sender's app: a cmd crossing apps is traced in each,
  // and times of two processes are not compared.
  const result = own.find((s) => s.stage === 'delivered' && s.type === 'cmd_result' && (!sent || (s.app === sent.app && s.dest === sent.src)));
  const status = own.find((s) => s.type === 'cmd_result' && s.status !== undefined)?.status;
  return {
    cmdId,
    name: sent?.name ?? own[0]?.name ?? '',
    steps: own,
    latencyMs: sent && result ? Math.round((result.ts - sent.ts) * 1000) / 1000 : null,
    status: status === undefined ? 'no result traced' : status === 0 ? 'ok' : 'error',
  };
}

/** The steps that match a message-inspector filter (an edge's ends, a message name), newest last. */
export function filterSteps(steps: readonly TraceStep[], filter: { src?: string; dest?: string; text?: string }, limit: number): TraceStep[] {
  const q = filter.text?.trim().toLowerCase() ?? '';
  const out: TraceStep[] = [];
  for (let i = steps.length - 1; i >= 0 && out.length < limit; i--) {
    const s = steps[i]!;
    if (filter.src && s.src !== filter.src) continue;
    if (filter.dest && s.dest !== filter.dest) continue;
    if (q && !`${s.type} ${s.name} ${s.src} ${s.dest} ${s.preview ?? ''}`.toLowerCase().includes(q)) continue;
    out.push(s);
  }
  return out.reverse();
}
