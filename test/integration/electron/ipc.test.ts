// The Electron IPC adapter (src/main/electron/main.ts) with the real preload and the real host
// behind it; only the Electron binary is replaced, by test/fixtures/fake-electron.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  HOST_METHOD_NAMES,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  type GraphDocument,
  type HostEvent,
  type HostMethod,
  type ResponseMessage,
  type RunBatch,
  type RunInfo,
} from '../../../src/shared';
import { app, BrowserWindow, dialog, ipcMain, type FakeFrame } from '../../fixtures/fake-electron';
import { launchStudio, waitFor, type Studio } from './studio';

vi.mock('electron', () => import('../../fixtures/fake-electron'));

let studio: Studio;

beforeAll(async () => {
  studio = await launchStudio();
});

afterAll(async () => {
  expect(app.quit()).toBe(true);
  await rm(studio.userData, { recursive: true, force: true });
});

const EXTENSIONS = ['ticker', 'mic', 'relay', 'echo', 'stats'];

/** Host events main.ts sent to the window, in order. */
function sentEvents(): { event: HostEvent; at: number }[] {
  return studio.window.webContents.sent.map((m) => {
    expect(m.channel).toBe(IPC_EVENT_CHANNEL);
    return { event: m.args[0] as HostEvent, at: m.at };
  });
}

function batchesOf(runId: string): RunBatch[] {
  return sentEvents().flatMap(({ event }) => (event.type === 'telemetry' ? event.batches.filter((b) => b.runId === runId) : []));
}

