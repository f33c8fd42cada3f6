import type { Locator, Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';

async function openExample(page: Page, url: string, title: string, node: string): Promise<void> {
  await page.goto(url);
  // Wait for the first example to be shown, so that it cannot replace the one asked for.
  await expect(page.getByTestId('document-title')).toBeAttached();
  await page.getByRole('button', { name: `Open example ${title}` }).click();
  await expect(page.getByTestId(`node-${node}`)).toBeVisible();
}

const height = async (locator: Locator) => (await locator.boundingBox())!.height;
const width = async (locator: Locator) => (await locator.boundingBox())!.width;
const bottomPanel = (page: Page) => page.getByRole('region', { name: 'Problems, logs and debugger' });

test('the splitters resize the panes by drag and by keyboard, and the sizes survive a reload', async ({ page, studio, consoleErrors }) => {
  await openExample(page, studio.url, 'Hello pipeline', 'ticker');
  const bottom = bottomPanel(page);
  const canvas = page.getByTestId('canvas');
  const splitter = page.getByRole('separator', { name: 'Resize bottom panel' });
  await expect(splitter).toHaveAttribute('aria-orientation', 'horizontal');
  await expect(splitter).toHaveAttribute('aria-valuenow', '236');
  expect(await height(bottom)).toBe(236);

  // Drag the splitter 150 px up: the bottom panel grows by as much, the canvas shrinks.
  const canvasBefore = await height(canvas);
  const box = (await splitter.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 150, { steps: 8 });
  await page.mouse.up();
  await expect(splitter).toHaveAttribute('aria-valuenow', '386');
  expect(await height(bottom)).toBe(386);
  expect(await height(canvas)).toBe(canvasBefore - 150);

  // Keyboard: arrows move by 16 px, Home and End go to the smallest and largest size, a double
  // click (or Enter) gives the default back.
  await splitter.focus();
  await page.keyboard.press('ArrowUp');
  await expect(splitter).toHaveAttribute('aria-valuenow', '402');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(splitter).toHaveAttribute('aria-valuenow', '370');
  await page.keyboard.press('Home');
  await expect(splitter).toHaveAttribute('aria-valuenow', '120');
  expect(await height(bottom)).toBe(120);
  await page.keyboard.press('End');
  const max = await splitter.getAttribute('aria-valuemax');
  await expect(splitter).toHaveAttribute('aria-valuenow', max!);
  // The canvas keeps its minimum however far the bottom panel grows.
  expect(await height(canvas)).toBeGreaterThanOrEqual(160);
  await splitter.dblclick();
  await expect(splitter).toHaveAttribute('aria-valuenow', '236');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowUp');
  await expect(splitter).toHaveAttribute('aria-valuenow', '284');

  // The vertical splitters: the inspector grows to the left, the palette to the right.
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  const palette = page.getByRole('complementary', { name: 'Palette' });
  const inspectorSplitter = page.getByRole('separator', { name: 'Resize inspector' });
  await expect(inspectorSplitter).toHaveAttribute('aria-orientation', 'vertical');
  await inspectorSplitter.focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(inspectorSplitter).toHaveAttribute('aria-valuenow', '332');
  expect(await width(inspector)).toBe(332);
  const paletteSplitter = page.getByRole('separator', { name: 'Resize palette' });
  const p = (await paletteSplitter.boundingBox())!;
  await page.mouse.move(p.x + p.width / 2, p.y + 200);
  await page.mouse.down();
  await page.mouse.move(p.x + p.width / 2 + 60, p.y + 200, { steps: 4 });
  await page.mouse.up();
  await expect(paletteSplitter).toHaveAttribute('aria-valuenow', '280');
  expect(await width(palette)).toBe(280);
  await page.getByRole('tab', { name: /^Logs/ }).click();
  await snap(page, 'resized panes, 1440x900');

  // A reload comes back with the same sizes and the same tab.
  await page.reload();
  await expect(page.getByTestId('document-title')).toBeAttached();
  await expect(splitter).toHaveAttribute('aria-valuenow', '284');
  expect(await height(bottomPanel(page))).toBe(284);
  expect(await width(inspector)).toBe(332);
  expect(await width(palette)).toBe(280);
  await expect(page.getByRole('tab', { name: /^Logs/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByLabel('Filter logs by extension')).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

/**
 * Controls of `container` whose text (the chosen option, the value or else the placeholder)
 * does not fit their box, or whose box leaves `container`'s.
 */
async function clippedControls(container: Locator): Promise<string[]> {
  return container.evaluate((root) => {
    const context = document.createElement('canvas').getContext('2d')!;
    const outer = root.getBoundingClientRect();
    const problems: string[] = [];
    for (const el of root.querySelectorAll<HTMLElement>('select, input:not([type=checkbox]), button')) {
      const name = el.getAttribute('aria-label') ?? el.tagName;
      const box = el.getBoundingClientRect();
      if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5) problems.push(`${name}: outside its panel`);
      if (el.scrollWidth > el.clientWidth) problems.push(`${name}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
      const style = getComputedStyle(el);
      context.font = style.font;
      const text =
        el instanceof HTMLSelectElement ? el.selectedOptions[0]!.text : el instanceof HTMLInputElement ? el.value || el.placeholder : el.innerText;
      // A select's arrow takes about 20 px of its content box.
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - (el instanceof HTMLSelectElement ? 20 : 0);
      const needed = context.measureText(text).width;
      if (needed > room + 1) problems.push(`${name}: "${text}" needs ${needed.toFixed(0)} px, has ${room.toFixed(0)}`);
    }
    return problems;
  });
}

for (const [w, h] of [
  [1280, 800],
  [1440, 900],
] as const) {
  test(`at ${w}x${h} the bottom panel's filters and inputs are not clipped`, async ({ page, studio }) => {
    await page.setViewportSize({ width: w, height: h });
    await openExample(page, studio.url, 'Hello pipeline', 'ticker');
    await expect(page.getByTestId('document-title')).toBeVisible();
    const tabs = page.getByRole('tablist', { name: 'Bottom panel' });
    expect(await clippedControls(tabs)).toEqual([]);

    await page.getByRole('tab', { name: /^Logs/ }).click();
    const logs = page.getByRole('region', { name: 'Logs and events' });
    await expect(page.getByLabel('Filter logs by extension')).toBeVisible();
    expect(await clippedControls(logs)).toEqual([]);
    await snap(page, `logs tab, ${w}x${h}`);

    await page.getByRole('tab', { name: /^Messages/ }).click();
    const messages = page.getByLabel('Message inspector');
    await expect(page.getByLabel('Filter traced messages')).toBeVisible();
    expect(await clippedControls(messages)).toEqual([]);
    await snap(page, `messages tab, ${w}x${h}`);

    await page.getByRole('tab', { name: 'Recording and trace' }).click();
    await expect(page.getByRole('button', { name: 'Open recording' })).toBeVisible();
    expect(await clippedControls(page.getByRole('tabpanel', { name: 'Recording and trace' }))).toEqual([]);
  });
}

test('a tab not shown counts what arrived, and a violation is still one click from its node', async ({ page, studio }) => {
  await openExample(page, studio.url, 'Misbehaving extension', 'rogue');
  await expect(page.getByRole('tab', { name: /^Problems/ })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const violationsTab = page.getByRole('tab', { name: /^Violations/ });
  // The count is on the tab while the problems are shown, marked new until the tab is opened.
  await expect(violationsTab).toHaveAccessibleName(/^Violations \d+, \d+ new$/, { timeout: 20_000 });
  await expect(page.getByRole('tab', { name: /^Logs \d+ new$/ })).toBeVisible();
  await expect(page.getByTestId('violations')).toBeHidden();
  await snap(page, 'violations counted on their tab');

  // Arrow keys move between the tabs.
  await page.getByRole('tab', { name: /^Problems/ }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /^Logs/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: /^Logs/ })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(violationsTab).toHaveAttribute('aria-selected', 'true');
  await expect(violationsTab).toHaveAccessibleName(/^Violations \d+$/);

  const violations = page.getByTestId('violations');
  await violations.getByRole('button').first().click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('rogue');
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Run state' })).toHaveText('stopped', { timeout: 20_000 });
});
