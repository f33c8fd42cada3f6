/**
 * Run options a user sets per document and expects to find again (after a reload, or when the
 * document is opened next time): whether its runs debug the Python extensions, and on which port
 * the first Python process listens. Kept in localStorage by document id (stable per file or
 * example), like the panel layout; not in the document, since they change no graph.
 */
import { create } from 'zustand';

export const DEFAULT_PYTHON_DEBUG_PORT = 5678;

export interface RunOptions {
  pythonDebug: boolean;
  pythonDebugPort: number;
}

const STORAGE_KEY = 'ten-studio.run-options';
/** Documents remembered (the most recently changed ones). */
const MAX_DOCUMENTS = 100;
const DEFAULTS: RunOptions = { pythonDebug: false, pythonDebugPort: DEFAULT_PYTHON_DEBUG_PORT };

type Stored = Record<string, { pythonDebug?: unknown; pythonDebugPort?: unknown; at?: unknown }>;

function load(): Stored {
  try {
    const v = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Stored) : {};
  } catch {
    return {};
  }
}

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** A document's options, each value checked (anything else falls back to its default). */
function optionsOf(stored: Stored, documentId: string): RunOptions {
  const s = stored[documentId];
  return {
    pythonDebug: s?.pythonDebug === true,
    pythonDebugPort: isPort(s?.pythonDebugPort) ? s.pythonDebugPort : DEFAULTS.pythonDebugPort,
  };
}

interface RunOptionsState {
  stored: Stored;
  set(documentId: string, change: Partial<RunOptions>): void;
}

export const useRunOptions = create<RunOptionsState>()((set, get) => ({
  stored: load(),
  set: (documentId, change) => {
    const next: Stored = { ...get().stored, [documentId]: { ...optionsOf(get().stored, documentId), ...change, at: Date.now() } };
    const ids = Object.keys(next).sort((a, b) => Number(next[b]!.at ?? 0) - Number(next[a]!.at ?? 0));
    for (const id of ids.slice(MAX_DOCUMENTS)) delete next[id];
    set({ stored: next });
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage full or disabled: the choice holds for this window.
    }
  },
}));

/** A document's options now (outside React: when a run starts). */
export function runOptionsOf(documentId: string): RunOptions {
  return optionsOf(useRunOptions.getState().stored, documentId);
}

/** The run options of a document (defaults for none). */
export function useDocumentRunOptions(documentId: string | undefined): RunOptions {
  const stored = useRunOptions((s) => s.stored);
  return documentId === undefined ? DEFAULTS : optionsOf(stored, documentId);
}
