// Generators, forwarder, fan_in and counter_sink in real graphs: messages flow end to end.
import { afterEach, describe, expect, it } from 'vitest';
import type { CounterStats } from '../../../src/runtime/addons/counter_sink/src';
import { channelName, closeAll, graphOf, listen, startGraph } from './harness';

afterEach(closeAll);

const isFinal = (m: CounterStats) => m.final === true;

describe('data_generator → forwarder → counter_sink', () => {
  it('counts data (with payload bytes) and the generator cmds, across three groups', async () => {
    const channel = channelName('chain');
    const some = listen<CounterStats>(channel, (m) => !m.final);
    const stats = listen<CounterStats>(channel, isFinal);
    try {
      const graph = await startGraph(
        graphOf(
          [
            {
              name: 'ticker',
              addon: 'data_generator',
              property: { interval_ms: 5, data_name: 'tick', payload_bytes: 64, cmd_name: 'ping', cmd_every: 2 },
            },
            { name: 'relay', addon: 'forwarder' },
            { name: 'stats', addon: 'counter_sink', property: { stats_channel: channel, report_every: 6 } },
          ],
          [
            { from: 'ticker', kind: 'data', name: 'tick', to: ['relay'] },
            { from: 'ticker', kind: 'cmd', name: 'ping', to: ['relay'] },
            { from: 'relay', kind: 'data', name: 'tick', to: ['stats'] },
            { from: 'relay', kind: 'cmd', name: 'ping', to: ['stats'] },
          ],
        ),
      );
      await some.message;
      await graph.close();
      const final = await stats.message;
      const tick = final.by_kind.data.tick!;
      expect(tick.count).toBeGreaterThan(0);
      expect(tick.bytes).toBe(tick.count * 64);
      expect(final.total).toBe(tick.count);
      expect(final.by_kind.cmd.ping?.count ?? 0).toBeGreaterThan(0);
      expect(graph.events.filter((e) => e.type === 'error' || e.type === 'violation')).toEqual([]);
    } finally {
      some.close();
      stats.close();
    }
  });

  it('posts stats every report_every messages, and max_count stops the generator', async () => {
    const channel = channelName('count');
    const reached = listen<CounterStats>(channel, (m) => !m.final && m.total === 500);
    const final = listen<CounterStats>(channel, isFinal);
    try {
      const graph = await startGraph(
        graphOf(
          [
            { name: 'burst', addon: 'data_generator', group: 'one', property: { interval_ms: 0, burst: 50, max_count: 500 } },
            { name: 'relay', addon: 'forwarder', group: 'one' },
            { name: 'stats', addon: 'counter_sink', group: 'one', property: { stats_channel: channel, report_every: 500 } },
          ],
          [
            { from: 'burst', kind: 'data', name: 'tick', to: ['relay'] },
            { from: 'relay', kind: 'data', name: 'tick', to: ['stats'] },
          ],
        ),
      );
      const report = await reached.message;
      expect(report.by_kind.data.tick?.count).toBe(500);
      expect(report.last_at_ms).toBeGreaterThanOrEqual(report.first_at_ms);
      await graph.close();
      expect((await final.message).total).toBe(500);
    } finally {
      reached.close();
      final.close();
    }
  });
});

describe('audio_generator and video_test_pattern → fan_in → counter_sink', () => {
  it('merges both streams under one name per kind, with correctly sized buffers', async () => {
    const channel = channelName('media');
    // Both kinds seen before the stop: the first stats may come before any video frame under load.
    const some = listen<CounterStats>(channel, (m) => !m.final && m.by_kind.audio_frame?.media !== undefined && m.by_kind.video_frame?.media !== undefined);
    const stats = listen<CounterStats>(channel, isFinal);
    try {
      const graph = await startGraph(
        graphOf(
          [
            { name: 'mic', addon: 'audio_generator', property: { sample_rate: 16000, frame_ms: 20 } },
            { name: 'camera', addon: 'video_test_pattern', property: { width: 64, height: 48, fps: 50 } },
            { name: 'merge', addon: 'fan_in', property: { output_name: 'media', tag_source: true } },
            { name: 'stats', addon: 'counter_sink', property: { stats_channel: channel, report_every: 10 } },
          ],
          [
            { from: 'mic', kind: 'audio_frame', name: 'pcm', to: ['merge'] },
            { from: 'camera', kind: 'video_frame', name: 'video', to: ['merge'] },
            { from: 'merge', kind: 'audio_frame', name: 'media', to: ['stats'] },
            { from: 'merge', kind: 'video_frame', name: 'media', to: ['stats'] },
          ],
        ),
      );
      await some.message;
      await graph.close();
      const final = await stats.message;
      const audio = final.by_kind.audio_frame.media!;
      const video = final.by_kind.video_frame.media!;
      expect(audio.count).toBeGreaterThan(0);
      expect(audio.bytes).toBe(audio.count * 320 * 2);
      expect(video.count).toBeGreaterThan(0);
      expect(video.bytes).toBe(video.count * 64 * 48 * 4);
      expect(graph.events.filter((e) => e.type === 'error' || e.type === 'violation')).toEqual([]);
    } finally {
      some.close();
      stats.close();
    }
  });
});
