// Browser mode's Open, Save As and Export browse the host's folders: places, breadcrumbs,
// keyboard navigation, TEN app folders and property.json marked, hidden files on request,
// folders of thousands of entries, links; typing a path still works.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { shot } from './shots';

const HELLO = resolve('resources/examples/hello-pipeline');

let work: string;
test.afterEach(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function openStudio(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('document-title')).toBeVisible();
}

/** The dialog's listbox once its folder is listed. */
async function listed(dialog: Locator, folder: string): Promise<Locator> {
  const list = dialog.getByRole('listbox', { name: `Entries of ${folder}` });
  await expect(list).toHaveAttribute('aria-busy', 'false');
  return list;
}

const status = (dialog: Locator) => dialog.getByRole('status');

test('opens an app folder through the file browser without typing a path', async ({ page, studio, consoleErrors }) => {
  // A hidden folder in the home folder, where the browser starts: only the mouse finds the app.
  work = mkdtempSync(join(homedir(), '.ten-studio-e2e-browse-'));
  const app = join(work, 'apps', 'hello_app');
  cpSync(HELLO, app, { recursive: true });
  writeFileSync(join(work, 'apps', 'notes.txt'), 'not TEN');

  await openStudio(page, studio.url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  const home = await listed(open, homedir());
  await expect(home.getByTestId(`entry-${basename(work)}`)).toHaveCount(0);
  await expect(status(open)).toContainText('hidden');

  // Hidden files are off by default; the toggle shows them.
  await open.getByRole('checkbox', { name: 'Show hidden files' }).check();
  await home.getByTestId(`entry-${basename(work)}`).dblclick();
  const inWork = await listed(open, work);
  await inWork.getByTestId('entry-apps').dblclick();
  const apps = await listed(open, join(work, 'apps'));
  const entry = apps.getByTestId('entry-hello_app');
  await expect(entry).toContainText('TEN app');
  await expect(apps.getByTestId('entry-notes.txt')).toHaveClass(/fb-dim/);
  await entry.click();
  await expect(open.getByLabel('Path')).toHaveValue(app);
  await expect(entry).toHaveAttribute('aria-selected', 'true');
  await shot(page, 'file browser: app folder picked');
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');

  // Next time the dialog starts in the document's folder (an app: the status says so), with the
  // document's folder among the places and breadcrumbs up to the root.
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const inApp = await listed(open, app);
  await expect(status(open)).toContainText('this folder is a TEN app');
  await expect(inApp.getByTestId('entry-property.json')).toContainText('TEN property');
  await expect(open.getByRole('button', { name: `Go to the document's folder ${app}` })).toBeVisible();
  await open.getByRole('button', { name: `Go to ${join(work, 'apps')}`, exact: true }).click();
  await expect((await listed(open, join(work, 'apps'))).getByTestId('entry-hello_app')).toBeVisible();
  await open.getByRole('button', { name: 'Cancel' }).click();
  expect(consoleErrors).toEqual([]);
});

test('the keyboard finds its way through large folders, links and errors; typing a folder path shows it', async ({ page, studio }) => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-browse-'));
  const app = join(work, 'app');
  cpSync(HELLO, app, { recursive: true });
  mkdirSync(join(work, 'big'));
  for (let i = 0; i < 3000; i++) writeFileSync(join(work, 'big', `f${i}.json`), '{}');
  symlinkSync(app, join(work, 'link_app'));
  symlinkSync(join(work, 'nowhere'), join(work, 'broken'));
  writeFileSync(join(work, 'graph.json'), '{"nodes":[]}');

  await openStudio(page, studio.url);
  await page.keyboard.press('Control+o');
  const open = page.getByRole('dialog', { name: 'Open' });
  // A typed folder path ending in / is shown in the browser; a folder that does not exist is an error.
  await open.getByLabel('Path').fill('/no/such/folder/');
  await expect(open.getByTestId('browser-error')).toHaveText('No such folder: /no/such/folder.');
  await open.getByLabel('Path').fill(`${work}/`);
  const list = await listed(open, work);
  await expect(open.getByTestId('browser-error')).toHaveCount(0);
  await expect(list.getByRole('option')).toHaveText([/^app\//, /^big\//, /^link_app\//, /^broken/, /^graph\.json/]);
  await expect(list.getByTestId('entry-link_app')).toContainText('TEN app');
  await expect(list.getByTestId('entry-link_app')).toContainText('link');
  await expect(list.getByTestId('entry-broken')).toContainText('broken link');

  // Type-ahead, then Enter into a folder of 3,000 entries: read a page at a time.
  await list.focus();
  await page.keyboard.type('bi');
  await expect(list.getByTestId('entry-big')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  const big = await listed(open, join(work, 'big'));
  await expect(status(open)).toHaveText('3,000 items, 300 loaded (scroll for more)');
  // Only the rows in view are drawn.
  expect(await big.getByRole('option').count()).toBeLessThan(40);
  await shot(page, 'file browser: 3,000 entries');
  // End goes to the last entry loaded; the next pages load as it comes near.
  await expect(async () => {
    await page.keyboard.press('End');
    await expect(status(open)).toHaveText('3,000 items', { timeout: 500 });
  }).toPass({ timeout: 30_000 });
  await page.keyboard.press('End');
  await expect(big.getByTestId('entry-f2999.json')).toHaveAttribute('aria-selected', 'true');
  await expect(open.getByLabel('Path')).toHaveValue(join(work, 'big', 'f2999.json'));
  await page.keyboard.press('Home');
  await expect(big.getByTestId('entry-f0.json')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('PageDown');
  await expect(big.getByTestId('entry-f10.json')).toHaveAttribute('aria-selected', 'true');

  // Backspace goes up, with the folder we came from selected.
  await page.keyboard.press('Backspace');
  const back = await listed(open, work);
  await expect(back.getByTestId('entry-big')).toHaveAttribute('aria-selected', 'true');
  // A broken link says so.
  await page.keyboard.type('bro');
  await page.keyboard.press('Enter');
  await expect(open.getByTestId('browser-error')).toHaveText('broken is a broken link.');
  // → into a linked app folder, then Enter on its property.json opens the app.
  await page.keyboard.type('l');
  await expect(back.getByTestId('entry-link_app')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  const linked = await listed(open, join(work, 'link_app'));
  await page.keyboard.type('p');
  await expect(linked.getByTestId('entry-property.json')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Alt+ArrowUp');
  await listed(open, work);
  await page.keyboard.press('ArrowRight');
  await listed(open, join(work, 'link_app'));
  await page.keyboard.type('p');
  await page.keyboard.press('Enter');
  await expect(open).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  await expect(page.getByTestId('document-title')).toHaveAttribute('title', join(work, 'link_app'));
});

test('Save As and Export pick their folder and file in the browser', async ({ page, studio }) => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-browse-'));
  const folder = join(work, 'out');
  mkdirSync(folder);
  writeFileSync(join(folder, 'old.json'), '{}');
  await openStudio(page, studio.url);

  // Save As of an example: go to the folder by its path, pick the existing file, confirm Replace.
  await page.getByRole('button', { name: 'Save As', exact: true }).click();
  const saveAs = page.getByRole('dialog', { name: 'Save As' });
  await saveAs.getByLabel('Path').fill(`${folder}/`);
  const list = await listed(saveAs, folder);
  await list.getByTestId('entry-old.json').click();
  await expect(saveAs.getByLabel('Path')).toHaveValue(join(folder, 'old.json'));
  await saveAs.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(saveAs.getByRole('alert')).toContainText('already exists');
  await saveAs.getByRole('button', { name: 'Replace the existing file' }).click();
  await expect(saveAs).toHaveCount(0);
  expect(JSON.parse(readFileSync(join(folder, 'old.json'), 'utf8'))).toHaveProperty('ten');

  // Export starts in the document's folder; an empty path is the default name there.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export' });
  await listed(exportDialog, folder);
  await exportDialog.getByLabel('Export format').selectOption('graph');
  const graph = (await page.getByRole('combobox', { name: 'Graph', exact: true }).inputValue()) || 'graph';
  await expect(exportDialog.getByLabel('Path')).toHaveAttribute('placeholder', join(folder, `${graph}.json`));
  await shot(page, 'file browser: export');
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exportDialog).toHaveCount(0);
  expect(existsSync(join(folder, `${graph}.json`))).toBe(true);
});
