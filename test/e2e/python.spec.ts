import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

async function openExample(page: Page, url: string, title: string, node: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

test('the Python and TypeScript example runs: its Python nodes show their language, lifecycle, rates, process and logs', async ({ page, studio, consoleErrors }) => {
  await openExample(page, studio.url, 'Python and TypeScript', 'greeter');
  await expect(page.getByTestId('lang-greeter')).toHaveText('Py');
  await expect(page.getByTestId('lang-meter')).toHaveText('Py');
  await expect(page.getByTestId('lang-relay')).toHaveText('TS');
  await expect(page.getByTestId('palette-section-app-python').getByRole('heading')).toHaveText('App · Python runs here');
  await expect(page.getByTestId('palette-section-app-python').getByTestId('palette-greeter_python')).toBeVisible();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 30_000 });
  for (const name of ['ticker', 'mic', 'greeter', 'meter', 'relay', 'stats']) {
    await expect(page.getByTestId(`lifecycle-${name}`)).toHaveText('started', { timeout: 30_000 });
  }
  await expect.poll(async () => Number(await page.getByTestId('rate-greeter').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(async () => Number(await page.getByTestId('rate-meter').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('pid-greeter')).toHaveText(/^py \d+$/);
  await expect(page.getByTestId('pid-meter')).toHaveText(await page.getByTestId('pid-greeter').innerText());
  // The TypeScript forwarder of the same group runs on the group's thread, not in the process.
  await expect(page.getByTestId('pid-relay')).toHaveCount(0);
  await page.getByRole('tab', { name: /^Logs/ }).click();
  const logs = page.getByTestId('logs');
  await expect(logs).toContainText('greeter ready', { timeout: 15_000 });
  await expect(logs.locator('.log-where').first()).toHaveText(/extension\.py:\d+/);
  await snap(page, 'python example running');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
  await expect(logs).toContainText('stopping after');
  expect(consoleErrors).toEqual([]);
});
