import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

async function openExample(page: Page, url: string, title: string, node: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

test('a graph across two apps runs with one click: app frames, the connection attached with traffic both ways, its events, then stop', async ({ page, studio, consoleErrors }) => {
  await openExample(page, studio.url, 'Two apps', 'ticker');
  // The canvas frames each app's nodes.
  await expect(page.getByTestId('app-boundary')).toHaveCount(2);
  await expect(page.getByLabel('App msgpack://127.0.0.1:28312/')).toBeVisible();

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 60_000 });
  // Nodes in the app the studio started as a process report their lifecycle too.
  for (const name of ['ticker', 'relay', 'echo', 'stats']) {
    await expect(page.getByTestId(`lifecycle-${name}`)).toHaveText('started', { timeout: 30_000 });
  }
  // …and their rates: the process app's samples join the run's metrics (ticks at 100/s).
  for (const name of ['relay', 'stats']) await expect(page.getByTestId(`rate-${name}`)).not.toHaveText('0', { timeout: 15_000 });
  const frame = page.getByLabel('App msgpack://127.0.0.1:28312/');
  await expect(frame).toContainText('process', { timeout: 15_000 });
  await expect(frame.locator('.conn-state')).toHaveText('attached', { timeout: 15_000 });
  await expect(frame).toContainText(/↓\d+(\.\d)? kB\/s/);

  await page.getByRole('tab', { name: /^Connections/ }).click();
  const table = page.getByTestId('connections');
  await expect(table.getByRole('row', { name: /Connection \d+ msgpack:\/\/127\.0\.0\.1:28312\/ attached/ })).toBeVisible();
  await expect(page.getByTestId('connection-events')).toContainText('attached');
  // The process app's side of the same link, with its app named.
  await expect(table.getByRole('row', { name: /Connection \d+ msgpack:\/\/127\.0\.0\.1:28311\/ attached of msgpack:\/\/127\.0\.0\.1:28312\// })).toBeVisible();
  await snap(page, 'two apps running');

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 30_000 });
  await expect(page.getByTestId('connection-events')).toContainText('closed');
  expect(consoleErrors).toEqual([]);
});
