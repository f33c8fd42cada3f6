import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

async function openExample(page: Page, url: string, title: string, node: string): Promise<void> {
  await page.goto(url);
  // Wait for the first example to be shown, so that it cannot replace the one asked for.
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

const number = async (page: Page, testId: string) => Number(await page.getByTestId(testId).textContent());

test('run shows every lifecycle reach started with live rates, then stop', async ({ page, studio, consoleErrors }) => {
  await openExample(page, studio.url, 'Hello pipeline', 'ticker');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 20_000 });
  for (const name of ['ticker', 'mic', 'relay', 'echo', 'stats']) {
    await expect(page.getByTestId(`lifecycle-${name}`)).toHaveText('started', { timeout: 20_000 });
  }
  await expect.poll(() => number(page, 'rate-relay'), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(() => number(page, 'rate-stats'), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await number(page, 'queue-relay')).toBeGreaterThanOrEqual(0);
  await expect(page.getByTestId('edge-ticker-data-tick-relay')).toBeVisible();
  await expect(page.locator('.edge-rate').first()).toContainText('/s');
  await snap(page, 'running graph');

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  await snap(page, 'stopped');
  expect(consoleErrors).toEqual([]);
});

test('the misbehaving extension shows up in the violations panel', async ({ page, studio }) => {
  await openExample(page, studio.url, 'Misbehaving extension', 'rogue');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByRole('tab', { name: /^Violations/ }).click();
  const violations = page.getByTestId('violations');
  await expect(violations.getByRole('button').first()).toBeVisible({ timeout: 20_000 });
  await expect(violations).toContainText('rogue');
  await violations.getByRole('button').first().click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('rogue');
  await snap(page, 'violation');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
});

test('a cmd nobody answers shows on its sender long before the path timeout', async ({ page, studio }) => {
  await openExample(page, studio.url, 'Misbehaving extension', 'asker');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  // `mute` never answers `question`: after the 5 s threshold the sender shows what it waits for.
  const waiting = page.getByTestId('waiting-asker');
  await expect(waiting).toBeVisible({ timeout: 30_000 });
  await expect(waiting).toContainText('question→mute');
  await expect(waiting).toHaveAttribute('title', /has had no result for \d+(\.\d+)? s/);
  await page.getByRole('tab', { name: /^Logs/ }).click();
  await expect(page.getByTestId('logs')).toContainText("cmd 'question' sent to 'mute' has had no result");
  await snap(page, 'unanswered cmd');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
});
