import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** Copies the Hello pipeline example to an app folder of this test and opens it with Open. */
async function openHelloCopy(page: Page, url: string): Promise<string> {
  const app = join(work, 'app');
  cpSync(resolve('resources/examples/hello-pipeline'), app, { recursive: true });
  await page.goto(url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  return app;
}

/** Drags a canvas node by (dx, dy) screen pixels with real mouse events. */
async function dragNode(page: Page, name: string, dx: number, dy: number): Promise<void> {
  const box = (await page.getByTestId(`node-${name}`).boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
  await page.mouse.move(x + dx, y + dy, { steps: 4 });
  await page.mouse.up();
}

/** Controls on the page without an accessible name (aria-label, title or text). */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('button, select, input, textarea, [role="button"]')]
      .filter((el) => {
        const label = el.getAttribute('aria-label') ?? el.getAttribute('title') ?? (el as HTMLElement).innerText;
        return !label || !label.trim();
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

let work: string;
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-docs-'));
});
test.afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

test('open an app folder, edit, save, then resolve a changed-on-disk conflict', async ({ page, studio, consoleErrors }) => {
  const app = join(work, 'app');
  cpSync(resolve('resources/examples/hello-pipeline'), app, { recursive: true });
  const file = join(app, 'property.json');
  const original = readFileSync(file, 'utf8');
  const dirty = page.getByTestId('dirty-indicator');

  await openHello(page, studio.url);

  // Open through the in-app dialog (Ctrl+O), typing the folder's path.
  await page.keyboard.press('Control+o');
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await snap(page, 'open dialog');
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  await expect(dirty).toHaveCount(0);

  // Moving a node is an edit: unsaved until Ctrl+S, which writes the layout sidecar only.
  await dragNode(page, 'ticker', 80, 60);
  await expect(dirty).toBeVisible();
  await expect(page).toHaveTitle(/^● hello_pipeline/);
  // Undo comes back to the content in the file: clean again; redo leaves it.
  await page.keyboard.press('Control+z');
  await expect(dirty).toHaveCount(0);
  await expect(page).toHaveTitle(/^hello_pipeline/);
  await page.keyboard.press('Control+Shift+z');
  await expect(dirty).toBeVisible();
  await page.keyboard.press('Control+s');
  await expect(dirty).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'File status' })).toContainText('Saved');
  const layout = JSON.parse(readFileSync(join(app, 'property.studio-layout.json'), 'utf8'));
  expect(layout.graphs.hello_pipeline.nodes.ticker).toEqual({ x: expect.any(Number), y: expect.any(Number) });
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(original));

  // Someone else changes the file: Save refuses and offers the choice.
  const theirs = original.replace('"interval_ms": 10', '"interval_ms": 42');
  writeFileSync(file, theirs);
  await dragNode(page, 'relay', 40, 80);
  await expect(dirty).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const conflict = page.getByRole('alertdialog', { name: 'File changed on disk' });
  await expect(conflict).toContainText('changed on disk');
  for (const name of ['Overwrite', 'Reload from disk', 'Save as another file', 'Cancel']) {
    await expect(conflict.getByRole('button', { name, exact: true })).toBeEnabled();
  }
  await snap(page, 'conflict dialog');
  expect(await unnamedControls(page)).toEqual([]);
  expect(readFileSync(file, 'utf8')).toBe(theirs);

  // Reload takes their version and drops our edit.
  await conflict.getByRole('button', { name: 'Reload from disk' }).click();
  await expect(conflict).toHaveCount(0);
  await expect(dirty).toHaveCount(0);
  await page.getByTestId('node-ticker').click();
  await expect(page.getByLabel('interval_ms', { exact: true })).toHaveValue('42');
  await expect(dirty).toHaveCount(0);

  // Changed again on disk; this time overwrite it with our version.
  writeFileSync(file, theirs.replace('"interval_ms": 42', '"interval_ms": 43'));
  await dragNode(page, 'echo', 30, 30);
  await page.keyboard.press('Control+s');
  await conflict.getByRole('button', { name: 'Overwrite' }).click();
  await expect(conflict).toHaveCount(0);
  await expect(dirty).toHaveCount(0);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(theirs));

  // Save As (Ctrl+Shift+S) to a new file; the document follows it.
  const copy = join(work, 'copy.json');
  await page.keyboard.press('Control+Shift+S');
  const saveAs = page.getByRole('dialog', { name: 'Save As' });
  await saveAs.getByLabel('Path').fill(copy);
  await saveAs.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(saveAs).toHaveCount(0);
  expect(JSON.parse(readFileSync(copy, 'utf8'))).toEqual(JSON.parse(theirs));
  expect(existsSync(join(work, 'copy.studio-layout.json'))).toBe(true);
  await expect(page.getByTestId('document-title')).toContainText('copy.json');

  // Both files are in the recent list of the Open dialog.
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open.getByRole('button', { name: `Open recent ${copy}` })).toBeVisible();
  await expect(open.getByRole('button', { name: `Open recent ${app}` })).toBeVisible();
  await snap(page, 'recent files');
  await open.getByRole('button', { name: `Open recent ${app}` }).click();
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  expect(consoleErrors).toEqual([]);
});

