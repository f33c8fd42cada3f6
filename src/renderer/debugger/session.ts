/**
 * The debugger's link to the host beyond Run and Stop: it finds the live run again after a
 * renderer reload (`listRuns` + `getRun`), follows a run from its first event, keeps the traced
 * steps and drop counters, and carries the tracing, recording, replay and trace-export actions.
 */
import { useEffect } from 'react';
import type { HostApi, HostEvent, RunInfo, TraceSettings, TraceStep } from '../../shared';
import { useStudio } from '../store';
import { useTalk } from '../talk/talkStore';
import { installBenchHooks } from './benchHooks';
import { channelsOf, NO_CHANNELS } from './channels';
import { useDebug } from './debugStore';
import { recordingSpan, viewAt } from './replay';
import { foldEvents, foldMetrics, isActive, useRunView } from './runStore';

let host: HostApi | null = null;
/** How many Run requests are waiting for the host: while any is, the first new run is followed. */
let starting = 0;

/**
 * Makes the next run the host announces the followed one, so its first lifecycle events (sent
 * before `startRun` answers) are not missed. Returns the function to call once the start settled.
 */
export function followNextRun(): () => void {
  starting++;
  if (useDebug.getState().replay) closeReplay();
  useDebug.getState().setNotice(null);
  return () => {
    starting = Math.max(0, starting - 1);
  };
}

