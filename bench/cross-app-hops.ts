// The floor of a cross-app cmd round trip for each way of placing threads on its path, with no
// runtime work at all: a 252-byte message (one `ping` on the wire) bounced between two Node
// processes over loopback TCP, hopping to and from a worker thread (transferred ArrayBuffer,
// as the runtime's frames move) where the design hops. Not a *.bench.ts (`npm run bench` does
// not run it); it is the measurement behind the evaluation in docs/BENCHMARKS.md ("Where a
// cross-app round trip goes").
//
//   node --import tsx bench/cross-app-hops.ts [count] [topologies]
//
// Topologies (the driver sends, the peer echoes):
//   raw      driver main ↔ peer main: the raw TCP baseline of suite (h), 2 wakes
//   today    driver worker → main → TCP → peer main → worker → main → TCP → main → worker, 6 wakes
//   a        the driver's worker owns its socket; the peer's echo still hops to a worker, 4 wakes
//   b        the driver hops through its main thread; the peer echoes on the socket's thread, 4 wakes
//   a+b      the driver's worker owns its socket; the peer echoes on the socket's thread, 2 wakes
// Prints, per topology, the round trip's p50/p99 and the CPU time per round trip of each process.
import { fork } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { quantile, round } from './lib/stats';

const BYTES = 252;
const self = fileURLToPath(import.meta.url);

/** The peer's worker: echoes every buffer back. */
const ECHO_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (ab) => parentPort.postMessage(ab, [ab]));
`;

/** The driver's worker: `count` round trips, over its own socket or through the main thread. */
const DRIVER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require('node:net');
const { own, port, count } = workerData;
(async () => {
  let onReply = () => {};
  let send;
  if (own) {
    const s = connect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    await new Promise((r) => s.once('connect', r));
    s.on('data', () => onReply());
    send = (b) => s.write(b);
    parentPort.once('close', () => s.destroy());
  } else {
    parentPort.on('message', () => onReply());
    send = (b) => {
      const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      parentPort.postMessage(ab, [ab]);
    };
  }
  const frame = Buffer.alloc(${BYTES}, 1);
  const rtts = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise((r) => { onReply = r; send(frame); });
    rtts[i] = performance.now() - t0;
  }
  parentPort.postMessage({ rtts });
})();
`;

function copyOut(c: Buffer): ArrayBuffer {
  return c.buffer.slice(c.byteOffset, c.byteOffset + c.length) as ArrayBuffer;
}

if (process.argv[2] === 'peer') {
  // The peer process: echoes on the socket's thread, or through a worker (argv[3] === 'hop').
  const worker = process.argv[3] === 'hop' ? new Worker(ECHO_WORKER, { eval: true }) : null;
  let sock: Socket | null = null;
  worker?.on('message', (ab: ArrayBuffer) => sock?.write(Buffer.from(ab)));
  const server = createServer({ noDelay: true }, (s) => {
    sock = s;
    s.setNoDelay(true);
    s.on('data', (c: Buffer) => {
      if (worker) {
        const ab = copyOut(c);
        worker.postMessage(ab, [ab]);
      } else s.write(c);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const count = Number(process.argv[2] ?? 10_000);
  const topologies = (process.argv[3] ?? 'raw,today,a,b,a+b').split(',');
  const cpuOf = (u: NodeJS.CpuUsage): number => u.user + u.system;

  for (const topology of topologies) {
    const driver = topology === 'raw' ? 'main' : topology === 'a' || topology === 'a+b' ? 'own' : 'hop';
    const peerHops = topology === 'today' || topology === 'a';
    const child = fork(self, ['peer', peerHops ? 'hop' : 'inline'], { execArgv: ['--import', 'tsx'] });
    const next = <T>(): Promise<T> => new Promise<T>((r) => child.once('message', (m) => r(m as T)));
    const { port } = await next<{ port: number }>();
    const peerCpu = async (): Promise<number> => {
      child.send('cpu');
      return cpuOf((await next<{ cpu: NodeJS.CpuUsage }>()).cpu);
    };
    // A warm-up run, then the measured one.
    let result: { rtts: number[]; driverCpu: number; peerCpu: number } | null = null;
    for (const n of [Math.ceil(count / 5), count]) {
      const c0 = process.cpuUsage();
      const p0 = await peerCpu();
      let rtts: number[];
      if (driver === 'main') {
        const s = connect({ host: '127.0.0.1', port });
        s.setNoDelay(true);
        await new Promise<void>((r) => s.once('connect', () => r()));
        let onReply = (): void => {};
        s.on('data', () => onReply());
        const frame = Buffer.alloc(BYTES, 1);
        rtts = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await new Promise<void>((r) => {
            onReply = r;
            s.write(frame);
          });
          rtts.push(performance.now() - t0);
        }
        s.destroy();
      } else {
        let sock: Socket | null = null;
        if (driver === 'hop') {
          const s = connect({ host: '127.0.0.1', port });
          s.setNoDelay(true);
          await new Promise<void>((r) => s.once('connect', () => r()));
          sock = s;
        }
        const w = new Worker(DRIVER_WORKER, { eval: true, workerData: { own: driver === 'own', port, count: n } });
        sock?.on('data', (c: Buffer) => {
          const ab = copyOut(c);
          w.postMessage(ab, [ab]);
        });
        rtts = await new Promise<number[]>((resolve) =>
          w.on('message', (m: ArrayBuffer | { rtts: Float64Array }) => {
            if (m instanceof ArrayBuffer) sock?.write(Buffer.from(m));
            else resolve([...m.rtts]);
          }),
        );
        await w.terminate();
        sock?.destroy();
      }
      result = { rtts, driverCpu: cpuOf(process.cpuUsage(c0)) / n, peerCpu: ((await peerCpu()) - p0) / n };
    }
    child.disconnect();
    await new Promise((r) => child.once('exit', r));
    const { rtts, driverCpu, peerCpu: pc } = result!;
    process.stdout.write(
      `${topology.padEnd(6)} p50 ${round(quantile(rtts, 0.5) * 1000, 1)} µs  p99 ${round(quantile(rtts, 0.99) * 1000, 1)} µs  CPU per round trip: driver ${round(driverCpu, 1)} µs, peer ${round(pc, 1)} µs\n`,
    );
  }
}
