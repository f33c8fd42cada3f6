/**
 * The Channels tab: one row per shared-memory ring between two extension groups (one per
 * direction between groups that talk), from the latest metrics sample (10 Hz): what waits in it
 * against its capacity, what its sender holds back, messages per second, messages per drain,
 * wakes of a sleeping receiver and messages spilled to the pair's MessagePort. Sortable by each
 * column (header buttons, so the keyboard reaches them); a ring near full is flagged. A row's
 * name is a button that shows the channel on the canvas (its busiest connection).
 */
import { useState } from 'react';
import { useEditor } from '../editor/editorStore';
import { useLayout, type LayoutState } from '../panels/layout';
import { selectGraph, useStudio } from '../store';
import { channelTarget, emptyChannelsText, firstDirection, formatBytes, NEAR_FULL, sortChannels, type ChannelRow, type ChannelSortKey, type SortDirection } from './channels';
import { formatRate } from './ConnectionsPanel';
import { isActive, useFiguresEnded, useRunView, type RunViewState } from './runStore';

const selectShown = (s: LayoutState) => s.tab === 'channels';
const selectChannels = (s: RunViewState) => s.channels;
const selectRunning = (s: RunViewState) => isActive(s.run);

const COLUMNS: { key: ChannelSortKey; label: string; title: string }[] = [
  { key: 'channel', label: 'channel', title: 'The sending group → the receiving group' },
  { key: 'queued', label: 'queued / capacity', title: 'Messages and bytes written and not yet taken by the receiving thread, against the ring’s size' },
  { key: 'backlog', label: 'held back', title: 'Messages the sender holds until the ring has room (nothing is dropped)' },
  { key: 'msgsPerSec', label: 'msgs/s', title: 'Messages taken by the receiving thread per second' },
  { key: 'avgBatch', label: 'msgs/drain', title: 'Messages per drain over the last interval (the largest drain since the start in the tooltip)' },
  { key: 'wakesPerSec', label: 'wakes/s', title: 'Wakes of a sleeping receiver per second (a busy receiver is never woken)' },
  { key: 'spilledPerSec', label: 'spills/s', title: 'Messages sent by the pair’s MessagePort instead (large buffers, properties the ring does not carry) per second; the total in the tooltip' },
];

export function ChannelsPanel() {
  // Hidden, the panel does not follow the 10 Hz samples (the tab's badge does, with primitives).
  const shown = useLayout(selectShown);
  const view = useRunView((s) => (shown ? selectChannels(s) : null));
  const running = useRunView(selectRunning);
  const ended = useFiguresEnded();
  const [sort, setSort] = useState<{ key: ChannelSortKey; direction: SortDirection }>({ key: 'channel', direction: 'ascending' });
  if (!view) return null;
  const rows = view.channels ? sortChannels(view.channels, sort.key, sort.direction) : [];
  const choose = (key: ChannelSortKey) =>
    setSort((s) => (s.key === key ? { key, direction: s.direction === 'ascending' ? 'descending' : 'ascending' } : { key, direction: firstDirection(key) }));
  return (
    <section className="channels-panel" aria-label="Channels between groups">
      {ended && rows.length > 0 && <p className="muted channels-ended">The last sample of the run that ended.</p>}
      <table className={`channels${ended ? ' ended' : ''}`} data-testid="channels" aria-label="Channels between groups" data-sample-ts={view.ts} aria-rowcount={rows.length + 1}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c.key} scope="col" aria-sort={sort.key === c.key ? sort.direction : 'none'} title={c.title}>
                <button type="button" className="sort" onClick={() => choose(c.key)} aria-label={`Sort by ${c.label}`}>
                  {c.label}
                  <span className="sort-mark" aria-hidden="true">
                    {sort.key === c.key ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}
                  </span>
                </button>
              </th>
            ))}
            <th scope="col" title="The receiving thread: asleep (waits for a wake), awake (draining), closed (gone)">receiver</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <ChannelLine key={r.key} r={r} />
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} className="muted" data-testid="channels-empty">
                {emptyChannelsText(view, running)}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

/** Selects and frames on the canvas what the channel carries. */
function show(r: ChannelRow): void {
  const target = channelTarget(selectGraph(useStudio.getState()), r.from, r.to, useRunView.getState().edgeRates);
  if (target) useEditor.getState().requestFocus(target);
}

const pct = (fill: number): string => (fill > 0 && fill < 0.01 ? '<1%' : `${Math.round(fill * 100)}%`);

function ChannelLine({ r }: { r: ChannelRow }) {
  const receiver = r.closed ? 'closed' : r.asleep ? 'asleep' : 'awake';
  const foundFull = r.fullPerSec ?? 0;
  const full =
    r.backlog > 0
      ? `full: its sender holds ${r.backlog} messages back`
      : foundFull > 0
        ? `full ${formatRate(foundFull)}: its sender found no room`
        : r.nearFull
          ? `near full (over ${Math.round(NEAR_FULL * 100)}%)`
          : '';
  return (
    <tr
      className={`channel${r.nearFull ? ' near-full' : ''}`}
      data-testid={`channel-${r.from}-${r.to}`}
      aria-label={`Channel ${r.from} → ${r.to}${full ? `, ${full}` : ''}`}
    >
      <th scope="row">
        <button type="button" className="channel-show" onClick={() => show(r)} aria-label={`Show ${r.from} → ${r.to} on the canvas`} title={`graph ${r.graph}: show its busiest connection on the canvas`}>
          {r.from} → {r.to}
        </button>
      </th>
      <td data-col="queued" title={`${r.depth} messages, ${r.bytes.toLocaleString()} of ${r.capacity.toLocaleString()} bytes${r.highWater !== undefined ? `; at most ${r.highWater.toLocaleString()} bytes at once` : ''}${full ? `; ${full}` : ''}`}>
        <span className="channel-fill" aria-hidden="true">
          <span style={{ width: `${Math.max(r.fill > 0 ? 2 : 0, Math.round(r.fill * 100))}%` }} />
        </span>
        {r.depth} msgs · {formatBytes(r.bytes)} / {formatBytes(r.capacity)} ({pct(r.fill)}){r.nearFull && <span className="channel-full"> {r.backlog > 0 || foundFull > 0 ? 'full' : 'near full'}</span>}
      </td>
      <td data-col="backlog" className={r.backlog > 0 ? 'error' : undefined}>
        {r.backlog}
      </td>
      <td data-col="msgsPerSec">{formatRate(r.msgsPerSec)}</td>
      <td data-col="avgBatch" title={`largest drain since the start: ${r.maxBatch} messages; ${formatRate(r.drainsPerSec)} drains`}>
        {r.avgBatch > 0 ? (r.avgBatch >= 10 ? Math.round(r.avgBatch) : r.avgBatch.toFixed(1)) : '—'}
      </td>
      <td data-col="wakesPerSec">{formatRate(r.wakesPerSec)}</td>
      <td data-col="spilledPerSec" title={r.spilled !== undefined ? `${r.spilled.toLocaleString()} since the start` : undefined}>
        {formatRate(r.spilledPerSec)}
      </td>
      <td data-col="receiver">
        <span className={`conn-state ${receiver}`}>{receiver}</span>
      </td>
    </tr>
  );
}
