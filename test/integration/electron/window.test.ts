// The Electron window of src/main/electron/main.ts against the fake `electron` module: its
// lock-down, the Leave/Stay question for unsaved edits, and when the real host is disposed.
// The tests run in order: the last one quits the app.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Host } from '../../../src/host';
import { app, BrowserWindow, dialog, FakeEvent, session, shell } from '../../fixtures/fake-electron';
import { launchStudio, type Studio } from './studio';

vi.mock('electron', () => import('../../fixtures/fake-electron'));

const dispose = vi.spyOn(Host.prototype, 'dispose');
let studio: Studio;

beforeAll(async () => {
  studio = await launchStudio();
});

afterAll(async () => {
  await rm(studio.userData, { recursive: true, force: true });
});

describe('lock-down', () => {
  it('opens one sandboxed, context-isolated window without Node, shown once ready', () => {
    expect(BrowserWindow.getAllWindows()).toEqual([studio.window]);
    expect(studio.window.options).toMatchObject({
      show: false,
      webPreferences: {
        preload: join(app.getAppPath(), 'out', 'preload', 'index.cjs'),
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: true,
        webSecurity: true,
      },
    });
    expect(studio.window.isVisible()).toBe(true);
  });

  it('keeps the page from navigating away', () => {
    const contents = studio.window.webContents;
    const own = contents.mainFrame.url;
    for (const url of ['https://evil.example/', 'http://127.0.0.1:8080/', 'file:///etc/passwd']) {
      expect(contents.navigateFromPage(url), url).toBe(false);
    }
    expect(contents.mainFrame.url).toBe(own);
  });

  it('denies window.open and hands only https links to the system browser', () => {
    const contents = studio.window.webContents;
    for (const url of ['https://github.com/TEN-framework/ten-framework', 'http://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(contents.openFromPage(url), url).toBe(false);
    }
    expect(shell.opened).toEqual(['https://github.com/TEN-framework/ten-framework']);
  });

  it('denies every permission request but the microphone for its own page', async () => {
    const contents = studio.window.webContents;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'fullscreen', 'openExternal']) {
      expect(await session.defaultSession.requestPermission(contents, permission), permission).toBe(false);
    }
    // The Talk panel's microphone: audio only, our own page's top frame.
    expect(await session.defaultSession.requestPermission(contents, 'media', { mediaTypes: ['audio'] })).toBe(true);
    expect(await session.defaultSession.requestPermission(contents, 'media', { mediaTypes: ['video'] })).toBe(false);
    expect(await session.defaultSession.requestPermission(contents, 'media', { mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(await session.defaultSession.requestPermission(contents, 'media', { mediaTypes: ['audio'], isMainFrame: false })).toBe(false);
    expect(await session.defaultSession.requestPermission(contents, 'media', { mediaTypes: ['audio'], requestingUrl: 'https://evil.example/' })).toBe(false);
    const other = new BrowserWindow({ show: false });
    try {
      expect(await session.defaultSession.requestPermission(other.webContents, 'media', { mediaTypes: ['audio'], requestingUrl: contents.mainFrame.url })).toBe(false);
    } finally {
      other.destroy();
    }
  });

  it('refuses <webview> in the window and in any later web contents', () => {
    expect(studio.window.webContents.attachWebview('https://evil.example/')).toBe(false);
    const other = new BrowserWindow({ show: false });
    try {
      expect(other.webContents.attachWebview('https://evil.example/')).toBe(false);
    } finally {
      other.destroy();
    }
  });
});

describe('leaving with unsaved edits', () => {
  const ask = () => {
    const event = new FakeEvent();
    studio.window.webContents.emit('will-prevent-unload', event);
    return event;
  };

  it('asks Leave or Stay; Leave lets the page unload (preventDefault), Stay does not', () => {
    dialog.answers.push(0);
    expect(ask().defaultPrevented).toBe(true);
    dialog.answers.push(1);
    expect(ask().defaultPrevented).toBe(false);
    expect(dialog.shown).toHaveLength(2);
    const { window, options } = dialog.shown[0]!;
    expect(window).toBe(studio.window);
    expect(options).toMatchObject({ buttons: ['Leave', 'Stay'], defaultId: 1, cancelId: 1 });
  });

  it('keeps the window open when the user stays', async () => {
    studio.window.webContents.pageCancelsUnload = true;
    dialog.answers.push(1);
    expect(studio.window.close()).toBe(false);
    expect(studio.window.isDestroyed()).toBe(false);
    expect(await studio.api.version()).toMatchObject({ transport: 'electron' });
  });

  it('keeps the host when a quit is cancelled by Stay: it is disposed on will-quit, not before-quit', async () => {
    const run = await studio.api.startRun({ document: await studio.api.openExample({ id: 'hello-pipeline' }) });
    const beforeQuit = vi.fn();
    app.on('before-quit', beforeQuit);
    dialog.answers.push(1);
    expect(app.quit()).toBe(false);
    expect(beforeQuit).toHaveBeenCalledTimes(1);
    expect(dispose).not.toHaveBeenCalled();
    expect((await studio.api.listRuns()).find((r) => r.runId === run.runId)?.state).toBe('running');

    const willQuit = vi.fn(() => expect(dispose).toHaveBeenCalledTimes(1));
    app.on('will-quit', willQuit);
    dialog.answers.push(0);
    expect(app.quit()).toBe(true);
    expect(willQuit).toHaveBeenCalledTimes(1);
    expect(studio.window.isDestroyed()).toBe(true);
    expect(dialog.answers).toEqual([]);
    // The disposal stops the run the quit left behind.
    await dispose.mock.results[0]!.value;
    const host = dispose.mock.contexts[0] as Host;
    expect(host.runs.list().map((r) => [r.runId, r.state])).toContainEqual([run.runId, 'stopped']);
  });
});
