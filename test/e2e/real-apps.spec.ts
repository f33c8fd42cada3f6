// Real TEN apps open as graphs: laid out by data flow, their packages in the palette by language
// with what can run here, and Run asking per node (saying why it cannot start) what stands in for it.
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

    // Run asks what stands in for each node that cannot run here, saying why it cannot.
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Stand-ins for this run' });
    // Python runs here, but TEN's voice-assistant ships main_python as a manifest only.
    await expect(dialog.getByTestId('stand-in-main_control')).toContainText('main_python · it has no Python code to register its addon (addon.py or __init__.py)');
    await expect(dialog.getByTestId('stand-in-stt')).toContainText(
      "deepgram_asr_python · not installed: the app's manifest.json points to ../../../ten_packages/extension/deepgram_asr_python, which does not exist",
    );
    for (const n of nodes) await expect(dialog.getByTestId(`stand-in-${n}`)).toBeVisible();
    // agora_rtc looks like a transport (audio out and in, user cmds): the local transport is offered first.
    await expect(dialog.getByTestId('stand-in-agora_rtc')).toContainText('looks like an RTC transport');
    await expect(dialog.getByLabel('Stand-in for agora_rtc')).toHaveValue('transport');
    await expect(dialog.getByLabel('Stand-in for llm')).toHaveValue('interface');
    await shot(page, 'voice-assistant run asks for stand-ins');

    // With every node stood in for, TEN's voice assistant runs here.
    await dialog.getByRole('button', { name: 'Run with these stand-ins' }).click();
    await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 30_000 });
    await expect(page.getByTestId('stand-in-badge-agora_rtc')).toHaveText('local transport');
    await expect(page.getByTestId('stand-in-badge-llm')).toHaveText(/^stand-in/);
    // Joining through the Talk panel: agora_rtc's stand-in announces the user, main_control's
    // stand-in shows on its node what it received (and, as Python does, does not answer).
    await page.getByRole('tab', { name: /^Talk/ }).click();
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(page.getByTestId('stand-in-badge-main_control')).toContainText("stand-in · cmd 'on_user_joined'", { timeout: 15_000 });
    await expect(page.getByTestId('stand-in-badge-streamid_adapter')).toContainText("audio_frame 'pcm_frame'", { timeout: 15_000 });
    await page.getByRole('tab', { name: /^Logs/ }).click();
    await expect(page.getByTestId('logs')).toContainText("stand-in for main_control: received cmd 'on_user_joined' from agora_rtc (not answered)");
    await expect(page.getByTestId('logs')).toContainText('stand-in for llm (openai_llm2_python, Python by its name): answers no cmd, as a Python extension without on_cmd does');
    await expect(page.getByTestId('logs')).toContainText('stand-in for main_control (main_python, Python): answers no cmd, as a Python extension without on_cmd does; interface from the manifest of main_python 0.1.0.');
    await shot(page, 'voice-assistant running on stand-ins');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 30_000 });
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
