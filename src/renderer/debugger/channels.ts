/**
 * The Channels tab's model: the shared-memory rings between extension groups as the latest
 * metrics snapshot reports them (docs/telemetry.md, `ChannelMetrics`), one row per ring, sorted
 * as the user asks, and the words for an empty table. Pure, so it is unit-tested without a page.
 */
import type { ChannelMetrics, MetricsSnapshot, TenGraph } from '../../shared';
import { graphToCanvas } from '../canvas/graphView';

/**
 * A ring this full (bytes waiting / capacity) is flagged, and so is one whose sender holds
 * messages back or found it full in the sample's interval (between two samples a burst can fill
 * a ring and be drained).
 */
export const NEAR_FULL = 0.75;

/** One row of the Channels table. */
export interface ChannelRow extends ChannelMetrics {
  /** `<graph>\u0000<app>\u0000<from>\u0000<to>`: unique within a run. */
  key: string;
  /** The graph's name, with the app process it runs in for a graph's part in another app. */
  graph: string;
  /** Bytes waiting / capacity, 0–1. */
  fill: number;
  nearFull: boolean;
}

/** What the table shows: the rows of the latest sample, and how many groups it had (for the empty text). */
export interface ChannelsView {
  /** Null until the run's first metrics sample. */
  channels: ChannelRow[] | null;
  groups: number;
  /** The sample's time (epoch ms; 0 before the first). */
  ts: number;
}

export const NO_CHANNELS: ChannelsView = { channels: null, groups: 0, ts: 0 };

/** The rows of one metrics snapshot (none yet: `NO_CHANNELS`). */
export function channelsOf(sample: MetricsSnapshot | null | undefined): ChannelsView {
  if (!sample) return NO_CHANNELS;
  const channels: ChannelRow[] = [];
  let groups = 0;
  for (const g of sample.graphs) {
    groups += g.runloops.length;
    for (const c of g.channels ?? []) {
      const fill = c.capacity > 0 ? Math.min(1, c.bytes / c.capacity) : 0;
      channels.push({ ...c, key: `${g.graphId}\u0000${g.app ?? ''}\u0000${c.from}\u0000${c.to}`, graph: g.app === undefined ? g.name : `${g.name} in ${g.app}`, fill, nearFull: c.backlog > 0 || (c.fullPerSec ?? 0) > 0 || fill >= NEAR_FULL });
    }
  }
  return { channels, groups, ts: sample.ts };
}

export type ChannelSortKey = 'channel' | 'queued' | 'backlog' | 'msgsPerSec' | 'avgBatch' | 'wakesPerSec' | 'spilledPerSec';
export type SortDirection = 'ascending' | 'descending';

const BY: Record<Exclude<ChannelSortKey, 'channel'>, (r: ChannelRow) => number> = {
  queued: (r) => r.fill * 1e12 + r.depth,
  backlog: (r) => r.backlog,
  msgsPerSec: (r) => r.msgsPerSec,
  avgBatch: (r) => r.avgBatch,
  wakesPerSec: (r) => r.wakesPerSec,
  spilledPerSec: (r) => r.spilledPerSec,
};

const byName = (a: ChannelRow, b: ChannelRow): number => a.graph.localeCompare(b.graph) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to);

/** The rows sorted by one column; ties (and the channel column) go by graph, then from, then to. */
export function sortChannels(rows: readonly ChannelRow[], key: ChannelSortKey, direction: SortDirection): ChannelRow[] {
  const sign = direction === 'ascending' ? 1 : -1;
  if (key === 'channel') return [...rows].sort((a, b) => sign * byName(a, b));
  const value = BY[key];
  return [...rows].sort((a, b) => sign * (value(a) - value(b)) || byName(a, b));
}

/** The direction a column starts in when first chosen: names A→Z, figures largest first. */
export const firstDirection = (key: ChannelSortKey): SortDirection => (key === 'channel' ? 'ascending' : 'descending');

/** What the table says when it has no rows, from what the run is doing. */
export function emptyChannelsText(view: ChannelsView, running: boolean): string {
  if (view.channels === null) {
    return running ? 'Waiting for the first metrics sample…' : 'The channels between extension groups (one ring per direction between groups that talk) appear here while a graph runs.';
  }
  if (view.groups === 0) return 'No graph of the run is running, so no channels.';
  if (view.groups === 1) return 'No cross-group channels: all extensions run in one group, so no message changes threads.';
  return `No cross-group channels: no flow of the graph goes from one of its ${view.groups} groups to another.`;
}

/**
 * Where the canvas shows a channel: the busiest connection it carries (a flow from a node of
 * `from` to a node of `to`; else a cmd sent the other way, whose results it carries), or else a
 * node of the receiving group; null when the graph shown has neither.
 */
export function channelTarget(graph: TenGraph | null | undefined, from: string, to: string, edgeRates: Record<string, number>): { edge: string } | { node: string } | null {
  if (!graph) return null;
  const { nodes, edges } = graphToCanvas(graph);
  const groupOf = new Map(nodes.map((n) => [n.name, n.group]));
  let best: { id: string; forward: boolean; rate: number } | null = null;
  for (const e of edges) {
    const src = groupOf.get(e.source);
    const dest = groupOf.get(e.target);
    const forward = src === from && dest === to;
    if (!forward && !(e.kind === 'cmd' && src === to && dest === from)) continue;
    const rate = edgeRates[`${e.source}->${e.target}`] ?? 0;
    if (!best || (forward && !best.forward) || (forward === best.forward && rate > best.rate)) best = { id: e.id, forward, rate };
  }
  if (best) return { edge: best.id };
  const node = nodes.find((n) => n.group === to);
  return node ? { node: node.name } : null;
}

/** `12 B`, `3.1 kB`, `256 kB`, `1.0 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${n >= 100 * 1024 ? Math.round(n / 1024) : (n / 1024).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}
