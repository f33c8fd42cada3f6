// Talking to a graph in Chromium with its fake microphone: a WAV file is the microphone
// (--use-file-for-fake-audio-capture, looped), permission is granted without asking
// (--use-fake-ui-for-media-stream). The page captures it with getUserMedia, ships it to the host,
// the local transport standing in for the graph's RTC node feeds it to the graph, and what the
// graph says back is played in the page.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { encodeWav16 } from '../../src/shared/talk/wav';
import { expect, test } from './fixtures';
import { shot } from './shots';

const work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-talk-'));
test.afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The fake microphone: three bursts of a tone ("one two three" to the example's energy ASR), then
 * two seconds of quiet (its end of speech), looped by Chromium.
 */
function micWav(): string {
  const rate = 16000;
  const pcm = new Int16Array(rate * 3);
  for (let b = 0; b < 3; b++) {
    const from = Math.round(rate * (0.2 + b * 0.3));
    for (let i = 0; i < rate * 0.15; i++) pcm[from + i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  }
  const file = join(work, 'mic.wav');
  writeFileSync(file, encodeWav16(pcm, rate));
  return file;
}

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav()}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
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

const played = async (page: Page) => Number(/played ([\d.]+) s/.exec((await page.getByTestId('talk-played').textContent()) ?? '')?.[1] ?? 0);

test('Run asks for a stand-in for an RTC node that is not installed; the microphone goes through it and comes back played', async ({ page, studio, consoleErrors }) => {
  // TEN's agora_rtc (a C++ package, not installed here) whose audio an echo sends straight back.
  const app = join(work, 'echo-app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'manifest.json'), JSON.stringify({ type: 'app', name: 'echo_app', version: '0.1.0' }));
  const graph = {
    nodes: [
      { type: 'extension', name: 'agora_rtc', addon: 'agora_rtc', property: { remote_stream_id: 123 } },
      { type: 'extension', name: 'echo', addon: 'forwarder', extension_group: 'echo' },
    ],
    connections: [
      { extension: 'agora_rtc', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'echo' }] }] },
      { extension: 'echo', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'agora_rtc' }] }] },
    ],
  };
  writeFileSync(join(app, 'property.json'), JSON.stringify({ ten: { predefined_graphs: [{ name: 'echo', auto_start: true, graph }] } }));
  await openPath(page, studio.url, app);
  await expect(page.getByTestId('node-agora_rtc')).toBeVisible();

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Stand-ins for this run' });
  await expect(dialog.getByTestId('stand-in-agora_rtc')).toContainText('looks like an RTC transport');
  await expect(dialog.getByLabel('Stand-in for agora_rtc')).toHaveValue('transport');
  await shot(page, 'run asks for stand-ins');
  await dialog.getByRole('button', { name: 'Run with these stand-ins' }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 20_000 });
  // The canvas says the node is a stand-in; the choice went to the layout (unsaved), not the TEN JSON.
  await expect(page.getByTestId('stand-in-badge-agora_rtc')).toHaveText('local transport');

  await page.getByRole('tab', { name: /^Talk/ }).click();
  await page.getByRole('button', { name: 'Microphone on' }).click();
  await expect(page.getByRole('button', { name: 'Microphone off' })).toBeVisible({ timeout: 15_000 });
  // The fake microphone's bursts reach the meter, go through the graph and are played back.
  await expect.poll(async () => Number(await page.getByRole('meter', { name: 'Microphone level' }).getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(20);
  await expect.poll(() => played(page), { timeout: 20_000 }).toBeGreaterThan(1);
  await expect(page.getByTestId('talk-status')).toContainText(/joined · fed [\d.]+ s \([1-9]\d* frames of input\)/);
  await shot(page, 'talking through the local transport');

  await page.getByRole('button', { name: 'Microphone off' }).click();
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
  expect(consoleErrors).toEqual([]);
});

test('the voice-loop example: talk into the microphone, see the chat, hear the answer, read the turn\'s latency', async ({ page, studio, consoleErrors }) => {
  test.skip(!existsSync('python/ten_runtime'), 'the example\'s extensions are Python: it needs the studio\'s Python runtime (python/ten_runtime)');
  await page.goto(studio.url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Voice loop (talk to it)' }).click();
  // The example's sidecar runs agora_rtc as the local transport: the canvas says so before Run.
  await expect(page.getByTestId('stand-in-badge-agora_rtc')).toHaveText('local transport');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('running', { timeout: 30_000 });
  for (const n of ['stt', 'llm', 'tts']) await expect(page.getByTestId(`lifecycle-${n}`)).toHaveText('started', { timeout: 30_000 });

  await page.getByRole('tab', { name: /^Talk/ }).click();
  await page.getByRole('button', { name: 'Microphone on' }).click();
  // The fake microphone says three bursts: the energy ASR hears "one two three", the echo LLM answers.
  const chat = page.getByTestId('talk-chat');
  await expect(chat.getByTestId('chat-user').filter({ hasText: /^Youone two three$/ }).first()).toBeVisible({ timeout: 30_000 });
  await expect(chat.getByTestId('chat-agent').filter({ hasText: 'You said one two three.' }).first()).toBeVisible({ timeout: 15_000 });
  // The answer's tones are played back.
  await expect.poll(() => played(page), { timeout: 15_000 }).toBeGreaterThan(0.5);
  // The turn: a row in the table and its waterfall, each stage with its time.
  await expect(page.getByTestId('turn-row-1')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('turn-row-1')).toContainText('one two three');
  const waterfall = page.getByTestId('waterfall');
  await expect(waterfall).toContainText(/Turn \d+: \d+ ms from the end of your speech to the first audio back/);
  for (const stage of ['asr', 'llm', 'tts']) await expect(page.getByTestId(`waterfall-${stage}`)).toHaveText(/^\d+ ms \d+%$/);
  await shot(page, 'voice loop: chat and turn latency');

  await page.getByRole('button', { name: 'Microphone off' }).click();
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 30_000 });
  expect(consoleErrors).toEqual([]);
});
