import { useMemo, useState } from 'react';
import { DebuggerPanel } from '../debugger/DebuggerPanel';
import { useRunView, violationNodes, type RunViewState } from '../debugger/runStore';
import { useEditor, type EditorState } from '../editor/editorStore';
import type { Problem } from '../editor/problems';
import { selectGraph, useStudio, type StudioState } from '../store';

const selectEvents = (s: StudioState) => s.events;
const selectDropped = (s: StudioState) => s.droppedEvents;
const selectError = (s: StudioState) => s.error;
const selectProblems = (s: EditorState) => s.problems;
const selectValidating = (s: EditorState) => s.validating;

export function BottomPanel() {
  return (
    <section className="bottom" aria-label="Problems, logs and violations">
      <ProblemsPanel />
      <LogsPanel />
      <ViolationsPanel />
      <DebuggerPanel />
    </section>
  );
}

/** Shows the problem's graph and brings its node or connection into view. */
function focusProblem(p: Problem): void {
  const studio = useStudio.getState();
  if (p.graph !== undefined && p.graph !== studio.graphName) studio.selectGraph(p.graph);
  if (p.node !== undefined || p.edge !== undefined) useEditor.getState().requestFocus({ node: p.node, edge: p.edge });
}

function ProblemsPanel() {
  const problems = useEditor(selectProblems);
  const validating = useEditor(selectValidating);
  return (
    <section className="problems-panel" aria-label="Problems">
      <h2>
        Problems <span className="count">{problems.length}</span> {validating && <span className="muted-inline">checking…</span>}
      </h2>
      <ol className="problem-list" data-testid="problems">
        {problems.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => focusProblem(p)} aria-label={`${p.code} ${p.message}`} title={`${p.pointer}${p.line !== undefined ? ` (line ${p.line} of the saved JSON)` : ''}`}>
              <span className="code">{p.code}</span> <span className="where">{[p.graph, p.node ?? p.edge].filter(Boolean).join(' › ')}</span> {p.message}
            </button>
          </li>
        ))}
        {problems.length === 0 && !validating && <li className="muted ok">No problems.</li>}
      </ol>
    </section>
  );
}

const selectViolations = (s: RunViewState) => s.violations;
const selectRunLogs = (s: RunViewState) => s.logs;

const selectMetrics = (s: RunViewState) => s.metrics;

function ViolationsPanel() {
  const violations = useRunView(selectViolations);
  const metrics = useRunView(selectMetrics);
  const graph = useStudio(selectGraph);
  const nodes = useMemo(() => (graph?.nodes ?? []).map((n) => ({ name: n.name, addon: n.type === 'extension' ? n.addon : n.type })), [graph]);
  return (
    <section className="violations-panel" aria-label="Violations">
      <h2>
        Violations <span className="count">{violations.length}</span>
      </h2>
      <ol className="problem-list" data-testid="violations" aria-label="Thread-check violations">
        {violations.map((v, i) => {
          const where = violationNodes(v, nodes, metrics);
          return (
            <li key={i}>
              <button
                type="button"
                aria-label={`Violation in ${where.join(' or ') || 'an unknown node'}: ${v.object}, ${v.reason}`}
                onClick={() => where[0] && useEditor.getState().requestFocus({ node: where[0] })}
                title={`owner ${v.owner}; caller ${v.caller}; policy ${v.policy}`}
              >
                <span className="where">{where.join(' / ') || v.caller}</span> <span className="code">{v.object}</span> {v.reason}
              </button>
              <dl className="violation-threads">
                <dt>owner</dt>
                <dd>{v.owner}</dd>
                <dt>caller</dt>
                <dd>{v.caller}</dd>
              </dl>
              <details>
                <summary>Stack</summary>
                <pre className="stack">{v.stack}</pre>
              </details>
            </li>
          );
        })}
        {violations.length === 0 && <li className="muted">Thread-check violations of a running graph appear here.</li>}
      </ol>
    </section>
  );
}

/** One line of the logs panel: a host log line or a runtime log of the run. */
interface LogLine {
  time: number;
  /** TEN's levels: 2 debug, 3 info, 4 warn, 5 error (1 verbose, 6 fatal). */
  level: number;
  source: string;
  message: string;
}

const HOST_LEVEL: Record<string, number> = { debug: 2, info: 3, warn: 4, error: 5 };
const LEVEL_CLASS = (level: number) => (level >= 5 ? 'log-error' : level === 4 ? 'log-warn' : 'log-info');

function LogsPanel() {
  const events = useStudio(selectEvents);
  const runLogs = useRunView(selectRunLogs);
  const dropped = useStudio(selectDropped);
  const error = useStudio(selectError);
  const [minLevel, setMinLevel] = useState(1);
  const [source, setSource] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState<LogLine[] | null>(null);
  const lines = useMemo(() => {
    const out: LogLine[] = [];
    for (const e of events) if (e.type === 'log') out.push({ time: e.time, level: HOST_LEVEL[e.level] ?? 3, source: e.source, message: e.message });
    for (const e of runLogs) out.push({ time: e.ts, level: e.type === 'error' ? 5 : e.level, source: e.extension, message: e.type === 'error' ? `${e.phase}: ${e.message}` : e.message });
    return out.sort((a, b) => a.time - b.time);
  }, [events, runLogs]);
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    const src = source.trim().toLowerCase();
    return (paused ?? lines).filter((l) => l.level >= minLevel && (!src || l.source.toLowerCase().includes(src)) && (!q || l.message.toLowerCase().includes(q))).slice(-500);
  }, [paused, lines, minLevel, source, text]);
  return (
    <section className="logs-panel" aria-label="Logs and events">
      <h2>
        Logs &amp; events {dropped > 0 && <span className="muted-inline">({dropped} older dropped)</span>}
      </h2>
      <div className="log-filters">
        <select aria-label="Minimum log level" value={minLevel} onChange={(e) => setMinLevel(Number(e.target.value))}>
          <option value={1}>all levels</option>
          <option value={3}>info+</option>
          <option value={4}>warn+</option>
          <option value={5}>error+</option>
        </select>
        <input aria-label="Filter logs by extension" placeholder="extension" value={source} onChange={(e) => setSource(e.target.value)} />
        <input aria-label="Filter logs by text" placeholder="text" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="button" aria-pressed={paused !== null} aria-label={paused ? 'Resume logs' : 'Pause logs'} onClick={() => setPaused(paused ? null : lines)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ol className="log-list" data-testid="logs">
        {shown.map((l, i) => (
          <li key={i} className={LEVEL_CLASS(l.level)}>
            <time>{new Date(l.time).toLocaleTimeString()}</time> <b>{l.source}</b> {l.message}
          </li>
        ))}
      </ol>
    </section>
  );
}