/** The canvas's viewport and every rendered node's position, as React Flow's DOM places them. */
function canvasView(page: Page): Promise<{ viewport: string; nodes: Record<string, string> }> {
  return page.evaluate(async () => {
    // Two frames: a fit requested by the last commit has been applied by then.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const nodes: Record<string, string> = {};
    for (const el of document.querySelectorAll<HTMLElement>('.react-flow__node')) nodes[el.dataset.id ?? ''] = el.style.transform;
    return { viewport: document.querySelector<HTMLElement>('.react-flow__viewport')?.style.transform ?? '', nodes };
  });
}

test('Save As of an example keeps the view and the positions shown', async ({ page, studio, consoleErrors }) => {
  await openHello(page, studio.url);
  // The nodes have automatic positions; deleting the first one leaves the others where they are
  // (placed anew, relay would move to the first column), then one is dragged and the view panned.
  await page.getByTestId('node-ticker').click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('node-ticker')).toHaveCount(0);
  await dragNode(page, 'echo', 40, 30);
  const pane = (await page.getByTestId('canvas').boundingBox())!;
  await page.mouse.move(pane.x + 5, pane.y + 300);
  await page.mouse.down();
  await page.mouse.move(pane.x + 45, pane.y + 330, { steps: 4 });
  await page.mouse.move(pane.x + 85, pane.y + 360, { steps: 4 });
  await page.mouse.up();
  const before = await canvasView(page);
  expect(Object.keys(before.nodes).sort()).toEqual(['echo', 'mic', 'relay', 'stats']);

  const file = join(work, 'hello.json');
  await page.keyboard.press('Control+Shift+S');
  const saveAs = page.getByRole('dialog', { name: 'Save As' });
  await saveAs.getByLabel('Path').fill(file);
  await saveAs.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(saveAs).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toContainText('hello.json');
  expect(await canvasView(page)).toEqual(before);

  // Opening another document still fits its view.
  await page.getByRole('button', { name: 'Open example Hello pipeline' }).click();
  await expect(page.getByTestId('node-ticker')).toBeVisible();
  expect((await canvasView(page)).viewport).not.toBe(before.viewport);
  expect(consoleErrors).toEqual([]);
});

test('a bad path or a broken file is reported in the dialog and nothing is lost', async ({ page, studio }) => {
  const broken = join(work, 'property.json');
  writeFileSync(broken, '{\n  "ten": {,\n}\n');
  await openHello(page, studio.url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill('relative/path');
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open.getByRole('alert')).toContainText('absolute path');
  await open.getByLabel('Path').fill(broken);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(open.getByRole('alert')).toContainText(`${broken}:2:11`);
  await open.getByRole('button', { name: 'Cancel' }).click();
  await expect(open).toHaveCount(0);
  await expect(page.getByTestId('node-ticker')).toBeVisible();
});

