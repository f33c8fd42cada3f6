// Suite (d): cross-group sendCmd round trip (driver in one group, cmd_echo in another), one cmd
// at a time, p50/p99, against a raw postMessage round trip between two workers measured in the
// same run. Target (issue 14): runtime p50 ≤ 1.2× the raw p50. Besides the latencies: the CPU
// time of the whole process (every thread) per round trip, which load moves far less than
// latencies; the ring readers' wakes per cmd (one per hop, two per round trip, when nothing
// wakes a thread for nothing); the same graph with MessagePort batches only (`ringBytes: 0`); and
// both extensions in one group, the runtime's own work for a cmd round trip without a thread hop.
import { startDriverGraph, type DriverGraph } from './lib/cmd-driver';
import { startRawPostMessagePair } from './lib/raw-post-message';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';

const COUNT = 10_000;
const WARMUP = 2_000;
const TARGET = 1.2;
const measured = rounds();

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

interface Timed {
  p50: number[];
  p99: number[];
  cpu: number[];
}

async function timed(roundTrips: () => Promise<ArrayLike<number>>): Promise<Timed> {
  const t: Timed = { p50: [], p99: [], cpu: [] };
  for (let i = 0; i < measured; i++) {
    collectGarbage();
    const c0 = cpuUs();
    const samples = [...Array.from(await roundTrips())];
    t.cpu.push((cpuUs() - c0) / COUNT);
    t.p50.push(quantile(samples, 0.5));
    t.p99.push(quantile(samples, 0.99));
  }
  return t;
}

const pair = await startRawPostMessagePair();
await pair.roundTrips(WARMUP);
const raw = await timed(() => pair.roundTrips(COUNT, 0));
await pair.close();

async function driverGraph(ringBytes?: number, echoGroup = 'echo'): Promise<{ t: Timed; wakesPerCmd: number }> {
  const graph: DriverGraph = await startDriverGraph(
    'runtime-cmd-roundtrip',
    [{ name: 'echo', addon: 'cmd_echo', group: echoGroup }],
    ['echo'],
    undefined,
    'driver',
    ringBytes === undefined ? {} : { ringBytes },
  );
  try {
    await graph.run({ count: WARMUP, warmup: WARMUP, concurrency: 1 });
    const w0 = await graph.ringWakes();
    const t = await timed(async () => (await graph.run({ count: COUNT, warmup: 0, concurrency: 1 })).rtts);
    return { t, wakesPerCmd: ((await graph.ringWakes()) - w0) / (measured * COUNT) };
  } finally {
    await graph.close();
  }
}

const rings = await driverGraph();
const portOnly = await driverGraph(0);
const oneGroup = await driverGraph(undefined, 'driver');

const us = (ms: number[]): number => round(median(ms) * 1000, 1);
const ratio = median(rings.t.p50) / median(raw.p50);
report({
  suite: 'runtime-cmd-roundtrip',
  topology: 'bench_cmd_driver (group driver) → cmd_echo (group echo), one cmd in flight',
  rounds: measured,
  cmds_per_round: COUNT,
  runtime_p50_us: us(rings.t.p50),
  runtime_p99_us: us(rings.t.p99),
  runtime_cpu_us_per_cmd: round(median(rings.t.cpu), 1),
  runtime_ring_wakes_per_cmd: round(rings.wakesPerCmd),
  port_only_p50_us: us(portOnly.t.p50),
  port_only_cpu_us_per_cmd: round(median(portOnly.t.cpu), 1),
  one_group_p50_us: us(oneGroup.t.p50),
  one_group_cpu_us_per_cmd: round(median(oneGroup.t.cpu), 1),
  raw_post_message_p50_us: us(raw.p50),
  raw_post_message_p99_us: us(raw.p99),
  raw_post_message_cpu_us_per_round_trip: round(median(raw.cpu), 1),
  p50_ratio_vs_raw: round(ratio),
  port_only_p50_ratio_vs_raw: round(median(portOnly.t.p50) / median(raw.p50)),
  target_ratio_max: TARGET,
  meets_target: ratio <= TARGET,
});
process.exit(0);
