// Python (c): cmd round trip TS → Python → TS, one cmd at a time, p50/p99, against a raw Node ↔
// Python pipe round trip measured in the same run. Two topologies: the TS driver in the Python
// extension's own group (the group thread talks to the process directly: what the link costs
// over a bare pipe), and the driver in a group of its own (adds the runtime's cross-group hop
// each way, two thread wake-ups; suite (d) measures that hop for TS-only groups). Target: p50 ≤
// 2× the raw pipe p50.
import { cpuNow, cpuPerMsgUs } from './lib/cpu';
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

interface Topology {
  p50: number[];
  p99: number[];
  cpuNode: number[];
  cpuPython: number[];
}

async function measure(suite: string, driverGroup: string): Promise<Topology> {
  const graph = await startDriverGraph(suite, [{ name: 'responder', addon: 'py_responder', group: 'python' }], ['responder'], undefined, driverGroup);
  const t: Topology = { p50: [], p99: [], cpuNode: [], cpuPython: [] };
  try {
    await graph.run({ count: WARMUP, warmup: WARMUP, concurrency: 1 });
    for (let i = 0; i < measured; i++) {
      collectGarbage();
      const c0 = cpuNow();
      const samples = [...(await graph.run({ count: COUNT, warmup: 0, concurrency: 1 })).rtts];
      const c = cpuPerMsgUs(c0, cpuNow(), COUNT);
      t.p50.push(quantile(samples, 0.5));
      t.p99.push(quantile(samples, 0.99));
      t.cpuNode.push(c.node);
      t.cpuPython.push(c.python);
    }
  } finally {
    await graph.close();
  }
  return t;
}

const same = await measure('python-cmd-roundtrip', 'python');
collectGarbage();
const cross = await measure('python-cmd-roundtrip-cross-group', 'driver');
const raw = median(rawP50);
const ratio = median(same.p50) / raw;
const us = (ms: number): number => round(ms * 1000, 1);
report({
  suite: 'python-cmd-roundtrip',
  topology: 'bench_cmd_driver (TS) → py_responder (AsyncExtension), one cmd in flight: driver in the Python group, then in its own group',
  rounds: measured,
  cmds_per_round: COUNT,
  runtime_p50_us: us(median(same.p50)),
  runtime_p99_us: us(median(same.p99)),
  cross_group_p50_us: us(median(cross.p50)),
  cross_group_p99_us: us(median(cross.p99)),
  raw_pipe_p50_us: us(raw),
  raw_pipe_p99_us: us(median(rawP99)),
  p50_ratio_vs_raw_pipe: round(ratio),
  cross_group_p50_ratio_vs_raw_pipe: round(median(cross.p50) / raw),
  // CPU per round trip (µs, medians): the Node process (all threads) and the Python process.
  cpu_us_per_cmd_node: round(median(same.cpuNode), 1),
  cpu_us_per_cmd_python: round(median(same.cpuPython), 1),
  cross_group_cpu_us_per_cmd_node: round(median(cross.cpuNode), 1),
  cross_group_cpu_us_per_cmd_python: round(median(cross.cpuPython), 1),
  target_ratio_max: TARGET,
  meets_target: ratio <= TARGET,
});
process.exit(0);
