/**
 * Suites (a) and (b): the runtime chain against Node-RED 4 running the same chain, both measured
 * in this process and run, reported as medians with the ratio and the target. With one
 * group per stage, one hop of raw `postMessage` between two workers is measured too, for scale.
 */
import { measureRuntimeChain, FORWARDERS, PAYLOAD_BYTES } from './chain';
import { startNodeRedChain } from './node-red-chain';
import { startRawPostMessagePair } from './raw-post-message';
import { collectGarbage, median, report, round, rounds } from './stats';

const COUNT = 100_000;

export async function chainSuite(suite: string, groupPerStage: boolean, target: number): Promise<void> {
  const measured = rounds();

  const nodeRed = await startNodeRedChain(FORWARDERS);
  await nodeRed.throughput(COUNT / 5, PAYLOAD_BYTES);
  const nodeRedRates: number[] = [];
  for (let i = 0; i < measured; i++) {
    collectGarbage();
    nodeRedRates.push(await nodeRed.throughput(COUNT, PAYLOAD_BYTES));
  }
  await nodeRed.close();
  collectGarbage();

  const rawRates: number[] = [];
  if (groupPerStage) {
    const pair = await startRawPostMessagePair();
    await pair.throughput(COUNT / 5, PAYLOAD_BYTES);
    for (let i = 0; i < measured; i++) rawRates.push(await pair.throughput(COUNT, PAYLOAD_BYTES));
    await pair.close();
  }

  const runtimeRates = await measureRuntimeChain({ suite, groupPerStage, count: COUNT, rounds: measured, warmupRounds: 1 });
  const ratio = median(runtimeRates) / median(nodeRedRates);
  report({
    suite,
    topology: `source → ${FORWARDERS} forwarders → sink, ${PAYLOAD_BYTES}-byte data, ${groupPerStage ? 'one group per stage' : 'one group'}`,
    rounds: measured,
    messages_per_round: COUNT,
    runtime_msgs_per_s: Math.round(median(runtimeRates)),
    node_red_msgs_per_s: Math.round(median(nodeRedRates)),
    ratio_vs_node_red: round(ratio),
    target_ratio: target,
    meets_target: ratio >= target,
    ...(groupPerStage ? { raw_post_message_one_hop_msgs_per_s: Math.round(median(rawRates)) } : {}),
    runtime_rounds: runtimeRates.map(Math.round),
    node_red_rounds: nodeRedRates.map(Math.round),
  });
}
