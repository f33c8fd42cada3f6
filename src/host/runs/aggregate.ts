/**
 * Pure telemetry aggregation: turns two runtime samples (plain counters) into a metrics snapshot
 * of rates and quantiles, and adds phase timings to lifecycle events. No I/O, no clocks: the
 * caller passes the samples with their timestamps, so it is unit-tested with made-up numbers.
 */
import { HIST_BUCKETS, histQuantile, type AppSample, type ConnectionSample, type ExtensionCounters, type GroupSample, type RuntimeEvent } from '../../runtime';
import type { ConnectionMetrics, EdgeMetrics, ExtensionMetrics, GraphMetrics, MetricsSnapshot, RunEvent, RunloopMetrics } from '../../shared';

const round2 = (x: number): number => Math.round(x * 100) / 100;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * Metrics of `cur`, with rates over the time since `prev` (the previous sample of the same app,
 * or null for the first one, whose rates are then 0). Graphs, groups and extensions are matched
 * by id and name; one missing from `prev` counts from zero.
 */
export function computeMetrics(prev: AppSample | null, cur: AppSample): MetricsSnapshot {
  const intervalMs = prev ? Math.max(1, cur.ts - prev.ts) : 0;
  const perSec = (delta: number): number => (intervalMs > 0 ? round2((delta * 1000) / intervalMs) : 0);
  const graphs: GraphMetrics[] = [];
  for (const g of cur.graphs) {
    const pg = prev?.graphs.find((x) => x.graphId === g.graphId);
    const prevGroups = new Map<string, GroupSample>((pg?.groups ?? []).map((x) => [x.group, x]));
    const extensions: ExtensionMetrics[] = [];
    const runloops: RunloopMetrics[] = [];
    const edges: EdgeMetrics[] = [];
    for (const grp of g.groups) {
      const pgrp = prevGroups.get(grp.group);
      const rl = grp.runloop;
      const prl = pgrp?.runloop;
      const drains = rl.drains - (prl?.drains ?? 0);
      const tasks = rl.tasksRun - (prl?.tasksRun ?? 0);
      const busy = rl.busyMs - (prl?.busyMs ?? 0);
      runloops.push({
        group: grp.group,
        runloopId: rl.runloopId,
        threadId: rl.threadId,
        depth: rl.depth,
        highWater: rl.highWater,
        drainsPerSec: perSec(drains),
        avgBatch: drains > 0 ? round2(tasks / drains) : 0,
        maxBatch: rl.maxBatch,
        busyPct: intervalMs > 0 ? round2(Math.min(100, (busy * 100) / intervalMs)) : 0,
      });
      const prevExt = new Map<string, ExtensionCounters>((pgrp?.extensions ?? []).map((x) => [x.extension, x]));
      const py = grp.python;
      for (const x of grp.extensions) {
        const px = prevExt.get(x.extension);
        const hist = diffHist(x.handlerHist, px?.handlerHist);
        const python = x.runtime === 'python' && py !== undefined;
        extensions.push({
          extension: x.extension,
          group: grp.group,
          state: x.state,
          // A Python extension's backlog also waits in the link to its process and in its tasks.
          inMsgsDepth: rl.depth + (python ? py.queued + (x.tasks ?? 0) : 0),
          inMsgsHighWater: rl.highWater,
          pending: x.pending,
          msgsInPerSec: perSec(x.msgsIn - (px?.msgsIn ?? 0)),
          msgsOutPerSec: perSec(x.msgsOut - (px?.msgsOut ?? 0)),
          inPerSecByName: rateByKey(x.inByName, px?.inByName, perSec),
          outPerSecByName: rateByKey(x.outByName, px?.outByName, perSec),
          handlerP50Ms: roundOrNull(histQuantile(hist, 0.5)),
          handlerP99Ms: roundOrNull(histQuantile(hist, 0.99)),
          msgsInTotal: x.msgsIn,
          msgsOutTotal: x.msgsOut,
          waiting: x.waiting,
          droppedNoHandler: x.droppedNoHandler,
          ...(python ? { pythonPid: py.pid } : {}),
        });
        for (const [dest, n] of Object.entries(x.outByDest ?? {})) {
          if (dest === '') continue;
          edges.push({ src: x.extension, dest, msgsPerSec: perSec(n - (px?.outByDest?.[dest] ?? 0)) });
        }
      }
    }
    const gm: GraphMetrics = { graphId: g.graphId, name: g.name, extensions, runloops, edges };
    if (g.channels && g.channels.length > 0) {
      const before = new Map((pg?.channels ?? []).map((c) => [`${c.from}\u0000${c.to}`, c]));
      // Ring counters are uint32 and wrap: differences are taken modulo 2^32.
      const delta = (now: number, was: number | undefined) => (now - (was ?? 0)) >>> 0;
      gm.channels = g.channels.map((c) => {
        const p = before.get(`${c.from}\u0000${c.to}`);
        const taken = delta(c.taken, p?.taken);
        const drains = delta(c.drains, p?.drains);
        return {
          from: c.from,
          to: c.to,
          depth: c.depth,
          bytes: c.bytes,
          capacity: c.capacity,
          backlog: c.backlog,
          msgsPerSec: perSec(taken),
          drainsPerSec: perSec(drains),
          avgBatch: drains > 0 ? round2(taken / drains) : 0,
          maxBatch: c.maxBatch,
          wakesPerSec: perSec(delta(c.wakes, p?.wakes)),
          spilledPerSec: perSec(delta(c.spilled, p?.spilled)),
          spilled: c.spilled,
          highWater: c.highWater,
          fullPerSec: perSec(delta(c.full, p?.full)),
          asleep: c.asleep,
          closed: c.closed,
        };
      });
    }
    graphs.push(gm);
  }
  const snapshot: MetricsSnapshot = { ts: cur.ts, intervalMs, graphs };
  if (cur.connections && cur.connections.length > 0) {
    const before = new Map((prev?.connections ?? []).map((c) => [c.id, c]));
    snapshot.connections = cur.connections.map((c) => {
      const p = before.get(c.id);
      return {
        id: c.id,
        uri: c.uri,
        peer: c.peer,
        role: c.role,
        graphId: c.graphId,
        state: connectionState(c),
        weak: c.weak,
        ...(c.socket !== undefined ? { socket: c.socket } : {}),
        bytesInPerSec: perSec(c.bytesIn - (p?.bytesIn ?? 0)),
        bytesOutPerSec: perSec(c.bytesOut - (p?.bytesOut ?? 0)),
        msgsInPerSec: perSec(c.msgsIn - (p?.msgsIn ?? 0)),
        msgsOutPerSec: perSec(c.msgsOut - (p?.msgsOut ?? 0)),
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        msgsIn: c.msgsIn,
        msgsOut: c.msgsOut,
        dropsIn: c.dropsIn,
        dropsOut: c.dropsOut,
        ...(c.inputHeld ? { inputHeld: true } : {}),
      };
    });
  }
  return snapshot;
}

