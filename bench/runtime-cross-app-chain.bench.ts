// Suite (g): the 8-stage chain of suites (a)/(b) cut in two after the fourth forwarder, the halves
// in two extension groups of one app, and in two apps (two Node processes) over loopback TCP with
// TEN's msgpack protocol; and the raw TCP limit between two Node processes for frames of the same
// size as one encoded data message, in the same run. Target: cross-app ≥ 50% of the two-group chain.
import { measureSplitChain, rawTcpThroughput } from './lib/cross-app';
import { PAYLOAD_BYTES } from './lib/chain';
import { collectGarbage, median, report, round, rounds } from './lib/stats';
import { TenMsg, encodeMsg, tenLoc } from '../src/runtime/protocol';

const COUNT = 50_000;
const TARGET = 0.5;
const measured = rounds();

// What one data message of the chain is on the wire between the two apps.
const sample = new TenMsg('data', 'm');
const uri = 'msgpack://127.0.0.1:40001/';
sample.src = tenLoc(uri, '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf', 'fwd_4');
sample.dests = [tenLoc('msgpack://127.0.0.1:40002/', '95d85a69-8c40-48ff-b8c2-530c7e2cc3cf', 'fwd_5')];
sample.buf = new Uint8Array(PAYLOAD_BYTES);
const frameBytes = (encodeMsg(sample) as Buffer).length;

collectGarbage();
const groups = await measureSplitChain({ suite: 'runtime-cross-app-chain', split: 'groups', count: COUNT, rounds: measured, warmupRounds: 1 });
collectGarbage();
const apps = await measureSplitChain({ suite: 'runtime-cross-app-chain', split: 'apps', count: COUNT, rounds: measured, warmupRounds: 1 });
collectGarbage();
const raw = await rawTcpThroughput(frameBytes, COUNT, measured);

const ratio = median(apps.rates) / median(groups.rates);
report({
  suite: 'runtime-cross-app-chain',
  topology: `source → 8 forwarders → sink, ${PAYLOAD_BYTES}-byte data, cut after fwd_4: two groups of one app vs two apps (processes) over loopback TCP`,
  rounds: measured,
  messages_per_round: COUNT,
  two_groups_msgs_per_s: Math.round(median(groups.rates)),
  two_apps_msgs_per_s: Math.round(median(apps.rates)),
  ratio_apps_vs_groups: round(ratio),
  target_ratio_min: TARGET,
  meets_target: ratio >= TARGET,
  raw_tcp_msgs_per_s: Math.round(median(raw)),
  raw_tcp_frame_bytes: frameBytes,
  // CPU per message, every thread of both processes: the load-independent view of the same run.
  two_groups_cpu_us_per_msg: round(groups.cpuMicrosPerMsg),
  two_apps_cpu_us_per_msg: round(apps.cpuMicrosPerMsg),
  cpu_ratio_apps_vs_groups: round(apps.cpuMicrosPerMsg / groups.cpuMicrosPerMsg),
  two_groups_rounds: groups.rates.map(Math.round),
  two_apps_rounds: apps.rates.map(Math.round),
  raw_tcp_rounds: raw.map(Math.round),
});
process.exit(0);
