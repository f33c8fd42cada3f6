/**
 * Baselines for the runtime suites, on their own: raw `postMessage` between two workers (round
 * trip p50/p99 and one-way 64-byte throughput) and Node-RED 4 running the 8-forwarder chain.
 * The runtime suites measure the baseline they compare against again in their own process; this
 * suite gives the reference figures without any runtime code loaded.
 */
import { startNodeRedChain } from './lib/node-red-chain';
import { startRawPostMessagePair } from './lib/raw-post-message';
import { collectGarbage, median, quantile, report, round, rounds } from './lib/stats';

const ROUNDS = rounds();
const RTT_COUNT = 20_000;
const THROUGHPUT_COUNT = 200_000;
const CHAIN_COUNT = 100_000;
const PAYLOAD_BYTES = 64;

const pair = await startRawPostMessagePair();
await pair.roundTrips(2000);
await pair.throughput(20_000, PAYLOAD_BYTES);
const rttP50: number[] = [];
const rttP99: number[] = [];
const oneWay: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const samples = [...(await pair.roundTrips(RTT_COUNT))];
  rttP50.push(quantile(samples, 0.5));
  rttP99.push(quantile(samples, 0.99));
  collectGarbage();
  oneWay.push(await pair.throughput(THROUGHPUT_COUNT, PAYLOAD_BYTES));
  collectGarbage();
}
await pair.close();

const chain = await startNodeRedChain(8);
await chain.throughput(20_000, PAYLOAD_BYTES);
const nodeRed: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  collectGarbage();
  nodeRed.push(await chain.throughput(CHAIN_COUNT, PAYLOAD_BYTES));
}
await chain.close();

report({
  suite: 'runtime-baselines',
  rounds: ROUNDS,
  raw_post_message: {
    rtt_p50_us: round(median(rttP50) * 1000, 1),
    rtt_p99_us: round(median(rttP99) * 1000, 1),
    one_way_64b_msgs_per_s: Math.round(median(oneWay)),
  },
  node_red_chain_8_forwarders: {
    msgs_per_s: Math.round(median(nodeRed)),
    all_rounds: nodeRed.map((v) => Math.round(v)),
  },
});
process.exit(0);
