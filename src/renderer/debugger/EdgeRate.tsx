/**
 * Debugger parts of a canvas edge: its live rate label, and the context menu that turns tracing
 * on for it. The label is its own memoised component reading one entry of the run view, so a
 * metrics sample re-renders the label's text and not the edge's path.
 */
import { memo, type MouseEvent } from 'react';
import { useDebug } from './debugStore';
import { useFiguresEnded, useRunView, type RunViewState } from './runStore';

const rateSelectors = new Map<string, (s: RunViewState) => number | undefined>();

/** The selector of one (source → target) rate, made once per pair and kept. */
function selectEdgeRate(source: string, target: string): (s: RunViewState) => number | undefined {
  const key = `${source}->${target}`;
  let sel = rateSelectors.get(key);
  if (!sel) {
    sel = (s) => s.edgeRates[key];
    rateSelectors.set(key, sel);
  }
  return sel;
}

function EdgeRateView({ source, target }: { source: string; target: string }) {
  const rate = useRunView(selectEdgeRate(source, target));
  const ended = useFiguresEnded();
  if (rate === undefined) return null;
  const what = `Messages per second from ${source} to ${target} (all message names together)`;
  return ended ? (
    <span className="edge-rate ended" title={`${what} in the last run's last sample; not live.`}>
      {' '}
      · last {rate}/s
    </span>
  ) : (
    <span className="edge-rate" title={what}>
      {' '}
      · {rate}/s
    </span>
  );
}

export const EdgeRate = memo(EdgeRateView);

/** Opens the edge's debugger menu (trace its messages) where the user right-clicked. */
export function openEdgeMenu(event: MouseEvent, source: string, target: string): void {
  event.preventDefault();
  useDebug.getState().setEdgeMenu({ x: event.clientX, y: event.clientY, source, target });
}
