/** Runs bench_cmd_driver in a graph and asks it for timed runs over its control channel. */
import type { CmdDriverReport, CmdDriverRun, DriverControl } from '../extensions/bench_cmd_driver/src';
import type { AppOptions } from '../../src/runtime';
import { benchApp, ChannelReader, graphOf, uniqueChannel, type BenchEdge, type BenchNode } from './runtime-graph';

export interface DriverGraph {
  run(run: CmdDriverRun): Promise<CmdDriverReport>;
  /** Wakes of ring readers so far, summed over the graph's rings (read from shared memory). */
  ringWakes(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `nodes` must not include the driver: it is added as node `driver` in group `driverGroup`
 * (default `driver`; in the app `driverApp` for a graph across apps, which this process then runs
 * and listens as).
 */
export async function startDriverGraph(
  suite: string,
  nodes: BenchNode[],
  targets: string[],
  driverApp?: string,
  driverGroup = 'driver',
  appOpts: Partial<AppOptions> = {},
): Promise<DriverGraph> {
  const controlName = uniqueChannel(suite);
  const control = new ChannelReader<DriverControl>(controlName);
  const { app, failures } = benchApp(driverApp ? { ...appOpts, property: { ten: { uri: driverApp } } } : appOpts);
  await app.listen();
  const all: BenchNode[] = [
    { name: 'driver', addon: 'bench_cmd_driver', group: driverGroup, property: { control_channel: controlName }, ...(driverApp ? { app: driverApp } : {}) },
    ...nodes,
  ];
  const edges: BenchEdge[] = [{ from: 'driver', kind: 'cmd', name: 'ping', to: targets }];
  try {
    await app.startGraph({ graph: graphOf(all, edges), name: suite });
    await control.next((m) => 'ready' in m, 60_000, 'the cmd driver to start');
  } catch (err) {
    control.close();
    await app.close();
    throw err;
  }
  return {
    async run(run) {
      control.post({ run } satisfies DriverControl);
      const m = await control.next((x) => 'report' in x, 120_000, `${run.count} cmd round trips`).catch((err: Error) => {
        throw new Error(`${err.message}\n${failures().join('\n')}`);
      });
      const report = (m as { report: CmdDriverReport }).report;
      if (report.errors) throw new Error(`${report.errors} cmds failed, first: ${report.firstError}`);
      const problems = failures();
      if (problems.length) throw new Error(`The graph reported failures:\n${problems.join('\n')}`);
      return report;
    },
    async ringWakes() {
      const sample = await app.sample();
      let wakes = 0;
      for (const g of sample.graphs) for (const c of g.channels ?? []) wakes += c.wakes;
      return wakes;
    },
    async close() {
      control.close();
      await app.close();
    },
  };
}
