// The Recording tab picks its files as Open, Save As and Export do: in browser mode each of Save
// recording, Export Perfetto trace and Open recording shows a dialog over the host's folders
// (starting where the document or the last recording is, suggesting a file name), an existing
// file is replaced only when confirmed, the host's errors stay in the dialog, and typing a path
// still works.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { shot } from './shots';

const HELLO = resolve('resources/examples/hello-pipeline');

let work: string;
test.afterEach(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The dialog's listbox once its folder is listed. */
async function listed(dialog: Locator, folder: string): Promise<Locator> {
  const list = dialog.getByRole('listbox', { name: `Entries of ${folder}` });
  await expect(list).toHaveAttribute('aria-busy', 'false');
  return list;
}

const notice = (page: Page) => page.getByLabel('Debugger notice');

test('saves, exports and opens recordings through the file browser; replacing asks first; a typed path still works', async ({ page, studio, consoleErrors }) => {
  test.setTimeout(120_000);
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-recordings-'));
  const app = join(work, 'hello_app');
  cpSync(HELLO, app, { recursive: true });
  const recs = join(work, 'recs');
  mkdirSync(recs);

  await page.goto(studio.url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('node-ticker')).toBeVisible();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('lifecycle-stats')).toHaveText('started', { timeout: 30_000 });
  await page.getByRole('tab', { name: 'Recording and trace' }).click();

  // Save recording: the dialog starts in the document's folder; going to another folder with the
  // mouse puts the suggested name there.
  await page.getByRole('button', { name: 'Save recording' }).click();
  const save = page.getByRole('dialog', { name: 'Save recording' });
  const inApp = await listed(save, app);
  await expect(inApp.getByTestId('entry-property.json')).toBeVisible();
  await save.getByRole('button', { name: `Go to ${work}`, exact: true }).click();
  await (await listed(save, work)).getByTestId('entry-recs').dblclick();
  await listed(save, recs);
  const recording = join(recs, 'hello_pipeline-recording.json');
  await expect(save.getByLabel('Path')).toHaveValue(recording);
  await shot(page, 'recording: save dialog');
  await save.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(save).toHaveCount(0);
  await expect(notice(page)).toContainText(`Saved the recording`, { timeout: 15_000 });
  expect(existsSync(recording)).toBe(true);

  // Export Perfetto trace: the dialog starts where the recording went, with a name of its own.
  await page.getByRole('button', { name: 'Export Perfetto trace' }).click();
  const exporting = page.getByRole('dialog', { name: 'Export Perfetto trace' });
  const trace = join(recs, 'hello_pipeline-trace.json');
  await expect(exporting.getByLabel('Path')).toHaveValue(trace);
  await expect((await listed(exporting, recs)).getByTestId('entry-hello_pipeline-recording.json')).toBeVisible();
  await exporting.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exporting).toHaveCount(0);
  await expect(notice(page)).toContainText('Wrote the Perfetto trace', { timeout: 15_000 });
  const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: unknown[] }).traceEvents;
  expect(events.length).toBeGreaterThan(0);

  // Choosing an existing file in the browser asks before replacing it.
  await page.getByRole('button', { name: 'Export Perfetto trace' }).click();
  await (await listed(exporting, recs)).getByTestId('entry-hello_pipeline-trace.json').dblclick();
  await expect(exporting.getByRole('alert')).toHaveText(`${trace} already exists.`);
  await shot(page, 'recording: replace asks first');
  await exporting.getByRole('button', { name: 'Replace the existing file' }).click();
  await expect(exporting).toHaveCount(0);
  await expect(notice(page)).toContainText('Wrote the Perfetto trace');

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });

  // Open recording, typed: a path that is not a recording keeps the dialog open with the host's error.
  await page.getByRole('button', { name: 'Open recording' }).click();
  const opening = page.getByRole('dialog', { name: 'Open recording' });
  await expect(opening.getByLabel('Path')).toHaveValue(recording);
  const missing = join(recs, 'missing.json');
  await opening.getByLabel('Path').fill(missing);
  await opening.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(opening.getByRole('alert')).toContainText(missing);
  // Picked: a double-click on the recording in the browser replays it.
  await (await listed(opening, recs)).getByTestId('entry-hello_pipeline-recording.json').dblclick();
  await expect(opening).toHaveCount(0);
  await expect(notice(page)).toContainText('Replaying', { timeout: 15_000 });
  await expect(page.getByRole('slider', { name: 'Replay time' })).toBeVisible();
  await shot(page, 'recording: replayed after picking it');
  expect(consoleErrors).toEqual([]);
});
