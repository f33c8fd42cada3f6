// What the studio shows reads right: log levels as logged, a stopped run's figures marked as the
// last run's, the "dropped" note explained, and group colours that stay put.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { shot } from './shots';

let work: string;
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-readable-'));
});
test.afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

async function openHello(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Hello pipeline' }).click();
  await expect(page.getByTestId('node-ticker')).toBeVisible();
}

/** Opens a path through the Open dialog's path field. */
async function openPath(page: Page, path: string): Promise<void> {
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(path);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open).toHaveCount(0);
}

const runState = (page: Page) => page.getByRole('status', { name: 'Run state' });

test('log lines show the level they were logged at, and the level filter agrees', async ({ page, studio, consoleErrors }) => {
  await page.goto(studio.url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await openPath(page, resolve('test/fixtures/apps/log-levels'));
  await expect(page.getByTestId('node-speaker')).toBeVisible();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(runState(page)).toHaveText('running', { timeout: 20_000 });
  await page.getByRole('tab', { name: /^Logs/ }).click();
  const logs = page.getByTestId('logs');
  for (const [fn, level, tag] of [
    ['logDebug', 'debug', 'DEBUG'],
    ['logInfo', 'info', 'INFO'],
    ['logWarn', 'warn', 'WARN'],
    ['logError', 'error', 'ERROR'],
  ] as const) {
    const line = logs.locator('li', { hasText: `logged with ${fn}` });
    await expect(line).toHaveAttribute('data-level', level, { timeout: 20_000 });
    await expect(line).toHaveClass(`log-${level}`);
    await expect(line.locator('.log-level')).toHaveText(tag);
  }
  await shot(page, 'log levels');
  await page.getByLabel('Minimum log level').selectOption('warn');
  await expect(logs.locator('li', { hasText: 'logged with logWarn' })).toBeVisible();
  await expect(logs.locator('li', { hasText: 'logged with logError' })).toBeVisible();
  await expect(logs.locator('li', { hasText: 'logged with logInfo' })).toHaveCount(0);
  await expect(logs.locator('li', { hasText: 'logged with logDebug' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(runState(page)).toHaveText('stopped', { timeout: 20_000 });
  expect(consoleErrors).toEqual([]);
});

test("after Stop the rates are marked as the last run's, and Run makes them live again", async ({ page, studio }) => {
  await openHello(page, studio.url);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(runState(page)).toHaveText('running', { timeout: 20_000 });
  await expect.poll(async () => Number(await page.getByTestId('rate-relay').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(page.locator('.edge-rate').first()).toBeVisible();
  await expect(page.getByTestId('last-run-relay')).toHaveCount(0);
  await expect(page.locator('.edge-rate.ended')).toHaveCount(0);

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(runState(page)).toHaveText('stopped', { timeout: 20_000 });
  await expect(page.getByTestId('last-run-relay')).toHaveText('last run');
  await expect(page.locator('.live-strip.ended').first()).toBeVisible();
  await expect(page.locator('.live-strip:not(.ended)')).toHaveCount(0);
  await expect(page.locator('.edge-rate.ended').first()).toContainText(/ · last \d+\/s$/);
  await expect(page.locator('.edge-rate:not(.ended)')).toHaveCount(0);
  await shot(page, 'stopped run figures');

  // A new run's figures are live again.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(runState(page)).toHaveText('running', { timeout: 20_000 });
  await expect(page.getByTestId('last-run-relay')).toHaveCount(0);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(runState(page)).toHaveText('stopped', { timeout: 20_000 });
});

test('the dropped note says what was dropped, why, and where to find more', async ({ page, studio }) => {
  // A recording of a real run whose counters say the live view missed things.
  const file = join(work, 'run.json');
  const run = spawnSync(process.execPath, ['bin/ten-studio.mjs', 'run', 'resources/examples/hello-pipeline', '--duration', '1', '--record', file], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { dropped: Record<string, number> };
  rec.dropped = { events: 1200, traces: 34, metrics: 2 };
  writeFileSync(file, JSON.stringify(rec));

  await openHello(page, studio.url);
  await expect(page.getByTestId('dropped')).toHaveText('0 dropped');
  await page.getByRole('tab', { name: /^Recording/ }).click();
  await page.getByRole('button', { name: 'Open recording' }).click();
  const opening = page.getByRole('dialog', { name: 'Open recording' });
  await opening.getByLabel('Path').fill(file);
  await opening.getByRole('button', { name: 'Open', exact: true }).click();
  const note = page.getByTestId('dropped');
  await expect(note).toHaveText('1,236 dropped: 1,200 events, 2 metrics samples, 34 trace steps · why?');
  await note.click();
  const dialog = page.getByRole('dialog', { name: 'What did not reach this view' });
  await expect(dialog).toContainText("1,200 run events (lifecycle changes, logs, errors, violations) did not fit the live view's budget");
  await expect(dialog).toContainText('2 metrics samples were skipped because a thread was still busy');
  await expect(dialog).toContainText('34 traced message steps exceeded the tracing budget');
  await expect(dialog).toContainText('Where to find more. Save recording (Recording tab)');
  await expect(dialog).toContainText('ten-studio run <app> --events run.jsonl');
  await shot(page, 'dropped explained');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});

test('extension groups keep their colours when a node in a new group is added', async ({ page, studio }) => {
  await openHello(page, studio.url);
  const nodes = ['ticker', 'mic', 'relay', 'echo', 'stats'];
  const colours = async () => {
    const out: Record<string, string> = {};
    for (const n of nodes) out[n] = await page.getByTestId(`node-${n}`).evaluate((el) => getComputedStyle(el).borderLeftColor);
    return out;
  };
  const before = await colours();
  expect(new Set(Object.values(before)).size).toBe(3);
  await shot(page, 'group colours before');
  // A group whose name sorts before all the others: a colour by sorted position moved every group.
  await page.getByLabel('Extension group for new nodes').fill('aaa_new_group');
  await page.getByRole('button', { name: 'Add counter_sink to the graph' }).click();
  await expect(page.getByTestId('node-counter_sink_1')).toBeVisible();
  expect(await colours()).toEqual(before);
  const added = await page.getByTestId('node-counter_sink_1').evaluate((el) => getComputedStyle(el).borderLeftColor);
  expect(Object.values(before)).not.toContain(added);
  await shot(page, 'group colours after adding a group');
  // Undo removes the new group; the others still keep theirs.
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-counter_sink_1')).toHaveCount(0);
  expect(await colours()).toEqual(before);
});
