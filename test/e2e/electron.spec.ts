import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_METHOD_NAMES } from '../../src/shared';

/** Path of the Electron binary if the package downloaded one, without triggering a download. */
function electronBinary(): string | null {
  const pkg = join('node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

test('the Electron app opens a locked-down window showing the example graph', async () => {
  const binary = electronBinary();
  test.skip(
    binary === null,
    'The Electron binary is not installed (node_modules/electron/dist is missing; this machine cannot download it). ' +
      'Browser-mode tests cover the same renderer and host.',
  );
  const app = await electron.launch({ executablePath: binary!, args: ['.'] });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('node-ticker')).toBeVisible();
    // No Node.js in the page, and the bridge exposes exactly the contract's methods.
    const page = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: Object.keys((window as unknown as { tenStudio: object }).tenStudio).sort(),
    }));
    expect(page).toEqual({ require: 'undefined', process: 'undefined', api: [...HOST_METHOD_NAMES, 'onEvent'].sort() });
    await expect(window.getByRole('status', { name: 'Host connection' })).toContainText('electron');
  } finally {
    await app.close();
  }
});
