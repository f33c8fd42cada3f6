/**
 * The debugger's parts of the bottom panel: the message inspector (tracing on edges, traced
 * steps, one cmd's path), the run's files (recording save and replay with a time slider,
 * Perfetto export), the notice and replay slider shown above every tab, and what the host and
 * this client dropped on the way.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { HostApi, TraceStep } from '../../shared';
import { graphToCanvas } from '../canvas/graphView';
import { selectGraph, useStudio, type StudioState } from '../store';
import { selectDroppedTotal, selectEdgeMenu, selectNotice, selectReplay, selectTraces, useDebug, type DebugState, type EdgeMenu } from './debugStore';
import { Modal } from '../Modal';
import { describeDrops } from './drops';
import { cmdPath, filterSteps, type CmdPath } from './replay';
import { isActive, useRunView, type RunViewState } from './runStore';
import { chooseNatively, RecordingDialog, type RecordingPurpose } from './RecordingDialog';
import { closeReplay, describeTracing, followCmd, report, seek, setTracing, traceEdge } from './session';
import './debugger.css';

const selectRun = (s: RunViewState) => s.run;
const selectSelectedEdges = (s: StudioState) => s.selectedEdges;
const selectDropped = (s: DebugState) => s.dropped;
const selectStreamDropped = (s: DebugState) => s.streamDropped;
const selectTracesDropped = (s: DebugState) => s.tracesDropped;

/** The debugger's notice and, while a recording is replayed, its time slider: shown above every tab. */
export function DebuggerStatus() {
  const notice = useDebug(selectNotice);
  const replay = useDebug(selectReplay);
  return (
    <>
      {notice && (
        <p className={notice.error ? 'error debugger-notice' : 'debugger-notice'} role={notice.error ? 'alert' : 'status'} aria-label="Debugger notice">
          {notice.text}
        </p>
      )}
      {replay && <ReplaySlider />}
      <PythonDebugStatus />
    </>
  );
}

/** Where each Python group of the followed run can be debugged (runs started with Python debugging). */
function PythonDebugStatus() {
  const run = useRunView(selectRun);
  const replay = useDebug(selectReplay);
  const list = run?.pythonDebug;
  if (!run || !list || replay || !isActive(run)) return null;
  return (
    <p className="python-debug-status" role="status" aria-label="Python debugger">
      <b>Python debugger</b>
      {list.length === 0 && <span className="muted">waiting for the Python processes to listen…</span>}
      {list.map((d) => (
        <span key={`${d.graphId}/${d.group}`} data-testid={`python-debug-${d.group}`} title={d.message}>
          group {d.group}: {d.state === 'error' ? <span className="error">{d.message}</span> : <>attach to <code>{d.host}:{d.port}</code> (pid {d.pid}) </>}
          {d.state === 'listening' && <span className="waiting">waiting for a client; its extensions start once one attached</span>}
          {d.state === 'attached' && <span>attached</span>}
        </span>
      ))}
    </p>
  );
}

/** The edge context menu: trace the edge's messages (or stop tracing) in the running graph. */
export function EdgeTraceMenu({ onTrace }: { onTrace: () => void }) {
  const menu = useDebug(selectEdgeMenu);
  return menu ? <EdgeTraceMenuOpen menu={menu} onTrace={onTrace} /> : null;
}

function EdgeTraceMenuOpen({ menu, onTrace }: { menu: EdgeMenu; onTrace: () => void }) {
  const run = useRunView(selectRun);
  const replay = useDebug(selectReplay);
  const first = useRef<HTMLButtonElement>(null);
  const running = run?.state === 'running' && !replay;
  const close = () => useDebug.getState().setEdgeMenu(null);
  useEffect(() => first.current?.focus(), []);
  const trace = async () => {
    close();
    onTrace();
    await report(() => traceEdge(menu.source, menu.target));
  };
  return (
    <div className="edge-menu-backdrop" onClick={close} onContextMenu={(e) => {
        e.preventDefault();
        close();
      }}>
      <div
        className="edge-menu"
        role="menu"
        aria-label={`Edge ${menu.source} to ${menu.target}`}
        style={{ left: menu.x, top: menu.y }}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && close()}
      >
        <button ref={first} type="button" role="menuitem" disabled={!running} title={running ? undefined : 'Run the graph first'} onClick={() => void trace()}>
          Trace messages {menu.source} → {menu.target}
        </button>
        <button type="button" role="menuitem" disabled={!running || !run?.tracing} onClick={() => {
            close();
            void report(() => setTracing(null));
          }}>
          Stop tracing
        </button>
        {!running && <p className="muted">Tracing applies to a running graph; press Run first.</p>}
      </div>
    </div>
  );
}

