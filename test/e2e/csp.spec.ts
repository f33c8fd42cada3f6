/**
 * The built page's Content-Security-Policy under `file://`, where Electron loads it and its meta
 * tag is the only policy: it runs the built bundle (allowed by its hash) and nothing else — no
 * other local script, not even one next to it — and connects to no local WebSocket port.
 * Chromium is started with --allow-file-access-from-files, as Electron's file protocol lets a
 * file:// page load its module script; the policy itself is Chromium's to enforce.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

let browser: Browser;
let dir: string;

test.beforeAll(async () => {
  // A copy of the built page, with scripts planted beside it and elsewhere on disk.
  dir = mkdtempSync(join(tmpdir(), 'ten-studio-csp-'));
  cpSync(resolve('out/renderer'), join(dir, 'renderer'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'assets', 'planted.js'), 'window.planted = true;');
  writeFileSync(join(dir, 'elsewhere.js'), 'window.elsewhere = true;');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
  });
});

test.afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the built page from disk; resolves with it and the CSP violations it reports. */
async function openBuiltPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  await page.goto(pathToFileURL(join(dir, 'renderer', 'index.html')).href);
  return { page, violations: () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations) };
}

test('under file:// the built bundle runs, allowed by its hash', async () => {
  const { page, violations } = await openBuiltPage();
  // No preload bridge and no token here: the page itself says why it cannot reach a host.
  await expect(page.getByRole('alert').filter({ hasText: 'Could not list examples' })).toContainText('opened without its access token');
  expect(await violations()).toEqual([]);
  await page.close();
});

test('under file:// no other local script runs, wherever it lies', async () => {
  const { page, violations } = await openBuiltPage();
  await expect(page.getByRole('alert').first()).toBeVisible();
  for (const src of [pathToFileURL(join(dir, 'renderer', 'assets', 'planted.js')).href, pathToFileURL(join(dir, 'elsewhere.js')).href]) {
    await page.evaluate((url) => {
      const script = document.createElement('script');
      script.src = url;
      document.head.append(script);
    }, src);
  }
  await expect.poll(violations).toHaveLength(2);
  // Chromium names only the scheme of a blocked file: URL.
  expect(await violations()).toEqual(['script-src-elem file', 'script-src-elem file']);
  expect(await page.evaluate(() => [(window as unknown as { planted?: boolean }).planted, (window as unknown as { elsewhere?: boolean }).elsewhere])).toEqual([undefined, undefined]);
  await page.close();
});

test('under file:// the page connects to no local WebSocket port', async () => {
  // Something listening on a local port, as another local server would be.
  let connections = 0;
  const listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as AddressInfo).port;
  try {
    const { page, violations } = await openBuiltPage();
    await expect(page.getByRole('alert').first()).toBeVisible();
    const outcome = await page.evaluate((p) => {
      try {
        new WebSocket(`ws://127.0.0.1:${p}/`);
        return 'constructed';
      } catch (err) {
        return (err as Error).name;
      }
    }, port);
    // Chromium refuses a blocked WebSocket by throwing or by a violation before any connection.
    expect(['SecurityError', 'constructed']).toContain(outcome);
    await expect.poll(violations).toEqual([`connect-src ws://127.0.0.1:${port}/`]);
    expect(connections).toBe(0);
    await page.close();
  } finally {
    listener.close();
  }
});
