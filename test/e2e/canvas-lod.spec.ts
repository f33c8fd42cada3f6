import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostEvent, RunInfo } from '../../src/shared';
import { FAR_ZOOM } from '../../src/renderer/canvas/detail';
import type { Page } from '@playwright/test';
import { waitUntilDrawn } from './canvasView';
import { expect, snap, test } from './fixtures';

const NODES = 400;

/** A chain of 400 forwarders in 10 groups: fitted in view, far below the level-of-detail zoom. */
function chainGraph(): object {
  const nodes = Array.from({ length: NODES }, (_, i) => ({ type: 'extension', name: `n${i}`, addon: 'forwarder', extension_group: `g${i % 10}` }));
  const connections = nodes.slice(0, -1).map((n, i) => ({ extension: n.name, data: [{ name: 'tick', dest: [{ extension: `n${i + 1}` }] }] }));
  return { ten: { predefined_graphs: [{ name: 'chain', auto_start: true, graph: { nodes, connections } }] } };
}

/** What src/renderer/debugger/benchHooks.ts exposes on a page opened with `?bench-hooks`. */
interface HooksWindow {
  tenStudioBench: { follow(run: RunInfo): void; emit(event: HostEvent): void };
}

/** Every node started, then one metrics sample in which only n3 has a deep queue (600). */
async function feedTelemetry(page: Page): Promise<void> {
  await page.evaluate((count) => {
    const hooks = (window as unknown as HooksWindow).tenStudioBench;
    const runId = 'lod-run';
    const ts = Date.now();
    const dropped = { events: 0, traces: 0, metrics: 0 };
    const names = Array.from({ length: count }, (_, i) => `n${i}`);
    hooks.follow({ runId, documentId: 'lod', title: 'lod', state: 'running', graphs: [{ graphId: 'g', name: 'chain', state: 'started' }], startedAt: ts, tracing: null });
    hooks.emit({
      type: 'telemetry',
      time: ts,
      batches: [{ runId, events: names.map((extension) => ({ type: 'lifecycle' as const, ts, graphId: 'g', extension, phase: 'on_start_done' as const, phaseMs: 1 })), metrics: [], traces: [], dropped }],
    });
    const extensions = names.map((extension, i) => ({
      extension,
      group: `g${i % 10}`,
      state: 'started',
      inMsgsDepth: extension === 'n3' ? 600 : 0,
      inMsgsHighWater: 600,
      pending: 0,
      msgsInPerSec: 40,
      msgsOutPerSec: 40,
      inPerSecByName: {},
      outPerSecByName: {},
      handlerP50Ms: 0.1,
      handlerP99Ms: 0.4,
      msgsInTotal: 10,
      msgsOutTotal: 10,
      waiting: [],
      droppedNoHandler: 0,
    }));
    hooks.emit({ type: 'telemetry', time: ts, batches: [{ runId, events: [], metrics: [{ ts, intervalMs: 100, graphs: [{ graphId: 'g', name: 'chain', extensions, runloops: [], edges: [] }] }], traces: [], dropped }] });
  }, NODES);
}

/** The canvas's zoom, read from React Flow's viewport transform. */
function zoomOf(page: Page): Promise<number> {
  return page.locator('.react-flow__viewport').evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).a);
}