/**
 * What was not kept on the way from the runtime to this view: the total with its parts, and a
 * button that explains each part (what, why) and where the dropped items can still be found.
 */
export function DropCounters() {
  const total = useDebug(selectDroppedTotal);
  const host = useDebug(selectDropped);
  const stream = useDebug(selectStreamDropped);
  const local = useDebug(selectTracesDropped);
  const [open, setOpen] = useState(false);
  const lines = useMemo(() => describeDrops(host, stream, local), [host, stream, local]);
  if (total === 0) {
    return (
      <span className="drop-counter" data-testid="dropped" title="Everything the run reported reached this view." aria-label="Nothing dropped">
        0 dropped
      </span>
    );
  }
  const summary = `${total.toLocaleString('en-US')} dropped: ${lines.map((l) => l.short).join(', ')}`;
  return (
    <>
      <button type="button" className="drop-counter some" data-testid="dropped" title={`${summary}. What, why, and where to find them`} aria-label={`${summary}. Explain`} onClick={() => setOpen(true)}>
        {summary} · why?
      </button>
      {open && (
        <Modal title="What did not reach this view" onCancel={() => setOpen(false)} cancelOnOutsideClick>
          <ul className="drop-lines" data-testid="dropped-explanation">
            {lines.map((l) => (
              <li key={l.short}>{l.explanation}</li>
            ))}
          </ul>
          <p className="drop-more">
            <b>Where to find more.</b> Save recording (Recording tab) writes the host&apos;s history of the run, with what the live view
            dropped (the newest 10,000 events, 5,000 logs and 20,000 trace steps); open it here to replay it, or export it to Perfetto.
            Reloading the window reads the recent history again. For every event of a run, with nothing left out, run it with{' '}
            <code>ten-studio run &lt;app&gt; --events run.jsonl</code>. Details: docs/telemetry.md.
          </p>
          <div className="modal-actions">
            <button type="button" aria-label="Close" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}

/** Replay speed: recording time advanced per tick of the play timer, at 10 ticks a second. */
const PLAY_STEP_MS = 100;

function ReplaySlider() {
  const replay = useDebug(selectReplay)!;
  const span = Math.max(1, replay.end - replay.start);
  const [playing, setPlaying] = useState(false);
  const atEnd = replay.cursor >= replay.end;
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      const now = useDebug.getState().replay;
      if (!now || now.cursor >= now.end) return setPlaying(false);
      seek(now.cursor + PLAY_STEP_MS);
    }, PLAY_STEP_MS);
    return () => clearInterval(timer);
  }, [playing]);
  const togglePlay = () => {
    // Playing from the end starts over, as media players do.
    if (!playing && atEnd) seek(replay.start);
    setPlaying(!playing);
  };
  return (
    <div className="replay-bar">
      <button type="button" aria-label={playing ? 'Pause replay' : 'Play replay'} title="Play the recording in real time" onClick={togglePlay}>
        {playing ? '❚❚' : '▶'}
      </button>
      <label>
        <span className="sr-only">Replay time</span>
        <input
          type="range"
          aria-label="Replay time"
          min={0}
          max={span}
          step={Math.max(1, Math.round(span / 1000))}
          value={replay.cursor - replay.start}
          onChange={(e) => seek(replay.start + Number(e.target.value))}
        />
      </label>
      <span className="replay-time" data-testid="replay-time">
        {((replay.cursor - replay.start) / 1000).toFixed(1)} s / {(span / 1000).toFixed(1)} s · {replay.eventCount} events
      </span>
      <button type="button" aria-label="Close replay" title="Leave the recording and go back to the editor" onClick={closeReplay}>
        Close
      </button>
    </div>
  );
}

