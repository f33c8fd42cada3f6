// Everything that starts can be stopped, seen by a user: Stop while a run is still starting, and
// `ten-studio serve` ended by SIGTERM (or by its npm/npx parent ending) while a run's start hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

let work: string;
/** Processes a test started: a failed test must not leave them running. */
const started: ChildProcess[] = [];
const startedPids: number[] = [];
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ten-e2e-stop-'));
});
test.afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of startedPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** An app folder whose graph's only extension (the runtime fixtures' probe) is never created. */
function hangingApp(): string {
  const app = join(work, 'hanging-app');
  mkdirSync(join(app, 'ten_packages', 'extension'), { recursive: true });
  cpSync(resolve('test/fixtures/runtime/app/ten_packages/extension/probe'), join(app, 'ten_packages', 'extension', 'probe'), { recursive: true });
  const graph = { nodes: [{ type: 'extension', name: 'hang_create', addon: 'probe', extension_group: 'g1' }], connections: [] };
  writeFileSync(join(app, 'manifest.json'), JSON.stringify({ type: 'app', name: 'hanging_app', version: '0.1.0' }));
  writeFileSync(join(app, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph }] } }, null, 2));
  return app;
}

async function openApp(page: Page, url: string, app: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('node-hang_create')).toBeVisible();
}

/** Starts `ten-studio serve` (optionally through a parent standing in for npx) and waits for its URL. */
async function serve(env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; stderr: () => string }> {
  const dataDir = join(work, 'data');
  const child = spawn(process.execPath, ['bin/ten-studio.mjs', 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEN_STUDIO_DATA_DIR: dataDir, ...env },
  });
  started.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', (line) => r(line.trim())));
  return { child, url, exited, stderr: () => err };
}

test('Stop is available while a run is starting and ends a start that never finishes', async ({ page, studio, consoleErrors }) => {
  await openApp(page, studio.url, hangingApp());
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const state = page.getByRole('status', { name: 'Run state' });
  await expect(state).toHaveText('starting', { timeout: 20_000 });
  const stop = page.getByRole('button', { name: 'Stop', exact: true });
  await expect(stop).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await snap(page, 'starting, Stop available');
  await stop.click();
  await expect(state).toHaveText('stopped', { timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  // Stopping a start is what the user asked for, not an error to show.
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('SIGTERM ends serve while a run hangs in its start', async ({ page }) => {
  const s = await serve();
  await openApp(page, s.url, hangingApp());
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('starting', { timeout: 20_000 });
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  expect(s.stderr()).toContain('Stopping the studio server (SIGTERM;');
});

test('serve started by npm or npx ends when that parent is killed', async () => {
  // The stand-in parent starts serve with npm's environment, prints serve's URL, and is SIGKILLed.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const { spawn } = require('node:child_process');
       const c = spawn(process.execPath, ['bin/ten-studio.mjs', 'serve', '--port', '0'], { stdio: ['ignore', 'inherit', 'inherit'] });
       process.stderr.write('pid ' + c.pid + '\\n');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TEN_STUDIO_DATA_DIR: join(work, 'data'), npm_lifecycle_event: 'start', npm_command: 'run-script' } },
  );
  started.push(parent);
  let err = '';
  parent.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    const pid = /^pid (\d+)$/m.exec(err);
    if (pid && !startedPids.includes(Number(pid[1]))) startedPids.push(Number(pid[1]));
  });
  // serve holds the parent's stdout: the pipe ends when serve has exited.
  const ended = new Promise<void>((r) => parent.stdout.on('end', r));
  await new Promise<void>((r) => createInterface({ input: parent.stdout }).once('line', () => r()));
  parent.kill('SIGKILL');
  await ended;
  expect(err).toMatch(/Stopping the studio server \(its parent process \(\d+\) ended;/);
});
