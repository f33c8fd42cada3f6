import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, snap, test } from './fixtures';

/** A 1,000-node / 1,498-edge graph: 10 groups, each node forwarding to the next and, every other node, one further. */
function bigGraph(): object {
  const nodes = Array.from({ length: 1000 }, (_, i) => ({ type: 'extension', name: `n${i}`, addon: 'forwarder', extension_group: `g${i % 10}` }));
  const connections = nodes.slice(0, -1).map((n, i) => {
    const dest = [{ extension: `n${i + 1}` }];
    if (i % 2 === 0 && i + 2 < nodes.length) dest.push({ extension: `n${i + 2}` });
    return { extension: n.name, data: [{ name: 'tick', dest }] };
  });
  return { ten: { predefined_graphs: [{ name: 'big', auto_start: true, graph: { nodes, connections } }] } };
}

test('a 1,000-node, 1,498-edge graph opens, renders and stays editable', async ({ page, studio }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-scale-'));
  try {
    const file = join(work, 'big.json');
    writeFileSync(file, JSON.stringify(bigGraph()));
    await page.goto(studio.url);
    await expect(page.getByTestId('document-title')).toBeVisible();
    await page.keyboard.press('Control+o');
    const open = page.getByRole('dialog', { name: 'Open' });
    await open.getByLabel('Path').fill(file);
    // Timed in the page, from the click to the frame after the last node and edge are in the DOM.
    const renderMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          const done = () => document.querySelectorAll('.react-flow__node').length === 1000 && document.querySelectorAll('.react-flow__edge').length === 1498;
          const obs = new MutationObserver(() => {
            if (!done()) return;
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          });
          obs.observe(document.body, { childList: true, subtree: true });
          [...document.querySelectorAll<HTMLButtonElement>('[role="dialog"] button')].find((b) => b.textContent?.trim() === 'Open')!.click();
        }),
    );
    await expect(page.locator('.react-flow__node')).toHaveCount(1000);
    await expect(page.locator('.react-flow__edge')).toHaveCount(1498);
    test.info().annotations.push({ type: 'render 1000 nodes / 1498 edges (ms)', description: renderMs.toFixed(0) });
    console.log(`render 1000 nodes / 1498 edges: ${renderMs.toFixed(0)} ms`);
    await snap(page, 'big graph');

    // An edit in a big graph: delete one node (timed in the page) and undo it.
    await page.getByRole('button', { name: 'Find node' }).click();
    await page.getByRole('searchbox', { name: 'Find node' }).fill('n500');
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('n500');
    const deleteMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          const obs = new MutationObserver(() => {
            if (document.querySelector('[data-testid="node-n500"]')) return;
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          });
          obs.observe(document.body, { childList: true, subtree: true });
          window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete' }));
        }),
    );
    await page.keyboard.press('Control+z');
    await expect(page.getByTestId('node-n500')).toHaveCount(1);
    console.log(`delete one node of 1000: ${deleteMs.toFixed(0)} ms`);
    test.info().annotations.push({ type: 'delete one node (ms)', description: deleteMs.toFixed(0) });
    // Saved, so that no recovery copy of these edits is offered to the next tests of this studio.
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