/** A connection's place in its life, in the words the studio shows (docs/protocol.md). */
function connectionState(c: ConnectionSample): ConnectionMetrics['state'] {
  if (c.state === 'closing') return 'closing';
  if (c.state === 'closed') return 'closed';
  if (c.migration === 'first_msg') return 'migrating';
  if (c.attachTo === 'app') return 'open';
  return 'attached';
}

function roundOrNull(x: number | null): number | null {
  return x === null ? null : round4(x);
}

function rateByKey(
  cur: Record<string, number>,
  prev: Record<string, number> | undefined,
  perSec: (delta: number) => number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(cur)) out[k] = perSec(n - (prev?.[k] ?? 0));
  return out;
}

function diffHist(cur: readonly number[] | undefined, prev: readonly number[] | undefined): number[] {
  const out = new Array<number>(HIST_BUCKETS).fill(0);
  if (!cur) return out;
  for (let i = 0; i < HIST_BUCKETS; i++) out[i] = (cur[i] ?? 0) - (prev?.[i] ?? 0);
  return out;
}

/**
 * Adds phase timings to lifecycle events: remembers when each extension's phase began and
 * gives the matching `*_done` event `phaseMs`. Everything else passes through unchanged.
 */
export class PhaseTimer {
  private readonly began = new Map<string, number>();

  annotate(ev: RuntimeEvent): RunEvent {
    if (ev.type === 'log') {
      // `fields` is free-form extension data: not streamed, the message carries the text.
      const { fields: _fields, ...rest } = ev;
      return rest;
    }
    if (ev.type !== 'lifecycle') return ev;
    const key = `${ev.graphId}\u0000${ev.extension}\u0000`;
    if (ev.phase.endsWith('_done')) {
      const phase = ev.phase.slice(0, -'_done'.length);
      const t0 = this.began.get(key + phase);
      if (t0 === undefined) return ev;
      this.began.delete(key + phase);
      return { ...ev, phaseMs: ev.ts - t0 };
    }
    this.began.set(key + ev.phase, ev.ts);
    return ev;
  }
}
