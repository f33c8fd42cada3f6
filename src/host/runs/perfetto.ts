/**
 * Recording → Chrome trace JSON (the "Trace Event Format" Perfetto and chrome://tracing open):
 * - one process per graph, one thread per runloop (extension group), named after the group;
 * - handler calls as complete slices (`X`, from traced deliveries, with their synchronous time),
 *   sends as 1 µs slices so flows can bind to them, lifecycle phases as slices;
 * - queue depth and busy % per runloop as counters (`C`), from the metrics snapshots;
 * - cmd → result as flows (`s` at the cmd's send, `f` at the result's delivery to the sender);
 * - violations and errors as thread-scoped instants (`i`);
 * - TEN protocol connections (runs of graphs spanning apps): one process per app that reports
 *   them, one thread per connection, its life (opened → closed) as a slice, migration, attach,
 *   close and errors as instants, and its bytes/s per direction as counters.
 * Timestamps are microseconds since the first thing recorded.
 */
import type { Recording, RunEvent, TraceStep } from '../../shared';

/** One Chrome trace event (only the fields this exporter uses). */
export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 's' | 'f' | 'M';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms';
  metadata: Record<string, unknown>;
}

/** The host's own thread id in the export, for events not tied to a runloop. */
const HOST_TID = 0;

