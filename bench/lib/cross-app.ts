/**
 * Cross-app benchmarks: the second app (or the raw TCP peer) runs in a Node process of its own,
 * as apps of one graph do in a deployment, and talks to this process over loopback TCP.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SourceControl } from '../extensions/bench_source/src';
import type { CounterStats } from '../../src/runtime/addons/counter_sink/src';
import { FORWARDERS, PAYLOAD_BYTES } from './chain';
import { benchApp, ChannelReader, graphOf, uniqueChannel, wallNow, type BenchEdge, type BenchNode } from './runtime-graph';
import { nowMs } from './stats';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A bench helper in a Node process of its own (BENCH_CPU_PROF=<dir> profiles it into that folder). */
function forkTs(file: string, args: string[]): ChildProcess {
  return fork(here(file), args, { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, pred: (m: unknown) => m is T, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`Benchmark timed out after ${ms} ms waiting for ${what}.`));
    }, ms);
    const on = (m: unknown): void => {
      if (!pred(m)) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

/** The peer app (bench/lib/cross-app-peer.ts): listening on `uri`, its sink's stats forwarded here. */
export interface PeerApp {
  stats: ChannelLike<CounterStats>;
  /** CPU time of the peer process (user + system, all threads), µs. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

interface ChannelLike<T> {
  next(pred: (m: T) => boolean, ms: number, what: string): Promise<T>;
}

export async function startPeerApp(uri: string, statsChannel: string): Promise<PeerApp> {
  const child = forkTs('./cross-app-peer.ts', [uri, statsChannel]);
  const backlog: CounterStats[] = [];
  let waiter: { pred: (m: CounterStats) => boolean; resolve: (m: CounterStats) => void } | null = null;
  child.on('message', (m: unknown) => {
    if (!m || typeof m !== 'object' || !('stats' in m)) return;
    const s = (m as { stats: CounterStats }).stats;
    if (waiter && waiter.pred(s)) {
      const w = waiter;
      waiter = null;
      w.resolve(s);
    } else backlog.push(s);
  });
  await nextMessage(child, (m): m is { listening: string } => !!m && typeof m === 'object' && 'listening' in m, 60_000, 'the peer app to listen');
  return {
    stats: {
      next(pred, ms, what) {
        const i = backlog.findIndex(pred);
        if (i !== -1) return Promise.resolve(backlog.splice(i, 1)[0]!);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`Benchmark timed out after ${ms} ms waiting for ${what}.`)), ms);
          waiter = {
            pred,
            resolve: (s) => {
              clearTimeout(timer);
              resolve(s);
            },
          };
        });
      },
    },
    async cpuMicros() {
      child.send('cpu');
      const m = await nextMessage(child, (x): x is { cpu: NodeJS.CpuUsage } => !!x && typeof x === 'object' && 'cpu' in x, 30_000, 'the peer CPU time');
      return m.cpu.user + m.cpu.system;
    },
    async close() {
      child.send('close');
      const done = await nextMessage(child, (m): m is { closed: true; problems: string[] } => !!m && typeof m === 'object' && 'closed' in m, 30_000, 'the peer app to close');
      await new Promise((r) => child.once('exit', r));
      if (done.problems.length) throw new Error(`The peer app reported failures:\n${done.problems.join('\n')}`);
    },
  };
}

export interface SplitChainOptions {
  suite: string;
  /** `groups`: two groups of one app; `apps`: the same two halves in two apps (processes). */
  split: 'groups' | 'apps';
  count: number;
  rounds: number;
  warmupRounds: number;
}

/** The rates of the measured rounds, and the CPU time they took per message (both processes, all threads). */
export interface SplitChainResult {
  rates: number[];
  cpuMicrosPerMsg: number;
}

/**
 * bench_source → 8 forwarders → counter_sink, 64-byte data, cut in two after the fourth
 * forwarder: source and fwd_1..4 in one extension group (or app), fwd_5..8 and the sink in
 * another. Returns the msgs/s of each measured round and the CPU µs each message cost: a
 * figure the machine's load hardly moves, unlike rates.
 */
export async function measureSplitChain(o: SplitChainOptions): Promise<SplitChainResult> {
  const statsName = uniqueChannel(`${o.suite}-${o.split}`);
  const controlName = `${statsName}-control`;
  const names = ['source', ...Array.from({ length: FORWARDERS }, (_, i) => `fwd_${i + 1}`), 'sink'];
  const half = 1 + FORWARDERS / 2;
  const [uriA, uriB] = o.split === 'apps' ? [`msgpack://127.0.0.1:${await freePort()}/`, `msgpack://127.0.0.1:${await freePort()}/`] : [undefined, undefined];
  const nodes: BenchNode[] = names.map((name, i) => ({
    name,
    group: i < half ? 'left' : 'right',
    ...(uriA ? { app: i < half ? uriA : uriB } : {}),
    addon: i === 0 ? 'bench_source' : i === names.length - 1 ? 'counter_sink' : 'forwarder',
    ...(i === 0 ? { property: { control_channel: controlName, kind: 'data', msg_name: 'm', payload_bytes: PAYLOAD_BYTES, burst: 256 } } : {}),
    ...(i === names.length - 1 ? { property: { stats_channel: statsName, report_every: o.count } } : {}),
  }));
  const edges: BenchEdge[] = names.slice(0, -1).map((from, i) => ({ from, kind: 'data', name: 'm', to: [names[i + 1]!] }));
  const control = new ChannelReader<SourceControl>(controlName);
  const peer = uriB ? await startPeerApp(uriB, statsName) : null;
  const localStats = peer ? null : new ChannelReader<CounterStats>(statsName);
  const stats: ChannelLike<CounterStats> = peer ? peer.stats : localStats!;
  const { app, failures } = benchApp(uriA ? { property: { ten: { uri: uriA } } } : {});
  try {
    await app.listen();
    await app.startGraph({ graph: graphOf(nodes, edges), name: o.suite });
    await control.next((m) => 'ready' in m, 60_000, 'the source to start');
    const rates: number[] = [];
    let cpu0 = 0;
    for (let round = 0; round < o.warmupRounds + o.rounds; round++) {
      if (round === o.warmupRounds) cpu0 = cpuNow() + (peer ? await peer.cpuMicros() : 0);
      const goAt = wallNow();
      control.post({ go: o.count } satisfies SourceControl);
      const expected = (round + 1) * o.count;
      const report = await stats.next((m) => !m.final && m.total === expected, 120_000, `${expected} messages at the sink`).catch((err: Error) => {
        throw new Error(`${err.message}\n${failures().join('\n')}`);
      });
      if (round >= o.warmupRounds) rates.push((o.count / (report.last_at_ms - goAt)) * 1000);
    }
    const cpu = cpuNow() + (peer ? await peer.cpuMicros() : 0) - cpu0;
    const problems = failures();
    if (problems.length) throw new Error(`The graph reported failures:\n${problems.join('\n')}`);
    return { rates, cpuMicrosPerMsg: cpu / (o.rounds * o.count) };
  } finally {
    control.close();
    localStats?.close();
    await app.close();
    await peer?.close();
  }
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** A raw TCP connection to a peer process (bench/lib/raw-tcp-peer.ts), TCP_NODELAY on both ends. */
export async function rawTcp(mode: 'echo' | 'count'): Promise<{ socket: Socket; close: () => Promise<void> }> {
  const child = forkTs('./raw-tcp-peer.ts', [mode]);
  const { port } = await nextMessage(child, (m): m is { port: number } => !!m && typeof m === 'object' && 'port' in m, 30_000, 'the raw TCP peer');
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    socket,
    async close() {
      socket.destroy();
      child.disconnect();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * The raw TCP limit of the chain: `count` frames of `frameBytes` from this process to the peer,
 * written as the runtime writes (one write per loop turn with what the turn queued, here 256
 * frames), until the peer has them all; msgs/s per round.
 */
export async function rawTcpThroughput(frameBytes: number, count: number, rounds: number): Promise<number[]> {
  const { socket, close } = await rawTcp('count');
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  let buf = '';
  socket.on('data', (c) => {
    buf += c.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      waiting?.();
    }
  });
  socket.write(`${frameBytes * count}\n`);
  const batch = Buffer.alloc(frameBytes * 256, 7);
  const rates: number[] = [];
  try {
    for (let r = 0; r < rounds + 1; r++) {
      const start = wallNow();
      let left = count;
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(256, left);
            left -= n;
            const ok = socket.write(n === 256 ? batch : batch.subarray(0, n * frameBytes));
            if (!ok) {
              socket.once('drain', pump);
              return;
            }
            if (left > 0) {
              setImmediate(pump);
              return;
            }
          }
          resolve();
        };
        pump();
      });
      while (lines.length === 0) await new Promise<void>((res) => (waiting = res));
      waiting = null;
      const at = Number(lines.shift());
      if (r > 0) rates.push((count / (at - start)) * 1000);
    }
  } finally {
    await close();
  }
  return rates;
}

/** Round trips of one `frameBytes` message at a time over raw TCP to an echo peer; ms each. */
export async function rawTcpRoundTrips(frameBytes: number, count: number): Promise<number[]> {
  const { socket, close } = await rawTcp('echo');
  const frame = Buffer.alloc(frameBytes, 1);
  const rtts: number[] = [];
  try {
    let got = 0;
    let done: (() => void) | null = null;
    socket.on('data', (c) => {
      got += c.length;
      if (got >= frameBytes) {
        got -= frameBytes;
        done?.();
      }
    });
    for (let i = 0; i < count; i++) {
      const t0 = nowMs();
      await new Promise<void>((resolve) => {
        done = resolve;
        socket.write(frame);
      });
      rtts.push(nowMs() - t0);
    }
  } finally {
    await close();
  }
  return rtts;
}
