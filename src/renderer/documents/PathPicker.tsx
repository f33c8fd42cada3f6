/**
 * The body of every file dialog of the studio (Open, Save As and Export of documents; Open, Save
 * and Export of recordings): a Path field the user may type into, and below it, in browser mode,
 * the studio's file browser (Electron's dialogs are the system's, so there only the field is
 * shown). Going into a folder in the browser fills the field (a save keeps the typed file name in
 * the new folder, or suggests `defaultName`); selecting a file puts its path there; Enter or a
 * double-click on a file chooses it; a typed path ending in a separator shows that folder.
 */
import { useEffect, useRef, useState, type RefObject } from 'react';
import type { HostApi } from '../../shared';
import { FileBrowser } from './FileBrowser';
import { baseName, endsWithSeparator, joinPath } from './paths';
import type { Place } from './places';

export interface PathPickerProps {
  host: HostApi;
  /** Electron: only the field (its dialogs are the system's). */
  native: boolean;
  /**
   * What the path is: a file or folder to open (`open`: a folder gone to or selected is the
   * path), a file to open (`openFile`: folders only lead to files), or a file to write (`save`).
   */
  kind: 'open' | 'openFile' | 'save';
  path: string;
  onPath(path: string): void;
  /** The file name a save suggests in a folder the user went to. */
  defaultName: string;
  placeholder: string;
  /** The dialog's explanation, and its id for the dialog's `aria-describedby`. */
  hint: string;
  hintId: string;
  /** The folder the browser shows first, and its places column. */
  start: string;
  places: readonly Place[];
  inputRef: RefObject<HTMLInputElement | null>;
  /** The folder the browser shows, whenever it changes. */
  onFolder(folder: string): void;
  /** A file chosen in the browser (Enter, double-click): the dialog's submit with that path. */
  onChoose(path: string): void;
}

export function PathPicker({ host, native, kind, path, onPath, defaultName, placeholder, hint, hintId, start, places, inputRef, onFolder, onChoose }: PathPickerProps) {
  const [goTo, setGoTo] = useState<{ path: string } | null>(null);
  const pathNow = useRef(path);
  pathNow.current = path;

  // A folder path typed with a trailing separator is shown in the browser.
  useEffect(() => {
    if (native || !endsWithSeparator(path.trim()) || path.trim().length < 2) return;
    const timer = setTimeout(() => setGoTo({ path: path.trim() }), 250);
    return () => clearTimeout(timer);
  }, [path, native]);

  return (
    <>
      <label className="field">
        <span>Path</span>
        <input ref={inputRef} type="text" aria-label="Path" value={path} spellCheck={false} placeholder={placeholder} onChange={(e) => onPath(e.target.value)} />
      </label>
      <p className="muted" id={hintId}>
        {hint}
        {native ? '' : ' Pick it below or type it; a path ending in / shows that folder.'}
      </p>
      {!native && (
        <FileBrowser
          host={host}
          start={start}
          places={places}
          goTo={goTo}
          onFolder={(listing, cause) => {
            onFolder(listing.path);
            // Only a folder the user went to in the browser changes the field: the first one
            // arrives while the user may be typing, and a typed folder path is theirs.
            if (cause !== 'user') return;
            if (kind === 'open') onPath(listing.path);
            else if (kind === 'save') onPath(joinPath(listing.path, baseName(pathNow.current) || defaultName));
          }}
          onSelect={(entry) => {
            if (kind === 'open' || entry.kind === 'file') onPath(entry.path);
          }}
          onChoose={(entry) => {
            onPath(entry.path);
            onChoose(entry.path);
          }}
        />
      )}
    </>
  );
}
