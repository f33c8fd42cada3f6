// Telemetry cost: the chain of suite (a) (source → 8 forwarders → sink, one group, 64-byte data)
// on a bare App vs. as a studio run whose telemetry (10 Hz metrics, lifecycle, logs) streams over
// the real WebSocket to a client. Arms alternate so machine noise hits both. Target: ≤ 10% cost.
import { chainWithoutTelemetry, chainWithTelemetry } from './lib/telemetry-host';
import { collectGarbage, median, report, round, rounds } from './lib/stats';

const COUNT = 200_000;
const SUITE = 'telemetry-cost';
const pairs = rounds(5);
const off: number[] = [];
const on: number[] = [];
const streamed: number[] = [];
for (let i = 0; i < pairs; i++) {
  collectGarbage();
  off.push(...(await chainWithoutTelemetry(`${SUITE}-off-${i}`, COUNT, 1, 3)));
  collectGarbage();
  const r = await chainWithTelemetry(`${SUITE}-on-${i}`, COUNT, 1, 3);
  on.push(...r.rates);
  streamed.push(r.bytesPerSec);
}
const cost = 1 - median(on) / median(off);
report({
  suite: SUITE,
  topology: 'source → 8 forwarders → sink, 64-byte data, one group',
  pairs,
  rounds_per_arm: off.length,
  messages_per_round: COUNT,
  off_msgs_per_s: Math.round(median(off)),
  on_msgs_per_s: Math.round(median(on)),
  cost_pct: round(cost * 100, 1),
  target_cost_pct: 10,
  meets_target: cost <= 0.1,
  stream_bytes_per_s: Math.round(median(streamed)),
  off_rounds: off.map(Math.round),
  on_rounds: on.map(Math.round),
});
process.exit(0);
