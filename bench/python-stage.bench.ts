// Python (a): one Python pass-through AsyncExtension between a TypeScript source and sink, each in
// its own group: 64-byte data through the Python process and back. Target: ≥ 80,000 msgs/s.
// Also 20 ms PCM frames (640 bytes, 16 kHz mono) through the same stage.
import { measureRuntimeChain } from './lib/chain';
import { median, report, round, rounds } from './lib/stats';

const COUNT = 50_000;
const TARGET = 80_000;
const measured = rounds();
const groupOf = (i: number, last: number): string => (i === 0 ? 'source' : i === last ? 'sink' : 'python');
const dataCpu = { node: [] as number[], python: [] as number[] };
const pcmCpu = { node: [] as number[], python: [] as number[] };
const data = await measureRuntimeChain({ suite: 'python-stage', groupPerStage: false, count: COUNT, rounds: measured, warmupRounds: 1, forwarders: 1, forwarderAddon: 'py_forwarder', groupOf, cpu: dataCpu });
const pcm = await measureRuntimeChain({
  suite: 'python-stage-pcm',
  groupPerStage: false,
  count: COUNT / 2,
  rounds: measured,
  warmupRounds: 1,
  forwarders: 1,
  forwarderAddon: 'py_forwarder',
  groupOf,
  kind: 'audio_frame',
  payloadBytes: 640,
  cpu: pcmCpu,
});
report({
  suite: 'python-stage',
  topology: 'TS bench_source → py_forwarder (AsyncExtension, its own Python process) → TS counter_sink, 3 groups',
  rounds: measured,
  messages_per_round: COUNT,
  data_64b_msgs_per_s: Math.round(median(data)),
  pcm_640b_frames_per_s: Math.round(median(pcm)),
  target_msgs_per_s: TARGET,
  meets_target: median(data) >= TARGET,
  // CPU time per message (µs, medians): the Node process (source, sink, the Python group's
  // thread, main) and the Python process. Less noisy than rates on a loaded machine.
  data_cpu_us_per_msg_node: round(median(dataCpu.node), 1),
  data_cpu_us_per_msg_python: round(median(dataCpu.python), 1),
  pcm_cpu_us_per_msg_node: round(median(pcmCpu.node), 1),
  pcm_cpu_us_per_msg_python: round(median(pcmCpu.python), 1),
  data_rounds: data.map(Math.round),
  pcm_rounds: pcm.map(Math.round),
});
process.exit(0);
