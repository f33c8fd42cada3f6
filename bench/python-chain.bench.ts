// Python (b): TS source → 8 Python pass-through AsyncExtensions → TS sink, 64-byte data: the 8 in
// one group (one Python process), then one group (one process) per stage. Baseline: TEN's own
// dispatch pattern (one run_coroutine_threadsafe hop per message and stage) through 8 stages,
// simulated in one Python process. Target: the one-group chain ≥ 3× the baseline.
import { measureRuntimeChain } from './lib/chain';
import { tenDispatchRate } from './lib/python-baselines';
import { collectGarbage, median, report, round, rounds } from './lib/stats';

const oneGroupCpu = { node: [] as number[], python: [] as number[] };

const COUNT = 20_000;
const STAGES = 8;
const TARGET = 3;
const measured = rounds();

const ten: number[] = [];
for (let i = 0; i < measured; i++) ten.push(tenDispatchRate(STAGES, COUNT));
collectGarbage();
const oneGroup = await measureRuntimeChain({
  suite: 'python-chain',
  groupPerStage: false,
  count: COUNT,
  rounds: measured,
  warmupRounds: 1,
  forwarders: STAGES,
  forwarderAddon: 'py_forwarder',
  groupOf: (i, last) => (i === 0 ? 'source' : i === last ? 'sink' : 'python'),
  cpu: oneGroupCpu,
});
collectGarbage();
const perStage = await measureRuntimeChain({
  suite: 'python-chain-per-stage',
  groupPerStage: true,
  count: COUNT / 2,
  rounds: measured,
  warmupRounds: 1,
  forwarders: STAGES,
  forwarderAddon: 'py_forwarder',
});
const ratio = median(oneGroup) / median(ten);
report({
  suite: 'python-chain',
  topology: `TS source → ${STAGES} py_forwarder (AsyncExtension) → TS sink, 64-byte data`,
  rounds: measured,
  one_group_msgs_per_s: Math.round(median(oneGroup)),
  group_per_stage_msgs_per_s: Math.round(median(perStage)),
  ten_dispatch_pattern_msgs_per_s: Math.round(median(ten)),
  ratio_one_group_vs_ten_pattern: round(ratio),
  target_ratio: TARGET,
  meets_target: ratio >= TARGET,
  // CPU time per message through all 8 stages (µs, medians): the Node process, the Python process.
  one_group_cpu_us_per_msg_node: round(median(oneGroupCpu.node), 1),
  one_group_cpu_us_per_msg_python: round(median(oneGroupCpu.python), 1),
  one_group_rounds: oneGroup.map(Math.round),
  group_per_stage_rounds: perStage.map(Math.round),
  ten_pattern_rounds: ten.map(Math.round),
});
process.exit(0);