test('a file that is not UTF-8 opens with a located warning, and Save leaves its bytes alone', async ({ page, studio }) => {
  const app = join(work, 'app');
  cpSync(resolve('resources/examples/hello-pipeline'), app, { recursive: true });
  const file = join(app, 'property.json');
  // The URI's host written in Latin-1: 'é' as the single byte 0xe9.
  const bytes = Buffer.from(readFileSync(file, 'utf8').replace('127.0.0.1', 'caf\u0000'), 'utf8');
  bytes[bytes.indexOf(0)] = 0xe9;
  writeFileSync(file, bytes);
  await page.goto(studio.url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  await expect(page.getByRole('alert').filter({ hasText: 'not valid UTF-8' })).toContainText(
    `${file}:3:26: not valid UTF-8 (byte 0xe9`,
  );
  // Save (no edit is needed to ask for one; an edit would leave a recovery copy for later tests).
  await page.keyboard.press('Control+s');
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save' })).toContainText('nothing was written. Use Save As');
  expect(readFileSync(file)).toEqual(bytes);
});

test('unsaved edits of a closed page are offered again on the next visit', async ({ page, studio }) => {
  const app = await openHelloCopy(page, studio.url);
  await dragNode(page, 'stats', 50, 50);
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  // The recovery copy is written within two seconds of the edit; then the page goes away unsaved.
  await expect(page.getByTestId('dirty-indicator')).toHaveAttribute('title', /recovery copy was kept/);
  // Leaving asks first; the user goes anyway.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.reload();
  const banner = page.getByRole('region', { name: 'Recovered edits' });
  await expect(banner).toContainText('hello_pipeline');
  // The offer leaves the canvas actions usable: nothing covers them.
  for (const name of ['Auto layout', 'Fit view', 'Find node', 'Keyboard shortcuts']) {
    const button = page.getByRole('button', { name, exact: true });
    const box = (await button.boundingBox())!;
    const onTop = await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.closest('button')?.getAttribute('aria-label') ?? null, [box.x + box.width / 2, box.y + box.height / 2]);
    expect(onTop, `${name} is not covered`).toBe(name);
  }
  await snap(page, 'recovery offer');
  await banner.getByRole('button', { name: 'Restore recovered edits of hello_pipeline' }).click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toContainText('hello_pipeline');
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  expect(JSON.parse(readFileSync(join(app, 'property.studio-layout.json'), 'utf8')).graphs.hello_pipeline.nodes.stats).toBeDefined();
});

test('export writes TEN JSON only, and replacing unsaved edits asks first', async ({ page, studio }) => {
  const app = await openHelloCopy(page, studio.url);

  // Export one graph as standalone graph JSON.
  const exported = join(work, 'hello.graph.json');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export' });
  await exportDialog.getByLabel('Export format').selectOption('graph');
  await exportDialog.getByLabel('Path').fill(exported);
  await snap(page, 'export dialog');
  expect(await unnamedControls(page)).toEqual([]);
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exportDialog).toHaveCount(0);
  const graph = JSON.parse(readFileSync(exported, 'utf8'));
  expect(graph.nodes.map((n: { name: string }) => n.name)).toEqual(['ticker', 'mic', 'relay', 'echo', 'stats']);
  expect(existsSync(join(work, 'hello.graph.studio-layout.json'))).toBe(false);

  // Exporting onto an existing file asks before replacing it.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await exportDialog.getByLabel('Path').fill(exported);
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exportDialog.getByRole('alert')).toContainText('already exists');
  await exportDialog.getByRole('button', { name: 'Replace the existing file' }).click();
  await expect(exportDialog).toHaveCount(0);

  // Switching to an example with unsaved edits asks; Cancel keeps them, Discard drops them.
  await dragNode(page, 'mic', 40, 40);
  await expect(page.getByTestId('dirty-indicator')).toHaveAttribute('title', /recovery copy was kept/);
  await page.getByRole('button', { name: 'Open example Misbehaving extension' }).click();
  const unsaved = page.getByRole('alertdialog', { name: 'Unsaved changes' });
  await expect(unsaved).toContainText('hello_pipeline has unsaved changes');
  await unsaved.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  await expect(page.getByTestId('node-relay')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Misbehaving extension' }).click();
  await unsaved.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByTestId('node-rogue')).toBeVisible();
  await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);

  // The discarded edits are not offered back when the app is opened again.
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByRole('dialog', { name: 'Open' }).getByRole('button', { name: `Open recent ${app}` }).click();
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');
  await expect(page.getByRole('region', { name: 'Recovered edits' })).toHaveCount(0);
});

