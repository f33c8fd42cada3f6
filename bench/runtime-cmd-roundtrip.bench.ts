// Suite (d): cross-group sendCmd round trip (driver in one group, cmd_echo in another), one cmd
// at a time, p50/p99, against a raw postMessage round trip between two workers measured in the
// same run. Target: runtime p50 ≤ 3× the raw p50.
import { startDriverGraph } from './lib/cmd-driver';
import { startRawPostMessagePair } from './lib/raw-post-message';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';

const COUNT = 10_000;
const WARMUP = 2_000;
const TARGET = 3;
const measured = rounds();

const pair = await startRawPostMessagePair();
await pair.roundTrips(WARMUP);
const rawP50: number[] = [];
const rawP99: number[] = [];
for (let i = 0; i < measured; i++) {
  collectGarbage();
  const samples = [...(await pair.roundTrips(COUNT, 0))];
  rawP50.push(quantile(samples, 0.5));
  rawP99.push(quantile(samples, 0.99));
}
await pair.close();

const graph = await startDriverGraph('runtime-cmd-roundtrip', [{ name: 'echo', addon: 'cmd_echo', group: 'echo' }], ['echo']);
const p50: number[] = [];
const p99: number[] = [];
try {
  await graph.run({ count: WARMUP, warmup: WARMUP, concurrency: 1 });
  for (let i = 0; i < measured; i++) {
    collectGarbage();
    const samples = [...(await graph.run({ count: COUNT, warmup: 0, concurrency: 1 })).rtts];
    p50.push(quantile(samples, 0.5));
    p99.push(quantile(samples, 0.99));
  }
} finally {
  await graph.close();
}

const ratio = median(p50) / median(rawP50);
report({
  suite: 'runtime-cmd-roundtrip',
  topology: 'bench_cmd_driver (group driver) → cmd_echo (group echo), one cmd in flight',
  rounds: measured,
  cmds_per_round: COUNT,
  runtime_p50_us: round(median(p50) * 1000, 1),
  runtime_p99_us: round(median(p99) * 1000, 1),
  raw_post_message_p50_us: round(median(rawP50) * 1000, 1),
  raw_post_message_p99_us: round(median(rawP99) * 1000, 1),
  p50_ratio_vs_raw: round(ratio),
  target_ratio_max: TARGET,
  meets_target: ratio <= TARGET,
});
process.exit(0);
