/**
 * Keeps the editor's host-side knowledge current: the addon catalogue of the open app, and the
 * problems of the document as edited (checked on the host after a short pause in editing).
 */
import { useEffect } from 'react';
import type { HostApi } from '../../shared';
import { useStudio, type StudioState } from '../store';
import { useEditor } from './editorStore';
import { locateProblems } from './problems';

/** Editing pauses this long before the host checks the document. */
const VALIDATE_DELAY_MS = 250;

const selectAppDir = (s: StudioState) => (s.document?.origin.kind === 'app' ? s.document.origin.dir : null);
/** An example runs with its own folder as its app: its packages are in the catalogue too. */
const selectExample = (s: StudioState) => (s.document?.origin.kind === 'example' ? s.document.origin.exampleId : null);

export function useEditorSync(host: HostApi): void {
  const appDir = useStudio(selectAppDir);
  const exampleId = useStudio(selectExample);

  useEffect(() => {
    let current = true;
    host.listAddons(appDir !== null ? { appDir } : exampleId !== null ? { exampleId } : {}).then(
      (list) => current && useEditor.getState().setAddons(list),
      (err: Error) => current && useEditor.getState().setAddonsError(`Could not list addons: ${err.message}`),
    );
    return () => {
      current = false;
    };
  }, [host, appDir, exampleId]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let seq = 0;
    const check = () => {
      const { document } = useStudio.getState();
      if (!document) {
        useEditor.getState().setProblems([], null);
        return;
      }
      const mine = ++seq;
      host.validateDocument({ document }).then(
        ({ diagnostics }) => {
          // An answer for a document that has changed since is dropped; the newer check follows.
          if (mine !== seq) return;
          useEditor.getState().setProblems(locateProblems(document.property, diagnostics), useStudio.getState().graphName);
        },
        (err: Error) => {
          if (mine !== seq) return;
          useEditor.getState().setValidating(false);
          useStudio.getState().setError(`Could not check the document: ${err.message}`);
        },
      );
    };
    check();
    const unsubscribe = useStudio.subscribe((s, prev) => {
      if (s.graphName !== prev.graphName) useEditor.getState().showBadgesFor(s.graphName);
      if (s.document?.property === prev.document?.property && s.document?.origin === prev.document?.origin) return;
      useEditor.getState().setValidating(true);
      clearTimeout(timer);
      timer = setTimeout(check, VALIDATE_DELAY_MS);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [host]);
}