describe('Electron IPC adapter', () => {
  it('registers exactly one channel per contract method and nothing else', () => {
    expect(ipcMain.channels().sort()).toEqual(HOST_METHOD_NAMES.map(ipcChannel).sort());
    expect(ipcMain.eventNames()).toEqual([]);
    expect(Object.keys(studio.api).sort()).toEqual([...HOST_METHOD_NAMES, 'onEvent'].sort());
  });

  it('carries every method with valid params to the host and back', async () => {
    const dir = join(studio.userData, 'files');
    const saved = join(dir, 'property.json');
    const recording = join(dir, 'run.json');
    await mkdir(dir);
    const { api } = studio;
    let example!: GraphDocument;
    let opened!: GraphDocument;
    let runId = '';
    // In the order a session would call them; typed so that a new contract method must be added here.
    const calls: { [M in HostMethod]: () => Promise<void> } = {
      version: async () => {
        expect(await api.version()).toMatchObject({ app: 'TEN Graph Studio', version: app.getVersion(), transport: 'electron' });
      },
      listExamples: async () => {
        expect((await api.listExamples()).map((e) => e.id)).toContain('hello-pipeline');
      },
      openExample: async () => {
        example = await api.openExample({ id: 'hello-pipeline' });
        expect(example).toMatchObject({ id: 'example:hello-pipeline', title: 'Hello pipeline' });
      },
      validateDocument: async () => {
        expect(await api.validateDocument({ document: example })).toEqual({ diagnostics: [] });
      },
      listAddons: async () => {
        expect((await api.listAddons({})).map((a) => a.name)).toContain('data_generator');
      },
      saveDocumentAs: async () => {
        const result = await api.saveDocumentAs({ document: example, path: saved });
        expect(result.files[0]).toBe(saved);
        expect(JSON.parse(await readFile(saved, 'utf8'))).toEqual(example.property);
      },
      listDirectory: async () => {
        const listing = await api.listDirectory({ path: dir });
        expect(listing.path).toBe(dir);
        expect(listing.entries.find((e) => e.name === 'property.json')).toMatchObject({ kind: 'file', ten: 'property', path: saved });
      },
      choosePath: async () => {
        // The system's dialog, attached to the studio's window; what the user picks comes back.
        const picked = join(dir, 'picked.json');
        dialog.picks.push(picked, null);
        expect(await api.choosePath({ purpose: 'saveAs', defaultPath: dir })).toEqual({ path: picked });
        expect(dialog.fileDialogs.at(-1)).toMatchObject({ kind: 'save', window: studio.window, options: { defaultPath: dir, properties: expect.arrayContaining(['showOverwriteConfirmation']) } });
        expect(await api.choosePath({ purpose: 'open' })).toEqual({ path: null });
        expect(dialog.fileDialogs.at(-1)).toMatchObject({ kind: 'open', window: studio.window, options: { properties: expect.arrayContaining(['openFile']) } });
      },
      openDocument: async () => {
        opened = (await api.openDocument({ path: saved })).document;
        expect(opened.origin).toEqual({ kind: 'property', file: saved });
      },
      saveDocument: async () => {
        expect((await api.saveDocument({ document: opened })).files[0]).toBe(saved);
      },
      exportDocument: async () => {
        const path = join(dir, 'graph.json');
        expect(await api.exportDocument({ document: opened, path, format: 'graph', graphName: 'hello_pipeline' })).toEqual({ path });
        expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('nodes');
      },
      listRecent: async () => {
        expect((await api.listRecent()).map((r) => r.path)).toContain(saved);
      },
      saveRecovery: async () => {
        expect((await api.saveRecovery({ document: opened })).savedAt).toBeGreaterThan(0);
      },
      listRecoveries: async () => {
        expect((await api.listRecoveries()).map((r) => r.documentId)).toContain(opened.id);
      },
      restoreRecovery: async () => {
        expect(await api.restoreRecovery({ documentId: opened.id })).toEqual(opened);
      },
      discardRecovery: async () => {
        expect(await api.discardRecovery({ documentId: opened.id })).toEqual({ discarded: true });
      },
      startRun: async () => {
        const run = await api.startRun({ document: example });
        expect(run).toMatchObject({ state: 'running', documentId: example.id });
        runId = run.runId;
      },
      listRuns: async () => {
        expect((await api.listRuns()).map((r) => r.runId)).toContain(runId);
      },
      getRun: async () => {
        expect((await api.getRun({ runId })).run.runId).toBe(runId);
      },
      setTracing: async () => {
        const tracing = { edges: [{}], sampleEvery: 1 };
        expect((await api.setTracing({ runId, tracing })).tracing).toEqual(tracing);
      },
      followCmd: async () => {
        expect(await api.followCmd({ runId, cmdId: 'no-such-cmd' })).toEqual([]);
      },
      planRun: async () => {
        const plan = await api.planRun({ document: example });
        expect(plan.graphs).toEqual(['hello_pipeline']);
        expect(plan.nodes.length).toBeGreaterThan(0);
        expect(plan.nodes.every((n) => n.runsHere)).toBe(true);
      },
      // Hello pipeline has no local transport: the talk methods say so with their code.
      talkControl: async () => {
        await expect(api.talkControl({ runId, action: 'join' })).rejects.toMatchObject({ code: 'E_RUN' });
      },
      talkAudio: async () => {
        await expect(api.talkAudio({ runId, pcm: 'AAAAAA==' })).rejects.toMatchObject({ code: 'E_RUN' });
      },
      talkFile: async () => {
        await expect(api.talkFile({ runId, path: join(dir, 'in.wav') })).rejects.toMatchObject({ code: 'E_RUN' });
      },
      stopRun: async () => {
        expect((await api.stopRun({ runId })).state).toBe('stopped');
      },
      saveRecording: async () => {
        const result = await api.saveRecording({ runId, path: recording });
        expect(result.path).toBe(recording);
        expect(result.bytes).toBeGreaterThan(0);
      },
      openRecording: async () => {
        expect(await api.openRecording({ path: recording })).toMatchObject({ format: 'ten-studio-recording', run: { runId } });
      },
      exportChromeTrace: async () => {
        const path = join(dir, 'trace.json');
        expect((await api.exportChromeTrace({ source: { kind: 'run', runId }, path })).bytes).toBeGreaterThan(0);
        expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('traceEvents');
      },
    };
    expect(Object.keys(calls).sort()).toEqual([...HOST_METHOD_NAMES].sort());
    for (const call of Object.values(calls)) await call();
    // The host's data went to Electron's per-user folder.
    expect(await readdir(studio.userData)).toContain('recent.json');
  });

  it('answers invalid params with E_BAD_PARAMS and passes host errors through with their code', async () => {
    for (const method of HOST_METHOD_NAMES) {
      const call = studio.api[method] as (params: unknown) => Promise<unknown>;
      await expect(call({ unexpected: true }), method).rejects.toMatchObject({ name: 'HostError', code: 'E_BAD_PARAMS' });
    }
    await expect(studio.api.openExample({ id: 'no-such-example' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

describe('sender checks', () => {
  const versionFrom = (frame: FakeFrame) => frame.invoke(ipcChannel('version')) as Promise<ResponseMessage>;
  const refused = { ok: false, error: { code: 'E_BAD_MESSAGE' } };

  it("answers the window's own top frame", async () => {
    expect(await versionFrom(studio.window.webContents.mainFrame)).toMatchObject({ ok: true, result: { transport: 'electron' } });
  });

  it('refuses an iframe of the studio page, even one showing the studio page, and never reaches the host', async () => {
    const top = studio.window.webContents.mainFrame;
    const iframe = top.addChild(top.url);
    expect(await versionFrom(iframe)).toMatchObject(refused);
    const path = join(studio.userData, 'from-iframe.json');
    const example = await studio.api.openExample({ id: 'hello-pipeline' });
    expect(await iframe.invoke(ipcChannel('saveDocumentAs'), { document: example, path })).toMatchObject(refused);
    expect(existsSync(path)).toBe(false);
    iframe.detach();
  });

  it('refuses a frame that is gone (no senderFrame)', async () => {
    const iframe = studio.window.webContents.mainFrame.addChild('about:blank');
    iframe.detach();
    expect(await versionFrom(iframe)).toMatchObject(refused);
  });

  it('refuses the top frame of another window showing the same page', async () => {
    const other = new BrowserWindow({ show: false });
    await other.loadURL(studio.window.webContents.mainFrame.url);
    try {
      expect(await versionFrom(other.webContents.mainFrame)).toMatchObject(refused);
    } finally {
      other.destroy();
    }
  });

  it('refuses the top frame once it shows another page', async () => {
    const top = studio.window.webContents.mainFrame;
    const own = top.url;
    expect(own).toBe(pathToFileURL(join(app.getAppPath(), 'out', 'renderer', 'index.html')).href);
    // As after an in-page navigation or a redirect, which pass no will-navigate.
    top.url = 'file:///tmp/other.html';
    try {
      expect(await versionFrom(top)).toMatchObject(refused);
    } finally {
      top.url = own;
    }
  });
});

describe('telemetry to the window', () => {
  it('streams a run of hello-pipeline as batched telemetry sends that end after stop', async () => {
    const { api } = studio;
    const received: HostEvent[] = [];
    const sentBefore = studio.window.webContents.sent.length;
    const unsubscribe = api.onEvent((e) => received.push(e));
    const document = await api.openExample({ id: 'hello-pipeline' });
    const run: RunInfo = await api.startRun({ document });
    // Trace every message so that there is news for every flush: the stream runs at its cap.
    await api.setTracing({ runId: run.runId, tracing: { edges: [{}], sampleEvery: 1 } });
    const runEvents = () => batchesOf(run.runId).flatMap((b) => b.events);
    await waitFor('on_start_done of every extension', () =>
      EXTENSIONS.every((x) => runEvents().some((e) => e.type === 'lifecycle' && e.extension === x && e.phase === 'on_start_done')),
    );
    await waitFor('metrics of every extension', () =>
      batchesOf(run.runId).some((b) =>
        b.metrics.some((m) => EXTENSIONS.every((x) => m.graphs[0]?.extensions.some((e) => e.extension === x))),
      ),
    );
    await waitFor('trace steps', () => batchesOf(run.runId).some((b) => b.traces.length > 0));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.stopRun({ runId: run.runId })).state).toBe('stopped');

    // The stream ends cleanly: every extension deinitialised, the app closed, the last state is
    // 'stopped', and no further telemetry for the run arrives.
    await waitFor('on_deinit_done of every extension and app_closed', () =>
      EXTENSIONS.every((x) => runEvents().some((e) => e.type === 'lifecycle' && e.extension === x && e.phase === 'on_deinit_done')) &&
      runEvents().some((e) => e.type === 'app_closed'),
    );
    const states = sentEvents().flatMap(({ event }) => (event.type === 'run.state' && event.run.runId === run.runId ? [event.run.state] : []));
    expect(states[0]).toBe('starting');
    expect(states.at(-1)).toBe('stopped');
    expect(runEvents().filter((e) => e.type === 'error' || e.type === 'violation')).toEqual([]);
    const settled = batchesOf(run.runId).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(batchesOf(run.runId).length).toBe(settled);

    // At most 20 telemetry sends a second, on average over the run.
    const telemetry = sentEvents().filter(({ event }) => event.type === 'telemetry' && event.batches.some((b) => b.runId === run.runId));
    const seconds = (telemetry.at(-1)!.at - telemetry[0]!.at) / 1000;
    expect(telemetry.length).toBeGreaterThan(10);
    expect((telemetry.length - 1) / seconds).toBeLessThanOrEqual(20);

    // The preload delivered the same stream to the page.
    await waitFor('the page to receive every event', () => received.length === sentEvents().length - sentBefore);
    expect(received).toEqual(sentEvents().slice(sentBefore).map(({ event }) => event));
    unsubscribe();
  });
});
