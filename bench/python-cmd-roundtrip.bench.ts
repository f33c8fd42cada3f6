// Python (c): cmd round trip TS → Python → TS (driver in its group, py_responder, an
// AsyncExtension, in a Python group), one cmd at a time, p50/p99, against a raw Node ↔ Python
// pipe round trip measured in the same run. Target: runtime p50 ≤ 2× the raw pipe p50.
import { startDriverGraph } from './lib/cmd-driver';
import { rawPipeRoundTrips } from './lib/python-baselines';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';

const COUNT = 5_000;
const WARMUP = 1_000;
const TARGET = 2;
const measured = rounds();

await rawPipeRoundTrips(WARMUP);
const rawP50: number[] = [];
const rawP99: number[] = [];
for (let i = 0; i < measured; i++) {
  collectGarbage();
  const samples = await rawPipeRoundTrips(COUNT);
  rawP50.push(quantile(samples, 0.5));
  rawP99.push(quantile(samples, 0.99));
}

const graph = await startDriverGraph('python-cmd-roundtrip', [{ name: 'responder', addon: 'py_responder', group: 'python' }], ['responder']);
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
  suite: 'python-cmd-roundtrip',
  topology: 'bench_cmd_driver (TS group) → py_responder (AsyncExtension, Python group), one cmd in flight',
  rounds: measured,
  cmds_per_round: COUNT,
  runtime_p50_us: round(median(p50) * 1000, 1),
  runtime_p99_us: round(median(p99) * 1000, 1),
  raw_pipe_p50_us: round(median(rawP50) * 1000, 1),
  raw_pipe_p99_us: round(median(rawP99) * 1000, 1),
  p50_ratio_vs_raw_pipe: round(ratio),
  target_ratio_max: TARGET,
  meets_target: ratio <= TARGET,
});
process.exit(0);