function api(): HostApi {
  if (!host) throw new Error('The studio host is not connected yet.');
  return host;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function follow(run: RunInfo): void {
  useDebug.getState().reset();
  useRunView.getState().follow(run);
}

function onHostEvent(event: HostEvent): void {
  if (event.type === 'run.state') {
    const followed = useRunView.getState().run;
    if (starting > 0 && event.run.state === 'starting' && followed?.runId !== event.run.runId) follow(event.run);
  } else if (event.type === 'telemetry') {
    const id = useRunView.getState().run?.runId;
    if (useDebug.getState().replay) return;
    for (const batch of event.batches) if (batch.runId === id) useDebug.getState().addTraces(batch.traces, batch.dropped);
  } else if (event.type === 'stream.dropped') {
    useDebug.getState().addStreamDropped(event.events);
  }
}

/** Follows the newest live run the host holds, rebuilt from its history (after a reload or reconnect). */
async function resume(hostApi: HostApi): Promise<void> {
  if (useDebug.getState().replay) return;
  const run = (await hostApi.listRuns()).find((r) => isActive(r));
  if (!run) return;
  const snap = await hostApi.getRun({ runId: run.runId });
  const batch = { runId: run.runId, events: [], metrics: snap.metrics ? [snap.metrics] : [], traces: [], dropped: snap.dropped };
  useDebug.getState().reset();
  useRunView.setState({
    run: snap.run,
    ...foldEvents({ lifecycle: {}, violations: [], logs: [] }, snap.events),
    ...foldMetrics({ metrics: {}, edgeRates: {} }, batch),
    connections: snap.metrics?.connections ?? [],
    channels: channelsOf(snap.metrics),
    droppedEvents: snap.dropped.events,
  });
  useDebug.getState().addTraces(snap.traces, snap.dropped);
}

/** Connects the debugger to the host for the lifetime of the app. */
export function useDebuggerSync(hostApi: HostApi): void {
  useEffect(() => {
    host = hostApi;
    const off = hostApi.onEvent(onHostEvent);
    installBenchHooks(onHostEvent);
    const failed = (err: unknown) => useDebug.getState().setNotice(`Could not find the runs of the host: ${message(err)}`, true);
    resume(hostApi).catch(failed);
    // The host may have moved on while the connection was down; take its current view again.
    let wasClosed = false;
    const offConnection = useStudio.subscribe((s, prev) => {
      if (s.connection === 'closed') wasClosed = true;
      else if (s.connection === 'open' && prev.connection !== 'open' && wasClosed) {
        wasClosed = false;
        resume(hostApi).catch(failed);
      }
    });
    return () => {
      off();
      offConnection();
      if (host === hostApi) host = null;
    };
  }, [hostApi]);
}

/** Runs an action and shows its outcome (or its error) in the debugger panel. */
export async function report(action: () => Promise<string>): Promise<boolean> {
  try {
    useDebug.getState().setNotice(await action());
    return true;
  } catch (err) {
    useDebug.getState().setNotice(message(err), true);
    return false;
  }
}

/** Turns message tracing of the followed run on (settings) or off (null). */
export async function setTracing(tracing: TraceSettings | null): Promise<string> {
  const run = useRunView.getState().run;
  if (!run || run.state !== 'running') throw new Error('Tracing applies to a running graph; press Run first.');
  const info = await api().setTracing({ runId: run.runId, tracing });
  useRunView.setState({ run: info });
  return tracing ? `Tracing ${describeTracing(tracing)}` : 'Tracing is off';
}

export function describeTracing(t: TraceSettings): string {
  const edges = t.edges.map((e) => `${e.src ?? 'any'} → ${e.dest ?? 'any'}`).join(', ');
  return t.sampleEvery > 1 ? `${edges} (1 data message in ${t.sampleEvery})` : edges;
}

/**
 * Adds one edge to the traced edges of the followed run, in both directions: results of the
 * edge's cmds travel back from `dest` to `src`, and following a cmd needs them.
 */
export function traceEdge(src: string, dest: string): Promise<string> {
  const current = useRunView.getState().run?.tracing;
  const same = (e: { src?: string; dest?: string }) => (e.src === src && e.dest === dest) || (e.src === dest && e.dest === src);
  const edges = (current?.edges ?? []).filter((e) => !same(e) && Object.keys(e).length > 0);
  return setTracing({ edges: [...edges, { src, dest }, { src: dest, dest: src }], sampleEvery: current?.sampleEvery ?? 1 });
}

/** Every traced step of one cmd: the host's history when live, the recording's when replaying. */
export async function followCmd(cmdId: string): Promise<TraceStep[]> {
  const replay = useDebug.getState().replay;
  if (replay) return replay.recording.traces.filter((t) => t.cmdId === cmdId).sort((a, b) => a.ts - b.ts);
  const run = useRunView.getState().run;
  if (!run) return [];
  return api().followCmd({ runId: run.runId, cmdId });
}

export async function saveRecording(path: string, overwrite: boolean): Promise<string> {
  const run = useRunView.getState().run;
  if (!run || useDebug.getState().replay) throw new Error('There is no run to save; press Run first.');
  const r = await api().saveRecording({ runId: run.runId, path, overwrite });
  return `Saved the recording (${r.bytes.toLocaleString()} bytes) to ${r.path}`;
}

/** Opens a recording and shows its last instant in the overlays and panels. */
export async function openRecording(path: string): Promise<string> {
  if (isActive(useRunView.getState().run) && !useDebug.getState().replay) throw new Error('Stop the running graph before replaying a recording.');
  const rec = await api().openRecording({ path });
  const { start, end } = recordingSpan(rec);
  useRunView.getState().follow(rec.run);
  useDebug.getState().reset();
  useDebug.setState({ dropped: rec.dropped });
  seekTo({ path, recording: rec, start, end, cursor: end, eventCount: 0 }, end);
  return `Replaying "${rec.run.title}": ${rec.metrics.length} metrics samples, ${rec.events.length} events, ${rec.traces.length} trace steps`;
}

function seekTo(replay: NonNullable<ReturnType<typeof useDebug.getState>['replay']>, ts: number): void {
  const cursor = Math.min(replay.end, Math.max(replay.start, ts));
  const { traces, eventCount, ...view } = viewAt(replay.recording, cursor);
  useRunView.setState(view);
  useDebug.getState().setReplay({ ...replay, cursor, eventCount }, traces);
  // The chat and the turns as they were at that instant.
  useTalk.getState().fromRecording(replay.recording.run, replay.recording.talk ?? [], cursor);
}

/** Moves the replay to `ts` (epoch ms), clamped to the recording. */
export function seek(ts: number): void {
  const replay = useDebug.getState().replay;
  if (replay) seekTo(replay, ts);
}

export function closeReplay(): void {
  useDebug.getState().reset();
  useRunView.setState({ run: null, lifecycle: {}, metrics: {}, edgeRates: {}, violations: [], logs: [], connections: [], connectionEvents: [], channels: NO_CHANNELS, droppedEvents: 0 });
}

/** Writes the Chrome trace JSON (Perfetto) of the replayed recording, else of the followed run. */
export async function exportTrace(path: string, overwrite: boolean): Promise<string> {
  const replay = useDebug.getState().replay;
  const run = useRunView.getState().run;
  const source = replay ? { kind: 'file' as const, path: replay.path } : run ? { kind: 'run' as const, runId: run.runId } : null;
  if (!source) throw new Error('There is no run or recording to export; press Run or open a recording first.');
  const r = await api().exportChromeTrace({ source, path, overwrite });
  return `Wrote the Perfetto trace (${r.bytes.toLocaleString()} bytes) to ${r.path}; open it at ui.perfetto.dev`;
}
