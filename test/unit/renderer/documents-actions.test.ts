import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDocumentActions, RECOVERY_MAX_WAIT_MS } from '../../../src/renderer/documents/actions';
import { useDocumentUi } from '../../../src/renderer/documents/documentUi';
import { useStudio } from '../../../src/renderer/store';
import { HostError, type GraphDocument, type HostApi } from '../../../src/shared';

const doc: GraphDocument = {
  id: 'app:/a',
  title: 'a',
  origin: { kind: 'app', dir: '/a', propertyFile: '/a/property.json', packages: [] },
  property: { ten: { predefined_graphs: [{ name: 'g', graph: { nodes: [] } }] } },
  base: { sha256: 'x', mtimeMs: 1, size: 1 },
};

/** A HostApi whose document calls are recorded and answered by `answers`. */
function fakeHost(answers: Partial<Record<keyof HostApi, (params: never) => unknown>> = {}) {
  const calls: [string, unknown][] = [];
  const api = new Proxy({} as HostApi, {
    get: (_t, method: string) => async (params: unknown) => {
      calls.push([method, params]);
      const answer = answers[method as keyof HostApi];
      if (answer) return (answer as (p: unknown) => unknown)(params);
      if (method === 'saveRecovery') return { savedAt: 1 };
      if (method === 'listRecent' || method === 'listRecoveries') return [];
      if (method === 'saveDocument') return { document: { ...(params as { document: GraphDocument }).document, base: { sha256: 'y', mtimeMs: 2, size: 2 } }, files: ['/a/property.json'], warnings: [] };
      return {};
    },
  });
  return { api, calls, of: (m: string) => calls.filter(([name]) => name === m).map(([, p]) => p) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('window', new EventTarget());
  useStudio.setState({ document: null, dirty: false, graphName: null, error: null, version: null });
  useDocumentUi.setState({ dialog: null, recoveries: [], busy: false, notice: null, recoverySavedAt: null });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('document actions in the renderer', () => {
  it('writes a recovery copy at most two seconds after the first of a stream of edits', async () => {
    const host = fakeHost();
    const stop = createDocumentActions(host.api).start();
    useStudio.getState().openDocument(doc);
    for (let t = 0; t < RECOVERY_MAX_WAIT_MS; t += 400) {
      useStudio.getState().moveNode('g', 'n', { x: t, y: 0 });
      await vi.advanceTimersByTimeAsync(400);
    }
    expect(host.of('saveRecovery')).toHaveLength(1);
    const sent = host.of('saveRecovery')[0] as { document: GraphDocument };
    expect(sent.document.layout?.graphs.g?.nodes.n?.x).toBeGreaterThanOrEqual(1200);
    stop();
  });

  it('sends no recovery copy for a document without edits', async () => {
    const host = fakeHost();
    const stop = createDocumentActions(host.api).start();
    useStudio.getState().openDocument(doc);
    await vi.advanceTimersByTimeAsync(5000);
    expect(host.of('saveRecovery')).toEqual([]);
    stop();
  });

  it('cancels a pending recovery copy when the edits are saved', async () => {
    const host = fakeHost();
    const actions = createDocumentActions(host.api);
    const stop = actions.start();
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    await actions.save();
    await vi.advanceTimersByTimeAsync(5000);
    expect(host.of('saveRecovery')).toEqual([]);
    expect(useStudio.getState()).toMatchObject({ dirty: false, document: { base: { sha256: 'y' } } });
    stop();
  });

  it('opens the conflict dialog on E_CONFLICT, keeps the edits, and overwrites with force', async () => {
    let refuse = true;
    const host = fakeHost({
      saveDocument: (p: { document: GraphDocument; force?: boolean }) => {
        if (refuse) throw new HostError('E_CONFLICT', '/a/property.json changed on disk');
        return { document: p.document, files: ['/a/property.json'], warnings: [] };
      },
    });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    await actions.save();
    expect(useDocumentUi.getState().dialog).toEqual({ kind: 'conflict', message: '/a/property.json changed on disk' });
    expect(useStudio.getState().dirty).toBe(true);
    refuse = false;
    await actions.resolveConflict('overwrite');
    expect(host.of('saveDocument').at(-1)).toMatchObject({ force: true });
    expect(useDocumentUi.getState().dialog).toBeNull();
    expect(useStudio.getState().dirty).toBe(false);
  });

  it('keeps edits made while a save was in flight as unsaved', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const host = fakeHost({ saveDocument: (p: { document: GraphDocument }) => new Promise((r) => (finish = () => r({ document: p.document, files: ['/a/property.json'], warnings: [] }))) });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    const saving = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    useStudio.getState().moveNode('g', 'n', { x: 2, y: 2 });
    finish(undefined);
    await saving;
    expect(useStudio.getState().dirty).toBe(true);
    expect(useStudio.getState().document?.layout?.graphs.g?.nodes.n).toEqual({ x: 2, y: 2 });
  });

  it('counts a save that ran while edits came in as saving the content sent', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const host = fakeHost({ saveDocument: (p: { document: GraphDocument }) => new Promise((r) => (finish = () => r({ document: p.document, files: ['/a/property.json'], warnings: [] }))) });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    const addNode = (name: string) =>
      useStudio.getState().applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name, addon: 'x' } } }]);
    addNode('n1');
    const saving = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    addNode('n2');
    finish(undefined);
    await saving;
    expect(useStudio.getState().dirty).toBe(true);
    useStudio.getState().undo();
    expect(useStudio.getState().dirty).toBe(false);
    useStudio.getState().undo();
    expect(useStudio.getState().dirty).toBe(true);
  });

  it('drops the recovery copy when undo comes back to the saved content', async () => {
    const host = fakeHost();
    const stop = createDocumentActions(host.api).start();
    useStudio.getState().openDocument(doc);
    useStudio.getState().applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name: 'n', addon: 'x' } } }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(host.of('saveRecovery')).toHaveLength(1);
    useStudio.getState().undo();
    await vi.advanceTimersByTimeAsync(5000);
    expect(host.of('discardRecovery')).toEqual([{ documentId: 'app:/a' }]);
    expect(host.of('saveRecovery')).toHaveLength(1);
    expect(useDocumentUi.getState().recoverySavedAt).toBeNull();
    stop();
  });

  it('asks before the page is left only while there are unsaved edits', async () => {
    const host = fakeHost();
    const actions = createDocumentActions(host.api);
    const stop = actions.start();
    const leave = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented ? 'asks' : 'leaves';
    };
    useStudio.getState().openDocument(doc);
    expect(leave()).toBe('leaves');
    useStudio.getState().applyStep([{ type: 'editGraph', graph: 'g', edit: { type: 'addNode', node: { type: 'extension', name: 'n', addon: 'x' } } }]);
    expect(leave()).toBe('asks');
    useStudio.getState().undo();
    expect(leave()).toBe('leaves');
    useStudio.getState().redo();
    await actions.save();
    expect(leave()).toBe('leaves');
    useStudio.getState().undo();
    expect(leave()).toBe('asks');
    stop();
    expect(leave()).toBe('leaves');
  });

  it('sends a document without a file to Save As', async () => {
    const host = fakeHost();
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument({ ...doc, id: 'example:e', origin: { kind: 'example', exampleId: 'e' } });
    await actions.save();
    expect(host.of('saveDocument')).toEqual([]);
    expect(useDocumentUi.getState().dialog).toEqual({ kind: 'file', mode: 'saveAs' });
  });

  it('ignores a second Save while one is running (Ctrl+S pressed twice), as the toolbar does', async () => {
    const waiting: (() => void)[] = [];
    const finish = () => waiting.splice(0).forEach((f) => f());
    const host = fakeHost({
      saveDocument: (p: { document: GraphDocument }) =>
        new Promise((r) => waiting.push(() => r({ document: { ...p.document, base: { sha256: 'y', mtimeMs: 2, size: 2 } }, files: ['/a/property.json'], warnings: [] }))),
    });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    const first = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    // Sent again, it would carry the fingerprint from before the first save: a false conflict.
    const second = actions.save();
    finish();
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await Promise.all([first, second]);
    expect(host.of('saveDocument')).toHaveLength(1);
    expect(useDocumentUi.getState().dialog).toBeNull();
    expect(useStudio.getState()).toMatchObject({ dirty: false, document: { base: { sha256: 'y' } } });
  });

  it('leaves a dialog opened while a save was in flight open when the save completes', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const host = fakeHost({ saveDocument: (p: { document: GraphDocument }) => new Promise((r) => (finish = () => r({ document: p.document, files: ['/a/property.json'], warnings: [] }))) });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    const saving = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    actions.showOpen();
    finish(undefined);
    await saving;
    expect(useStudio.getState().dirty).toBe(false);
    expect(useDocumentUi.getState().dialog).toEqual({ kind: 'file', mode: 'open' });
  });

  it('closes only its own Save As dialog when a Save As completes', async () => {
    const waiting: (() => void)[] = [];
    const host = fakeHost({
      saveDocumentAs: (p: { document: GraphDocument; path: string }) =>
        new Promise((r) => waiting.push(() => r({ document: { ...p.document, id: `property:${p.path}`, origin: { kind: 'property', file: p.path } }, files: [p.path], warnings: [] }))),
    });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    actions.showSaveAs();
    let saving = actions.saveAs('/b.json', false);
    await vi.advanceTimersByTimeAsync(0);
    waiting.splice(0).forEach((f) => f());
    await saving;
    expect(useDocumentUi.getState().dialog).toBeNull();
    // The Save As dialog is closed (Escape) while its save runs, and Ctrl+O opens Open.
    actions.showSaveAs();
    saving = actions.saveAs('/c.json', false);
    await vi.advanceTimersByTimeAsync(0);
    useDocumentUi.getState().setDialog(null);
    actions.showOpen();
    waiting.splice(0).forEach((f) => f());
    await saving;
    expect(useStudio.getState().document?.id).toBe('property:/c.json');
    expect(useDocumentUi.getState().dialog).toEqual({ kind: 'file', mode: 'open' });
  });

  it('keeps the pending recovery copy of edits when Save As writes nothing', async () => {
    const host = fakeHost({
      saveDocumentAs: () => {
        throw new HostError('E_EXISTS', '/b.json already exists; nothing was written. Confirm to replace it.');
      },
    });
    const actions = createDocumentActions(host.api);
    const stop = actions.start();
    actions.newDocument();
    useStudio.getState().moveNode('main', 'n', { x: 1, y: 1 });
    await expect(actions.saveAs('/b.json', false)).rejects.toMatchObject({ code: 'E_EXISTS' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(host.of('saveRecovery')).toHaveLength(1);
    stop();
  });

  it('keeps the newest edits in the recovery copy when a save fails while edits come in', async () => {
    let fail: () => void = () => undefined;
    const host = fakeHost({ saveDocument: () => new Promise((_r, reject) => (fail = () => reject(new Error('disk full')))) });
    const actions = createDocumentActions(host.api);
    const stop = actions.start();
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    const saving = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    useStudio.getState().moveNode('g', 'n', { x: 2, y: 2 });
    fail();
    await saving;
    await vi.advanceTimersByTimeAsync(5000);
    const copies = host.of('saveRecovery') as { document: GraphDocument }[];
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.at(-1)?.document.layout?.graphs.g?.nodes.n).toEqual({ x: 2, y: 2 });
    stop();
  });

  it('never lets a failed save or Save As write an older recovery copy over one written while it ran', async () => {
    const failing: (() => void)[] = [];
    const refuse = () => new Promise((_r, reject) => failing.push(() => reject(new HostError('E_IO', 'disk full'))));
    const host = fakeHost({ saveDocument: refuse, saveDocumentAs: refuse });
    const actions = createDocumentActions(host.api);
    const stop = actions.start();
    useStudio.getState().openDocument(doc);
    let x = 0;
    for (const run of [() => actions.save(), () => actions.saveAs('/b.json', false).catch(() => undefined)]) {
      useStudio.getState().moveNode('g', 'n', { x: ++x, y: 0 });
      const saving = run();
      await vi.advanceTimersByTimeAsync(0);
      // Edits while the save runs; their copy is written (queued behind the save) before it fails.
      useStudio.getState().moveNode('g', 'n', { x: ++x, y: 0 });
      await vi.advanceTimersByTimeAsync(5000);
      failing.splice(0).forEach((f) => f());
      await saving;
      await vi.advanceTimersByTimeAsync(5000);
      const copies = host.of('saveRecovery') as { document: GraphDocument }[];
      expect(copies.at(-1)?.document.layout?.graphs.g?.nodes.n).toEqual({ x, y: 0 });
    }
    stop();
  });

  it('leaves a document opened while a save of the previous one was in flight as it is', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const host = fakeHost({
      saveDocument: (p: { document: GraphDocument }) =>
        new Promise((r) => (finish = () => r({ document: { ...p.document, base: { sha256: 'y', mtimeMs: 2, size: 2 } }, files: ['/a/property.json'], warnings: [] }))),
    });
    const actions = createDocumentActions(host.api);
    // Saving a document without edits; Ctrl+N (unlike the toolbar's New, not disabled while
    // busy) replaces it at once, as it has no edits to ask about.
    useStudio.getState().openDocument(doc);
    const saving = actions.save();
    await vi.advanceTimersByTimeAsync(0);
    actions.newDocument();
    useStudio.getState().moveNode('main', 'm', { x: 3, y: 3 });
    finish(undefined);
    await saving;
    // The new document did not take the saved file's identity: its Save must not overwrite that file.
    expect(useStudio.getState().document).toMatchObject({ title: 'Untitled', origin: { kind: 'untitled' } });
    expect(useStudio.getState().document?.base).toBeUndefined();
    expect(useStudio.getState().dirty).toBe(true);
  });

  it('starts an untitled document, asking first when there are unsaved edits; Save goes to Save As', async () => {
    const host = fakeHost();
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    actions.newDocument();
    expect(useDocumentUi.getState().dialog).toMatchObject({ kind: 'unsaved', title: 'a' });
    expect(useStudio.getState().document?.id).toBe('app:/a');
    await actions.discardAndProceed();
    const created = useStudio.getState().document!;
    expect(created).toMatchObject({ title: 'Untitled', origin: { kind: 'untitled' } });
    expect(created.property.ten?.predefined_graphs).toEqual([{ name: 'main', auto_start: true, graph: { nodes: [] } }]);
    expect(useStudio.getState()).toMatchObject({ dirty: false, graphName: 'main', past: [] });
    // A clean document is replaced at once, by a new document with its own id (and recovery copy).
    actions.newDocument();
    expect(useDocumentUi.getState().dialog).toBeNull();
    expect(useStudio.getState().document!.id).not.toBe(created.id);
    useStudio.getState().moveNode('main', 'n', { x: 1, y: 1 });
    await actions.save();
    expect(host.of('saveDocument')).toEqual([]);
    expect(useDocumentUi.getState().dialog).toEqual({ kind: 'file', mode: 'saveAs' });
  });

  it('asks before replacing unsaved edits, and discarding drops their recovery copy', async () => {
    const host = fakeHost();
    const actions = createDocumentActions(host.api);
    const proceed = vi.fn();
    useStudio.getState().openDocument(doc);
    actions.guardUnsaved(proceed);
    expect(proceed).toHaveBeenCalledTimes(1);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    actions.guardUnsaved(proceed);
    expect(proceed).toHaveBeenCalledTimes(1);
    expect(useDocumentUi.getState().dialog).toMatchObject({ kind: 'unsaved', title: 'a' });
    await actions.discardAndProceed();
    expect(proceed).toHaveBeenCalledTimes(2);
    expect(host.of('discardRecovery')).toEqual([{ documentId: 'app:/a' }]);
    expect(useStudio.getState().dirty).toBe(false);
    expect(useDocumentUi.getState().dialog).toBeNull();
  });
});

