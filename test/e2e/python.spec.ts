import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { expect, snap, test } from './fixtures';
import { attachDebugger } from '../fixtures/dap';

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

test('Debug Python: the toggle (kept per document) reaches the run; the debugger shows where each Python group waits; a real client attaches and the run starts', async ({ page, studio, consoleErrors }) => {
  test.skip(spawnSync('python3', ['-c', 'import debugpy']).status !== 0, 'debugpy is not installed (pip install -r python/requirements-test.txt)');
  await openExample(page, studio.url, 'Python and TypeScript', 'greeter');
  await page.getByText('Debug', { exact: true }).click();
  await page.getByRole('checkbox', { name: 'Debug Python extensions (debugpy)' }).check();
  await page.getByRole('textbox', { name: 'Python debug port' }).fill('5793');
  // Kept for the document: a reload shows the same choice.
  await page.reload();
  await page.getByRole('button', { name: 'Open example Python and TypeScript' }).click();
  await expect(page.getByTestId('node-greeter')).toBeVisible();
  await expect(page.getByLabel('Debug options (Python debugging on)')).toHaveText('Debug: Python');
  await page.getByLabel('Debug options (Python debugging on)').click();
  await expect(page.getByRole('checkbox', { name: 'Debug Python extensions (debugpy)' })).toBeChecked();
  await expect(page.getByRole('textbox', { name: 'Python debug port' })).toHaveValue('5793');
  await page.getByLabel('Debug options (Python debugging on)').click();

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const status = page.getByRole('status', { name: 'Python debugger' });
  await expect(status.getByTestId('python-debug-python')).toContainText(/attach to 127\.0\.0\.1:5793 \(pid \d+\)/, { timeout: 30_000 });
  await expect(status).toContainText('waiting for a client');
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('starting');
  await snap(page, 'python debugger waiting');
  const session = await attachDebugger('127.0.0.1', 5793);
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 30_000 });
  await expect(status.getByTestId('python-debug-python')).toContainText('attached');
  await expect(page.getByTestId('lifecycle-greeter')).toHaveText('started', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
  session.close();
  expect(consoleErrors).toEqual([]);
});
