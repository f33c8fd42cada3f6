/**
 * Suites (a) and (b): the runtime chain against Node-RED 4 running the same chain, both measured
 * in this process and run, reported as medians with the ratio and the target, and the CPU
 * time per message of every thread of the process. With one group per stage, one hop of raw
 * `postMessage` between two workers is measured too, for scale, and the same chain with
 * MessagePort batches only (`ringBytes: 0`), the transport before shared-memory rings.
 */
import { measureChain, FORWARDERS, PAYLOAD_BYTES } from './chain';
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

  // The graph is then left quiet for 2 s: its CPU then (all threads) says whether anything spins.
  const runtime = await measureChain({ suite, groupPerStage, count: COUNT, rounds: measured, warmupRounds: 1, idleMs: 2000 });
  const runtimeRates = runtime.rates;
  // One group per stage: the same chain with MessagePort batches only (no rings), in the same run.
  collectGarbage();
  const portOnly = groupPerStage ? await measureChain({ suite, groupPerStage, count: COUNT, rounds: measured, warmupRounds: 1, ringBytes: 0, idleMs: 2000 }) : null;
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
    // CPU time of every thread of the process per message: hardly moved by the machine's load.
    runtime_cpu_us_per_msg: round(runtime.cpuMicrosPerMsg),
    runtime_idle_cpu_percent: round(runtime.idleCpuPercent!),
    // Summed over the chain's rings: how often a reader slept and was woken, and drains, per message.
    ...(groupPerStage ? { runtime_ring_wakes_per_msg: round(runtime.ringWakesPerMsg, 3), runtime_ring_drains_per_msg: round(runtime.ringDrainsPerMsg, 3) } : {}),
    ...(portOnly
      ? {
          port_only_msgs_per_s: Math.round(median(portOnly.rates)),
          port_only_ratio_vs_node_red: round(median(portOnly.rates) / median(nodeRedRates)),
          port_only_cpu_us_per_msg: round(portOnly.cpuMicrosPerMsg),
          port_only_idle_cpu_percent: round(portOnly.idleCpuPercent!),
          port_only_rounds: portOnly.rates.map(Math.round),
        }
      : {}),
    runtime_rounds: runtimeRates.map(Math.round),
    node_red_rounds: nodeRedRates.map(Math.round),
  });
}
