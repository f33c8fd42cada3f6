// Starts the real Electron main module (src/main/electron/main.ts) and the real preload against
// the fake `electron` module. Each test file that uses it mocks 'electron' with the fake first:
//   vi.mock('electron', () => import('../../fixtures/fake-electron'));
// A test file gets one studio (main.ts keeps its window in module state, as in Electron).
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { HostApi } from '../../../src/shared';
import { app, renderer, type FakeBrowserWindow } from '../../fixtures/fake-electron';

export interface Studio {
  window: FakeBrowserWindow;
  /** What the preload exposed to the page (`window.tenStudio`). */
  api: HostApi;
  /** Electron's `userData` folder of this launch (the host's data folder). */
  userData: string;
}

export async function launchStudio(): Promise<Studio> {
  const userData = await mkdtemp(join(tmpdir(), 'ten-studio-electron-'));
  // The built page, not a dev server, and Electron's own per-user folder.
  vi.stubEnv('ELECTRON_RENDERER_URL', undefined);
  vi.stubEnv('TEN_STUDIO_DATA_DIR', undefined);
  app.setPath('userData', userData);
  await import('../../../src/main/electron/main');
  const created = once(app, 'browser-window-created');
  app.ready();
  const [, window] = (await created) as [unknown, FakeBrowserWindow];
  await once(window, 'ready-to-show');
  renderer.frame = window.webContents.mainFrame;
  await import('../../../src/preload/index');
  return { window, api: renderer.world.tenStudio as HostApi, userData };
}

/** Polls until `check` returns a value (not undefined/false); fails naming `what` after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
