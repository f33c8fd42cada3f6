/**
 * App boundaries on the canvas: for a graph whose nodes name several apps, a dashed frame around
 * each app's nodes, labelled with the app's URI, where it runs during a run (the studio, a
 * process the studio started, remote), and the state and traffic of the connection to it.
 */
import { ViewportPortal, useStore, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo } from 'react';
import type { ConnectionMetrics, RunAppInfo } from '../../shared';
import { connectionStateLabel, formatBytesPerSec, formatRate } from '../debugger/ConnectionsPanel';
import { useRunView, type RunViewState } from '../debugger/runStore';
import { selectGraph, useStudio } from '../store';

interface Box {
  app: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const PAD = 16;
/** Frame colours per app (sorted by URI), distinct from the extension groups' fills. */
const APP_HUES = ['#4fa3f7', '#e8a33d', '#b07cf0', '#5ccf8a', '#f07c9c', '#4fd1c5'];

function overlaps(a: Box, b: Box): boolean {
  return a.x - PAD < b.x + b.w + PAD && b.x - PAD < a.x + a.w + PAD && a.y - PAD < b.y + b.h + PAD && b.y - PAD < a.y + a.h + PAD;
}
const selectConnections = (s: RunViewState) => s.connections;
const selectApps = (s: RunViewState) => s.run?.apps;

/** The nodes' rectangles as one string, so the boundaries re-render only when a node moves or resizes. */
const selectRects = (s: ReactFlowState): string => {
  const parts: string[] = [];
  for (const n of s.nodeLookup.values()) {
    const p = n.internals.positionAbsolute;
    parts.push(`${n.id}\u0000${Math.round(p.x)}\u0000${Math.round(p.y)}\u0000${n.measured.width ?? n.initialWidth ?? 180}\u0000${n.measured.height ?? n.initialHeight ?? 60}`);
  }
  return parts.join('\u0001');
};

export const AppBoundaries = memo(function AppBoundaries() {
  const graph = useStudio(selectGraph);
  const rects = useStore(selectRects);
  const connections = useRunView(selectConnections);
  const apps = useRunView(selectApps);
  const appOf = useMemo(() => {
    const m = new Map<string, string>();
    for (const n of graph?.nodes ?? []) if (typeof n.app === 'string' && n.app !== '') m.set(n.name, n.app);
    return m;
  }, [graph]);
  const boxes = useMemo(() => {
    if (new Set(appOf.values()).size < 2) return [];
    const byApp = new Map<string, Box>();
    const nodeBoxes: Box[] = [];
    for (const part of rects.split('\u0001')) {
      if (!part) continue;
      const [id, xs, ys, ws, hs] = part.split('\u0000');
      const app = appOf.get(id!);
      if (app === undefined) continue;
      const [x, y, w, h] = [Number(xs), Number(ys), Number(ws), Number(hs)];
      nodeBoxes.push({ app, x, y, w, h });
      const b = byApp.get(app);
      if (!b) byApp.set(app, { app, x, y, w, h });
      else {
        const x2 = Math.max(b.x + b.w, x + w);
        const y2 = Math.max(b.y + b.h, y + h);
        b.x = Math.min(b.x, x);
        b.y = Math.min(b.y, y);
        b.w = x2 - b.x;
        b.h = y2 - b.y;
      }
    }
    const frames = [...byApp.values()];
    // Apps whose nodes interleave on the canvas: one frame per node (the first one labelled),
    // since frames around whole apps would cover each other's nodes.
    if (!frames.some((f, i) => frames.some((g, j) => j > i && overlaps(f, g)))) return frames.map((f) => ({ ...f, labelled: true }));
    const seen = new Set<string>();
    return nodeBoxes
      .sort((p, q) => p.y - q.y || p.x - q.x)
      .map((n) => {
        const labelled = !seen.has(n.app);
        seen.add(n.app);
        return { ...n, labelled };
      });
  }, [rects, appOf]);
  const hues = useMemo(() => new Map([...new Set(appOf.values())].sort().map((a, i) => [a, APP_HUES[i % APP_HUES.length]!])), [appOf]);
  if (boxes.length === 0) return null;
  return (
    <ViewportPortal>
      {boxes.map((b, i) => (
        <div
          key={`${b.app}\u0000${i}`}
          className="app-boundary"
          data-testid={b.labelled ? 'app-boundary' : undefined}
          aria-label={b.labelled ? `App ${b.app}` : undefined}
          style={{ transform: `translate(${b.x - PAD}px, ${b.y - PAD}px)`, width: b.w + 2 * PAD, height: b.h + 2 * PAD, borderColor: hues.get(b.app), color: hues.get(b.app) }}
        >
          {b.labelled && <AppLabel app={b.app} info={apps?.find((a) => a.uri === b.app)} conn={connectionTo(connections, b.app)} />}
        </div>
      ))}
    </ViewportPortal>
  );
});

/**
 * The connection of the run's app to `app` that carries the graph (the attached one first); the
 * app processes' own connections (tagged with their `app`) are theirs, not the studio's.
 */
function connectionTo(connections: readonly ConnectionMetrics[], app: string): ConnectionMetrics | undefined {
  const mine = connections.filter((c) => c.uri === app && c.app === undefined);
  return mine.find((c) => c.state === 'attached' && !c.weak) ?? mine[0];
}

function AppLabel({ app, info, conn }: { app: string; info: RunAppInfo | undefined; conn: ConnectionMetrics | undefined }) {
  const where = info ? { studio: 'in the studio', process: `process ${info.pid ?? ''}`.trim(), remote: 'remote' }[info.where] : undefined;
  return (
    <span className="app-boundary-label" title={info?.error}>
      {app}
      {where ? ` · ${where}` : ''}
      {info && info.state !== 'running' ? ` · ${info.state}` : ''}
      {conn && (
        <>
          <span className={`conn-state ${conn.state}`}>{connectionStateLabel(conn)}</span>
          {` ↓${formatBytesPerSec(conn.bytesInPerSec)} ${formatRate(conn.msgsInPerSec)} ↑${formatBytesPerSec(conn.bytesOutPerSec)} ${formatRate(conn.msgsOutPerSec)}`}
        </>
      )}
    </span>
  );
}
