import { useEffect, useMemo, useRef, useState } from 'react';
import { MSG_KINDS, type MsgKind } from '../../shared';
import { Modal } from '../Modal';
import { selectGraph, useStudio, type StudioState } from '../store';
import { addGraph, removeGraph, renameGraph } from './actions';
import { useEditor, type EditorState, type PromptRequest } from './editorStore';
import { SHORTCUTS } from './shortcuts';

const selectFindOpen = (s: EditorState) => s.findOpen;
const selectHelpOpen = (s: EditorState) => s.helpOpen;
const selectPrompt = (s: EditorState) => s.prompt;
const selectNodeNames = (s: StudioState) => (selectGraph(s)?.nodes ?? []).map((n) => n.name).join('\n');

/** Find node (Ctrl+F), the shortcuts sheet and the editor's small questions. */
export function EditorOverlays() {
  const findOpen = useEditor(selectFindOpen);
  const helpOpen = useEditor(selectHelpOpen);
  const prompt = useEditor(selectPrompt);
  return (
    <>
      {findOpen && <FindNode />}
      {helpOpen && <HelpSheet />}
      {prompt && <PromptDialog key={prompt.title} prompt={prompt} />}
    </>
  );
}

function FindNode() {
  const namesText = useStudio(selectNodeNames);
  const names = useMemo(() => (namesText ? namesText.split('\n') : []), [namesText]);
  const [query, setQuery] = useState('');
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (q ? names.filter((n) => n.toLowerCase().includes(q)) : names).slice(0, 50);
  }, [names, query]);
  const close = () => useEditor.getState().setFindOpen(false);
  const pick = (name: string) => {
    useEditor.getState().requestFocus({ node: name });
    close();
  };
  return (
    <Modal title="Find node" onCancel={close} cancelOnOutsideClick className="find-node" backdropClassName="modal-backdrop clear">
      <input
        type="search"
        aria-label="Find node"
        placeholder="Node name…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' || !matches[0]) return;
          // Else the Enter would also press the button the focus goes back to (Find).
          e.preventDefault();
          pick(matches[0]);
        }}
      />
      <ul className="find-results">
        {matches.map((n) => (
          <li key={n}>
            <button type="button" aria-label={`Go to node ${n}`} onClick={() => pick(n)}>
              {n}
            </button>
          </li>
        ))}
        {matches.length === 0 && <li className="muted">No node matches.</li>}
      </ul>
      <button type="button" aria-label="Close find" onClick={close}>
        Close
      </button>
    </Modal>
  );
}

function HelpSheet() {
  const close = () => useEditor.getState().setHelpOpen(false);
  return (
    <Modal title="Keyboard shortcuts" onCancel={close} cancelOnOutsideClick>
      <table className="shortcuts" data-testid="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <th scope="row">
                <kbd>{s.keys}</kbd>
              </th>
              <td>{s.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Drag from an output port (right) to an input port (left) to connect; the "any" ports take a message the manifest does not declare.</p>
      <div className="modal-actions">
        <button type="button" aria-label="Close shortcuts" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function PromptDialog({ prompt }: { prompt: PromptRequest }) {
  const [value, setValue] = useState(prompt.value);
  const [kind, setKind] = useState<MsgKind | undefined>(prompt.kind);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), []);
  const close = () => useEditor.getState().setPrompt(null);
  const submit = () => {
    const problem = prompt.submit(value, kind);
    if (problem) setError(problem);
    else close();
  };
  return (
    <Modal title={prompt.title} onCancel={close} initialFocus={input}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="field-row">
          {kind !== undefined && (
            <label className="field">
              <span>Message kind</span>
              <select aria-label="Message kind" value={kind} onChange={(e) => setKind(e.target.value as MsgKind)}>
                {MSG_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="field">
            <span>{prompt.label}</span>
            <input ref={input} aria-label={prompt.label} value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" aria-label="Cancel" onClick={close}>
            Cancel
          </button>
          <button type="submit" aria-label="OK">
            OK
          </button>
        </div>
      </form>
    </Modal>
  );
}

const selectPastCount = (s: StudioState) => s.past.length;
const selectFutureCount = (s: StudioState) => s.future.length;

/** Undo and Redo for the toolbar. */
export function EditButtons() {
  const canUndo = useStudio(selectPastCount) > 0;
  const canRedo = useStudio(selectFutureCount) > 0;
  return (
    <>
      <button type="button" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => useStudio.getState().undo()}>
        Undo
      </button>
      <button type="button" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => useStudio.getState().redo()}>
        Redo
      </button>
    </>
  );
}

const selectHasDocument = (s: StudioState) => s.document !== null;
const selectShownGraph = (s: StudioState) => s.graphName;

/** Add, rename and remove predefined graphs, next to the toolbar's graph picker. */
export function GraphButtons() {
  const hasDocument = useStudio(selectHasDocument);
  const graphName = useStudio(selectShownGraph);
  const ask = (title: string, value: string, submit: (v: string) => string | null) =>
    useEditor.getState().setPrompt({ title, label: 'Graph name', value, submit: (v) => submit(v.trim()) });
  const taken = () => useStudio.getState().document?.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
  return (
    <>
      <button
        type="button"
        aria-label="Add graph"
        title="Add a predefined graph"
        disabled={!hasDocument}
        onClick={() => {
          let n = taken().length + 1;
          while (taken().includes(`graph_${n}`)) n++;
          ask('Add graph', `graph_${n}`, addGraph);
        }}
      >
        +
      </button>
      <button type="button" aria-label="Rename graph" title="Rename this graph" disabled={graphName === null} onClick={() => graphName !== null && ask(`Rename graph ${graphName}`, graphName, (v) => renameGraph(graphName, v))}>
        ✎
      </button>
      <button
        type="button"
        aria-label="Remove graph"
        title="Remove this graph (Undo brings it back)"
        disabled={graphName === null}
        onClick={() => graphName !== null && useEditor.getState().setNotice(removeGraph(graphName))}
      >
        −
      </button>
    </>
  );
}