test('New starts an untitled document after asking about unsaved edits; its first Save is Save As', async ({ page, studio, consoleErrors }) => {
  await openHelloCopy(page, studio.url);
  await dragNode(page, 'mic', 40, 40);
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();

  // The same question as for any other replacement of unsaved edits.
  await page.getByRole('button', { name: 'New', exact: true }).click();
  const unsaved = page.getByRole('alertdialog', { name: 'Unsaved changes' });
  await expect(unsaved).toContainText('hello_pipeline has unsaved changes');
  await unsaved.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('node-mic')).toBeVisible();
  await page.keyboard.press('Control+n');
  await unsaved.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByTestId('document-title')).toHaveText('Untitled');
  await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'Graph' })).toHaveValue('main');
  await expect(page.locator('[data-testid^="node-"]')).toHaveCount(0);
  await snap(page, 'new document');

  // A clean untitled document is replaced without a question; Save asks for a file.
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(unsaved).toHaveCount(0);
  await page.getByTestId('palette-data_generator').dragTo(page.getByTestId('canvas'), { targetPosition: { x: 200, y: 200 } });
  await expect(page.getByTestId('node-data_generator_1')).toBeVisible();
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  await page.keyboard.press('Control+s');
  const saveAs = page.getByRole('dialog', { name: 'Save As' });
  await expect(saveAs.getByLabel('Path')).toHaveValue('');
  const file = join(work, 'new.json');
  await saveAs.getByLabel('Path').fill(file);
  await saveAs.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(saveAs).toHaveCount(0);
  await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  await expect(page.getByTestId('document-title')).toContainText('new.json');
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  expect(saved.ten.predefined_graphs[0].graph.nodes.map((n: { name: string }) => n.name)).toEqual(['data_generator_1']);
  expect(consoleErrors).toEqual([]);
});

test('leaving the page asks first only while there are unsaved edits', async ({ page, context, studio }) => {
  const asked: string[] = [];
  const track = (p: Page) => p.on('dialog', (dialog) => {
    asked.push(dialog.type());
    void dialog.dismiss();
  });

  // Clean: the page closes without a question.
  track(page);
  await openHello(page, studio.url);
  await page.getByTestId('node-ticker').click();
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => page.isClosed()).toBe(true);
  expect(asked).toEqual([]);

  // Unsaved edits: closing asks, and staying keeps the page and its edits.
  const second = await context.newPage();
  track(second);
  await openHello(second, studio.url);
  await dragNode(second, 'ticker', 40, 40);
  await expect(second.getByTestId('dirty-indicator')).toBeVisible();
  await second.close({ runBeforeUnload: true });
  await expect.poll(() => asked).toEqual(['beforeunload']);
  expect(second.isClosed()).toBe(false);
  await expect(second.getByTestId('dirty-indicator')).toBeVisible();

  // Undone back to the saved content: no question any more.
  await second.keyboard.press('Control+z');
  await expect(second.getByTestId('dirty-indicator')).toHaveCount(0);
  await second.close({ runBeforeUnload: true });
  await expect.poll(() => second.isClosed()).toBe(true);
  expect(asked).toEqual(['beforeunload']);
});

test('integers beyond 2^53 are shown with every digit and saved unchanged after other edits', async ({ page, studio, consoleErrors }) => {
  const app = join(work, 'app');
  cpSync(resolve('resources/examples/hello-pipeline'), app, { recursive: true });
  const file = join(app, 'property.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"interval_ms": 10,', '"interval_ms": 10,\n                "seed": 18446744073709551615,'));

  await openHello(page, studio.url);
  await page.keyboard.press('Control+o');
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(app);
  await open.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('document-title')).toHaveText('hello_pipeline');

  await page.getByTestId('node-ticker').click();
  await expect(page.getByLabel('seed', { exact: true })).toHaveValue('18446744073709551615');
  await page.getByRole('button', { name: 'Raw JSON mode' }).click();
  await expect(page.getByLabel('Node properties (JSON)')).toHaveValue(/"seed": 18446744073709551615,/);
  await page.getByRole('button', { name: 'Raw JSON mode' }).click();

  const name = page.getByLabel('Name', { exact: true });
  await name.fill('source');
  await name.press('Enter');
  await expect(page.getByTestId('node-source')).toBeVisible();
  await page.keyboard.press('Control+s');
  await expect(page.getByRole('status', { name: 'File status' })).toContainText('Saved');
  const saved = readFileSync(file, 'utf8');
  expect(saved).toContain('"name": "source"');
  expect(saved).toContain('"seed": 18446744073709551615,');
  expect(consoleErrors).toEqual([]);
});
