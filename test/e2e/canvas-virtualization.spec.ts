import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { HostEvent, RunInfo } from '../../src/shared';
import { nodeGeometry } from '../../src/renderer/canvas/nodeGeometry';
import { countCanvas } from './canvasView';
import { expect, snap, test } from './fixtures';

const NODES = 1000;
/** Where the layout sidecar puts n999, far from the rest (auto layout: a block of about 9,000 × 13,000). */
const FAR = { x: 100_000, y: 100_000 };

/**
 * 1,000 forwarders in a chain, n0 also sending to n999, plus `lost`, a node of an addon that is
 * not installed (a problem, E030). The sidecar puts n999 and `lost` far away, so the fitted view
 * (zoom at its minimum, 0.05) shows neither, nor most of the chain.
 */
function files(dir: string): string {
  const nodes = [
    ...Array.from({ length: NODES }, (_, i) => ({ type: 'extension', name: `n${i}`, addon: 'forwarder', extension_group: `g${i % 10}` })),
    { type: 'extension', name: 'lost', addon: 'no_such_addon', extension_group: 'g0' },
  ];
  const connections = Array.from({ length: NODES - 1 }, (_, i) => ({
    extension: `n${i}`,
    data: [{ name: 'tick', dest: [{ extension: `n${i + 1}` }, ...(i === 0 ? [{ extension: `n${NODES - 1}` }] : [])] }],
  }));
  const file = join(dir, 'far.json');
  writeFileSync(file, JSON.stringify({ ten: { predefined_graphs: [{ name: 'far', auto_start: true, graph: { nodes, connections } }] } }));
  const positions = { [`n${NODES - 1}`]: FAR, lost: { x: -FAR.x, y: FAR.y } };
  writeFileSync(join(dir, 'far.studio-layout.json'), JSON.stringify({ version: 1, graphs: { far: { nodes: positions } } }));
  return file;
}

/** The end point of an edge's path (a bezier: `M sx,sy C c1 c2 tx,ty`). */
async function pathEnd(page: Page, edge: string): Promise<{ d: string; x: number; y: number }> {
  const d = (await page.getByTestId(edge).locator('path.react-flow__edge-path').getAttribute('d')) ?? '';
  const numbers = d.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  return { d, x: numbers.at(-2) ?? NaN, y: numbers.at(-1) ?? NaN };
}

