import type { Locator, Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

async function openExample(page: Page, url: string, title: string, node: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

/** `12/s` → 12, `1.5k/s` → 1500. */
const rate = (text: string): number => {
  const m = /^([\d.]+)(k?)\/s$/.exec(text.trim());
  if (!m) throw new Error(`not a rate: ${text}`);
  return Number(m[1]) * (m[2] ? 1000 : 1);
};

const sampleTs = async (table: Locator): Promise<number> => Number(await table.getAttribute('data-sample-ts'));

test('the Channels tab lists the rings between the groups of a running graph, live, sortable and shown on the canvas from the keyboard', async ({ page, studio, consoleErrors }) => {
  await openExample(page, studio.url, 'Hello pipeline', 'ticker');
  // The tab is reached with the arrow keys from its neighbour, like every tab of the panel.
  await page.getByRole('tab', { name: /^Connections/ }).click();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /^Channels/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: /^Channels/ })).toBeFocused();
  const table = page.getByTestId('channels');
  await expect(page.getByTestId('channels-empty')).toContainText('appear here while a graph runs');

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 20_000 });
  // Hello pipeline: sources (ticker, mic), workers (relay, echo), sinks (stats). Every direction
  // a message takes between two groups has its ring (today the runtime makes one each way for
  // every pair a flow connects: 6).
  const rows = table.locator('tbody tr.channel');
  await expect(rows.first()).toBeVisible({ timeout: 20_000 });
  for (const [from, to] of [
    ['sources', 'workers'],
    ['workers', 'sources'],
    ['workers', 'sinks'],
    ['sources', 'sinks'],
  ]) {
    await expect(table.getByRole('row', { name: new RegExp(`^Channel ${from} → ${to}`) })).toBeVisible();
  }
  // The ticker's data (every 10 ms) and the mic's frames (every 20 ms) are taken on the other side.
  const ticks = table.getByTestId('channel-sources-workers');
  await expect.poll(async () => rate((await ticks.locator('[data-col="msgsPerSec"]').textContent()) ?? ''), { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(async () => rate((await table.getByTestId('channel-sources-sinks').locator('[data-col="msgsPerSec"]').textContent()) ?? ''), { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(ticks.locator('[data-col="queued"]')).toContainText(/\d+ msgs · .* \/ 256 kB/);
  // The tab counts the channels.
  await expect(page.getByRole('tab', { name: /^Channels/ })).toContainText(String(await rows.count()));

  // Live: the rows follow the metrics samples.
  const first = await sampleTs(table);
  await expect.poll(() => sampleTs(table), { timeout: 20_000 }).toBeGreaterThan(first);
  const second = await sampleTs(table);
  await expect.poll(() => sampleTs(table), { timeout: 20_000 }).toBeGreaterThan(second);

  // Sorting: from the keyboard, by messages per second (largest first), then the other way.
  const byRate = page.getByRole('button', { name: 'Sort by msgs/s' });
  await byRate.focus();
  await page.keyboard.press('Enter');
  const header = table.locator('th', { has: byRate });
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  // One read of every cell, so the column comes from one sample.
  const rates = async () => (await table.locator('tbody [data-col="msgsPerSec"]').allTextContents()).map(rate);
  const desc = await rates();
  expect(desc).toEqual([...desc].sort((a, b) => b - a));
  await page.keyboard.press('Space');
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const asc = await rates();
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  await page.getByRole('button', { name: 'Sort by channel' }).click();
  await expect(table.locator('th', { has: page.getByRole('button', { name: 'Sort by channel' }) })).toHaveAttribute('aria-sort', 'ascending');
  const names = (await rows.locator('th').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  await snap(page, 'channels running');

  // A row's name shows the channel on the canvas: its busiest connection, selected and framed.
  await page.getByRole('button', { name: 'Show sources → workers on the canvas' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspector-edge')).toContainText('ticker → relay');

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
  // The last figures stay for reading, marked as such.
  await expect(page.getByText('The last sample of the run that ended.')).toBeVisible();
  expect(consoleErrors).toEqual([]);
});
