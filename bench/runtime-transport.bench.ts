// Suite (i): what one message costs to cross between two groups, without the threads: the CPU
// time per message (one thread, so the machine's load hardly moves it) of each transport's own
// work for the chain's message (data `m`, props {seq}, a 64-byte buffer), in batches of 256 as
// the chain's source sends them.
// - port: PeerEncoder + the structured clone postMessage does (v8.serialize / deserialize, the
//   same ValueSerializer) + decodePeer, per batch of 256;
// - ring: RingWriter into a 256 KiB SharedArrayBuffer ring, RingReader.take (one copy out) and
//   the decoder, per batch of 256;
// - ring forward: what a forwarder's hop costs the transport: the batch taken from one ring and
//   decoded, each message written on into a second ring as it arrived (its buffer still the
//   bytes it came with), per batch of 256.
// No target: it says where a hop's time goes (docs/BENCHMARKS.md, issue 14).
import { deserialize, serialize } from 'node:v8';
import { RingDecoder } from '../src/runtime/core/ring_codec';
import { decodePeer, newWireMsg, PeerEncoder, PeerIndex, type SharedLoc, type WireMsg } from '../src/runtime/core/wire';
import { createRing, EMPTY, OP_MSG, RingReader, RingWriter, WRITTEN } from '../src/runtime/routing/ring';
import { median, report, round, rounds } from './lib/stats';

const N = 512_000;
const BATCH = 256;
const locs = new Map<string, SharedLoc>();
function locOf(ext: string): SharedLoc {
  let l = locs.get(ext);
  if (!l) {
    const loc = Object.freeze({ app: 'localhost', graph: 'g', ext });
    l = { loc, dests: Object.freeze([loc]) as unknown as WireMsg['dests'] };
    locs.set(ext, l);
  }
  return l;
}
const index = new PeerIndex(['source', 'fwd_1', 'fwd_2', 'sink'], locOf);
const batch = Array.from({ length: BATCH }, (_, i) => {
  const w = newWireMsg('data', 'm');
  w.src = locOf('fwd_1').loc;
  w.dests = locOf('fwd_2').dests;
  w.props = { seq: i };
  w.buf = new Uint8Array(64).fill(i & 255).buffer;
  return w;
});

/** CPU microseconds of this thread's process while `f` runs (one thread does all the work). */
function cpuNs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / N;
}

function portPath(): { encode: number; clone: number; decode: number } {
  const enc = new PeerEncoder(index);
  let values: unknown[] = [];
  const encode = cpuNs(() => {
    for (let i = 0; i < N; i += BATCH) {
      for (let j = 0; j < BATCH; j++) enc.encode(batch[j]);
      values = enc.take()!.values;
    }
  });
  let cloned: unknown[] = [];
  const clone = cpuNs(() => {
    for (let i = 0; i < N; i += BATCH) cloned = deserialize(serialize(values)) as unknown[];
  });
  let got = 0;
  const decode = cpuNs(() => {
    for (let i = 0; i < N; i += BATCH) got += decodePeer(cloned, index, locOf).length;
  });
  if (got !== N) throw new Error(`decoded ${got} of ${N}`);
  return { encode, clone, decode };
}

function ringPath(): { write: number; read: number } {
  const sab = createRing(256 * 1024);
  const writer = new RingWriter(sab, index, 'localhost', 'g');
  const reader = new RingReader(sab);
  const decoder = new RingDecoder(index, 'localhost', 'g', locOf);
  let got = 0;
  let write = 0;
  let read = 0;
  for (let i = 0; i < N; i += BATCH) {
    write += cpuNs(() => {
      for (let j = 0; j < BATCH; j++) if (writer.write(batch[j]) !== WRITTEN) throw new Error('ring full');
      writer.publish();
    });
    read += cpuNs(() => {
      const b = reader.take()!;
      decoder.use(b.bytes);
      for (let op = b.next(); op !== EMPTY; op = b.next()) if (op === OP_MSG && decoder.decode(b.start, b.end).ts > 0) got++;
    });
  }
  if (got !== N) throw new Error(`decoded ${got} of ${N}`);
  return { write, read };
}

/** Ring A → decode → ring B, as a forwarder does; only that part is timed. */
function forwardPath(): number {
  const a = createRing(256 * 1024);
  const b = createRing(256 * 1024);
  const writeA = new RingWriter(a, index, 'localhost', 'g');
  const readA = new RingReader(a);
  const writeB = new RingWriter(b, index, 'localhost', 'g');
  const readB = new RingReader(b);
  const decoder = new RingDecoder(index, 'localhost', 'g', locOf);
  let got = 0;
  let forward = 0;
  for (let i = 0; i < N; i += BATCH) {
    for (let j = 0; j < BATCH; j++) if (writeA.write(batch[j]) !== WRITTEN) throw new Error('ring full');
    writeA.publish();
    forward += cpuNs(() => {
      const t = readA.take()!;
      decoder.use(t.bytes);
      for (let op = t.next(); op !== EMPTY; op = t.next()) {
        if (op === OP_MSG && writeB.write(decoder.decode(t.start, t.end)) !== WRITTEN) throw new Error('ring full');
      }
      writeB.publish();
    });
    const t = readB.take()!;
    for (let op = t.next(); op !== EMPTY; op = t.next()) if (op === OP_MSG) got++;
  }
  if (got !== N) throw new Error(`forwarded ${got} of ${N}`);
  return forward;
}

const measured = rounds();
portPath();
ringPath();
forwardPath();
const port = Array.from({ length: measured }, portPath);
const ring = Array.from({ length: measured }, ringPath);
const forward = Array.from({ length: measured }, forwardPath);
const m = (xs: number[]) => round(median(xs), 0);
const portTotal = m(port.map((p) => p.encode + p.clone + p.decode));
const ringTotal = m(ring.map((r) => r.write + r.read));
report({
  suite: 'runtime-transport',
  message: 'data m, props {seq}, 64-byte buffer; batches of 256; CPU ns per message, one thread',
  rounds: measured,
  messages_per_round: N,
  port_encode_ns: m(port.map((p) => p.encode)),
  port_clone_ns: m(port.map((p) => p.clone)),
  port_decode_ns: m(port.map((p) => p.decode)),
  port_total_ns: portTotal,
  ring_write_ns: m(ring.map((r) => r.write)),
  ring_take_decode_ns: m(ring.map((r) => r.read)),
  ring_total_ns: ringTotal,
  ring_forward_ns: m(forward),
  ratio_ring_vs_port: round(ringTotal / portTotal),
});
process.exit(0);
