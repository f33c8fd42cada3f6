import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

let work: string;
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-editor-'));
});
test.afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Drags from one port handle to another with real mouse events. */
async function dragPort(page: Page, from: string, to: string): Promise<void> {
  const a = (await page.getByTestId(from).boundingBox())!;
  const b = (await page.getByTestId(to).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 6 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 6 });
  await page.mouse.up();
}

/** Drops a palette item onto the canvas at (x, y) relative to the canvas. */
async function dropAddon(page: Page, addon: string, x: number, y: number): Promise<void> {
  await page.getByTestId(`palette-${addon}`).dragTo(page.getByTestId('canvas'), { targetPosition: { x, y } });
  await expect(page.getByTestId(`node-${addon}_1`)).toBeVisible();
}

async function startEmptyGraph(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Add graph' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add graph' });
  await dialog.getByLabel('Graph name').fill(name);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByRole('combobox', { name: 'Graph' })).toHaveValue(name);
}

const problems = (page: Page) => page.getByTestId('problems');

/** Opens the studio on the Hello pipeline example (the first example listed may be another one). */
async function openHello(page: Page, url: string): Promise<void> {
  await page.goto(url);
  // Wait for the first example to be shown, so that it cannot replace the one asked for.
  await expect(page.getByTestId('document-title')).toBeVisible();
  await page.getByRole('button', { name: 'Open example Hello pipeline' }).click();
  await expect(page.getByTestId('node-ticker')).toBeVisible();
}

