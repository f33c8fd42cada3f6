/**
 * The chain topology of suites (a) and (b) on the runtime: bench_source → 8 forwarders →
 * counter_sink, 64-byte data. Each round the source is told to send `count` messages; the round's
 * rate is `count` over the time from that go to the sink's arrival of the last one.
 */
import type { SourceControl } from '../extensions/bench_source/src';
import type { CounterStats } from '../../src/runtime/addons/counter_sink/src';
import { benchApp, ChannelReader, graphOf, uniqueChannel, wallNow, type BenchEdge, type BenchNode } from './runtime-graph';

export const FORWARDERS = 8;
export const PAYLOAD_BYTES = 64;

export interface ChainOptions {
  suite: string;
  /** One extension group for every node (a), or one group per node (b). */
  groupPerStage: boolean;
  count: number;
  rounds: number;
  warmupRounds: number;
  burst?: number;
  kind?: 'data' | 'audio_frame';
  forwarders?: number;
  payloadBytes?: number;
  /** The forwarders' addon (default `forwarder`, the TypeScript one). */
  forwarderAddon?: string;
  /** Group of the node at position `i` (0 = source, last = sink), overriding `groupPerStage`. */
  groupOf?: (i: number, last: number) => string;
}

/** Returns the msgs/s of each measured round (warm-up rounds excluded). */
export async function measureRuntimeChain(o: ChainOptions): Promise<number[]> {
  const kind = o.kind ?? 'data';
  const forwarders = o.forwarders ?? FORWARDERS;
  const statsName = uniqueChannel(o.suite);
  const controlName = `${statsName}-control`;
  const group = (i: number) => (o.groupOf ? o.groupOf(i, forwarders + 1) : o.groupPerStage ? `stage_${i}` : 'chain');
  const names = ['source', ...Array.from({ length: forwarders }, (_, i) => `fwd_${i + 1}`), 'sink'];
  const nodes: BenchNode[] = names.map((name, i) => ({
    name,
    group: group(i),
    addon: i === 0 ? 'bench_source' : i === names.length - 1 ? 'counter_sink' : (o.forwarderAddon ?? 'forwarder'),
    ...(i === 0
      ? {
          property: {
            control_channel: controlName,
            kind,
            msg_name: 'm',
            payload_bytes: o.payloadBytes ?? PAYLOAD_BYTES,
            burst: o.burst ?? 256,
          },
        }
      : {}),
    ...(i === names.length - 1 ? { property: { stats_channel: statsName, report_every: o.count } } : {}),
  }));
  const edges: BenchEdge[] = names.slice(0, -1).map((from, i) => ({ from, kind, name: 'm', to: [names[i + 1]!] }));

  const stats = new ChannelReader<CounterStats>(statsName);
  const control = new ChannelReader<SourceControl>(controlName);
  const { app, failures } = benchApp();
  try {
    await app.startGraph({ graph: graphOf(nodes, edges), name: o.suite });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    const rates: number[] = [];
    for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
      const goAt = wallNow();
      control.post({ go: o.count } satisfies SourceControl);
      const expected = (round + 1) * o.count;
      let report: CounterStats;
      try {
        report = await stats.next((m) => !m.final && m.total === expected, 120_000, `${expected} messages at the sink`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${failures().join('\n')}`);
      }
      if (round >= o.warmupRounds) rates.push((o.count / (report.last_at_ms - goAt)) * 1000);
    }
    const problems = failures();
    if (problems.length) throw new Error(`The graph reported failures:\n${problems.join('\n')}`);
    return rates;
  } finally {
    stats.close();
    control.close();
    await app.close();
  }
}
