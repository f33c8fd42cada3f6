// The Channels tab's model: rows from a metrics snapshot, near-full flags, sorting, empty texts,
// and the run view keeping the latest sample's channels (live, resumed, replayed).
import { describe, expect, it } from 'vitest';
import type { ChannelMetrics, MetricsSnapshot, Recording } from '../../../src/shared';
import type { TenGraph } from '../../../src/shared/graph/types';
import { channelsOf, channelTarget, emptyChannelsText, firstDirection, formatBytes, NO_CHANNELS, sortChannels } from '../../../src/renderer/debugger/channels';
import { viewAt } from '../../../src/renderer/debugger/replay';
import { useRunView } from '../../../src/renderer/debugger/runStore';
import { channelMetrics } from '../../fixtures/channel-metrics';

const channel = channelMetrics;

function snapshot(ts: number, channels: ChannelMetrics[] | undefined, groups = ['a', 'b', 'c']): MetricsSnapshot {
  return {
    ts,
    intervalMs: 100,
    graphs: [
      {
        graphId: 'G',
        name: 'main',
        extensions: [],
        runloops: groups.map((group, i) => ({ group, runloopId: group, threadId: i + 1, depth: 0, highWater: 0, drainsPerSec: 0, avgBatch: 0, maxBatch: 0, busyPct: 0 })),
        edges: [],
        ...(channels ? { channels } : {}),
      },
    ],
  };
}

const names = (rows: { from: string; to: string }[]) => rows.map((r) => `${r.from}→${r.to}`);

describe('channelsOf', () => {
  it('makes one row per ring with its fill, and flags one near full, holding messages back or found full in the interval', () => {
    const view = channelsOf(
      snapshot(1, [
        channel('a', 'b', { bytes: 65536, depth: 100 }),
        channel('b', 'c', { bytes: 200000, depth: 3000 }),
        channel('c', 'a', { bytes: 10, backlog: 5 }),
        channel('a', 'c', { fullPerSec: 3 }),
      ]),
    );
    expect(view.groups).toBe(3);
    expect(view.channels!.map((r) => [r.from, r.to, r.fill, r.nearFull, r.graph])).toEqual([
      ['a', 'b', 0.25, false, 'main'],
      ['b', 'c', 200000 / 262144, true, 'main'],
      ['c', 'a', 10 / 262144, true, 'main'],
      ['a', 'c', 0, true, 'main'],
    ]);
    expect(new Set(view.channels!.map((r) => r.key)).size).toBe(4);
  });

  it("keeps the rings of a graph's part in an app process apart from the same groups' in the studio, naming the app", () => {
    const own = snapshot(1, [channel('a', 'b')]);
    const inB = { ...own.graphs[0]!, app: 'msgpack://127.0.0.1:28312/' };
    const view = channelsOf({ ...own, graphs: [own.graphs[0]!, inB] });
    expect(view.channels!.map((r) => r.graph)).toEqual(['main', 'main in msgpack://127.0.0.1:28312/']);
    expect(new Set(view.channels!.map((r) => r.key)).size).toBe(2);
    expect(view.groups).toBe(6);
  });

  it('tells no sample yet from a sample without channels', () => {
    expect(channelsOf(undefined)).toBe(NO_CHANNELS);
    expect(channelsOf(snapshot(1, undefined, ['only']))).toEqual({ channels: [], groups: 1, ts: 1 });
  });
});

describe('sortChannels', () => {
  const rows = channelsOf(
    snapshot(1, [
      channel('b', 'c', { msgsPerSec: 10, wakesPerSec: 5, bytes: 100, depth: 1 }),
      channel('a', 'b', { msgsPerSec: 900, wakesPerSec: 1, bytes: 4000, depth: 40 }),
      channel('c', 'a', { msgsPerSec: 10, wakesPerSec: 9, spilledPerSec: 3, backlog: 2, avgBatch: 7 }),
    ]),
  ).channels!;

  it('sorts by any column either way, ties by name', () => {
    expect(names(sortChannels(rows, 'channel', 'ascending'))).toEqual(['a→b', 'b→c', 'c→a']);
    expect(names(sortChannels(rows, 'channel', 'descending'))).toEqual(['c→a', 'b→c', 'a→b']);
    expect(names(sortChannels(rows, 'msgsPerSec', 'descending'))).toEqual(['a→b', 'b→c', 'c→a']);
    expect(names(sortChannels(rows, 'msgsPerSec', 'ascending'))).toEqual(['b→c', 'c→a', 'a→b']);
    expect(names(sortChannels(rows, 'wakesPerSec', 'descending'))).toEqual(['c→a', 'b→c', 'a→b']);
    expect(names(sortChannels(rows, 'queued', 'descending'))).toEqual(['a→b', 'b→c', 'c→a']);
    expect(names(sortChannels(rows, 'spilledPerSec', 'descending'))[0]).toBe('c→a');
    expect(names(sortChannels(rows, 'backlog', 'descending'))[0]).toBe('c→a');
    expect(names(sortChannels(rows, 'avgBatch', 'descending'))[0]).toBe('c→a');
    // The rows given are left as they were.
    expect(names(rows)).toEqual(['b→c', 'a→b', 'c→a']);
  });

  it('starts names A to Z and figures largest first', () => {
    expect(firstDirection('channel')).toBe('ascending');
    expect(firstDirection('msgsPerSec')).toBe('descending');
  });
});

