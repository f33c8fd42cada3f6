/**
 * A window splitter (WAI-ARIA "window splitter" pattern) that sizes one pane of the layout: drag
 * it, or focus it and use the arrow keys (16 px a press), Home (smallest) and End (largest);
 * a double click gives the pane its default size back.
 */
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { PANE_SIZE, paneMax, SPLITTER_STEP, useLayout, useShownSizes, type Pane } from './layout';

/**
 * Which way the splitter's line runs and on which side of it the pane lies: `bottom` is under
 * a horizontal line, `sidebar` left of a vertical one, `inspector` right of one.
 */
const GEOMETRY: Record<Pane, { orientation: 'horizontal' | 'vertical'; grow: 1 | -1; label: string }> = {
  sidebar: { orientation: 'vertical', grow: 1, label: 'Resize palette' },
  inspector: { orientation: 'vertical', grow: -1, label: 'Resize inspector' },
  bottom: { orientation: 'horizontal', grow: -1, label: 'Resize bottom panel' },
};

const KEY_DIRECTION: Record<string, 1 | -1> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

export function Splitter({ pane }: { pane: Pane }) {
  const sizes = useShownSizes();
  const size = sizes[pane];
  const drag = useRef<{ pointer: number; start: number; size: number } | null>(null);
  const { orientation, grow, label } = GEOMETRY[pane];
  const coordinate = (e: PointerEvent) => (orientation === 'horizontal' ? e.clientY : e.clientX);
  const layout = useLayout.getState;

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.focus();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { pointer: e.pointerId, start: coordinate(e), size };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (d && d.pointer === e.pointerId) layout().setSize(pane, d.size + grow * (coordinate(e) - d.start));
  };
  const onPointerEnd = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current?.pointer === e.pointerId) drag.current = null;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const direction = KEY_DIRECTION[e.key];
    const along = orientation === 'horizontal' ? e.key === 'ArrowUp' || e.key === 'ArrowDown' : e.key === 'ArrowLeft' || e.key === 'ArrowRight';
    if (direction !== undefined && along) layout().setSize(pane, size + grow * direction * SPLITTER_STEP);
    else if (e.key === 'Home') layout().setSize(pane, PANE_SIZE[pane].min);
    else if (e.key === 'End') layout().setSize(pane, paneMax(pane, sizes));
    else if (e.key === 'Enter') layout().resetSize(pane);
    else return;
    e.preventDefault();
  };

  return (
    <div
      className={`splitter splitter-${pane}`}
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={size}
      aria-valuemin={PANE_SIZE[pane].min}
      aria-valuemax={paneMax(pane, sizes)}
      title={`${label}: drag, or arrow keys; Home/End for smallest/largest; double-click or Enter for the default size`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerEnd}
      onPointerCancel={onPointerEnd}
      onDoubleClick={() => layout().resetSize(pane)}
      onKeyDown={onKeyDown}
    />
  );
}
