/**
 * The window's layout: widths of the palette and the inspector, height of the bottom panel and
 * its open tab. Changed by the splitters and the tabs, kept in localStorage so a reload (or the
 * next start of the app) comes back the same.
 */
import { useMemo, useSyncExternalStore } from 'react';
import { create } from 'zustand';

export type Pane = 'sidebar' | 'inspector' | 'bottom';
export type BottomTab = 'problems' | 'logs' | 'violations' | 'messages' | 'connections' | 'channels' | 'recording' | 'talk';

export const BOTTOM_TABS: readonly BottomTab[] = ['problems', 'logs', 'violations', 'messages', 'connections', 'channels', 'recording', 'talk'];

/** Default, smallest and largest size of each pane in px; the window may allow less (`paneMax`). */
export const PANE_SIZE: Record<Pane, { initial: number; min: number; max: number }> = {
  sidebar: { initial: 220, min: 160, max: 480 },
  inspector: { initial: 300, min: 220, max: 640 },
  bottom: { initial: 236, min: 120, max: 900 },
};

/** Height of the toolbar, as in styles.css. */
const TOOLBAR_HEIGHT = 44;
/** What the canvas keeps at least, so no drag can squeeze it away. */
const CANVAS_MIN = { width: 320, height: 160 };

/** Arrow keys move a splitter by this many px. */
export const SPLITTER_STEP = 16;

const STORAGE_KEY = 'ten-studio.layout';

export interface LayoutState {
  sizes: Record<Pane, number>;
  tab: BottomTab;
  setSize: (pane: Pane, px: number) => void;
  resetSize: (pane: Pane) => void;
  setTab: (tab: BottomTab) => void;
}

/** The largest size `pane` may take in the current window, given the other panes. */
export function paneMax(pane: Pane, sizes: Record<Pane, number>): number {
  const room =
    pane === 'bottom'
      ? window.innerHeight - TOOLBAR_HEIGHT - CANVAS_MIN.height
      : window.innerWidth - CANVAS_MIN.width - sizes[pane === 'sidebar' ? 'inspector' : 'sidebar'];
  return Math.max(PANE_SIZE[pane].min, Math.min(PANE_SIZE[pane].max, room));
}

function clampSize(pane: Pane, px: number, sizes: Record<Pane, number>): number {
  return Math.round(Math.min(paneMax(pane, sizes), Math.max(PANE_SIZE[pane].min, px)));
}

const initialSizes = (): Record<Pane, number> => ({
  sidebar: PANE_SIZE.sidebar.initial,
  inspector: PANE_SIZE.inspector.initial,
  bottom: PANE_SIZE.bottom.initial,
});

/** The stored layout, each value checked: anything missing or out of range falls back to its default. */
function load(): { sizes: Record<Pane, number>; tab: BottomTab } {
  const sizes = initialSizes();
  let tab: BottomTab = 'problems';
  try {
    const stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '{}') as { sizes?: Partial<Record<Pane, unknown>>; tab?: unknown };
    for (const pane of Object.keys(sizes) as Pane[]) {
      const px = stored.sizes?.[pane];
      if (typeof px === 'number' && px >= PANE_SIZE[pane].min && px <= PANE_SIZE[pane].max) sizes[pane] = Math.round(px);
    }
    if (BOTTOM_TABS.includes(stored.tab as BottomTab)) tab = stored.tab as BottomTab;
  } catch {
    // Unreadable or unavailable storage: start from the defaults.
  }
  return { sizes, tab };
}

function save(state: Pick<LayoutState, 'sizes' | 'tab'>): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ sizes: state.sizes, tab: state.tab }));
  } catch {
    // Storage full or disabled: the layout still applies to this window.
  }
}

export const useLayout = create<LayoutState>()((set, get) => {
  const update = (next: Partial<Pick<LayoutState, 'sizes' | 'tab'>>) => {
    set(next);
    save(get());
  };
  return {
    ...load(),
    setSize: (pane, px) => {
      const { sizes } = get();
      const size = clampSize(pane, px, sizes);
      if (size !== sizes[pane]) update({ sizes: { ...sizes, [pane]: size } });
    },
    resetSize: (pane) => get().setSize(pane, PANE_SIZE[pane].initial),
    setTab: (tab) => {
      if (tab !== get().tab) update({ tab });
    },
  };
});

const selectSizes = (s: LayoutState) => s.sizes;
const subscribeWindow = (onChange: () => void) => {
  window.addEventListener('resize', onChange);
  return () => window.removeEventListener('resize', onChange);
};
const windowSize = () => `${window.innerWidth}x${window.innerHeight}`;

/**
 * The sizes as shown: the stored ones, made smaller where the window has become too small for
 * them (the stored values stay, so a larger window gets them back).
 */
export function useShownSizes(): Record<Pane, number> {
  const sizes = useLayout(selectSizes);
  // The maxima depend on the window's size, so the sizes are worked out again when it changes.
  const windowKey = useSyncExternalStore(subscribeWindow, windowSize);
  return useMemo(() => {
    const sidebar = clampSize('sidebar', sizes.sidebar, { ...sizes, inspector: PANE_SIZE.inspector.min });
    const inspector = clampSize('inspector', sizes.inspector, { ...sizes, sidebar });
    return { sidebar, inspector, bottom: clampSize('bottom', sizes.bottom, sizes) };
  }, [sizes, windowKey]);
}
