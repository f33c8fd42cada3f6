import type { Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, snap, test } from './fixtures';

const HELLO = ['ticker', 'mic', 'relay', 'echo', 'stats'];

async function openExample(page: Page, title: string, node: string): Promise<void> {
  // Wait for the first example to be shown, so that it cannot replace the one asked for.
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

const number = async (page: Page, testId: string) => Number(await page.getByTestId(testId).textContent());

async function expectAllStarted(page: Page): Promise<void> {
  for (const name of HELLO) await expect(page.getByTestId(`lifecycle-${name}`)).toHaveText('started', { timeout: 20_000 });
}

test('a run survives a reload, traces a cmd end to end, exports Perfetto and replays its recording', async ({ page, studio }) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-debugger-'));
  try {
    await page.goto(studio.url);
    await openExample(page, 'Hello pipeline', 'ticker');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expectAllStarted(page);
    for (const name of HELLO) await expect.poll(() => number(page, `rate-${name}`), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect(page.getByTestId('queue-relay')).toHaveText(/^\d+$/);
    await snap(page, '1 hello-pipeline running');

    // The run belongs to the host: a reloaded page finds it again with its history.
    await page.reload();
    await openExample(page, 'Hello pipeline', 'ticker');
    await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 20_000 });
    await expectAllStarted(page);
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeEnabled();
    await expect.poll(() => number(page, 'rate-stats'), { timeout: 15_000 }).toBeGreaterThan(0);
    await snap(page, '2 after reload the run is followed again');

    // Message inspector: trace the ping edge from its context menu, then follow one cmd to its result.
    await page.getByTestId('edge-ticker-cmd-ping-echo').locator('path').first().dispatchEvent('contextmenu', { clientX: 500, clientY: 300 });
    const menu = page.getByRole('menu', { name: 'Edge ticker to echo' });
    await snap(page, '3a edge context menu');
    await menu.getByRole('menuitem', { name: /^Trace messages ticker → echo/ }).click();
    await expect(page.getByTestId('tracing-state')).toContainText('Tracing ticker → echo');
    const traces = page.getByTestId('traces');
    await expect(traces.getByRole('button', { name: /^Follow cmd / }).first()).toBeVisible({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Pause traced messages' }).click();
    await expect(page.getByTestId('tracing-state')).toContainText('paused');
    // A cmd whose send was traced: tracing reaches the groups one after the other, so the oldest
    // steps listed can be of a cmd sent just before its sender's group started tracing.
    const sentRow = traces.locator('li').filter({ hasText: /sent cmd ping/ }).first();
    await sentRow.getByRole('button', { name: /^Follow cmd / }).click();
    const path = page.getByTestId('cmd-path');
    await expect(path).toContainText('cmd ping');
    await expect(path).toContainText(/round trip \d+\.\d+ ms/, { timeout: 10_000 });
    await expect(path).toContainText('result delivered');
    await snap(page, '3 message inspector follows a cmd');
    await page.getByRole('button', { name: 'Resume traced messages' }).click();
    await page.getByRole('button', { name: 'Stop tracing' }).click();
    await expect(page.getByTestId('tracing-state')).toHaveText('Tracing off');

    // Perfetto export and a recording of the live run.
    await page.getByRole('tab', { name: 'Recording and trace' }).click();
    const perfetto = join(dir, 'hello.trace.json');
    await page.getByRole('button', { name: 'Export Perfetto trace' }).click();
    const exporting = page.getByRole('dialog', { name: 'Export Perfetto trace' });
    await exporting.getByLabel('Path').fill(perfetto);
    await exporting.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(page.getByLabel('Debugger notice')).toContainText('Wrote the Perfetto trace', { timeout: 15_000 });
    const trace = JSON.parse(readFileSync(perfetto, 'utf8')) as { traceEvents: { ph: string; name: string }[] };
    expect(trace.traceEvents.some((e) => e.ph === 'X')).toBe(true);
    expect(trace.traceEvents.some((e) => e.ph === 'C')).toBe(true);
    await snap(page, '4 perfetto trace exported');

    const recording = join(dir, 'hello.recording.json');
    await page.getByRole('button', { name: 'Save recording' }).click();
    const saving = page.getByRole('dialog', { name: 'Save recording' });
    await saving.getByLabel('Path').fill(recording);
    await saving.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByLabel('Debugger notice')).toContainText('Saved the recording', { timeout: 15_000 });
    expect(existsSync(recording)).toBe(true);

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });

    // Replay: the slider drives the same badges; at the start nothing has started yet.
    // The dialog offers the file just saved.
    await page.getByRole('button', { name: 'Open recording' }).click();
    const opening = page.getByRole('dialog', { name: 'Open recording' });
    await expect(opening.getByLabel('Path')).toHaveValue(recording);
    await opening.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByLabel('Debugger notice')).toContainText('Replaying', { timeout: 15_000 });
    const slider = page.getByRole('slider', { name: 'Replay time' });
    await expect(slider).toBeVisible();
    await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('replay');
    await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
    await expectAllStarted(page);
    expect(await number(page, 'rate-relay')).toBeGreaterThan(0);
    await snap(page, '5 recording replayed at its end');
    await slider.fill('0');
    await expect(page.getByTestId('replay-time')).toContainText('0.0 s /');
    // Before its first lifecycle event a node shows no badge at all.
    await expect(page.getByTestId('lifecycle-relay').filter({ hasText: 'started' })).toHaveCount(0);
    await snap(page, '6 recording replayed at its start');
    await page.getByRole('button', { name: 'Play replay' }).click();
    await expect(page.getByTestId('lifecycle-relay')).toHaveText('started', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Close replay' }).click();
    await expect(slider).toHaveCount(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a violation of the misbehaving extension shows object, owner, caller and its stack', async ({ page, studio }) => {
  await page.goto(studio.url);
  await openExample(page, 'Misbehaving extension', 'rogue');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByRole('tab', { name: /^Violations/ }).click();
  const violations = page.getByTestId('violations');
  const first = violations.getByRole('button').first();
  await expect(first).toBeVisible({ timeout: 20_000 });
  await expect(violations).toContainText('rogue');
  await expect(violations.locator('.violation-threads').first()).toContainText(/owner.+caller/s);
  await violations.locator('summary').first().click();
  await expect(violations.locator('pre').first()).toContainText(/at .+:\d+/);
  await snap(page, 'violation with its stack');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
});
