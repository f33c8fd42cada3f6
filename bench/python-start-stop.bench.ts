// Python (d): start of a graph with two Python groups (data_generator → py_forwarder in group
// py1 → py_forwarder in group py2 → counter_sink): from startGraph to the last on_start_done.
// Each Python group's process starts with the graph unless a spare interpreter (our runtime
// imported) is there to take it (app/py_procs.ts; spares start when a graph stops). Baseline in
// the same run, in alternate rounds of the same App: a start whose environment differs from the
// spares' (a variable changed), which must start its processes itself. Measured with one spare
// (the default) and two (one per Python group); repeated starts with the idle time a person leaves
// between runs, medians. The first start of an App (no spare yet) is reported apart.
import { performance } from 'node:perf_hooks';
import type { RuntimeEvent } from '../src/runtime';
import { benchApp, graphOf, type BenchEdge, type BenchNode } from './lib/runtime-graph';
import { median, report, round, rounds } from './lib/stats';

const IDLE_BETWEEN_ROUNDS_MS = 1500;
const measured = rounds();

const nodes: BenchNode[] = [
  { name: 'src', group: 'ts', addon: 'data_generator', property: { interval_ms: 10, data_name: 'tick' } },
  { name: 'p1', group: 'py1', addon: 'py_forwarder' },
  { name: 'p2', group: 'py2', addon: 'py_forwarder' },
  { name: 'sink', group: 'ts2', addon: 'counter_sink' },
];
const edges: BenchEdge[] = [
  { from: 'src', kind: 'data', name: 'tick', to: ['p1'] },
  { from: 'p1', kind: 'data', name: 'tick', to: ['p2'] },
  { from: 'p2', kind: 'data', name: 'tick', to: ['sink'] },
];
const graph = graphOf(nodes, edges);
let envRound = 0;

async function measure(sparePythons: number): Promise<{ first: number; spare: number[]; cold: number[] }> {
  const { app, failures } = benchApp({ sparePythons });
  let started = 0;
  let waiter: (() => void) | undefined;
  app.onEvent((e: RuntimeEvent) => {
    if (e.type !== 'lifecycle' || e.phase !== 'on_start_done') return;
    if (++started === nodes.length) waiter?.();
  });
  const startOnce = async (): Promise<number> => {
    started = 0;
    const all = new Promise<void>((r) => (waiter = r));
    const t0 = performance.now();
    const id = await app.startGraph({ graph, name: 'python_start' });
    await all;
    const ms = performance.now() - t0;
    await app.stopGraph(id);
    await new Promise((r) => setTimeout(r, IDLE_BETWEEN_ROUNDS_MS));
    return ms;
  };
  const spare: number[] = [];
  const cold: number[] = [];
  let first = NaN;
  try {
    first = await startOnce();
    for (let i = 0; i < measured; i++) {
      // Another environment: the spares left by the last stop cannot take this start's groups.
      process.env.TEN_STUDIO_BENCH_ROUND = String(++envRound);
      cold.push(await startOnce());
      // The same environment as the last stop's spares.
      spare.push(await startOnce());
    }
    const problems = failures();
    if (problems.length) throw new Error(`The graph reported failures:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
  return { first, spare, cold };
}

// The first start of the process also builds the TypeScript addons: done once before measuring.
await measure(0);
const one = await measure(1);
const two = await measure(2);
const all = [...one.cold, ...two.cold];
report({
  suite: 'python-start-stop',
  topology: 'data_generator → py_forwarder (group py1) → py_forwarder (group py2) → counter_sink',
  rounds: measured,
  first_start_of_app_ms: round(median([one.first, two.first]), 1),
  no_spare_started_ms: round(median(all), 1),
  one_spare_started_ms: round(median(one.spare), 1),
  two_spares_started_ms: round(median(two.spare), 1),
  ratio_no_spare_vs_one_spare: round(median(one.cold) / median(one.spare)),
  ratio_no_spare_vs_two_spares: round(median(two.cold) / median(two.spare)),
  no_spare_rounds: all.map((t) => round(t, 1)),
  one_spare_rounds: one.spare.map((t) => round(t, 1)),
  two_spares_rounds: two.spare.map((t) => round(t, 1)),
});
process.exit(0);
