/**
 * Baseline: raw `postMessage` between two workers joined by a MessageChannel, with no runtime
 * in between. It is the floor any cross-group delivery of ours pays, so suites (b) and (d) report
 * their figures as multiples of it.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

/**
 * Worker A drives, worker B answers. Plain JS evaluated in the worker so that no TypeScript
 * loader is involved in the baseline.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { role, port } = workerData;
if (role === 'echo') {
  let received = 0;
  let expected = -1;
  port.on('message', (m) => {
    if (m.kind === 'ping') port.postMessage(m);
    else if (m.kind === 'expect') { expected = m.count; received = 0; }
    else if (m.kind === 'data' && ++received === expected) port.postMessage({ kind: 'drained' });
  });
} else {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  let pending = null;
  port.on('message', (m) => { const p = pending; pending = null; if (p) p(m); });
  const next = () => new Promise((resolve) => { pending = resolve; });
  parentPort.on('message', async (task) => {
    if (task.kind === 'rtt') {
      const samples = new Float64Array(task.count);
      for (let i = 0; i < task.warmup + task.count; i++) {
        const t0 = now();
        const reply = next();
        port.postMessage({ kind: 'ping', seq: i });
        await reply;
        if (i >= task.warmup) samples[i - task.warmup] = now() - t0;
      }
      parentPort.postMessage({ kind: 'rtt', samples }, [samples.buffer]);
    } else if (task.kind === 'throughput') {
      port.postMessage({ kind: 'expect', count: task.count });
      const payload = new Uint8Array(task.bytes);
      const t0 = now();
      const done = next();
      for (let i = 0; i < task.count; i++) port.postMessage({ kind: 'data', seq: i, payload });
      await done;
      parentPort.postMessage({ kind: 'throughput', ms: now() - t0 });
    }
  });
}
`;

export interface RawPostMessagePair {
  /** Round trips A → B → A, one at a time; returns each round trip in ms. */
  roundTrips(count: number, warmup?: number): Promise<Float64Array>;
  /** A sends `count` messages with a `bytes`-byte payload to B, one postMessage each; msgs/s. */
  throughput(count: number, bytes: number): Promise<number>;
  close(): Promise<void>;
}

export async function startRawPostMessagePair(): Promise<RawPostMessagePair> {
  const { port1, port2 } = new MessageChannel();
  const driver = new Worker(WORKER_SOURCE, { eval: true, workerData: { role: 'driver', port: port1 }, transferList: [port1] });
  const echo = new Worker(WORKER_SOURCE, { eval: true, workerData: { role: 'echo', port: port2 }, transferList: [port2] });
  const ask = <T>(task: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      driver.once('message', resolve);
      driver.once('error', reject);
      driver.postMessage(task);
    });
  return {
    async roundTrips(count, warmup = 1000) {
      const reply = await ask<{ samples: Float64Array }>({ kind: 'rtt', count, warmup });
      return reply.samples;
    },
    async throughput(count, bytes) {
      const reply = await ask<{ ms: number }>({ kind: 'throughput', count, bytes });
      return (count / reply.ms) * 1000;
    },
    async close() {
      await Promise.all([driver.terminate(), echo.terminate()]);
    },
  };
}
