import { useEditor, type EditorState } from '../editor/editorStore';
import type { Problem } from '../editor/problems';
import { useStudio, type StudioState } from '../store';

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
      <section className="violations-panel" aria-label="Violations">
        <h2>Violations</h2>
        <ol className="log-list" data-testid="violations" aria-label="Thread-check violations">
          <li className="muted">Thread-check violations of a running graph appear here.</li>
        </ol>
      </section>
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

function LogsPanel() {
  const events = useStudio(selectEvents);
  const dropped = useStudio(selectDropped);
  const error = useStudio(selectError);
  return (
    <section className="logs-panel" aria-label="Logs and events">
      <h2>
        Logs &amp; events {dropped > 0 && <span className="muted-inline">({dropped} older dropped)</span>}
      </h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ol className="log-list" data-testid="logs">
        {events.map((e, i) =>
          e.type === 'log' ? (
            <li key={i} className={`log-${e.level}`}>
              <time>{new Date(e.time).toLocaleTimeString()}</time> <b>{e.source}</b> {e.message}
            </li>
          ) : null,
        )}
      </ol>
    </section>
  );
}
