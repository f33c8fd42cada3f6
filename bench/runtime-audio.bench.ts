// Suite (e): 20 ms PCM audio frames (16 kHz mono 16-bit: 640 bytes) through 4 extension groups:
// source → forwarder → forwarder → sink, one group each. Target: ≥ 50,000 frames/s.
import { measureChain } from './lib/chain';
import { median, report, round, rounds } from './lib/stats';

const COUNT = 50_000;
const FRAME_BYTES = 640;
const TARGET = 50_000;
const measured = rounds();

const result = await measureChain({
  suite: 'runtime-audio',
  groupPerStage: true,
  kind: 'audio_frame',
  forwarders: 2,
  payloadBytes: FRAME_BYTES,
  count: COUNT,
  rounds: measured,
  warmupRounds: 1,
  burst: 128,
});
const rates = result.rates;
const rate = median(rates);
report({
  suite: 'runtime-audio',
  topology: 'bench_source → 2 forwarders → counter_sink, 4 groups, 640-byte PCM frames',
  rounds: measured,
  frames_per_round: COUNT,
  frames_per_s: Math.round(rate),
  realtime_streams_equivalent: round(rate / 50, 0),
  target_frames_per_s: TARGET,
  meets_target: rate >= TARGET,
  // CPU time of every thread of the process per frame: the figure the machine's load hardly moves.
  cpu_us_per_frame: round(result.cpuMicrosPerMsg),
  all_rounds: rates.map(Math.round),
});
process.exit(0);