describe('emptyChannelsText', () => {
  it('says why the table is empty', () => {
    expect(emptyChannelsText(NO_CHANNELS, false)).toMatch(/appear here while a graph runs/);
    expect(emptyChannelsText(NO_CHANNELS, true)).toMatch(/first metrics sample/);
    expect(emptyChannelsText({ channels: [], groups: 1, ts: 1 }, true)).toBe('No cross-group channels: all extensions run in one group, so no message changes threads.');
    expect(emptyChannelsText({ channels: [], groups: 0, ts: 1 }, false)).toMatch(/No graph of the run is running/);
    expect(emptyChannelsText({ channels: [], groups: 4, ts: 1 }, true)).toMatch(/no flow of the graph goes from one of its 4 groups to another/);
  });
});

describe('channelTarget', () => {
  const g: TenGraph = {
    nodes: [
      { type: 'extension', name: 'ticker', addon: 'data_generator', extension_group: 'sources' },
      { type: 'extension', name: 'mic', addon: 'audio_generator', extension_group: 'sources' },
      { type: 'extension', name: 'relay', addon: 'forwarder', extension_group: 'workers' },
      { type: 'extension', name: 'echo', addon: 'cmd_echo', extension_group: 'workers' },
      { type: 'extension', name: 'idle', addon: 'counter_sink', extension_group: 'spare' },
    ],
    connections: [
      { extension: 'ticker', data: [{ name: 'tick', dest: [{ extension: 'relay' }] }], cmd: [{ name: 'ping', dest: [{ extension: 'echo' }] }] },
      { extension: 'mic', audio_frame: [{ name: 'pcm', dest: [{ extension: 'relay' }] }] },
    ],
  };

  it('shows the busiest connection the channel carries, a cmd for the way its results go back, else a node of the receiving group', () => {
    expect(channelTarget(g, 'sources', 'workers', { 'ticker->relay': 100, 'mic->relay': 50, 'ticker->echo': 10 })).toEqual({ edge: 'ticker-data-tick-relay' });
    expect(channelTarget(g, 'sources', 'workers', { 'ticker->relay': 10, 'mic->relay': 50 })).toEqual({ edge: 'mic-audio_frame-pcm-relay' });
    expect(channelTarget(g, 'workers', 'sources', {})).toEqual({ edge: 'ticker-cmd-ping-echo' });
    expect(channelTarget(g, 'sources', 'spare', {})).toEqual({ node: 'idle' });
    expect(channelTarget(g, 'x', 'y', {})).toBeNull();
    expect(channelTarget(null, 'sources', 'workers', {})).toBeNull();
  });
});

describe('formatBytes', () => {
  it('reads like a size', () => {
    expect([formatBytes(12), formatBytes(3174), formatBytes(262144), formatBytes(3 * 1024 * 1024)]).toEqual(['12 B', '3.1 kB', '256 kB', '3.0 MB']);
  });
});

describe('the run view', () => {
  const run = { runId: 'r1', documentId: 'd', title: 'Hello', state: 'running' as const, graphs: [], startedAt: 1000, tracing: null };

  it('keeps the channels of the newest sample of a telemetry batch, and forgets them for a new run', () => {
    useRunView.getState().follow(run);
    expect(useRunView.getState().channels).toBe(NO_CHANNELS);
    useRunView.getState().apply({
      type: 'telemetry',
      time: 0,
      batches: [{ runId: 'r1', events: [], metrics: [snapshot(1, [channel('a', 'b', { msgsPerSec: 1 })]), snapshot(2, [channel('a', 'b', { msgsPerSec: 2 })])], traces: [], dropped: { events: 0, traces: 0, metrics: 0 } }],
    });
    expect(useRunView.getState().channels.channels!.map((r) => r.msgsPerSec)).toEqual([2]);
    // A batch without a sample leaves them as they are.
    useRunView.getState().apply({ type: 'telemetry', time: 0, batches: [{ runId: 'r1', events: [], metrics: [], traces: [], dropped: { events: 0, traces: 0, metrics: 0 } }] });
    expect(useRunView.getState().channels.channels!.map((r) => r.msgsPerSec)).toEqual([2]);
    useRunView.getState().follow({ ...run, runId: 'r2' });
    expect(useRunView.getState().channels).toBe(NO_CHANNELS);
  });

  it('replays the channels of the sample at the chosen instant', () => {
    const rec: Recording = {
      format: 'ten-studio-recording',
      version: 1,
      run: { ...run, state: 'stopped', stoppedAt: 3000 },
      savedAt: 3000,
      events: [],
      metrics: [snapshot(1500, [channel('a', 'b', { depth: 4 })]), snapshot(2500, [channel('a', 'b', { depth: 9 })])],
      traces: [],
      dropped: { events: 0, traces: 0, metrics: 0 },
    };
    expect(viewAt(rec, 1200).channels).toBe(NO_CHANNELS);
    expect(viewAt(rec, 2000).channels.channels!.map((r) => r.depth)).toEqual([4]);
    expect(viewAt(rec, 2600).channels.channels!.map((r) => r.depth)).toEqual([9]);
  });
});
