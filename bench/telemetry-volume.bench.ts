// Telemetry stream volume: while the runtime moves well over 1M messages a second (the chain of
// suite (a): every message is delivered 9 times, source → 8 forwarders → sink), how many bytes
// a second reach a WebSocket client — with the default stream (lifecycle, logs, 10 Hz metrics),
// and with message tracing on for every edge (its per-batch budget is what bounds it).
// Target: ≤ 1 MB/s to the client.
import type { RunInfo } from '../src/shared';
import type { SourceControl } from './extensions/bench_source/src';
import type { CounterStats } from '../src/runtime/addons/counter_sink/src';
import { chainGraph, chainRounds, documentOf, studio } from './lib/telemetry-host';
import { ChannelReader, wallNow } from './lib/runtime-graph';
import { median, report, round, rounds } from './lib/stats';

const COUNT = 300_000;
const HOPS = 9;
const SUITE = 'telemetry-volume';
const measured = rounds(5);

interface Arm {
  deliveriesPerSec: number[];
  bytesPerSec: number[];
}

async function arm(tracing: boolean): Promise<Arm> {
  const name = `${SUITE}-${tracing ? 'traced' : 'default'}`;
  const { graph, statsName, controlName } = chainGraph(name, COUNT);
  const stats = new ChannelReader<CounterStats>(statsName);
  const control = new ChannelReader<SourceControl>(controlName);
  const s = await studio();
  const out: Arm = { deliveriesPerSec: [], bytesPerSec: [] };
  try {
    const run = await s.client.call<RunInfo>('startRun', { document: documentOf(graph, name) });
    if (tracing) await s.client.call('setTracing', { runId: run.runId, tracing: { edges: [{}], sampleEvery: 1 } });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    await chainRounds(control, stats, COUNT, 1, 0);
    for (let i = 0; i < measured; i++) {
      const bytes0 = s.client.bytes;
      const t0 = wallNow();
      const [rate] = await chainRounds(control, stats, COUNT, 0, 1, (i + 1) * COUNT);
      out.bytesPerSec.push(((s.client.bytes - bytes0) * 1000) / (wallNow() - t0));
      out.deliveriesPerSec.push(rate! * HOPS);
    }
    await s.client.call('stopRun', { runId: run.runId });
    return out;
  } finally {
    stats.close();
    control.close();
    await s.close();
  }
}

const plain = await arm(false);
const traced = await arm(true);
const MB = 1024 * 1024;
report({
  suite: SUITE,
  topology: 'source → 8 forwarders → sink, 64-byte data, one group; deliveries = source rate × 9',
  rounds: measured,
  messages_per_round: COUNT,
  deliveries_per_s: Math.round(median(plain.deliveriesPerSec)),
  stream_bytes_per_s: Math.round(median(plain.bytesPerSec)),
  stream_mb_per_s: round(median(plain.bytesPerSec) / MB, 3),
  traced_deliveries_per_s: Math.round(median(traced.deliveriesPerSec)),
  traced_stream_bytes_per_s: Math.round(median(traced.bytesPerSec)),
  traced_stream_mb_per_s: round(median(traced.bytesPerSec) / MB, 3),
  target_mb_per_s: 1,
  meets_target: median(plain.bytesPerSec) <= MB && median(plain.deliveriesPerSec) >= 1e6,
  traced_meets_target: median(traced.bytesPerSec) <= MB,
  bytes_rounds: plain.bytesPerSec.map(Math.round),
  traced_bytes_rounds: traced.bytesPerSec.map(Math.round),
});
process.exit(0);
