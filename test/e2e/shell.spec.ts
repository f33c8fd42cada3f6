import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

/** Opens the studio on the Hello pipeline example (the first example listed may be another one). */
async function openHello(page: Page, url: string): Promise<void> {
  await page.goto(url);
  // Wait for the first example to be shown, so that it cannot replace the one asked for.
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Hello pipeline' }).click();
  await expect(page.getByTestId('node-ticker')).toBeVisible();
}

test('the built-in example graph appears on the canvas in browser mode', async ({ page, studio, consoleErrors }) => {
  await openHello(page, studio.url);
  await expect(page.getByTestId('canvas')).toBeVisible();
  for (const name of ['ticker', 'mic', 'relay', 'echo', 'stats']) {
    await expect(page.getByTestId(`node-${name}`)).toBeVisible();
  }
  for (const edge of [
    'edge-ticker-data-tick-relay',
    'edge-relay-data-tick-stats',
    'edge-ticker-cmd-ping-echo',
    'edge-mic-audio_frame-pcm-stats',
  ]) {
    await expect(page.getByTestId(edge)).toHaveCount(1);
  }
  await expect(page.getByRole('status', { name: 'Host connection' })).toContainText('browser');
  await snap(page, 'example graph');
  expect(consoleErrors).toEqual([]);
});

test('selecting a node shows it in the inspector', async ({ page, studio }) => {
  await openHello(page, studio.url);
  await page.getByTestId('node-ticker').click();
  const inspector = page.getByTestId('inspector-node');
  await expect(inspector).toContainText('data_generator');
  await expect(page.getByLabel('Extension group', { exact: true })).toHaveValue('sources');
  // The property form comes from the addon's schema: one input per property, labelled by its name.
  await expect(page.getByLabel('interval_ms', { exact: true })).toHaveValue('10');
  await page.getByRole('button', { name: 'Raw JSON mode' }).click();
  await expect(page.getByLabel('Node properties (JSON)')).toHaveValue(/"interval_ms": 10/);
});

test('toolbar actions that have nothing to act on are disabled and every control is named', async ({ page, studio }) => {
  await openHello(page, studio.url);
  await expect(page.getByTestId('node-ticker')).toBeVisible();
  for (const name of ['Open', 'Save', 'Save As', 'Export', 'Run']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeEnabled();
  }
  // Nothing to stop or undo before a run or an edit.
  for (const name of ['Stop', 'Undo', 'Redo']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
  }
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('button, select, input, textarea, [role="button"]')]
      .filter((el) => {
        const label = el.getAttribute('aria-label') ?? el.getAttribute('title') ?? (el as HTMLElement).innerText;
        return !label || !label.trim();
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  expect(unnamed).toEqual([]);
});

test('switching examples replaces the graph', async ({ page, studio }) => {
  await openHello(page, studio.url);
  await expect(page.getByTestId('node-relay')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Misbehaving extension' }).click();
  await expect(page.getByTestId('node-rogue')).toBeVisible();
  await expect(page.getByTestId('node-relay')).toHaveCount(0);
  await expect(page.getByTestId('edge-ticker-data-tick-rogue')).toHaveCount(1);
});

test('the token stays out of cookies and the address bar, and a reload keeps the connection', async ({ page, context, studio }) => {
  await openHello(page, studio.url);
  // The token was in the printed address; the page keeps it and removes it from the address bar.
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(new URL(page.url()).pathname).toBe('/');
  // No cookie: a cookie would be sent to every server on 127.0.0.1, whatever its port.
  expect(await context.cookies()).toEqual([]);
  await page.reload();
  await expect(page.getByRole('status', { name: 'Host connection' })).toContainText('browser');
  await expect(page.getByTestId('document-title')).toBeVisible();
});

test('a page opened without the token says how to get in, and reaches nothing', async ({ browser, studio }) => {
  // A fresh context: nothing kept from another tab.
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const response = await page.goto(`http://127.0.0.1:${studio.port}/`);
    expect(response?.status()).toBe(200);
    // Every request fails with the same explanation (the examples list, the addons, the runs).
    await expect(page.getByRole('alert').filter({ hasText: 'Could not list examples' })).toContainText(
      'This page was opened without its access token. Open the address that `ten-studio serve` printed',
    );
    await expect(page.getByRole('status', { name: 'Host connection' })).toHaveText('closed');
    await expect(page.getByTestId('document-title')).toHaveCount(0);
  } finally {
    await context.close();
  }
});
