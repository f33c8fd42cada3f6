/**
 * What the toolbar, the dialogs and the keyboard shortcuts do with documents, over `HostApi`.
 * Requests go through one queue, so a recovery copy written just before a save can never land
 * after it (the host deletes the copy when a save succeeds).
 */
import { HostError, type ExportFormat, type GraphDocument, type HostApi, type NativeDialogPurpose } from '../../shared';
import { useStudio } from '../store';
import { useDocumentUi, type DocumentDialog } from './documentUi';
import { baseName, dirName, joinPath } from './paths';
import { lastPlace, rememberPlace } from './places';

/** Quiet time after the last edit before the recovery copy is written. */
export const RECOVERY_DEBOUNCE_MS = 1000;
/** Upper bound between an edit and its recovery copy while edits keep coming. */
export const RECOVERY_MAX_WAIT_MS = 2000;

export interface DocumentActions {
  /** Starts an empty untitled document, after the unsaved-edits question when there are edits. */
  newDocument(): void;
  showOpen(): void;
  showSaveAs(): void;
  showExport(): void;
  /** Saves to the document's own file; a document without one goes to Save As. */
  save(force?: boolean): Promise<void>;
  /**
   * Opens a path; rejects with the host's error for the dialog to show. With `discardEdits`
   * the unsaved edits of the current document are dropped with their recovery copy.
   */
  openPath(path: string, discardEdits?: boolean): Promise<void>;
  /**
   * Opens a path picked in a file dialog: a `property.json` whose folder is a TEN app opens the
   * app (so its packages come with it); anything else as `openPath`.
   */
  openChosen(path: string, discardEdits?: boolean): Promise<void>;
  /**
   * The system's file dialog (Electron): the chosen path, null when cancelled, or undefined when
   * the host has none or it failed (the failure is shown).
   */
  choose(purpose: NativeDialogPurpose, defaultPath?: string): Promise<string | null | undefined>;
  /** Runs `proceed` at once, or after the user agreed to drop the current unsaved edits. */
  guardUnsaved(proceed: () => void): void;
  /** Answers the unsaved-edits question: drop the edits (and their recovery copy) and go on. */
  discardAndProceed(): Promise<void>;
  /** Rejects with a `HostError` (`E_EXISTS` when the target exists and `overwrite` is false). */
  saveAs(path: string, overwrite: boolean): Promise<void>;
  /** Rejects like `saveAs`. */
  exportTo(path: string, format: ExportFormat, graphName: string | undefined, overwrite: boolean): Promise<void>;
  resolveConflict(choice: 'overwrite' | 'reload' | 'saveAs'): Promise<void>;
  restoreRecovery(documentId: string): Promise<void>;
  discardRecovery(documentId: string): Promise<void>;
  /** Loads recent files and recovery offers and starts recovery copies; returns the stop function. */
  start(): () => void;
}

/** The path a document is reopened from: its app folder or its file. */
export function documentPath(doc: GraphDocument): string | null {
  switch (doc.origin.kind) {
    case 'example':
    case 'untitled':
      return null;
    case 'app':
      return doc.origin.dir;
    case 'property':
    case 'graph':
      return doc.origin.file;
  }
}

/** The folder a document's file dialogs start in: its app folder or its file's folder. */
export function documentFolder(doc: GraphDocument): string | null {
  if (doc.origin.kind === 'app') return doc.origin.dir;
  const path = documentPath(doc);
  return path === null ? null : dirName(path);
}

/** An empty document without a file, with one empty graph `main` to draw in. */
export function untitledDocument(): GraphDocument {
  return {
    id: `untitled:${crypto.randomUUID()}`,
    title: 'Untitled',
    origin: { kind: 'untitled' },
    property: { ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph: { nodes: [] } }] } },
  };
}

/** The last segment of a path, for short notices (the full paths go in the tooltip). */
function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

