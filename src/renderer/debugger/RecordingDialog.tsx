/**
 * Picking the Recording tab's files as documents pick theirs: Open recording, Save recording and
 * Export Perfetto trace show the system's dialog in Electron (`choosePath` with the purposes
 * `openRecording`, `saveRecording`, `exportTrace`) and, in browser mode, a dialog with a Path field
 * (typing a path still works) over the studio's file browser. A save onto an existing file asks
 * first (Replace); the host's error stays in the dialog; the folder is remembered among the
 * dialogs' places, and the next dialog starts where the last recording file was.
 */
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { HostError, type HostApi } from '../../shared';
import { Modal } from '../Modal';
import { useStudio } from '../store';
import { documentFolder } from '../documents/actions';
import { useDocumentUi } from '../documents/documentUi';
import { PathPicker } from '../documents/PathPicker';
import { dirName, endsWithSeparator, joinPath } from '../documents/paths';
import { lastPlace, placesFor, rememberPlace } from '../documents/places';
import { useDebug } from './debugStore';
import { exportTrace, openRecording, saveRecording } from './session';

export type RecordingPurpose = 'openRecording' | 'saveRecording' | 'exportTrace';

const TITLES: Record<RecordingPurpose, string> = { openRecording: 'Open recording', saveRecording: 'Save recording', exportTrace: 'Export Perfetto trace' };
const SUBMIT: Record<RecordingPurpose, string> = { openRecording: 'Open', saveRecording: 'Save', exportTrace: 'Export' };
const HINTS: Record<RecordingPurpose, string> = {
  openRecording: 'A recording saved here (Save recording) or by ten-studio run --record; it is replayed with a time slider.',
  saveRecording: "A .json file for the run's events, metrics and traced messages; the studio and ten-studio trace open it.",
  exportTrace: 'A Chrome trace JSON file of the run (or of the replayed recording), for ui.perfetto.dev.',
};

/** The last file a recording dialog wrote or read, for the next one's folder (this page's life). */
let lastFile: string | null = null;
/** The last recording saved or opened: what Open recording offers next. */
let lastRecording: string | null = null;

/** Runs the purpose's action on `path`; resolves to the notice saying what was done. */
function act(purpose: RecordingPurpose, path: string, overwrite: boolean): Promise<string> {
  if (purpose === 'openRecording') return openRecording(path);
  return purpose === 'saveRecording' ? saveRecording(path, overwrite) : exportTrace(path, overwrite);
}

/** Records a done action: the notice, the file for next time, its folder among the places. */
function done(purpose: RecordingPurpose, path: string, notice: string): void {
  lastFile = path;
  if (purpose !== 'exportTrace') lastRecording = path;
  rememberPlace(path);
  useDebug.getState().setNotice(notice);
}

/** A file name from the document's title: `hello_pipeline-recording.json`. */
function suggestedName(purpose: RecordingPurpose): string {
  const title = useStudio.getState().document?.title ?? 'run';
  const stem = title.replace(/[^\w.-]+/g, '_').replace(/^[._]+|_+$/g, '') || 'run';
  return `${stem}-${purpose === 'exportTrace' ? 'trace' : 'recording'}.json`;
}

/** Where a recording dialog starts: the last recording file's folder, the document's, the last place, home. */
function startFolder(): string {
  const doc = useStudio.getState().document;
  return (lastFile ? dirName(lastFile) : null) ?? (doc ? documentFolder(doc) : null) ?? lastPlace() ?? '~';
}

/**
 * Electron: the system's dialog picks the file and the action runs on it (a save dialog has
 * confirmed a replacement). Returns false where the host has no native dialog (browser mode),
 * so the caller shows {@link RecordingDialog}; true when it was shown (chosen or cancelled).
 */
export async function chooseNatively(host: HostApi, purpose: RecordingPurpose): Promise<boolean> {
  let chosen: string | null;
  try {
    const folder = startFolder();
    const defaultPath = purpose === 'openRecording' ? (lastRecording ?? folder) : joinPath(folder, suggestedName(purpose));
    chosen = (await host.choosePath({ purpose, ...(folder === '~' ? {} : { defaultPath }) })).path;
  } catch (err) {
    if (err instanceof HostError && err.code === 'E_UNSUPPORTED') return false;
    useDebug.getState().setNotice(`Could not show the file dialog: ${err instanceof Error ? err.message : String(err)}`, true);
    return true;
  }
  if (chosen === null) return true;
  try {
    done(purpose, chosen, await act(purpose, chosen, true));
  } catch (err) {
    useDebug.getState().setNotice(err instanceof Error ? err.message : String(err), true);
  }
  return true;
}

export function RecordingDialog({ purpose, host, onClose }: { purpose: RecordingPurpose; host: HostApi; onClose: () => void }) {
  const recent = useDocumentUi((s) => s.recent);
  const document = useStudio((s) => s.document);
  const docFolder = document ? documentFolder(document) : null;
  const places = useMemo(() => placesFor('~', docFolder, recent), [docFolder, recent]);
  const defaultName = suggestedName(purpose);
  const [start] = useState(startFolder);
  const [path, setPath] = useState(() => (purpose === 'openRecording' ? (lastRecording ?? '') : lastFile ? joinPath(dirName(lastFile), defaultName) : ''));
  /** The folder the browser shows: an empty path field saves into it under the suggested name. */
  const [folder, setFolder] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [busy, setBusy] = useState(false);
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const fallback = folder === null || purpose === 'openRecording' ? null : joinPath(folder, defaultName);

  const changePath = (next: string) => {
    setPath(next);
    setConfirmReplace(false);
  };

  const submit = async (overwrite: boolean, target = path) => {
    const typed = target.trim();
    // A folder typed or gone to (ending in a separator) saves there under the suggested name.
    const chosen = typed && endsWithSeparator(typed) && purpose !== 'openRecording' ? joinPath(typed, defaultName) : typed || fallback || '';
    if (!chosen) {
      setError(purpose === 'openRecording' ? 'Enter the path of a recording, or pick one in the browser.' : 'Enter a path, or pick a folder in the browser.');
      return;
    }
    setError(null);
    setBusy(true);
    try {
      done(purpose, chosen, await act(purpose, chosen, overwrite));
      onClose();
    } catch (err) {
      const exists = err instanceof HostError && err.code === 'E_EXISTS';
      setConfirmReplace(exists);
      setError(exists ? `${chosen} already exists.` : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(false);
  };

  return (
    <Modal title={TITLES[purpose]} onCancel={onClose} describedBy={hintId} initialFocus={input} className="modal modal-wide" backdropClassName="modal-backdrop modal-backdrop-top">
      <form onSubmit={onSubmit}>
        <PathPicker
          host={host}
          native={false}
          kind={purpose === 'openRecording' ? 'openFile' : 'save'}
          path={path}
          onPath={changePath}
          defaultName={defaultName}
          placeholder={fallback ?? (purpose === 'openRecording' ? '/home/me/run.json' : `/home/me/${defaultName}`)}
          hint={HINTS[purpose]}
          hintId={hintId}
          start={start}
          places={places}
          inputRef={input}
          onFolder={setFolder}
          onChoose={(chosen) => void submit(false, chosen)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="modal-actions">
          {confirmReplace ? (
            <button type="button" aria-label="Replace the existing file" disabled={busy} onClick={() => void submit(true)}>
              Replace
            </button>
          ) : (
            <button type="submit" aria-label={SUBMIT[purpose]} disabled={busy}>
              {SUBMIT[purpose]}
            </button>
          )}
          <button type="button" aria-label="Cancel" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