test('only what is in view is rendered, and edges to nodes never rendered are still drawn', async ({ page, studio, consoleErrors }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ten-studio-e2e-virtual-'));
  try {
    const file = files(work);
    await page.goto(studio.url);
    await expect(page.getByTestId('document-title')).toBeVisible();
    // Every canvas node ever added to the DOM, by name.
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { __rendered: Set<string> }).__rendered = seen;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.addedNodes) {
            if (!(n instanceof Element)) continue;
            for (const el of [n, ...n.querySelectorAll('.react-flow__node')]) if (el.matches('.react-flow__node')) seen.add(el.getAttribute('data-id') ?? '');
          }
      }).observe(document.body, { childList: true, subtree: true });
    });
    const everRendered = (name: string) => page.evaluate((n) => (window as unknown as { __rendered: Set<string> }).__rendered.has(n), name);

    await page.keyboard.press('Control+o');
    const open = page.getByRole('dialog', { name: 'Open' });
    await open.getByLabel('Path').fill(file);
    await open.getByRole('button', { name: 'Open', exact: true }).click();
    // React Flow has every node (the minimap draws them all), the DOM only those in view.
    await expect(page.locator('.react-flow__minimap-node')).toHaveCount(NODES + 1);
    await expect.poll(() => page.evaluate(countCanvas, null).then((c) => c.nodesRendered === c.nodesInView)).toBe(true);
    expect((await page.evaluate(countCanvas, null)).nodesRendered).toBeLessThan(NODES);

    // Zoomed in on n0: a few nodes are in the DOM, far-away ones are not.
    await page.getByRole('button', { name: 'Find node' }).click();
    await page.getByRole('searchbox', { name: 'Find node' }).fill('n0');
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('n0');
    await expect(page.getByTestId('node-n0')).toBeInViewport();
    await expect.poll(() => page.evaluate(countCanvas, null).then((c) => c.nodesRendered === c.nodesInView)).toBe(true);
    const zoomedIn = await page.evaluate(countCanvas, null);
    expect(zoomedIn.nodesRendered).toBeGreaterThan(0);
    expect(zoomedIn.nodesRendered).toBeLessThan(50);
    await expect(page.getByTestId('node-n500')).toHaveCount(0);
    await expect(page.getByTestId('node-n999')).toHaveCount(0);
    expect(await everRendered('n999')).toBe(false);
    await expect(page.locator('.react-flow__minimap-node')).toHaveCount(NODES + 1);

    // The edge from n0 to n999, which was never rendered nor measured, is drawn, and it ends
    // where the estimate puts n999's `tick` input.
    const edge = `edge-n0-data-tick-n${NODES - 1}`;
    await expect(page.getByTestId(edge)).toHaveCount(1);
    const estimated = await pathEnd(page, edge);
    expect(estimated.d).toMatch(/^M/);
    const geometry = nodeGeometry({ name: `n${NODES - 1}`, addon: 'forwarder', group: 'g9', inPorts: [{ kind: 'data', name: 'tick', declared: false }], outPorts: [] });
    const tick = geometry.handles.find((h) => h.id === 'in:data:tick')!;
    expect(estimated.x).toBeCloseTo(FAR.x + tick.x, 1);
    expect(estimated.y).toBeCloseTo(FAR.y + tick.y + tick.height! / 2, 1);
    await snap(page, 'zoomed in on n0: the edge to n999 leaves to the right');

    // Find (Ctrl+F) brings the never-rendered n999 into view and selects it; measured now, its
    // input is where the estimate had it.
    await page.keyboard.press('Control+f');
    await page.getByRole('searchbox', { name: 'Find node' }).fill(`n${NODES - 1}`);
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue(`n${NODES - 1}`);
    await expect(page.getByTestId(`node-n${NODES - 1}`)).toBeInViewport();
    await expect(page.locator(`.react-flow__node[data-id="n${NODES - 1}"]`)).toHaveClass(/\bselected\b/);
    await expect(page.getByTestId(`port-n${NODES - 1}-in-data-tick`)).toBeVisible();
    await expect(page.getByTestId('node-n0')).toHaveCount(0);
    await expect.poll(async () => Math.abs((await pathEnd(page, edge)).y - estimated.y)).toBeLessThan(1);
    expect((await pathEnd(page, edge)).x).toBeCloseTo(estimated.x, 0);

    // A problem on a node never rendered: clicking it brings the node into view and selects it.
    expect(await everRendered('lost')).toBe(false);
    await page.getByTestId('problems').getByRole('button', { name: /^E030/ }).click();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('lost');
    await expect(page.getByTestId('node-lost')).toBeInViewport();
    await expect(page.locator('.react-flow__node[data-id="lost"]')).toHaveClass(/\bselected\b/);
    await expect(page.getByTestId(`node-n${NODES - 1}`)).toHaveCount(0);
    await snap(page, 'problem focus on a node never rendered before');

    expect(consoleErrors).toEqual([]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** What src/renderer/debugger/benchHooks.ts exposes on a page opened with `?bench-hooks`. */
interface HooksWindow {
  tenStudioBench: { follow(run: RunInfo): void; emit(event: HostEvent): void };
}

/** Where an edge's path ends and where the centre of the left side of a handle is, both on screen. */
async function endAndHandle(page: Page, edge: string, handle: string): Promise<{ end: { x: number; y: number }; handle: { x: number; y: number } }> {
  const { x, y } = await pathEnd(page, edge);
  return page.evaluate(
    ({ x, y, handle }) => {
      const viewport = document.querySelector('.react-flow__viewport')!;
      const m = new DOMMatrixReadOnly(getComputedStyle(viewport).transform);
      const origin = document.querySelector('.react-flow')!.getBoundingClientRect();
      const h = document.querySelector(`[data-testid="${handle}"]`)!.getBoundingClientRect();
      return { end: { x: origin.left + m.e + x * m.a, y: origin.top + m.f + y * m.a }, handle: { x: h.left, y: h.top + h.height / 2 } };
    },
    { x, y, handle },
  );
}

test("a rendered node's measured ports win over the estimate, also after it is selected and moved", async ({ page, studio }) => {
  await page.goto(`${studio.url}&bench-hooks`);
  await page.getByRole('button', { name: 'Open example Hello pipeline' }).click();
  const edge = 'edge-ticker-data-tick-relay';
  await expect(page.getByTestId(edge)).toHaveCount(1);
  // A running graph: every node gets a live strip above its ports, which the estimate leaves out.
  await page.evaluate(() => {
    const hooks = (window as unknown as HooksWindow).tenStudioBench;
    const ts = Date.now();
    hooks.follow({ runId: 'r', documentId: 'd', title: 'hello', state: 'running', graphs: [{ graphId: 'g', name: 'hello_pipeline', state: 'started' }], startedAt: ts, tracing: null });
    const names = ['ticker', 'mic', 'relay', 'echo', 'stats'];
    const events = names.map((extension) => ({ type: 'lifecycle' as const, ts, graphId: 'g', extension, phase: 'on_start_done' as const, phaseMs: 1 }));
    const extensions = names.map((extension) => ({
      extension,
      group: 'g',
      state: 'started',
      inMsgsDepth: 0,
      inMsgsHighWater: 0,
      pending: 0,
      msgsInPerSec: 1,
      msgsOutPerSec: 1,
      inPerSecByName: {},
      outPerSecByName: {},
      handlerP50Ms: 0.1,
      handlerP99Ms: 0.4,
      msgsInTotal: 1,
      msgsOutTotal: 1,
      waiting: [],
      droppedNoHandler: 0,
    }));
    const metrics = [{ ts, intervalMs: 100, graphs: [{ graphId: 'g', name: 'hello_pipeline', extensions, runloops: [], edges: [] }] }];
    hooks.emit({ type: 'telemetry', time: ts, batches: [{ runId: 'r', events, metrics, traces: [], dropped: { events: 0, traces: 0, metrics: 0 } }] });
  });
  await expect(page.getByTestId('lifecycle-relay')).toHaveText('started');
  const closeTo = async () => {
    const { end, handle } = await endAndHandle(page, edge, 'port-relay-in-data-tick');
    return Math.max(Math.abs(end.x - handle.x), Math.abs(end.y - handle.y));
  };
  await expect.poll(closeTo).toBeLessThan(1.5);
  // Selecting and dragging give React Flow new node objects; the measured ports stay.
  const relay = page.getByTestId('node-relay').locator('.ext-node-name');
  await relay.click();
  await expect(page.locator('.react-flow__node[data-id="relay"]')).toHaveClass(/\bselected\b/);
  await expect.poll(closeTo).toBeLessThan(1.5);
  const box = (await relay.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 30, { steps: 5 });
  await page.mouse.up();
  await expect.poll(closeTo).toBeLessThan(1.5);
  await page.keyboard.press('Control+z');
});
