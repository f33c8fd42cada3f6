// Suite (h): a cmd round trip between two apps (two Node processes) over loopback TCP with TEN's
// msgpack protocol: bench_cmd_driver in this process's app sends `ping` to cmd_echo in the other
// app, one cmd at a time; against a raw TCP round trip of a message of the same size between two
// Node processes, measured in the same run. Target: cross-app p50 ≤ 2× the raw TCP p50.
import { startDriverGraph } from './lib/cmd-driver';
import { freePort, rawTcpRoundTrips, startPeerApp } from './lib/cross-app';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';
import { TenMsg, encodeMsg, tenLoc } from '../src/runtime/protocol';

const COUNT = 5_000;
const WARMUP = 1_000;
const TARGET = 2;
const measured = rounds();

const uriA = `msgpack://127.0.0.1:${await freePort()}/`;
const uriB = `msgpack://127.0.0.1:${await freePort()}/`;
// One ping on the wire, for the raw baseline's message size.
const ping = new TenMsg('cmd', 'ping');
ping.src = tenLoc(uriA, '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf', 'driver');
ping.dests = [tenLoc(uriB, '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf', 'echo')];
ping.cmdId = '71686700-8df1-44ab-9ffb-7fa60e338adc';
const frameBytes = (encodeMsg(ping) as Buffer).length;

const rawP50: number[] = [];
const rawP99: number[] = [];
await rawTcpRoundTrips(frameBytes, WARMUP);
for (let i = 0; i < measured; i++) {
  collectGarbage();
  const rtts = await rawTcpRoundTrips(frameBytes, COUNT);
  rawP50.push(quantile(rtts, 0.5));
  rawP99.push(quantile(rtts, 0.99));
}

const peer = await startPeerApp(uriB, `ten-bench-roundtrip-peer-${process.pid}`);
const p50: number[] = [];
const p99: number[] = [];
/** CPU time of both processes (all threads) per measured round trip, µs. */
let cpuPerCmd = 0;
try {
  const graph = await startDriverGraph('runtime-cross-app-roundtrip', [{ name: 'echo', addon: 'cmd_echo', group: 'echo', app: uriB }], ['echo'], uriA);
  try {
    await graph.run({ count: WARMUP, warmup: WARMUP, concurrency: 1 });
    let cpu = 0;
    for (let i = 0; i < measured; i++) {
      collectGarbage();
      const cpu0 = cpuNow() + (await peer.cpuMicros());
      const samples = [...(await graph.run({ count: COUNT, warmup: 0, concurrency: 1 })).rtts];
      cpu += cpuNow() + (await peer.cpuMicros()) - cpu0;
      p50.push(quantile(samples, 0.5));
      p99.push(quantile(samples, 0.99));
    }
    cpuPerCmd = cpu / (measured * COUNT);
  } finally {
    await graph.close();
  }
} finally {
  await peer.close();
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const ratio = median(p50) / median(rawP50);
report({
  suite: 'runtime-cross-app-roundtrip',
  topology: 'bench_cmd_driver (app 1) → cmd_echo (app 2, another process), one cmd in flight, loopback TCP',
  rounds: measured,
  cmds_per_round: COUNT,
  cross_app_p50_us: round(median(p50) * 1000, 1),
  cross_app_p99_us: round(median(p99) * 1000, 1),
  raw_tcp_p50_us: round(median(rawP50) * 1000, 1),
  raw_tcp_p99_us: round(median(rawP99) * 1000, 1),
  raw_tcp_message_bytes: frameBytes,
  cross_app_cpu_us_per_cmd: round(cpuPerCmd, 1),
  p50_ratio_vs_raw_tcp: round(ratio),
  target_ratio_max: TARGET,
  meets_target: ratio <= TARGET,
});
process.exit(0);