/** Source and destination of the first selected edge, from the graph shown. */
function useSelectedEdgeEnds(): { src: string; dest: string } | null {
  const graph = useStudio(selectGraph);
  const selected = useStudio(selectSelectedEdges);
  return useMemo(() => {
    if (!graph || selected.length === 0) return null;
    const edge = graphToCanvas(graph).edges.find((e) => e.id === selected[0]);
    return edge ? { src: edge.source, dest: edge.target } : null;
  }, [graph, selected]);
}

export function MessageInspector() {
  const run = useRunView(selectRun);
  const replay = useDebug(selectReplay);
  const traces = useDebug(selectTraces);
  const edge = useSelectedEdgeEnds();
  const [text, setText] = useState('');
  const [onlyEdge, setOnlyEdge] = useState(false);
  const [path, setPath] = useState<CmdPath | null>(null);
  // A traced busy edge scrolls faster than anyone can read or click; pausing freezes the list.
  const [frozen, setFrozen] = useState<TraceStep[] | null>(null);
  const running = run?.state === 'running' && !replay;
  const source = frozen ?? traces;
  const steps = useMemo(() => filterSteps(source, { ...(onlyEdge && edge ? edge : {}), text }, 200), [source, onlyEdge, edge, text]);
  const base = steps[0]?.ts ?? 0;

  const follow = async (cmdId: string) => {
    const ok = await report(async () => {
      const all = await followCmd(cmdId);
      setPath(cmdPath(cmdId, all));
      return `Following cmd ${all[0]?.name ?? cmdId}: ${all.length} traced steps`;
    });
    if (!ok) setPath(null);
  };

  return (
    <div className="message-inspector" aria-label="Message inspector">
      <div className="debugger-row">
        <button
          type="button"
          aria-label="Trace selected edge"
          title={edge ? `Trace messages from ${edge.src} to ${edge.dest}` : 'Select an edge on the canvas first'}
          disabled={!running || !edge}
          onClick={() => edge && void report(() => traceEdge(edge.src, edge.dest))}
        >
          Trace edge
        </button>
        <button type="button" aria-label="Trace all edges" title="Trace every message (heavy on busy graphs)" disabled={!running} onClick={() => void report(() => setTracing({ edges: [{}], sampleEvery: 1 }))}>
          Trace all
        </button>
        <button type="button" aria-label="Stop tracing" disabled={!running || !run?.tracing} onClick={() => void report(() => setTracing(null))}>
          Off
        </button>
        <button type="button" aria-pressed={frozen !== null} aria-label={frozen ? 'Resume traced messages' : 'Pause traced messages'} onClick={() => setFrozen(frozen ? null : traces)}>
          {frozen ? 'Resume' : 'Pause'}
        </button>
        <span className="tracing-state" data-testid="tracing-state">
          {replay ? 'Recorded trace steps' : run?.tracing ? `Tracing ${describeTracing(run.tracing)}` : 'Tracing off'}
          {frozen ? ` · paused (${Math.max(0, traces.length - frozen.length)} newer)` : ''}
        </span>
      </div>
      <div className="debugger-row">
        <input aria-label="Filter traced messages" placeholder="filter: name, extension, payload" value={text} onChange={(e) => setText(e.target.value)} />
        <label className="check" title={edge ? `${edge.src} → ${edge.dest}` : 'Select an edge on the canvas'}>
          <input type="checkbox" aria-label="Only the selected edge" checked={onlyEdge} disabled={!edge} onChange={(e) => setOnlyEdge(e.target.checked)} /> selected edge only
        </label>
      </div>
      {path ? (
        <CmdPathView path={path} onClose={() => setPath(null)} />
      ) : (
        <ol className="trace-list" data-testid="traces" aria-label="Traced message steps">
          {steps.map((s, i) => (
            <TraceRow key={`${s.ts}-${i}`} step={s} base={base} onFollow={follow} />
          ))}
          {steps.length === 0 && (
            <li className="muted">
              {run || replay ? 'No traced messages yet. Select an edge and press Trace edge (or Trace all).' : 'Run the graph, then trace an edge to see its messages here.'}
            </li>
          )}
        </ol>
      )}
    </div>
  );
}