function savedNotice(files: string[]): string {
  return `Saved ${fileName(files[0] ?? '')}${files.length > 1 ? ' and its layout' : ''}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createDocumentActions(host: HostApi): DocumentActions {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  };

  const ui = () => useDocumentUi.getState();
  const studio = () => useStudio.getState();
  const reportError = (what: string, err: unknown) => studio().setError(`${what}: ${message(err)}`);

  const refreshRecent = () =>
    host.listRecent().then(
      (list) => ui().setRecent(list),
      (err: unknown) => reportError('Could not list recent files', err),
    );

  let timer: ReturnType<typeof setTimeout> | null = null;
  let firstEditAt: number | null = null;
  let pending: GraphDocument | null = null;

  const cancelRecovery = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    firstEditAt = null;
    pending = null;
  };

  const flushRecovery = () => {
    const doc = pending;
    cancelRecovery();
    if (!doc) return;
    void serial(() => host.saveRecovery({ document: doc })).then(
      ({ savedAt }) => {
        if (studio().dirty) ui().setRecoverySavedAt(savedAt);
      },
      (err: unknown) => reportError('Could not write the recovery copy of your edits', err),
    );
  };

  const scheduleRecovery = (doc: GraphDocument) => {
    const now = Date.now();
    pending = doc;
    firstEditAt ??= now;
    if (timer !== null) clearTimeout(timer);
    const wait = Math.max(0, Math.min(RECOVERY_DEBOUNCE_MS, RECOVERY_MAX_WAIT_MS - (now - firstEditAt)));
    timer = setTimeout(flushRecovery, wait);
  };

  /**
   * After a save of `sent` that wrote nothing: edits whose recovery copy the save had cancelled
   * (`wasPending`) get one again, of the document as it is now. Edits made while the save ran
   * may already have scheduled or written a newer copy than `wasPending`, which must not win.
   */
  const keepRecovery = (sent: GraphDocument, wasPending: GraphDocument | null) => {
    const { document: current, dirty } = studio();
    if (wasPending && pending === null && dirty && current?.id === sent.id) scheduleRecovery(current);
  };

  /** Runs a request with the toolbar's file actions disabled meanwhile. */
  const busy = async <T>(run: () => Promise<T>): Promise<T> => {
    ui().setBusy(true);
    try {
      return await run();
    } finally {
      ui().setBusy(false);
    }
  };

  /**
   * Closes the dialog a request came from (Save As, the conflict question), if it is still the
   * one shown: a dialog opened while the request ran (Ctrl+O during a save) is not its own.
   */
  const closeOwnDialog = (own: DocumentDialog | null) => {
    if (own !== null && ui().dialog === own) ui().setDialog(null);
  };

  const showFile = (mode: 'open' | 'saveAs' | 'export') => {
    ui().setDialog({ kind: 'file', mode });
    void refreshRecent();
  };

  /** Drops the current document's unsaved edits and their recovery copy. */
  const discardEdits = async () => {
    const doc = studio().document;
    cancelRecovery();
    studio().forgetEdits();
    ui().setRecoverySavedAt(null);
    if (!doc) return;
    ui().dropRecovery(doc.id);
    await serial(() => host.discardRecovery({ documentId: doc.id }));
  };

  const openPath = async (path: string, discard = false) => {
    const previous = studio().document;
    if (discard) cancelRecovery();
    else flushRecovery();
    const opened = await busy(() => serial(() => host.openDocument({ path })));
    if (discard) await discardEdits().catch((err: unknown) => reportError('Could not discard the recovery copy', err));
    studio().openDocument(opened.document);
    rememberPlace(path, opened.document.origin.kind === 'app');
    ui().setRecoverySavedAt(null);
    // What the host found while opening (bytes that are not UTF-8, an interrupted save cleaned
    // up, an unreadable layout sidecar) is shown, not just logged.
    studio().setError(opened.warnings.length > 0 ? opened.warnings.join(' ') : null);
    const dropped = discard && opened.recovery?.documentId === previous?.id;
    if (opened.recovery && !dropped) ui().addRecovery(opened.recovery);
    ui().setDialog(null);
    ui().setNotice(`Opened ${opened.document.title}`);
    void refreshRecent();
  };

  /**
   * Applies a save's result: `revision` (the content sent) is the saved one, so edits made while
   * the save ran stay unsaved on top of it, and undoing them comes back to a clean document.
   */
  const applySaved = (sent: GraphDocument, revision: number, saved: GraphDocument) => {
    const current = studio().document;
    // Another document was opened while the save ran (New, an example): it is not the one saved,
    // and taking the saved file's identity would let its Save overwrite that file.
    if (current && current.id !== sent.id) return;
    if (current === sent || !current) {
      // The host saved the property it was sent; keeping that same object (rather than the
      // answer's copy of it) keeps what the host already holds of it recognisable (docsync.ts).
      studio().markSaved({ ...saved, property: sent.property }, revision);
      ui().setRecoverySavedAt(null);
      return;
    }
    studio().markSaved({ ...current, id: saved.id, title: saved.title, origin: saved.origin, base: saved.base }, revision);
  };

  /** Electron shows the system's file dialogs; browser mode the studio's own. */
  const native = () => studio().version?.transport === 'electron';

  const choose = async (purpose: NativeDialogPurpose, defaultPath?: string): Promise<string | null | undefined> => {
    try {
      return (await host.choosePath({ purpose, ...(defaultPath ? { defaultPath } : {}) })).path;
    } catch (err) {
      if (!(err instanceof HostError && err.code === 'E_UNSUPPORTED')) reportError('Could not show the file dialog', err);
      return undefined;
    }
  };

  const openChosen = async (path: string, discard = false) => {
    let target = path;
    if (baseName(path) === 'property.json') {
      const folder = await host.listDirectory({ path: dirName(path), limit: 1 }).catch(() => null);
      if (folder?.ten === 'app') target = folder.path;
    }
    await openPath(target, discard);
  };

  /** Electron's Open: the system's dialog first, then the unsaved-edits question, so a cancel loses nothing. */
  const openNative = async () => {
    const doc = studio().document;
    const start = (doc && documentFolder(doc)) ?? lastPlace() ?? undefined;
    const path = await choose('open', start);
    if (path === undefined) return showFile('open');
    if (path === null) return;
    actions.guardUnsaved(() => void openChosen(path).catch((err: unknown) => reportError(`Could not open ${path}`, err)));
  };

  /** Electron's Save As: the system's dialog confirms a replacement itself. */
  const saveAsNative = async () => {
    const doc = studio().document;
    if (!doc) return;
    const current = documentPath(doc);
    const folder = documentFolder(doc) ?? lastPlace();
    const suggested = doc.origin.kind === 'app' || current === null ? (folder ? joinPath(folder, 'property.json') : undefined) : current;
    const path = await choose('saveAs', suggested);
    if (path === undefined) return showFile('saveAs');
    if (path === null) return;
    await actions.saveAs(path, true).catch((err: unknown) => reportError('Could not save', err));
  };

  const actions: DocumentActions = {
    newDocument: () => actions.guardUnsaved(() => studio().openDocument(untitledDocument())),
    showOpen: () => (native() ? void openNative() : showFile('open')),
    showSaveAs: () => (native() ? void saveAsNative() : showFile('saveAs')),
    showExport: () => showFile('export'),

    async save(force = false) {
      const { document: doc, revision } = studio();
      // Like the toolbar's disabled Save: sent behind a running save, this content would carry
      // the fingerprint from before it and be refused as changed on disk.
      if (!doc || ui().busy) return;
      if (documentPath(doc) === null) {
        actions.showSaveAs();
        return;
      }
      const own = ui().dialog;
      const wasPending = pending;
      cancelRecovery();
      try {
        const saved = await busy(() => serial(() => host.saveDocument({ document: doc, ...(force ? { force } : {}) })));
        applySaved(doc, revision, saved.document);
        closeOwnDialog(own);
        ui().setNotice(savedNotice(saved.files));
        studio().setError(saved.warnings.length > 0 ? saved.warnings.join(' ') : null);
        void refreshRecent();
      } catch (err) {
        keepRecovery(doc, wasPending);
        if (err instanceof HostError && err.code === 'E_CONFLICT') ui().setDialog({ kind: 'conflict', message: err.message });
        else reportError('Could not save', err);
      }
    },

    openPath,
    openChosen,
    choose,

    guardUnsaved(proceed) {
      const { document, dirty } = studio();
      if (!document || !dirty) proceed();
      else ui().setDialog({ kind: 'unsaved', title: document.title, proceed });
    },

    async discardAndProceed() {
      const dialog = ui().dialog;
      if (dialog?.kind !== 'unsaved') return;
      ui().setDialog(null);
      try {
        await discardEdits();
      } catch (err) {
        reportError('Could not discard the recovery copy', err);
      }
      dialog.proceed();
    },

    async saveAs(path, overwrite) {
      const { document: doc, revision } = studio();
      if (!doc) return;
      const own = ui().dialog;
      const wasPending = pending;
      cancelRecovery();
      let saved;
      try {
        saved = await busy(() => serial(() => host.saveDocumentAs({ document: doc, path, ...(overwrite ? { overwrite } : {}) })));
      } catch (err) {
        // Nothing was written (the file exists, a bad path).
        keepRecovery(doc, wasPending);
        throw err;
      }
      applySaved(doc, revision, saved.document);
      rememberPlace(path);
      closeOwnDialog(own);
      ui().setNotice(savedNotice(saved.files));
      studio().setError(saved.warnings.length > 0 ? saved.warnings.join(' ') : null);
      void refreshRecent();
    },

    async exportTo(path, format, graphName, overwrite) {
      const doc = studio().document;
      if (!doc) return;
      const result = await busy(() =>
        serial(() =>
          host.exportDocument({
            document: doc,
            path,
            format,
            ...(graphName !== undefined ? { graphName } : {}),
            ...(overwrite ? { overwrite } : {}),
          }),
        ),
      );
      rememberPlace(result.path);
      ui().setDialog(null);
      ui().setNotice(`Exported ${fileName(result.path)}`);
    },

    async resolveConflict(choice) {
      const doc = studio().document;
      if (!doc) return;
      if (choice === 'overwrite') return actions.save(true);
      if (choice === 'saveAs') return actions.showSaveAs();
      const path = documentPath(doc);
      if (!path) return;
      // Reloading is the explicit choice to drop these edits, so their recovery copy goes too.
      try {
        await openPath(path, true);
      } catch (err) {
        ui().setDialog(null);
        reportError('Could not reload', err);
      }
    },

    async restoreRecovery(documentId) {
      try {
        flushRecovery();
        const doc = await busy(() => serial(() => host.restoreRecovery({ documentId })));
        studio().openDocument(doc, true);
        ui().dropRecovery(documentId);
        ui().setNotice(`Restored unsaved edits of ${doc.title}`);
      } catch (err) {
        reportError('Could not restore the recovered edits', err);
      }
    },

    async discardRecovery(documentId) {
      try {
        await serial(() => host.discardRecovery({ documentId }));
        ui().dropRecovery(documentId);
      } catch (err) {
        reportError('Could not discard the recovered edits', err);
      }
    },

    start() {
      void refreshRecent();
      host.listRecoveries().then(
        (list) => ui().setRecoveries(list),
        (err: unknown) => reportError('Could not list recovered edits', err),
      );
      // Leaving the page with unsaved edits asks first (in Electron the main process asks, on
      // 'will-prevent-unload'). Listening only while there are edits lets a clean page go quietly.
      const onBeforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
      const guardLeaving = (dirty: boolean) => {
        if (dirty) window.addEventListener('beforeunload', onBeforeUnload);
        else window.removeEventListener('beforeunload', onBeforeUnload);
      };
      guardLeaving(studio().dirty);
      const unsubscribe = useStudio.subscribe((s, prev) => {
        if (s.dirty !== prev.dirty) guardLeaving(s.dirty);
        if (s.document && s.dirty && s.document !== prev.document) scheduleRecovery(s.document);
        // Undo or redo back to the saved content leaves no unsaved edits to recover.
        const undoneToSaved = !s.dirty && prev.dirty && s.savedRevision === prev.savedRevision;
        if (undoneToSaved) void discardEdits().catch((err: unknown) => reportError('Could not discard the recovery copy', err));
      });
      // Closing or reloading the page writes the last edits at once instead of after the debounce.
      const onHide = () => flushRecovery();
      window.addEventListener('pagehide', onHide);
      return () => {
        unsubscribe();
        guardLeaving(false);
        window.removeEventListener('pagehide', onHide);
        cancelRecovery();
      };
    },
  };
  return actions;
}
