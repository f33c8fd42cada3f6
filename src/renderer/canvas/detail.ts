import { useStore, useStoreApi, useUpdateNodeInternals, type ReactFlowState } from '@xyflow/react';
import { useEffect, useRef } from 'react';

/**
 * Below this zoom the canvas draws nodes as coloured boxes and edges without labels. At 0.4 the
 * 11 px port names, queue depths and rates are under 4.5 px on screen, too small to read, while
 * every example graph fits its view at a zoom near 1; a 1,000-node graph fits at about 0.06,
 * where the full drawing made Chromium lay out and paint some 40,000 elements per telemetry sample.
 */
export const FAR_ZOOM = 0.4;

const selectFar = (s: ReactFlowState) => s.transform[2] < FAR_ZOOM;

/** True while the canvas is zoomed out past `FAR_ZOOM`; re-renders only when that flips. */
export function useFarZoom(): boolean {
  return useStore(selectFar);
}

/**
 * Measures the rendered nodes' handles again when the drawing flips: the far box is as large as
 * the full node, so no resize tells React Flow that the edge ends moved (port rows in full, the
 * middle of each side far away). Rendered inside `<ReactFlow>`; draws nothing.
 */
export function RemeasureOnDetailFlip(): null {
  const far = useFarZoom();
  const store = useStoreApi();
  const updateInternals = useUpdateNodeInternals();
  const shown = useRef(far);
  useEffect(() => {
    if (shown.current === far) return;
    shown.current = far;
    const rendered = store.getState().domNode?.querySelectorAll('.react-flow__node') ?? [];
    updateInternals([...rendered].map((el) => el.getAttribute('data-id') ?? ''));
  }, [far, store, updateInternals]);
  return null;
}
