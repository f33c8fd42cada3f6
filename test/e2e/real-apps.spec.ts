// Real TEN apps open as graphs: laid out by data flow, their packages in the palette by language
// with what can run here, and Run saying per node why a node cannot start.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { shot } from './shots';

const VOICE = resolve('../shared/ten-corpus/apps/voice-assistant');

let work: string;
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-apps-'));
});
test.afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

async function openPath(page: Page, url: string, path: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(path);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open).toHaveCount(0);
}

type Box = { x: number; y: number; width: number; height: number };

async function nodeBoxes(page: Page, names: readonly string[]): Promise<Record<string, Box>> {
  const out: Record<string, Box> = {};
  for (const n of names) out[n] = (await page.getByTestId(`node-${n}`).boundingBox())!;
  return out;
}

test.describe('voice-assistant, as TEN ships it (no layout sidecar)', () => {
  test.skip(!existsSync(VOICE), 'needs ../shared/ten-corpus (TEN\'s example apps)');

  test('opens as a left-to-right data flow; the palette shows its Python package; Run says per node why not', async ({ page, studio }) => {
    const app = join(work, 'voice-assistant');
    cpSync(VOICE, app, { recursive: true });
    await openPath(page, studio.url, app);
    const nodes = ['agora_rtc', 'stt', 'llm', 'tts', 'main_control', 'message_collector', 'weatherapi_tool_python', 'streamid_adapter'] as const;
    for (const n of nodes) await expect(page.getByTestId(`node-${n}`)).toBeVisible();
    const box = await nodeBoxes(page, nodes);
    // The audio path runs left to right; the sources of agora_rtc are left of it.
    expect(box.agora_rtc.x).toBeLessThan(box.streamid_adapter.x);
    expect(box.streamid_adapter.x).toBeLessThan(box.stt.x);
    expect(box.stt.x).toBeLessThan(box.main_control.x);
    expect(box.tts.x).toBeLessThan(box.agora_rtc.x);
    expect(box.message_collector.x).toBeLessThan(box.agora_rtc.x);
    // No node lies on another.
    for (const a of nodes) {
      for (const b of nodes) {
        if (a >= b) continue;
        const [p, q] = [box[a], box[b]];
        const overlap = p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;
        expect(overlap, `${a} overlaps ${b}`).toBe(false);
      }
    }
    await shot(page, 'voice-assistant opened');

    const python = page.getByTestId('palette-section-app-python');
    await expect(python.getByRole('heading')).toHaveText('App · Python runs here');
    const item = python.getByTestId('palette-main_python');
    await expect(item.locator('.palette-name')).toHaveText('main_python');
    await expect(item.getByRole('button', { name: 'Add main_python to the graph' })).toBeVisible();
    // One row, like every palette item (an app package's "app" tag once took the studio's grid style).
    expect((await item.boundingBox())!.height).toBeLessThan(40);

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const error = page.locator('.bottom p.error[role="alert"]');
    // main_python is installed and Python runs here; the app's other packages are not installed.
    await expect(error).toContainText("Could not run the graph: 7 of the graph's 8 extension nodes cannot run here:");
    await expect(error).not.toContainText('- main_control (main_python)');
    await expect(error).toContainText(
      "- stt (deepgram_asr_python): not installed: the app's manifest.json points to ../../../ten_packages/extension/deepgram_asr_python, which does not exist",
    );
    await expect(error).not.toContainText('which is not installed');
    await shot(page, 'voice-assistant run refused per node');
  });
});

test('the palette groups an app\'s packages by language and says which run here', async ({ page, studio }) => {
  await openPath(page, studio.url, resolve('test/fixtures/apps/polyglot'));
  await expect(page.getByTestId('node-ok')).toBeVisible();
  const sections = page.locator('.palette-section h3');
  await expect(sections).toHaveText(['App · TypeScript runs here', 'App · Python runs here', "App · C++ can't run here", "App · Go can't run here", 'Built-in · TypeScript runs here']);
  const ts = page.getByTestId('palette-section-app-typescript');
  await expect(ts.getByTestId('palette-ts_ok')).not.toContainText("can't run");
  // A TypeScript package without an entry file cannot run either, and says why.
  await expect(ts.getByTestId('palette-ts_no_entry')).toContainText("can't run");
  await expect(ts.getByTestId('palette-ts_no_entry')).toHaveAttribute('title', /Cannot run here: it has no entry file/);
  await expect(page.getByTestId('palette-section-app-go').getByTestId('palette-go_ext')).toBeVisible();
  await shot(page, 'palette by language');

  // The inspector says it too.
  await page.getByRole('button', { name: 'Find node' }).click();
  await page.keyboard.type('py');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspector-language')).toHaveText('Python (runs here)');

  // A graph of packages that run here runs.
  await page.getByRole('combobox', { name: 'Graph' }).selectOption('typescript_only');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
});