describe('file dialogs in Electron (the system dialog, through choosePath)', () => {
  const electron = { app: 'TEN Graph Studio', version: 't', node: '20', platform: 'linux', transport: 'electron' as const };
  const opened = (document: GraphDocument) => ({ document, recovery: null, warnings: [] });

  it("opens what the system dialog picked, a TEN app's property.json as the app", async () => {
    const picks = ['/apps/hello/property.json', '/graphs/g.json', null];
    const host = fakeHost({
      choosePath: () => ({ path: picks.shift() ?? null }),
      listDirectory: ((p: { path: string }) => ({ path: p.path, ten: p.path === '/apps/hello' ? 'app' : undefined })) as never,
      openDocument: ((p: { path: string }) => opened({ ...doc, id: `x:${p.path}` })) as never,
    });
    useStudio.setState({ version: electron });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    actions.showOpen();
    await vi.waitFor(() => expect(host.of('openDocument')).toEqual([{ path: '/apps/hello' }]));
    expect(host.of('choosePath')[0]).toEqual({ purpose: 'open', defaultPath: '/a' });
    actions.showOpen();
    await vi.waitFor(() => expect(host.of('openDocument')).toHaveLength(2));
    expect(host.of('openDocument')[1]).toEqual({ path: '/graphs/g.json' });
    // Cancelled: nothing opens, no dialog of the studio's own.
    actions.showOpen();
    await vi.waitFor(() => expect(host.of('choosePath')).toHaveLength(3));
    await vi.advanceTimersByTimeAsync(10);
    expect(host.of('openDocument')).toHaveLength(2);
    expect(useDocumentUi.getState().dialog).toBeNull();
  });

  it('asks about unsaved edits after the pick, so a cancelled pick loses nothing', async () => {
    const host = fakeHost({ choosePath: () => ({ path: null }) });
    useStudio.setState({ version: electron });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    useStudio.getState().moveNode('g', 'n', { x: 1, y: 1 });
    actions.showOpen();
    await vi.waitFor(() => expect(host.of('choosePath')).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(10);
    expect(useDocumentUi.getState().dialog).toBeNull();
    expect(useStudio.getState().dirty).toBe(true);
  });

  it('saves as the picked file (the system dialog confirmed a replacement) and falls back to its own dialog without one', async () => {
    const host = fakeHost({
      choosePath: () => ({ path: '/b/property.json' }),
      saveDocumentAs: ((p: { document: GraphDocument; path: string }) => ({ document: { ...p.document, id: `property:${p.path}` }, files: [p.path], warnings: [] })) as never,
    });
    useStudio.setState({ version: electron });
    const actions = createDocumentActions(host.api);
    useStudio.getState().openDocument(doc);
    actions.showSaveAs();
    await vi.waitFor(() => expect(host.of('saveDocumentAs')).toHaveLength(1));
    expect(host.of('choosePath')[0]).toEqual({ purpose: 'saveAs', defaultPath: '/a/property.json' });
    expect(host.of('saveDocumentAs')[0]).toMatchObject({ path: '/b/property.json', overwrite: true });

    const plain = fakeHost({
      choosePath: () => {
        throw new HostError('E_UNSUPPORTED', 'no dialogs');
      },
    });
    const fallback = createDocumentActions(plain.api);
    fallback.showOpen();
    await vi.waitFor(() => expect(useDocumentUi.getState().dialog).toEqual({ kind: 'file', mode: 'open' }));
  });
});