test('zoomed out, a large graph draws nodes as boxes with their heat and no labels; zoomed in, in full', async ({ page, studio, consoleErrors }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-lod-'));
  try {
    const file = join(work, 'chain.json');
    writeFileSync(file, JSON.stringify(chainGraph()));
    await page.goto(`${studio.url}&bench-hooks`);
    await expect(page.getByTestId('document-title')).toBeVisible();
    await page.keyboard.press('Control+o');
    const open = page.getByRole('dialog', { name: 'Open' });
    await open.getByLabel('Path').fill(file);
    await open.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.locator('.react-flow__node')).toHaveCount(NODES);
    await expect(page.locator('.react-flow__edge')).toHaveCount(NODES - 1);
    await feedTelemetry(page);

    // Fitted: every node is one box, no ports, no strips, no edge labels; edges are still drawn.
    // The whole chain is in view, so every node and edge is rendered.
    await expect.poll(() => zoomOf(page)).toBeLessThan(FAR_ZOOM);
    expect(await waitUntilDrawn(page, NODES, null)).toMatchObject({ nodesInView: NODES, nodesRendered: NODES });
    await expect(page.locator('.ext-node-far')).toHaveCount(NODES);
    await expect(page.locator('.ext-node')).toHaveCount(0);
    await expect(page.locator('.react-flow__node .port')).toHaveCount(0);
    await expect(page.locator('.edge-label')).toHaveCount(0);
    await expect(page.locator('.react-flow__edge-path')).toHaveCount(NODES - 1);
    const far = page.getByTestId('node-n3');
    await expect(far).toHaveClass(/\bheat-4\b/);
    await expect(page.getByTestId('node-n4')).toHaveClass(/\bheat-0\b/);
    await expect(far).toHaveAttribute('aria-label', 'Extension n3 (forwarder, TS) in g3, started, queue 600, 40 msgs/s');
    await expect(far).toHaveAttribute('title', /queue 600/);
    await expect(page.getByTestId('queue-n3')).toHaveCount(0);
    console.log(`fitted zoom of ${NODES} nodes: ${(await zoomOf(page)).toFixed(3)}`);
    await snap(page, 'zoomed out: boxes with heat');

    // Brought into view by Find (zoom 1.2): the full node with its live strip, and edge labels.
    await page.getByRole('button', { name: 'Find node' }).click();
    await page.getByRole('searchbox', { name: 'Find node' }).fill('n3');
    await page.keyboard.press('Enter');
    await expect.poll(() => zoomOf(page)).toBeGreaterThan(1);
    await expect(page.getByTestId('node-n3').locator('.ext-node-name')).toHaveText('n3');
    await expect(page.getByTestId('queue-n3')).toHaveText('600');
    await expect(page.getByTestId('lifecycle-n3')).toHaveText('started');
    await expect(page.getByTestId('rate-n3')).toHaveText('40');
    await expect(page.locator('.ext-node-far')).toHaveCount(0);
    await expect(page.locator('.edge-label').first()).toBeVisible();
    // Zoomed in, only the few nodes in view are rendered.
    expect((await waitUntilDrawn(page, NODES, null)).nodesRendered).toBeLessThan(NODES / 10);
    await snap(page, 'zoomed in: full nodes');

    // Zooming out step by step: the drawing flips exactly where the zoom crosses FAR_ZOOM.
    const zoomOut = page.locator('.react-flow__controls-zoomout');
    let sawFar = false;
    for (let step = 0; step < 12 && !sawFar; step++) {
      await zoomOut.click();
      await page.waitForTimeout(150);
      const zoom = await zoomOf(page);
      sawFar = zoom < FAR_ZOOM;
      await expect(page.getByTestId('node-n3')).toHaveClass(sawFar ? /\bext-node-far\b/ : /\bext-node\b/);
    }
    expect(sawFar).toBe(true);
    await snap(page, 'just past the level-of-detail zoom');
    expect(consoleErrors).toEqual([]);
    // Saved, so that no recovery copy is offered to the next tests of this studio.
    await page.keyboard.press('Control+s');
    // Removing the folder while the save writes its temporary file fails with ENOTEMPTY.
    await expect(page.getByRole('status', { name: 'File status' })).toContainText('Saved');
  } finally {
    rmSync(work, { recursive: true, force: true, maxRetries: 10 });
  }
});

test('every example graph, fitted in view, is drawn in full', async ({ page, studio }) => {
  await page.goto(studio.url);
  await expect(page.getByTestId('document-title')).toBeVisible();
  for (const example of ['HTTP gateway and media', 'Hello pipeline', 'Misbehaving extension']) {
    await page.getByRole('button', { name: `Open example ${example}` }).click();
    await page.getByRole('button', { name: 'Fit view', exact: true }).click();
    await expect(page.locator('.react-flow__node').first()).toBeVisible();
    await page.waitForTimeout(400);
    const zoom = await zoomOf(page);
    console.log(`fitted zoom of example "${example}": ${zoom.toFixed(2)}`);
    expect(zoom).toBeGreaterThanOrEqual(FAR_ZOOM);
    await expect(page.locator('.ext-node-far')).toHaveCount(0);
    await expect(page.locator('.ext-node').first()).toBeVisible();
  }
  await snap(page, 'example fitted: full nodes');
});
