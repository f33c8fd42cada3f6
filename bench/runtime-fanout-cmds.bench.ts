// Suite (c): 1 → 4 fan-out cmds with results. The driver (own group) sends each cmd to four
// cmd_echo extensions (one shared group); the sender gets one aggregated result per cmd (TEN's
// first-error-or-last-OK policy), 64 cmds in flight. Reports completed cmds/s and results/s.
import { startDriverGraph } from './lib/cmd-driver';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';

const COUNT = 20_000;
const CONCURRENCY = 64;
const FAN_OUT = 4;
const measured = rounds();

const echoes = Array.from({ length: FAN_OUT }, (_, i) => ({ name: `echo_${i + 1}`, addon: 'cmd_echo', group: 'echoes' }));
const graph = await startDriverGraph('runtime-fanout-cmds', echoes, echoes.map((e) => e.name));
const rates: number[] = [];
const p50: number[] = [];
try {
  await graph.run({ count: COUNT / 4, warmup: COUNT / 4, concurrency: CONCURRENCY });
  for (let i = 0; i < measured; i++) {
    collectGarbage();
    const r = await graph.run({ count: COUNT, warmup: 0, concurrency: CONCURRENCY });
    rates.push((COUNT / r.elapsedMs) * 1000);
    p50.push(quantile([...r.rtts], 0.5));
  }
} finally {
  await graph.close();
}

report({
  suite: 'runtime-fanout-cmds',
  topology: `bench_cmd_driver (group driver) → ${FAN_OUT} × cmd_echo (group echoes), ${CONCURRENCY} cmds in flight`,
  rounds: measured,
  cmds_per_round: COUNT,
  cmds_per_s: Math.round(median(rates)),
  echo_results_per_s: Math.round(median(rates) * FAN_OUT),
  latency_p50_us: round(median(p50) * 1000, 1),
  all_rounds_cmds_per_s: rates.map(Math.round),
});
process.exit(0);
