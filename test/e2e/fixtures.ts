import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Studio {
  url: string;
  port: number;
  process: ChildProcess;
  /** The server's own per-user data folder (recent files, recovery copies), fresh per worker. */
  dataDir: string;
}

/** Starts the real browser-mode server (`ten-studio serve`) and waits for its URL line. */
async function startStudio(): Promise<Studio> {
  // Recent files and recovery copies of one run must not leak into the user's data or later runs.
  const dataDir = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-data-'));
  const child = spawn(process.execPath, ['bin/ten-studio.mjs', 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TEN_STUDIO_DATA_DIR: dataDir },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ten-studio serve printed no URL within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`ten-studio serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
  });
  return { url, port: Number(new URL(url).port), process: child, dataDir };
}

export const test = base.extend<{ consoleErrors: string[] }, { studio: Studio }>({
  studio: [
    async ({}, use) => {
      const studio = await startStudio();
      await use(studio);
      studio.process.kill('SIGTERM');
      rmSync(studio.dataDir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await use(errors);
  },
});

/** Attaches a full-page screenshot to the test report under `name`. */
export async function snap(page: Page, name: string): Promise<void> {
  await test.info().attach(name, { body: await page.screenshot(), contentType: 'image/png' });
}

export { expect };