const TraceRow = memo(function TraceRow({ step: s, base, onFollow }: { step: TraceStep; base: number; onFollow: (cmdId: string) => void }) {
  const extra = s.stage === 'delivered' && s.durMs !== undefined ? ` ${s.durMs.toFixed(2)} ms` : s.status !== undefined ? (s.status === 0 ? ' OK' : ' ERROR') : '';
  return (
    <li className={`trace-${s.stage}`} title={`${s.type} ${s.name} ${s.src} → ${s.dest} on ${s.group} (thread ${s.threadId}${s.app ? ` of ${s.app}` : ''})${s.preview ? `\n${s.preview}` : ''}`}>
      {s.cmdId && (
        <button type="button" className="link" aria-label={`Follow cmd ${s.cmdId}`} title="Follow this cmd: sent, queued, delivered, result, round trip" onClick={() => onFollow(s.cmdId)}>
          follow
        </button>
      )}
      <time>+{(s.ts - base).toFixed(1)}ms</time> <span className="stage">{s.stage}</span> {s.type === 'data' ? '' : `${s.type} `}
      <b>{s.name}</b> {s.src}→{s.dest}
      {s.app && <AppTag app={s.app} />}
      {extra}
    </li>
  );
});

/** The app process a trace step comes from (steps of the studio's own app have none). */
function AppTag({ app }: { app: string }) {
  return (
    <span className="muted" title={`Traced in the app process ${app} (its clock)`}>
      {' '}
      in {app}
    </span>
  );
}

function CmdPathView({ path, onClose }: { path: CmdPath; onClose: () => void }) {
  const t0 = path.steps[0]?.ts ?? 0;
  return (
    <div className="cmd-path" data-testid="cmd-path" aria-label={`Path of cmd ${path.name}`}>
      <div className="debugger-row">
        <b>cmd {path.name}</b>
        <span>{path.latencyMs !== null ? `round trip ${path.latencyMs.toFixed(2)} ms` : 'no result traced'}</span>
        {path.status !== 'no result traced' && <span className={`cmd-status ${path.status === 'error' ? 'error' : ''}`}>{path.status}</span>}
        <button type="button" aria-label="Close cmd path" onClick={onClose}>
          ×
        </button>
      </div>
      <ol className="trace-list">
        {path.steps.map((s, i) => (
          <li key={i}>
            <time>+{(s.ts - t0).toFixed(2)}ms</time> <span className="stage">{s.type === 'cmd_result' ? `result ${s.stage}` : s.stage}</span> {s.src}→{s.dest}
            {s.app && <AppTag app={s.app} />}
            {s.durMs !== undefined ? ` (handler ${s.durMs.toFixed(2)} ms)` : ''}
          </li>
        ))}
      </ol>
    </div>
  );
}

/**
 * The Recording tab: Save recording, Open recording and Export Perfetto trace, each picking its
 * file in a dialog (the system's in Electron, the studio's file browser in browser mode, where a
 * path can also be typed).
 */
export function RunFiles({ host }: { host: HostApi }) {
  const run = useRunView(selectRun);
  const replay = useDebug(selectReplay);
  const live = isActive(run) && !replay;
  const [dialog, setDialog] = useState<RecordingPurpose | null>(null);
  const [busy, setBusy] = useState(false);
  const pick = (purpose: RecordingPurpose) => async () => {
    setBusy(true);
    const shown = await chooseNatively(host, purpose);
    setBusy(false);
    if (!shown) setDialog(purpose);
  };
  return (
    <div className="run-files">
      <div className="debugger-row">
        <button type="button" aria-label="Save recording" title="Write the run's events, metrics and traces to a file" disabled={busy || !run || !!replay} onClick={pick('saveRecording')}>
          Save recording…
        </button>
        <button type="button" aria-label="Open recording" title="Replay a recording (saved here or by ten-studio run --record)" disabled={busy || live} onClick={pick('openRecording')}>
          Open recording…
        </button>
        <button type="button" aria-label="Export Perfetto trace" title="Write a Chrome trace JSON of the run (or the replayed recording) for ui.perfetto.dev" disabled={busy || (!run && !replay)} onClick={pick('exportTrace')}>
          Export Perfetto trace…
        </button>
      </div>
      {dialog && <RecordingDialog purpose={dialog} host={host} onClose={() => setDialog(null)} />}
    </div>
  );
}
