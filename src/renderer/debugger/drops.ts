/**
 * The words behind the "N dropped" note: what each drop counter counts, why it happens, and where
 * the dropped items can still be found. Pure, so the explanations are tested with the numbers.
 */
import type { DropCounters } from '../../shared';
import { MAX_TRACES } from './debugStore';

export interface DropLine {
  /** Short name with the count, for the note itself ("1,200 events"). */
  short: string;
  /** What was dropped, why, and where it still is. */
  explanation: string;
}

const n = (x: number) => x.toLocaleString('en-US');

/** One line per non-zero counter, in the order a reader needs them. */
export function describeDrops(host: DropCounters, stream: number, localTraces: number): DropLine[] {
  const out: DropLine[] = [];
  if (host.events > 0) {
    out.push({
      short: `${n(host.events)} events`,
      explanation:
        `${n(host.events)} run events (lifecycle changes, logs, errors, violations) did not fit the live view's budget ` +
        'per telemetry batch (the host sends at most 20 batches a second, each with a bounded number of events and logs), ' +
        "so the canvas and the panels never saw them. The host still kept them in the run's history.",
    });
  }
  if (stream > 0) {
    out.push({
      short: `${n(stream)} events skipped on this connection`,
      explanation:
        `${n(stream)} events were skipped for this window because its connection could not keep up ` +
        '(too much was waiting to be sent to it). Figures caught up with the next sample; the run\'s history on the host has the events.',
    });
  }
  if (host.metrics > 0) {
    out.push({
      short: `${n(host.metrics)} metrics samples`,
      explanation:
        `${n(host.metrics)} metrics samples were skipped because a thread was still busy when the next sample (every 100 ms) was due: ` +
        'its handler ran longer than the sampling period. Queue depths and rates jump over those moments.',
    });
  }
  if (host.traces > 0) {
    out.push({
      short: `${n(host.traces)} trace steps`,
      explanation:
        `${n(host.traces)} traced message steps exceeded the tracing budget, so the Messages tab did not get them: ` +
        "those over the host's budget per batch are still in the run's history; those over a thread's budget " +
        '(500 steps per 50 ms) were never recorded. Trace fewer edges, or keep one message in N, to see every step you trace.',
    });
  }
  if (localTraces > 0) {
    out.push({
      short: `${n(localTraces)} older trace steps`,
      explanation: `${n(localTraces)} older traced steps fell off the Messages tab, which keeps the newest ${n(MAX_TRACES)}.`,
    });
  }
  return out;
}
