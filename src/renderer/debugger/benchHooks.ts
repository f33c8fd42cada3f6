/**
 * Entry for the UI benchmark (bench/ui-canvas.ts): with `?bench-hooks` in the page URL the page
 * exposes `window.tenStudioBench`, through which the benchmark feeds synthetic host events into
 * the same stores the host's stream feeds, so the overlays can be measured on a 1,000-node graph
 * without running 1,000 extensions on a shared machine. Absent from every other page load.
 */
import type { HostEvent, RunInfo } from '../../shared';
import { useRunView } from './runStore';

export interface BenchHooks {
  /** Follows a (synthetic) run, as Run does. */
  follow(run: RunInfo): void;
  /** Applies one event as if the host had streamed it. */
  emit(event: HostEvent): void;
}

declare global {
  interface Window {
    tenStudioBench?: BenchHooks;
  }
}

export function installBenchHooks(onHostEvent: (event: HostEvent) => void): void {
  if (!new URLSearchParams(window.location.search).has('bench-hooks')) return;
  window.tenStudioBench = {
    follow: (run) => useRunView.getState().follow(run),
    emit: (event) => {
      useRunView.getState().apply(event);
      onHostEvent(event);
    },
  };
}
