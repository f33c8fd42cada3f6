// How one thread wakes another, alone: two workers ping-pong a counter, one round trip at a time,
// woken by each of the means a ring reader could use. Not a *.bench.ts (`npm run bench` does not
// run it); it is the measurement behind the ring's wake (docs/BENCHMARKS.md, "Cmd round trip
// between groups").
//
//   node --import tsx bench/wake-pingpong.ts [count] [modes]
//
// Modes: `port` postMessage of the counter (what a raw round trip and the rings' RING_WAKE pay);
// `port+immediate` the same plus one setImmediate per message (a loop turn per message, as a
// drain or a flush armed per message costs); `waitAsync` the counter in a SharedArrayBuffer,
// Atomics.notify to an Atomics.waitAsync; `wait` Atomics.wait with a 1 ms timeout, then a
// setImmediate (a blocked thread: costs a whole thread while idle); `spin` 20 µs of looking at
// the counter before an Atomics.waitAsync (an adaptive spin). Prints, per mode, the round trip's
// p50/p99 and the CPU time of the whole process per round trip.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { quantile, round } from './lib/stats';

const count = Number(process.argv[2] ?? 20_000);
const modes = (process.argv[3] ?? 'port,port+immediate,waitAsync,wait,spin').split(',');

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { role, port, sab, mode, count } = workerData;
const h = new Int32Array(sab);
const mine = role === 'a' ? 1 : 0;
const theirs = role === 'a' ? 0 : 1;
const now = () => Number(process.hrtime.bigint()) / 1e3;
const samples = new Float64Array(count);
let seq = 0, t0 = 0, last = 0, done = false;
const byPort = mode === 'port' || mode === 'port+immediate';
function send(v) {
  if (byPort) {
    port.postMessage(v);
    if (mode === 'port+immediate') setImmediate(() => {});
  } else {
    Atomics.store(h, theirs, v);
    Atomics.notify(h, theirs);
  }
}
function ping() { seq++; t0 = now(); send(seq); }
function onValue(v) {
  if (role === 'b') { send(v); if (v >= count) finish(); return; }
  samples[seq - 1] = now() - t0;
  if (seq >= count) finish(); else ping();
}
function finish() {
  done = true;
  parentPort.postMessage(role === 'a' ? samples : null);
}
function park() {
  for (;;) {
    const v = Atomics.load(h, mine);
    if (v !== last) { last = v; onValue(v); if (done) return; continue; }
    if (mode === 'wait') {
      if (Atomics.wait(h, mine, last, 1) === 'timed-out') { setImmediate(park); return; }
      continue;
    }
    if (mode === 'spin') {
      const end = now() + 20;
      let seen = false;
      while (!seen && now() < end) seen = Atomics.load(h, mine) !== last;
      if (seen) continue;
    }
    const r = Atomics.waitAsync(h, mine, last);
    if (r.async) { r.value.then(park); return; }
  }
}
if (byPort) port.on('message', onValue); else park();
parentPort.on('message', () => ping());
`;

for (const mode of modes) {
  const { port1, port2 } = new MessageChannel();
  const sab = new SharedArrayBuffer(8);
  const start = (role: string, port: MessagePort): Worker =>
    new Worker(SOURCE, { eval: true, workerData: { role, port, sab, mode, count }, transferList: [port] });
  const a = start('a', port1);
  const b = start('b', port2);
  await new Promise((r) => setTimeout(r, 300));
  const done = Promise.all([new Promise<Float64Array>((r) => a.once('message', r)), new Promise((r) => b.once('message', r))]);
  const c0 = process.cpuUsage();
  a.postMessage('go');
  const [samples] = await done;
  const c1 = process.cpuUsage(c0);
  const s = [...samples];
  process.stdout.write(
    `${JSON.stringify({ mode, count, p50_us: round(quantile(s, 0.5), 1), p99_us: round(quantile(s, 0.99), 1), cpu_us_per_round_trip: round((c1.user + c1.system) / count, 1) })}\n`,
  );
  await Promise.all([a.terminate(), b.terminate()]);
}
process.exit(0);
