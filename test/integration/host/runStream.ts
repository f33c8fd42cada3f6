/** Reading a run's stream as a client of the host sees it, for the host's run tests. */
import type { HostEvent, RunBatch, RunEvent } from '../../../src/shared';

/** Polls until `check` returns a value (not undefined/false); fails with `what` after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The telemetry batches of one run, in the order they arrived. */
export function batches(events: HostEvent[], runId: string): RunBatch[] {
  const out: RunBatch[] = [];
  for (const e of events) if (e.type === 'telemetry') for (const b of e.batches) if (b.runId === runId) out.push(b);
  return out;
}

export const runEvents = (events: HostEvent[], runId: string): RunEvent[] => batches(events, runId).flatMap((b) => b.events);
