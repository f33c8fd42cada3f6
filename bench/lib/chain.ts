/**
 * The chain topology of suites (a) and (b) on the runtime: bench_source → 8 forwarders →
 * counter_sink, 64-byte data. Each round the source is told to send `count` messages; the round's
 * rate is `count` over the time from that go to the sink's arrival of the last one.
 */
import type { SourceControl } from '../extensions/bench_source/src';
import type { CounterStats } from '../../src/runtime/addons/counter_sink/src';
import { cpuNow as cpuSplitNow, cpuPerMsgUs } from './cpu';
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
  /** The App's `ringBytes` (0: groups talk through MessagePort batches only). */
  ringBytes?: number;
  /** After the rounds, the graph is left quiet this long and the process's CPU over it is measured. */
  idleMs?: number;
  /** Filled with each measured round's CPU time per message (µs): this process, its children. */
  cpu?: { node: number[]; python: number[] };
}

/** Rates of the measured rounds, and the CPU time of every thread of the process per message over them. */
export interface ChainResult {
  rates: number[];
  cpuMicrosPerMsg: number;
  /** The measured rounds' start and end on the monotonic clock (µs, as CPU profiles' timestamps). */
  measuredUs: [number, number];
  /** With `idleMs`: CPU time of the whole process while the graph was quiet, in % of one core. */
  idleCpuPercent?: number;
  /** Over the measured rounds, summed over the graph's rings, per message through the chain: wakes of sleeping readers, and drains. */
  ringWakesPerMsg: number;
  ringDrainsPerMsg: number;
}

/** Measures the chain: the msgs/s of each measured round (warm-up rounds excluded) and CPU per message. */
export async function measureChain(o: ChainOptions): Promise<ChainResult> {
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
  const { app, failures } = benchApp(o.ringBytes === undefined ? {} : { ringBytes: o.ringBytes });
  try {
    await app.startGraph({ graph: graphOf(nodes, edges), name: o.suite });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    const rates: number[] = [];
    let cpu0 = 0;
    let from = 0;
    /** Wakes and drains of every ring of the graph so far (read from shared memory by the host). */
    const ringTotals = async (): Promise<{ wakes: number; drains: number }> => {
      let wakes = 0;
      let drains = 0;
      for (const g of (await app.sample()).graphs) {
        for (const c of g.channels ?? []) {
          wakes += c.wakes;
          drains += c.drains;
        }
      }
      return { wakes, drains };
    };
    let rings0 = { wakes: 0, drains: 0 };
    for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
      if (round === o.warmupRounds) {
        rings0 = await ringTotals();
        cpu0 = cpuNow();
        from = monotonicUs();
      }
      const split0 = o.cpu && round >= o.warmupRounds ? cpuSplitNow() : null;
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
      if (split0 && o.cpu) {
        const c = cpuPerMsgUs(split0, cpuSplitNow(), o.count);
        o.cpu.node.push(c.node);
        o.cpu.python.push(c.python);
      }
    }
    const cpu = cpuNow() - cpu0;
    const measuredUs: [number, number] = [from, monotonicUs()];
    const rings1 = await ringTotals();
    const msgs = o.rounds * o.count;
    let idleCpuPercent: number | undefined;
    if (o.idleMs) {
      // Let the last round's stragglers (reports, GC) settle first.
      await new Promise((r) => setTimeout(r, 500));
      const idle0 = cpuNow();
      const at = wallNow();
      await new Promise((r) => setTimeout(r, o.idleMs));
      idleCpuPercent = ((cpuNow() - idle0) / 1000 / (wallNow() - at)) * 100;
    }
    const problems = failures();
    if (problems.length) throw new Error(`The graph reported failures:\n${problems.join('\n')}`);
    return {
      rates,
      cpuMicrosPerMsg: cpu / msgs,
      measuredUs,
      ringWakesPerMsg: (rings1.wakes - rings0.wakes) / msgs,
      ringDrainsPerMsg: (rings1.drains - rings0.drains) / msgs,
      ...(idleCpuPercent === undefined ? {} : { idleCpuPercent }),
    };
  } finally {
    stats.close();
    control.close();
    await app.close();
  }
}

/** Returns the msgs/s of each measured round (warm-up rounds excluded). */
export async function measureRuntimeChain(o: ChainOptions): Promise<number[]> {
  return (await measureChain(o)).rates;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** CPU time (user + system) of the whole process, every thread, in microseconds. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
