/**
 * What the canvas shows, counted in the page: the canvas renders only the nodes and edges in
 * view (`onlyRenderVisibleElements`), so "the graph is drawn" means every node and edge React
 * Flow considers in view is in the DOM. Used by the e2e specs and by bench/ui-canvas.ts.
 */
import type { Page } from 'playwright-core';

export interface CanvasCounts {
  /** Nodes React Flow has (the minimap draws every one, in the graph's node order). */
  nodes: number;
  /** Nodes whose box overlaps the view, by React Flow's rule (measured or estimated size). */
  nodesInView: number;
  /** `.react-flow__node` elements in the DOM. */
  nodesRendered: number;
  /** Edges whose end nodes' bounding box overlaps the view; null without `pairs`. */
  edgesInView: number | null;
  edgesRendered: number;
}

/**
 * Runs in the page (pass it to `page.evaluate`; it closes over nothing). `pairs` are the edges
 * as [source, target] indexes into the graph's node order. Node boxes come from the minimap's
 * rects (position and size in flow units, as React Flow knows them), the view from the viewport
 * transform and the canvas size, and both overlap tests are React Flow's (`getNodesInside` with
 * partial overlap, `isEdgeVisible`).
 */
export function countCanvas(pairs: readonly (readonly [number, number])[] | null): CanvasCounts {
  const flow = document.querySelector<HTMLElement>('.react-flow');
  const viewport = document.querySelector('.react-flow__viewport');
  const rects = [...document.querySelectorAll('.react-flow__minimap-node')].map((r) => {
    const x = Number(r.getAttribute('x'));
    const y = Number(r.getAttribute('y'));
    return { x, y, x2: x + Number(r.getAttribute('width')), y2: y + Number(r.getAttribute('height')) };
  });
  const rendered = { nodesRendered: document.querySelectorAll('.react-flow__node').length, edgesRendered: document.querySelectorAll('.react-flow__edge').length };
  if (!flow || !viewport) return { nodes: rects.length, nodesInView: 0, edgesInView: null, ...rendered };
  const m = new DOMMatrixReadOnly(getComputedStyle(viewport).transform);
  const view = { x: -m.e / m.a, y: -m.f / m.a, x2: (flow.offsetWidth - m.e) / m.a, y2: (flow.offsetHeight - m.f) / m.a };
  const overlaps = (b: { x: number; y: number; x2: number; y2: number }) => Math.min(view.x2, b.x2) > Math.max(view.x, b.x) && Math.min(view.y2, b.y2) > Math.max(view.y, b.y);
  let edgesInView: number | null = null;
  if (pairs) {
    edgesInView = 0;
    for (const [s, t] of pairs) {
      const a = rects[s];
      const b = rects[t];
      if (!a || !b) continue;
      const box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) };
      if (overlaps(box)) edgesInView++;
    }
  }
  return { nodes: rects.length, nodesInView: rects.filter(overlaps).length, edgesInView, ...rendered };
}

/** True when React Flow has `expectedNodes` nodes and the DOM holds exactly those (and, with pairs, the edges) in view. */
export function drawnAsInView(c: CanvasCounts, expectedNodes: number): boolean {
  return c.nodes === expectedNodes && c.nodesRendered === c.nodesInView && (c.edgesInView === null || c.edgesRendered === c.edgesInView);
}

/**
 * Waits until the canvas is drawn as in view (`drawnAsInView`) in two checks a frame apart, so
 * that a view about to be fitted does not count; returns the counts.
 */
export async function waitUntilDrawn(page: Page, expectedNodes: number, pairs: readonly (readonly [number, number])[] | null, timeoutMs = 120_000): Promise<CanvasCounts> {
  const deadline = Date.now() + timeoutMs;
  let hits = 0;
  for (;;) {
    const counts = await page.evaluate(countCanvas, pairs);
    hits = drawnAsInView(counts, expectedNodes) ? hits + 1 : 0;
    if (hits === 2) return counts;
    if (Date.now() > deadline) throw new Error(`canvas not drawn as in view within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
}
