/**
 * The editor's keyboard shortcuts: one table, read by the key handler and by the help sheet, so
 * the sheet cannot drift from what the keys do.
 */
import { useEffect } from 'react';
import { modalOpen } from '../Modal';
import { useStudio } from '../store';
import { autoLayout, copySelection, deleteSelection, duplicateSelection, paste } from './actions';
import { useEditor } from './editorStore';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const MOD_LABEL = isMac ? '⌘' : 'Ctrl';

export interface Shortcut {
  keys: string;
  does: string;
}

/** What the help sheet lists (file shortcuts included: they are handled by the documents module). */
export const SHORTCUTS: Shortcut[] = [
  { keys: `${MOD_LABEL}+Z`, does: 'Undo' },
  { keys: `${MOD_LABEL}+Shift+Z or ${MOD_LABEL}+Y`, does: 'Redo' },
  { keys: 'Delete or Backspace', does: 'Delete the selected nodes and connections' },
  { keys: `${MOD_LABEL}+C / ${MOD_LABEL}+V`, does: 'Copy and paste the selected nodes (with the connections among them)' },
  { keys: `${MOD_LABEL}+D`, does: 'Duplicate the selected nodes' },
  { keys: `${MOD_LABEL}+A`, does: 'Select every node' },
  { keys: 'Shift+click, Shift+drag', does: 'Add to the selection, select with a box' },
  { keys: `${MOD_LABEL}+F`, does: 'Find a node' },
  { keys: 'L', does: 'Auto layout' },
  { keys: 'F', does: 'Fit the graph in view' },
  { keys: 'Escape', does: 'Clear the selection; in a dialog, cancel it' },
  { keys: '?', does: 'Show this sheet' },
  { keys: `${MOD_LABEL}+N`, does: 'New document' },
  { keys: `${MOD_LABEL}+S / ${MOD_LABEL}+Shift+S / ${MOD_LABEL}+O`, does: 'Save, Save As, Open' },
  { keys: 'Arrows, Home, End (on a splitter)', does: 'Resize the pane by 16 px, to its smallest, to its largest; Enter or double-click: its default size' },
  { keys: '← / →, Home, End (on a bottom panel tab)', does: 'Show the previous, next, first or last tab' },
];

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

/** Installs the editor's keys on the window; `fitView` comes from the canvas. */
export function useEditorShortcuts(fitView: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Dialogs own the keyboard while they are open.
      if (modalOpen()) return;
      const mod = isMac ? e.metaKey : e.ctrlKey;
      const key = e.key.toLowerCase();
      const editor = useEditor.getState();
      const studio = useStudio.getState();
      if (mod && key === 'f') {
        e.preventDefault();
        editor.setFindOpen(true);
        return;
      }
      if (typingIn(e.target)) return;
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) studio.redo();
        else studio.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        studio.redo();
      } else if (mod && key === 'c') {
        // Selected text (a log line, a problem) is the browser's to copy.
        if (window.getSelection()?.toString()) return;
        if (copySelection()) e.preventDefault();
      } else if (mod && key === 'v') {
        e.preventDefault();
        paste();
      } else if (mod && key === 'd') {
        e.preventDefault();
        duplicateSelection();
      } else if (mod && key === 'a') {
        e.preventDefault();
        const graph = studio.document?.property.ten?.predefined_graphs?.find((g) => g.name === studio.graphName)?.graph;
        if (graph && 'nodes' in graph) studio.setSelection((graph.nodes as { name: string }[]).map((n) => n.name), []);
      } else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        deleteSelection();
      } else if (!mod && e.key === '?') {
        editor.setHelpOpen(true);
      } else if (!mod && !e.altKey && key === 'l') {
        autoLayout();
      } else if (!mod && !e.altKey && key === 'f') {
        fitView();
      } else if (e.key === 'Escape') {
        studio.setSelection([], []);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [fitView]);
}
