/**
 * In-app dialogs for documents: Open, Save As and Export with the studio's file browser (browser
 * mode has no native file dialogs; in Electron, Open and Save As use the system's and Export its
 * save dialog through "Export to…"), the conflict choice after a refused save, and recovery
 * offers. Also owns the keyboard shortcuts Ctrl+N, Ctrl+O, Ctrl+S and Ctrl+Shift+S (Cmd on macOS).
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { HostError, type ExportFormat, type HostApi } from '../../shared';
import { Modal, modalOpen } from '../Modal';
import { useStudio } from '../store';
import type { DocumentActions } from './actions';
import { documentFolder, documentPath } from './actions';
import { PathPicker } from './PathPicker';
import { dirName, joinPath } from './paths';
import { lastPlace, placesFor } from './places';
import { useDocumentUi, type FileDialogMode } from './documentUi';

const TITLES: Record<FileDialogMode, string> = { open: 'Open', saveAs: 'Save As', export: 'Export' };
const SUBMIT: Record<FileDialogMode, string> = { open: 'Open', saveAs: 'Save', export: 'Export' };
const HINTS: Record<FileDialogMode, string> = {
  open: 'An app folder (with manifest.json and property.json), a property.json or a graph JSON file.',
  saveAs: 'A .json file path. Graph files stay graph files; everything else is saved as a property.json.',
  export: 'Writes TEN JSON only (no layout) and leaves the open document as it is.',
};

export function DocumentDialogs({ actions, host }: { actions: DocumentActions; host: HostApi }) {
  const dialog = useDocumentUi((s) => s.dialog);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // While a dialog is open its own buttons decide; a stray Ctrl+S must not save behind it.
      if (!(e.ctrlKey || e.metaKey) || e.altKey || modalOpen()) return;
      const key = e.key.toLowerCase();
      if (key === 'n' && !e.shiftKey) actions.newDocument();
      else if (key === 'o' && !e.shiftKey) actions.showOpen();
      else if (key === 's' && e.shiftKey) actions.showSaveAs();
      else if (key === 's') void actions.save();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);

  return (
    <>
      <RecoveryBanner actions={actions} />
      {dialog?.kind === 'file' && <FileDialog key={dialog.mode} mode={dialog.mode} actions={actions} host={host} />}
      {dialog?.kind === 'conflict' && <ConflictDialog message={dialog.message} actions={actions} />}
      {dialog?.kind === 'unsaved' && <UnsavedDialog title={dialog.title} actions={actions} />}
    </>
  );
}

function close() {
  useDocumentUi.getState().setDialog(null);
}

function FileDialog({ mode, actions, host }: { mode: FileDialogMode; actions: DocumentActions; host: HostApi }) {
  const document = useStudio((s) => s.document);
  const graphName = useStudio((s) => s.graphName);
  const native = useStudio((s) => s.version?.transport === 'electron');
  const replacesEdits = useStudio((s) => s.dirty) && mode === 'open';
  const recent = useDocumentUi((s) => s.recent);
  const busy = useDocumentUi((s) => s.busy);
  const current = document ? documentPath(document) : null;
  const [path, setPath] = useState(() => (mode === 'saveAs' && document?.origin.kind !== 'app' ? (current ?? '') : ''));
  const [format, setFormat] = useState<ExportFormat>('property');
  const [exportGraph, setExportGraph] = useState(graphName ?? '');
  const [error, setError] = useState<string | null>(null);
  const [confirmReplace, setConfirmReplace] = useState(false);
  /** The folder the browser shows: an empty path field means it (or a file of the default name in it). */
  const [folder, setFolder] = useState<string | null>(null);
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const graphs = document?.property.ten?.predefined_graphs?.map((g) => g.name) ?? [];
  const docFolder = document ? documentFolder(document) : null;
  const places = useMemo(() => placesFor('~', docFolder, recent), [docFolder, recent]);
  // The folder the browser shows first: the typed path's, the document's, the last place, home.
  const [start] = useState(() => (path ? dirName(path) : (docFolder ?? lastPlace() ?? '~')));
  const defaultName = mode === 'export' && format === 'graph' ? `${exportGraph || 'graph'}.json` : 'property.json';
  const fallback = folder === null ? null : mode === 'open' ? folder : joinPath(folder, defaultName);

  const changePath = (next: string) => {
    setPath(next);
    setConfirmReplace(false);
  };

  const submit = async (overwrite: boolean, target = path) => {
    const trimmed = target.trim() || fallback || '';
    if (!trimmed) {
      setError('Enter a path, or pick one in the browser.');
      return;
    }
    setError(null);
    try {
      if (mode === 'open') await actions.openChosen(trimmed, replacesEdits);
      else if (mode === 'saveAs') await actions.saveAs(trimmed, overwrite);
      else await actions.exportTo(trimmed, format, format === 'graph' ? exportGraph : undefined, overwrite);
    } catch (err) {
      if (err instanceof HostError && err.code === 'E_EXISTS') {
        setConfirmReplace(true);
        setError(`${trimmed} already exists.`);
      } else {
        setConfirmReplace(false);
        setError(err instanceof Error ? err.message : String(err));
      }
    }
  };

  /** Electron: the system's save dialog (it confirms a replacement), then export there. */
  const exportNative = async () => {
    const chosen = await actions.choose('export', path.trim() || (docFolder ? joinPath(docFolder, defaultName) : undefined));
    if (chosen === undefined || chosen === null) return;
    changePath(chosen);
    await submit(true, chosen);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(false);
  };

  return (
    <Modal title={TITLES[mode]} onCancel={close} describedBy={hintId} initialFocus={input} className={native ? 'modal' : 'modal modal-wide'} backdropClassName="modal-backdrop modal-backdrop-top">
      <form onSubmit={onSubmit}>
        <PathPicker
          host={host}
          native={native}
          kind={mode === 'open' ? 'open' : 'save'}
          path={path}
          onPath={changePath}
          defaultName={defaultName}
          placeholder={fallback ?? (mode === 'open' ? '/home/me/my_app' : '/home/me/my_app/property.json')}
          hint={HINTS[mode]}
          hintId={hintId}
          start={start}
          places={places}
          inputRef={input}
          onFolder={setFolder}
          onChoose={(chosen) => void submit(false, chosen)}
        />
        {mode === 'export' && (
          <div className="field-row">
            <label className="field">
              <span>Format</span>
              <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
                <option value="property">property.json (all graphs)</option>
                <option value="graph">graph JSON (one graph)</option>
              </select>
            </label>
            {format === 'graph' && (
              <label className="field">
                <span>Graph</span>
                <select aria-label="Graph to export" value={exportGraph} onChange={(e) => setExportGraph(e.target.value)}>
                  {graphs.map((g) => (
                    <option key={g} value={g}>
                      {g}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
        {recent.length > 0 && (
          <>
            <h3>Recent files</h3>
            <ul className="recent-list" aria-label="Recent files">
              {recent.map((r) => (
                <li key={r.path}>
                  <button
                    type="button"
                    aria-label={`${mode === 'open' ? 'Open' : 'Use'} recent ${r.path}`}
                    title={r.exists ? r.path : `${r.path} (no longer exists)`}
                    disabled={mode === 'open' && !r.exists}
                    onClick={() => {
                      changePath(r.path);
                      if (mode === 'open') void submit(false, r.path);
                    }}
                  >
                    <span>{r.title}</span> <small className="muted">{r.path}</small>
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
        {replacesEdits && document && (
          <p className="warning">
            {document.title} has unsaved changes; opening another document discards them.
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="modal-actions">
          {native && mode === 'export' && (
            <button type="button" aria-label="Export to a file chosen in the system dialog" disabled={busy} onClick={() => void exportNative()}>
              Export to…
            </button>
          )}
          {confirmReplace ? (
            <button type="button" aria-label="Replace the existing file" disabled={busy} onClick={() => void submit(true)}>
              Replace
            </button>
          ) : (
            <button type="submit" aria-label={replacesEdits ? 'Discard changes and open' : SUBMIT[mode]} disabled={busy}>
              {replacesEdits ? 'Discard changes and open' : SUBMIT[mode]}
            </button>
          )}
          <button type="button" aria-label="Cancel" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ConflictDialog({ message, actions }: { message: string; actions: DocumentActions }) {
  const busy = useDocumentUi((s) => s.busy);
  const textId = useId();
  return (
    <Modal title="File changed on disk" role="alertdialog" onCancel={close} describedBy={textId}>
      <p id={textId}>{message}</p>
      <div className="modal-actions">
        <button type="button" aria-label="Save as another file" disabled={busy} onClick={() => void actions.resolveConflict('saveAs')}>
          Save As…
        </button>
        <button type="button" aria-label="Reload from disk" disabled={busy} onClick={() => void actions.resolveConflict('reload')}>
          Reload from disk
        </button>
        <button type="button" aria-label="Overwrite" disabled={busy} onClick={() => void actions.resolveConflict('overwrite')}>
          Overwrite
        </button>
        <button type="button" aria-label="Cancel" onClick={close}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

function UnsavedDialog({ title, actions }: { title: string; actions: DocumentActions }) {
  const textId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  return (
    <Modal title="Unsaved changes" role="alertdialog" onCancel={close} describedBy={textId} initialFocus={cancel}>
      <p id={textId}>{title} has unsaved changes. Discard them, or cancel and save first.</p>
      <div className="modal-actions">
        <button type="button" aria-label="Discard changes" onClick={() => void actions.discardAndProceed()}>
          Discard changes
        </button>
        <button ref={cancel} type="button" aria-label="Cancel" onClick={close}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

function RecoveryBanner({ actions }: { actions: DocumentActions }) {
  const recoveries = useDocumentUi((s) => s.recoveries);
  if (recoveries.length === 0) return null;
  return (
    <section className="recovery-banner" aria-label="Recovered edits" data-testid="recovery-banner">
      {recoveries.map((r) => (
        <p key={r.documentId}>
          Unsaved edits to <b>{r.title}</b>
          {r.path ? ` (${r.path})` : ''} from {new Date(r.savedAt).toLocaleString()} were recovered.{' '}
          <button type="button" aria-label={`Restore recovered edits of ${r.title}`} onClick={() => void actions.restoreRecovery(r.documentId)}>
            Restore
          </button>{' '}
          <button type="button" aria-label={`Discard recovered edits of ${r.title}`} onClick={() => void actions.discardRecovery(r.documentId)}>
            Discard
          </button>
        </p>
      ))}
    </section>
  );
}
