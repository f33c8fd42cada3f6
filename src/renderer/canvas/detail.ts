import { useStore, type ReactFlowState } from '@xyflow/react';

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
