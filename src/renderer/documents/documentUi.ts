/**
 * UI state of document handling: which dialog is open, the recent-files list, recovery offers
 * and the last notice. Kept apart from the graph store so that dialogs never re-render the canvas.
 */
import { create } from 'zustand';
import type { RecentFile, RecoveryInfo } from '../../shared';

/** The file dialog's purpose: what its path field is for. */
export type FileDialogMode = 'open' | 'saveAs' | 'export';

export type DocumentDialog =
  | { kind: 'file'; mode: FileDialogMode }
  | {
      /** A save found the file changed on disk; `message` is the host's explanation. */
      kind: 'conflict';
      message: string;
    }
  | {
      /** Something would replace a document with unsaved edits; `proceed` does it. */
      kind: 'unsaved';
      title: string;
      proceed: () => void;
    };

export interface DocumentUiState {
  dialog: DocumentDialog | null;
  recent: RecentFile[];
  /** Recovery copies the user has not yet restored or discarded, newest first. */
  recoveries: RecoveryInfo[];
  /** True while a document request is in flight; the toolbar disables its file actions. */
  busy: boolean;
  /** The outcome of the last file action (saved, exported), shown in the toolbar. */
  notice: string | null;
  /** When the host last stored a recovery copy of the current unsaved edits, or null. */
  recoverySavedAt: number | null;
  setDialog(dialog: DocumentDialog | null): void;
  setRecent(recent: RecentFile[]): void;
  setRecoveries(recoveries: RecoveryInfo[]): void;
  addRecovery(recovery: RecoveryInfo): void;
  dropRecovery(documentId: string): void;
  setBusy(busy: boolean): void;
  setNotice(notice: string | null): void;
  setRecoverySavedAt(savedAt: number | null): void;
}

export const useDocumentUi = create<DocumentUiState>()((set) => ({
  dialog: null,
  recent: [],
  recoveries: [],
  busy: false,
  notice: null,
  recoverySavedAt: null,
  setDialog: (dialog) => set({ dialog }),
  setRecent: (recent) => set({ recent }),
  setRecoveries: (recoveries) => set({ recoveries }),
  addRecovery: (recovery) =>
    set((s) => ({ recoveries: [recovery, ...s.recoveries.filter((r) => r.documentId !== recovery.documentId)] })),
  dropRecovery: (documentId) => set((s) => ({ recoveries: s.recoveries.filter((r) => r.documentId !== documentId) })),
  setBusy: (busy) => set({ busy }),
  setNotice: (notice) => set({ notice }),
  setRecoverySavedAt: (recoverySavedAt) => set({ recoverySavedAt }),
}));
