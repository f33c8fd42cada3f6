import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntilDrawn } from './canvasView';
import { expect, snap, test } from './fixtures';

const NODES = 1000;
/** Each node forwards to the next and, every other node, one further: 1,498 edges as [source, target] indexes. */
const PAIRS: [number, number][] = Array.from({ length: NODES - 1 }, (_, i): [number, number][] => (i % 2 === 0 && i + 2 < NODES ? [[i, i + 1], [i, i + 2]] : [[i, i + 1]])).flat();

/** A 1,000-node / 1,498-edge graph in 10 groups. */
function bigGraph(): object {
  const nodes = Array.from({ length: NODES }, (_, i) => ({ type: 'extension', name: `n${i}`, addon: 'forwarder', extension_group: `g${i % 10}` }));
  const connections = nodes.slice(0, -1).map((n, i) => ({ extension: n.name, data: [{ name: 'tick', dest: PAIRS.filter(([a]) => a === i).map(([, b]) => ({ extension: `n${b}` })) }] }));
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
    // The canvas renders what is in view: from the click until React Flow has all 1,000 nodes
    // (the minimap draws each) and the DOM holds every node and edge in view, in two frames.
    const t0 = Date.now();
    await open.getByRole('button', { name: 'Open', exact: true }).click();
    const fitted = await waitUntilDrawn(page, NODES, PAIRS);
    const renderMs = Date.now() - t0;
    expect(fitted.edgesInView).toBeGreaterThan(0);
    test.info().annotations.push({ type: 'render 1000 nodes / 1498 edges, fitted (ms)', description: renderMs.toFixed(0) });
    console.log(`render 1000 nodes / 1498 edges, fitted: ${renderMs.toFixed(0)} ms (${fitted.nodesRendered} nodes, ${fitted.edgesRendered} edges in view)`);
    // The whole graph fits at this size: fitted, every node and edge is in view and drawn.
    expect(fitted).toMatchObject({ nodesInView: NODES, nodesRendered: NODES, edgesInView: PAIRS.length, edgesRendered: PAIRS.length });
    await expect(page.locator('.react-flow__minimap-node')).toHaveCount(NODES);
    await snap(page, 'big graph');

    // An edit in a big graph: delete one node (timed in the page) and undo it.
    await page.getByRole('button', { name: 'Find node' }).click();
    await page.getByRole('searchbox', { name: 'Find node' }).fill('n500');
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('n500');
    // Zoomed in on it, the DOM holds only what is in view.
    const zoomed = await waitUntilDrawn(page, NODES, PAIRS);
    expect(zoomed.nodesRendered).toBeLessThan(NODES / 10);
    await expect(page.getByTestId('node-n0')).toHaveCount(0);
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
    await expect(page.getByTestId('edge-n499-data-tick-n500')).toHaveCount(1);
    await expect(page.getByTestId('edge-n500-data-tick-n501')).toHaveCount(1);
    await waitUntilDrawn(page, NODES, PAIRS);
    console.log(`delete one node of 1000: ${deleteMs.toFixed(0)} ms`);
    test.info().annotations.push({ type: 'delete one node (ms)', description: deleteMs.toFixed(0) });
    // Saved, so that no recovery copy of these edits is offered to the next tests of this studio.
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('dirty-indicator')).toHaveCount(0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
