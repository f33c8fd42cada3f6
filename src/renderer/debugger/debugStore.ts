/**
 * Debugger state beside the run view (`runStore`): traced message steps of the followed run, the
 * host's drop counters, and the recording being replayed. Kept apart so that a burst of trace
 * steps wakes only the message inspector.
 */
import { create } from 'zustand';
import type { DropCounters, Recording, TraceStep } from '../../shared';

export const MAX_TRACES = 5000;

export interface ReplayState {
  /** Absolute path of the recording file (the trace export reads it again). */
  path: string;
  recording: Recording;
  start: number;
  end: number;
  cursor: number;
  /** Events of the recording up to the cursor. */
  eventCount: number;
}

export interface DebugState {
  traces: TraceStep[];
  /** Trace steps that fell off this client's bounded list. */
  tracesDropped: number;
  /** The host's cumulative drop counters of the followed run (or of the recording). */
  dropped: DropCounters;
  /** Events the transport skipped for this client (its connection could not keep up). */
  streamDropped: number;
  replay: ReplayState | null;
  /** The last debugger action's outcome, and whether it failed. */
  notice: { text: string; error: boolean } | null;
  /** The edge context menu, where it was opened. */
  edgeMenu: EdgeMenu | null;
  reset(): void;
  addTraces(steps: readonly TraceStep[], dropped: DropCounters): void;
  addStreamDropped(n: number): void;
  setReplay(replay: ReplayState | null, traces?: TraceStep[]): void;
  setNotice(text: string | null, error?: boolean): void;
  setEdgeMenu(menu: EdgeMenu | null): void;
}

export interface EdgeMenu {
  x: number;
  y: number;
  source: string;
  target: string;
}

const NO_DROPS: DropCounters = { events: 0, traces: 0, metrics: 0 };

export const useDebug = create<DebugState>()((set, get) => ({
  traces: [],
  tracesDropped: 0,
  dropped: NO_DROPS,
  streamDropped: 0,
  replay: null,
  notice: null,
  edgeMenu: null,
  reset: () => set({ traces: [], tracesDropped: 0, dropped: NO_DROPS, streamDropped: 0, replay: null }),
  addTraces: (steps, dropped) => {
    const s = get();
    if (steps.length === 0) {
      if (dropped.events !== s.dropped.events || dropped.traces !== s.dropped.traces || dropped.metrics !== s.dropped.metrics) set({ dropped });
      return;
    }
    const all = s.traces.concat(steps);
    const over = Math.max(0, all.length - MAX_TRACES);
    set({ traces: over ? all.slice(over) : all, tracesDropped: s.tracesDropped + over, dropped });
  },
  addStreamDropped: (n) => set((s) => ({ streamDropped: s.streamDropped + n })),
  setReplay: (replay, traces) => set(traces ? { replay, traces } : { replay }),
  setNotice: (text, error = false) => set({ notice: text === null ? null : { text, error } }),
  setEdgeMenu: (edgeMenu) => set({ edgeMenu }),
}));

export const selectTraces = (s: DebugState) => s.traces;
export const selectReplay = (s: DebugState) => s.replay;
export const selectNotice = (s: DebugState) => s.notice;
export const selectEdgeMenu = (s: DebugState) => s.edgeMenu;
/** Everything lost on the way to this view: the host's counters, the stream's, this client's list. */
export const selectDroppedTotal = (s: DebugState) => s.dropped.events + s.dropped.traces + s.dropped.metrics + s.streamDropped + s.tracesDropped;