test('build a graph by drag and drop, connect, edit properties, see problems come and go', async ({ page, studio, consoleErrors }) => {
  await openHello(page, studio.url);
  await expect(page.getByTestId('palette-data_generator')).toBeVisible();
  await startEmptyGraph(page, 'built');
  await expect(page.getByTestId('node-ticker')).toHaveCount(0);
  await snap(page, '1 empty graph');

  // Three built-ins from the palette (the search narrows it).
  await page.getByLabel('Search addons').fill('gen');
  await expect(page.getByTestId('palette-cmd_echo')).toHaveCount(0);
  await dropAddon(page, 'data_generator', 160, 160);
  await page.getByLabel('Search addons').fill('');
  await dropAddon(page, 'cmd_echo', 560, 80);
  await dropAddon(page, 'counter_sink', 560, 320);
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  await snap(page, '2 three nodes dropped');

  // Two connections: declared cmd ping to cmd_echo; data tick into counter_sink's "any" input.
  await dragPort(page, 'port-data_generator_1-out-cmd-ping', 'port-cmd_echo_1-in-cmd-ping');
  await expect(page.getByTestId('edge-data_generator_1-cmd-ping-cmd_echo_1')).toHaveCount(1);
  await dragPort(page, 'port-data_generator_1-out-data-tick', 'port-counter_sink_1-in-any');
  await expect(page.getByTestId('edge-data_generator_1-data-tick-counter_sink_1')).toHaveCount(1);
  await snap(page, '3 two connections');

  // A data message cannot go to a cmd port: refused, with the reason.
  await dragPort(page, 'port-data_generator_1-out-data-tick', 'port-cmd_echo_1-in-cmd-ping');
  await expect(page.getByTestId('editor-notice')).toContainText("data 'tick' cannot go to cmd 'ping': the message kinds differ");
  await expect(page.getByTestId('edge-data_generator_1-data-tick-cmd_echo_1')).toHaveCount(0);
  await snap(page, '4 refused connection');
  await page.getByRole('button', { name: 'Dismiss notice' }).click();

  // A property from the addon's schema: out of range first (problem), then fixed (gone).
  await page.getByTestId('node-data_generator_1').click();
  const interval = page.getByLabel('interval_ms', { exact: true });
  await interval.fill('-5');
  await interval.press('Enter');
  await expect(page.getByTestId('field-error-interval_ms')).toContainText('out of range of uint32');
  await expect(problems(page)).toContainText('E051');
  await expect(page.getByTestId('badge-data_generator_1')).toBeVisible();
  await snap(page, '5 validation problem');
  // Clicking the problem focuses its node.
  await page.getByTestId('node-cmd_echo_1').click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('cmd_echo_1');
  await problems(page).getByRole('button', { name: /^E051/ }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('data_generator_1');
  await interval.fill('20');
  await interval.press('Enter');
  await expect(problems(page)).not.toContainText('E051');
  await expect(page.getByTestId('badge-data_generator_1')).toHaveCount(0);
  await expect(page.getByTestId('field-error-interval_ms')).toHaveCount(0);
  // An env placeholder is accepted where a number is expected.
  await interval.fill('${env:TICK_MS|10}');
  await interval.press('Enter');
  await expect(page.getByTestId('field-error-interval_ms')).toHaveCount(0);
  await snap(page, '6 problem cleared');

  // Export the whole property.json, open it as a file, export again: same content.
  const first = join(work, 'first.json');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export' });
  await exportDialog.getByLabel('Path').fill(first);
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exportDialog).toHaveCount(0);
  const exported = JSON.parse(readFileSync(first, 'utf8'));
  const built = exported.ten.predefined_graphs.find((g: { name: string }) => g.name === 'built');
  expect(built.graph.nodes).toEqual([
    { type: 'extension', name: 'data_generator_1', addon: 'data_generator', extension_group: 'default', property: { interval_ms: '${env:TICK_MS|10}' } },
    { type: 'extension', name: 'cmd_echo_1', addon: 'cmd_echo', extension_group: 'default' },
    { type: 'extension', name: 'counter_sink_1', addon: 'counter_sink', extension_group: 'default' },
  ]);
  expect(built.graph.connections).toEqual([
    {
      extension: 'data_generator_1',
      cmd: [{ name: 'ping', dest: [{ extension: 'cmd_echo_1' }] }],
      data: [{ name: 'tick', dest: [{ extension: 'counter_sink_1' }] }],
    },
  ]);
  await page.keyboard.press('Control+o');
  const open = page.getByRole('dialog', { name: 'Open' });
  await open.getByLabel('Path').fill(first);
  await open.getByRole('button', { name: 'Discard changes and open', exact: true }).click();
  await expect(page.getByTestId('document-title')).toContainText('first.json');
  await page.getByRole('combobox', { name: 'Graph' }).selectOption('built');
  await expect(page.getByTestId('edge-data_generator_1-cmd-ping-cmd_echo_1')).toHaveCount(1);
  const second = join(work, 'second.json');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await exportDialog.getByLabel('Path').fill(second);
  await exportDialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(exportDialog).toHaveCount(0);
  expect(JSON.parse(readFileSync(second, 'utf8'))).toEqual(exported);
  await snap(page, '7 re-imported');

  // Graphs are renamed (and the rename undone) like any other edit.
  await page.getByRole('button', { name: 'Rename graph' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename graph built' });
  await rename.getByLabel('Graph name').fill('built_again');
  await rename.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByRole('combobox', { name: 'Graph' })).toHaveValue('built_again');
  await expect(page.getByTestId('node-cmd_echo_1')).toBeVisible();
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('combobox', { name: 'Graph' })).toHaveValue('built');
  // Saved, so that no recovery copy of these edits is offered to the next tests of this studio.
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('undo and redo a delete, find a node, read the shortcuts', async ({ page, studio, consoleErrors }) => {
  await openHello(page, studio.url);
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();

  await page.getByTestId('node-relay').click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('node-relay')).toHaveCount(0);
  await expect(page.getByTestId('edge-ticker-data-tick-relay')).toHaveCount(0);
  await expect(page.getByTestId('dirty-indicator')).toBeVisible();
  await snap(page, 'relay deleted');

  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-relay')).toBeVisible();
  await expect(page.getByTestId('edge-ticker-data-tick-relay')).toHaveCount(1);
  await expect(page.getByTestId('edge-relay-data-tick-stats')).toHaveCount(1);
  await page.keyboard.press('Control+Shift+Z');
  await expect(page.getByTestId('node-relay')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('node-relay')).toBeVisible();
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(page.getByTestId('node-relay')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('edge-ticker-data-tick-relay')).toHaveCount(1);
  // The inspector deletes too, for those who do not use the keyboard.
  await page.getByTestId('node-relay').click();
  await page.getByRole('button', { name: 'Delete node relay' }).click();
  await expect(page.getByTestId('node-relay')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('node-relay')).toBeVisible();
  await snap(page, 'delete undone');

  // Copy and paste: a fresh name next to the original.
  await page.getByTestId('node-echo').click();
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await expect(page.getByTestId('node-echo_1')).toBeVisible();
  await page.keyboard.press('Control+d');
  await expect(page.getByTestId('node-echo_2')).toBeVisible();

  // Two "any" ports: the user names the message (forwarder declares none).
  await dragPort(page, 'port-relay-out-any', 'port-echo-in-any');
  const name = page.getByRole('dialog', { name: 'Connect relay to echo' });
  await name.getByLabel('Message kind').selectOption('data');
  await name.getByLabel('Message name').fill('hello');
  await name.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByTestId('edge-relay-data-hello-echo')).toHaveCount(1);
  await expect(page.getByTestId('port-echo-in-data-hello')).toBeVisible();

  // Select everything, delete, undo: all back in one step.
  await page.getByTestId('canvas').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('node-ticker')).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-ticker')).toBeVisible();
  await expect(page.getByTestId('edge-relay-data-hello-echo')).toHaveCount(1);

  // Find node (Ctrl+F): the match is selected and shown in the inspector.
  await page.getByTestId('canvas').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('Control+f');
  const find = page.getByRole('dialog', { name: 'Find node' });
  await find.getByRole('searchbox', { name: 'Find node' }).fill('sta');
  await snap(page, 'find node');
  await page.keyboard.press('Enter');
  await expect(find).toHaveCount(0);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('stats');

  // Raw JSON mode: checked as typed, applied as one step.
  await page.getByRole('button', { name: 'Raw JSON mode' }).click();
  const raw = page.getByLabel('Node properties (JSON)');
  await raw.fill('{"log_every_ms": ');
  await expect(page.getByRole('button', { name: 'Apply JSON' })).toBeDisabled();
  await expect(page.getByTestId('inspector-node')).toContainText('Not valid JSON');
  await raw.fill('{"log_every_ms": 250}');
  await page.getByRole('button', { name: 'Apply JSON' }).click();
  await page.getByRole('button', { name: 'Raw JSON mode' }).click();
  await expect(page.getByLabel('log_every_ms', { exact: true })).toHaveValue('250');

  // Auto layout is one undoable step.
  await page.getByRole('button', { name: 'Auto layout' }).click();
  // The view is fitted to the new layout: the first column is on screen again.
  await expect(page.getByTestId('node-ticker')).toBeInViewport({ ratio: 1 });
  await page.waitForTimeout(300);
  await snap(page, 'auto layout');

  // The palette's + button adds in the middle of the view.
  await page.getByRole('button', { name: 'Add forwarder to the graph' }).click();
  await expect(page.getByTestId('node-forwarder_1')).toBeInViewport();

  await page.getByTestId('canvas').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help.getByTestId('shortcuts')).toContainText('Find a node');
  await snap(page, 'shortcuts');
  await help.getByRole('button', { name: 'Close shortcuts' }).click();
  expect(consoleErrors).toEqual([]);
});
