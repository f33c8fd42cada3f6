// choosePath: the system's file dialog where the host has one (Electron), E_UNSUPPORTED where not.
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { nativeDialogSpec } from '../../../src/main/electron/dialogs';

const options = { resourcesDir: resolve('resources'), version: 'test', dataDir: join(tmpdir(), 'ten-studio-dialog-test') };

describe('choosePath', () => {
  it('is refused in browser mode, where the studio browses folders itself', async () => {
    const host = new Host(options);
    await expect(host.handle('choosePath', { purpose: 'open' }, { transport: 'browser' })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });

  it("asks the host's dialog, with ~ expanded, and passes a cancel on as null", async () => {
    const asked: unknown[] = [];
    const answers = ['/picked/property.json', null];
    const host = new Host({ ...options, nativeDialog: async (purpose, defaultPath) => (asked.push([purpose, defaultPath]), answers.shift()!) });
    expect(await host.handle('choosePath', { purpose: 'open', defaultPath: '~/apps' }, { transport: 'electron' })).toEqual({ path: '/picked/property.json' });
    expect(await host.handle('choosePath', { purpose: 'saveAs' }, { transport: 'electron' })).toEqual({ path: null });
    expect(asked).toEqual([['open', join(homedir(), 'apps')], ['saveAs', undefined]]);
  });
});

describe('nativeDialogSpec', () => {
  it('opens files and folders on macOS, files elsewhere (no platform dialog offers both)', () => {
    expect(nativeDialogSpec('open', undefined, 'darwin')).toMatchObject({ kind: 'open', options: { properties: ['openFile', 'openDirectory'] } });
    expect(nativeDialogSpec('open', '/x', 'linux')).toMatchObject({ kind: 'open', options: { properties: ['openFile'], defaultPath: '/x' } });
    expect(nativeDialogSpec('open', undefined, 'win32').options.filters[0]).toEqual({ name: 'TEN JSON (property.json, graphs)', extensions: ['json'] });
  });

  it('saves with the dialog confirming a replacement, for every save purpose', () => {
    for (const purpose of ['saveAs', 'export', 'saveRecording', 'exportTrace'] as const) {
      const spec = nativeDialogSpec(purpose, undefined, 'linux');
      expect(spec.kind, purpose).toBe('save');
      expect(spec.options.properties, purpose).toContain('showOverwriteConfirmation');
      expect(spec.options).not.toHaveProperty('defaultPath');
    }
    expect(nativeDialogSpec('openRecording', undefined, 'linux')).toMatchObject({ kind: 'open', options: { title: 'Open a recording' } });
  });
});