export function toChromeTrace(rec: Recording): ChromeTrace {
  const out: ChromeTraceEvent[] = [];
  const t0 = firstTimestamp(rec);
  const us = (ms: number): number => Math.round((ms - t0) * 1000 * 1000) / 1000;

  // Processes (graphs) and threads (runloops) come from metrics, then from trace steps.
  const pids = new Map<string, number>();
  const graphNames = new Map<string, string>();
  for (const e of rec.events) if (e.type === 'graph') graphNames.set(e.graphId, e.name);
  for (const g of rec.run.graphs) graphNames.set(g.graphId, g.name);
  const pidOf = (graphId: string): number => {
    let pid = pids.get(graphId);
    if (pid === undefined) pids.set(graphId, (pid = pids.size + 1));
    return pid;
  };
  const threads = new Map<string, { pid: number; tid: number; name: string }>();
  const tidOfGroup = new Map<string, number>();
  const groupOfExt = new Map<string, string>();
  const addThread = (graphId: string, group: string, tid: number): void => {
    const key = `${graphId}\u0000${group}`;
    if (threads.has(key)) return;
    threads.set(key, { pid: pidOf(graphId), tid, name: `group ${group}` });
    tidOfGroup.set(key, tid);
  };
  for (const m of rec.metrics) {
    for (const g of m.graphs) {
      for (const rl of g.runloops) addThread(g.graphId, rl.group, rl.threadId);
      for (const x of g.extensions) {
        groupOfExt.set(`${g.graphId}\u0000${x.extension}`, x.group);
        // A group with Python extensions: its track says which Python process hosted them.
        const t = threads.get(`${g.graphId}\u0000${x.group}`);
        if (t && x.pythonPid !== undefined && !t.name.includes('python')) t.name += ` · python pid ${x.pythonPid}`;
      }
    }
  }
  for (const s of rec.traces) addThread(s.graphId, s.group, s.threadId);

  const tidOfExt = (graphId: string, ext: string): number => {
    const group = groupOfExt.get(`${graphId}\u0000${ext}`);
    return group === undefined ? HOST_TID : (tidOfGroup.get(`${graphId}\u0000${group}`) ?? HOST_TID);
  };
  const tidOfThreadText = (text: string): number => {
    const m = /thread (\d+)/.exec(text);
    return m ? Number(m[1]) : HOST_TID;
  };

  // Connections: one process per app reporting them, one thread per connection, opened at its first event.
  const connPids = new Map<string, number>();
  const connThreads = new Map<string, { pid: number; tid: number; name: string; opened: number; uri: string }>();
  const connPidOf = (app: string): number => {
    let pid = connPids.get(app);
    if (pid === undefined) connPids.set(app, (pid = 100_000 + connPids.size));
    return pid;
  };
  const connThread = (app: string, id: number, uri: string, ts: number) => {
    const key = `${app}\u0000${id}`;
    let t = connThreads.get(key);
    if (!t) connThreads.set(key, (t = { pid: connPidOf(app), tid: id, name: `connection #${id}`, opened: ts, uri }));
    if (uri) t.uri = uri;
    return t;
  };

  for (const e of rec.events) addEvent(e);

  function addEvent(e: RunEvent): void {
    switch (e.type) {
      case 'lifecycle':
        if (e.phaseMs !== undefined) {
          out.push({
            name: `${e.extension} ${e.phase.replace(/_done$/, '')}`,
            cat: 'lifecycle',
            ph: 'X',
            pid: pidOf(e.graphId),
            tid: tidOfExt(e.graphId, e.extension),
            ts: us(e.ts - e.phaseMs),
            dur: Math.max(1, Math.round(e.phaseMs * 1000)),
            args: { extension: e.extension },
          });
        }
        return;
      case 'violation':
        out.push({
          name: `violation: ${e.reason}`,
          cat: 'violation',
          ph: 'i',
          s: 't',
          pid: pidOf(e.graphId),
          tid: tidOfThreadText(e.caller),
          ts: us(e.ts),
          args: { object: e.object, owner: e.owner, caller: e.caller, policy: e.policy, stack: e.stack },
        });
        return;
      case 'error':
        out.push({
          name: `error: ${e.message}`,
          cat: 'error',
          ph: 'i',
          s: 't',
          pid: pidOf(e.graphId),
          tid: tidOfExt(e.graphId, e.extension),
          ts: us(e.ts),
          args: { extension: e.extension, phase: e.phase, stack: e.stack },
        });
        return;
      case 'graph':
        out.push({ name: `graph ${e.state}`, cat: 'graph', ph: 'i', s: 'p', pid: pidOf(e.graphId), tid: HOST_TID, ts: us(e.ts), args: e.detail ? { detail: e.detail } : {} });
        return;
      case 'worker_terminated':
        out.push({ name: 'thread terminated', cat: 'error', ph: 'i', s: 'p', pid: pidOf(e.graphId), tid: HOST_TID, ts: us(e.ts), args: { group: e.group, reason: e.reason, ...(e.handles ? { handles: e.handles } : {}) } });
        return;
      case 'connection': {
        const t = connThread(e.app ?? '', e.id, e.uri, e.ts);
        out.push({
          name: `${e.state}${e.detail ? `: ${e.detail}` : ''}`,
          cat: 'connection',
          ph: 'i',
          s: 't',
          pid: t.pid,
          tid: t.tid,
          ts: us(e.ts),
          args: { uri: e.uri, peer: e.peer, role: e.role, graph: e.graphId, ...(e.detail ? { detail: e.detail } : {}) },
        });
        if (e.state === 'closed') {
          out.push({ name: t.uri || e.peer, cat: 'connection', ph: 'X', pid: t.pid, tid: t.tid, ts: us(t.opened), dur: Math.max(1, Math.round((e.ts - t.opened) * 1000)), args: { peer: e.peer, role: e.role } });
          t.opened = Number.NaN;
        }
        return;
      }
      case 'log':
      case 'app_closed':
        return;
    }
  }
  // Connections still open when the recording ends: their slice reaches its last event.
  const lastTs = rec.events.reduce((m, e) => Math.max(m, e.ts), rec.run.startedAt);
  for (const t of connThreads.values()) {
    if (!Number.isNaN(t.opened)) out.push({ name: t.uri || t.name, cat: 'connection', ph: 'X', pid: t.pid, tid: t.tid, ts: us(t.opened), dur: Math.max(1, Math.round((lastTs - t.opened) * 1000)), args: { open: true } });
  }
  for (const m of rec.metrics) {
    for (const c of m.connections ?? []) {
      const t = connThread('', c.id, c.uri, m.ts);
      out.push({ name: `bytes/s #${c.id} ${c.uri || c.peer}`, ph: 'C', pid: t.pid, ts: us(m.ts), args: { in: c.bytesInPerSec, out: c.bytesOutPerSec } });
    }
  }

  for (const m of rec.metrics) {
    for (const g of m.graphs) {
      const pid = pidOf(g.graphId);
      for (const rl of g.runloops) {
        out.push({ name: `in_msgs ${rl.group}`, ph: 'C', pid, ts: us(m.ts), args: { depth: rl.depth } });
        out.push({ name: `busy % ${rl.group}`, ph: 'C', pid, ts: us(m.ts), args: { busy: rl.busyPct } });
      }
    }
  }

  // Traced steps: sends and deliveries as slices; cmd → result as flows.
  const sentCmd = new Map<string, TraceStep>();
  let flowId = 0;
  for (const s of rec.traces) {
    if (s.stage === 'queued') continue;
    const label = `${s.type} ${s.name}`;
    const args: Record<string, unknown> = { src: s.src, dest: s.dest };
    if (s.cmdId) args.cmd_id = s.cmdId;
    if (s.status !== undefined) args.status = s.status === 0 ? 'OK' : 'ERROR';
    if (s.preview !== undefined) args.properties = s.preview;
    if (s.latencyMs !== undefined) args.latency_ms = s.latencyMs;
    if (s.stage === 'sent') {
      out.push({ name: `send ${label}`, cat: 'send', ph: 'X', pid: pidOf(s.graphId), tid: s.threadId, ts: us(s.ts), dur: 1, args });
      if (s.cmdId && s.type !== 'cmd_result') sentCmd.set(`${s.graphId}\u0000${s.cmdId}\u0000${s.src}`, s);
    } else {
      out.push({ name: `${s.dest}: ${label}`, cat: 'handler', ph: 'X', pid: pidOf(s.graphId), tid: s.threadId, ts: us(s.ts), dur: Math.max(1, Math.round((s.durMs ?? 0) * 1000)), args });
      if (s.type === 'cmd_result') {
        const cmd = sentCmd.get(`${s.graphId}\u0000${s.cmdId}\u0000${s.dest}`);
        if (cmd) {
          const id = ++flowId;
          out.push({ name: 'cmd → result', cat: 'flow', ph: 's', id, pid: pidOf(cmd.graphId), tid: cmd.threadId, ts: us(cmd.ts) });
          out.push({ name: 'cmd → result', cat: 'flow', ph: 'f', bp: 'e', id, pid: pidOf(s.graphId), tid: s.threadId, ts: us(s.ts) });
        }
      }
    }
  }

  const meta: ChromeTraceEvent[] = [];
  for (const [graphId, pid] of pids) {
    meta.push({ name: 'process_name', ph: 'M', pid, args: { name: `graph ${graphNames.get(graphId) ?? graphId}` } });
    meta.push({ name: 'thread_name', ph: 'M', pid, tid: HOST_TID, args: { name: 'host' } });
  }
  for (const t of threads.values()) meta.push({ name: 'thread_name', ph: 'M', pid: t.pid, tid: t.tid, args: { name: t.name } });
  for (const [app, pid] of connPids) meta.push({ name: 'process_name', ph: 'M', pid, args: { name: `connections of ${app || 'the studio app'}` } });
  for (const t of connThreads.values()) meta.push({ name: 'thread_name', ph: 'M', pid: t.pid, tid: t.tid, args: { name: `${t.name} ${t.uri}` } });
  return {
    traceEvents: [...meta, ...out],
    displayTimeUnit: 'ms',
    metadata: { run: rec.run.title, runId: rec.run.runId, startedAt: new Date(rec.run.startedAt).toISOString(), dropped: rec.dropped },
  };
}

function firstTimestamp(rec: Recording): number {
  let t = rec.run.startedAt;
  for (const e of rec.events) if (e.ts < t) t = e.ts;
  for (const s of rec.traces) if (s.ts < t) t = s.ts;
  return t;
}
