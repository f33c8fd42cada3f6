// Where a message's CPU time goes on the chain of suites (a) and (b), or a cmd's on the round trip
// of suite (d): runs the graph under `node --cpu-prof` (every thread writes a profile: the main
// thread and each group's worker) and sums the profiles' self time by what the code does, in % of
// all busy time and in µs per message or cmd (against the CPU time per message or cmd measured in
// the same run). Not a *.bench.ts: `npm run bench` does not run it (a profiler slows what it
// measures).
//
//   node --import tsx bench/profile-chain.ts [per-stage|one-group|cmd|cmd-one-group] [ringBytes]
//
// `cmd`: bench_cmd_driver and cmd_echo in two groups, one cmd in flight (suite (d));
// `cmd-one-group`: both in one group.
// ringBytes 0: groups talk through MessagePort batches only. Profiles stay in
// bench-results/prof-<variant>/ for Chrome DevTools.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureChain } from './lib/chain';
import { startDriverGraph } from './lib/cmd-driver';
import { round } from './lib/stats';

const COUNT = 100_000;
/**
 * Cmds per measured round of the `cmd` variants (one in flight: slower than a chain's messages;
 * enough for a few thousand samples at the profiler's 1 ms: sampling more often slowed the
 * round trip by half and moved what it measured).
 */
const CMDS = 50_000;
const out = (text: string): void => void process.stdout.write(`${text}\n`);
const ROUNDS = 3;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The first line (0-based, as in profiles) of `class <name>` in the file a profile's url names. */
const classLines = new Map<string, number>();
function classLine(url: string, name: string): number {
  const key = `${url} ${name}`;
  let line = classLines.get(key);
  if (line === undefined) {
    const re = new RegExp(`^(export )?class ${name}\\b`);
    const i = readFileSync(fileURLToPath(url), 'utf8').split('\n').findIndex((l) => re.test(l));
    line = i < 0 ? Infinity : i;
    classLines.set(key, line);
  }
  return line;
}

/** What a function does, from its file and name. */
function category(fn: string, url: string, line: number): string {
  // Groups run the runtime compiled to .mjs files (app/build.ts): the name without its extension.
  const file = url.replace(/^file:\/\//, '');
  const base = (file.split('/').pop() ?? '').replace(/\.m?[jt]s$/, '');
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'V8 and Node outside JS (program)';
  if (url === '' && /^(notify|wait|waitAsync|compareExchange|store|load)$/.test(fn)) return 'wake: Atomics';
  if (url === '' && /postMessage|serialize|deserialize/i.test(fn)) return 'port: postMessage, structured clone';
  if (base === 'ring_codec') return line >= classLine(url, 'RingDecoder') ? 'ring: decode' : 'ring: encode';
  if (base === 'ring') return line >= classLine(url, 'RingReader') ? 'ring: take (copy out), sleep' : 'ring: write, publish, wake';
  if (base === 'ring_outbox') return 'ring: write, publish, wake';
  if (base === 'ring_inbox') return 'ring: take (copy out), sleep';
  // An ArrayBuffer made from a message's packed bytes when a handler reads the buffer.
  if (fn === 'wireBuf' || fn === 'copyOf' || fn === 'packedOf') return 'extensions (handlers) and ten_env';
  // A reader's arena (Buffer.allocUnsafeSlow), once per 256 KiB taken.
  if (fn === 'createUnsafeBuffer') return 'ring: take (copy out), sleep';
  if (base === 'wire' || base === 'outbox') return 'port: batch encode / decode';
  if (file.includes('node:internal/worker') || file.includes('node:internal/per_context/messageport')) return 'port: postMessage, structured clone';
  if (base === 'runloop') return 'runloop (task queue)';
  // Counters, the sampled handler timing and its clock (worker/extension_rt.ts).
  if (base === 'histogram' || fn === 'countOut' || fn === 'addHandlerTime' || fn === 'now' || file.includes('telemetry')) return 'telemetry';
  if (base === 'value-schema' || base === 'schema') return 'schema checks';
  if (base === 'props' || base === 'text') return 'properties as JSON (getPropertyToJson, setPropertyFromJson)';
  if (base === 'paths' || base === 'ids') return 'cmd paths and ids';
  if (file.includes('/routing/') || ['group', 'engine', 'extension_rt'].includes(base)) return 'routing, delivery, owner checks';
  if (file.includes('/api/') || file.includes('/addons/') || file.includes('/bench/extensions/')) return 'extensions (handlers) and ten_env';
  if (file.startsWith('node:')) return 'Node internals (timers, promises, events)';
  if (url === '') return 'native (other)';
  return 'other';
}

/** Sums the samples taken within `[from, to]` (the measured rounds, not start-up or warm-up). */
function summarise(dir: string, cpuMicrosPerMsg: number, [from, to]: [number, number]): void {
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    let at = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0;
      at += dt;
      if (at < from || at > to) continue;
      const cf = byId.get(p.samples[i]!)!.callFrame;
      if (cf.functionName === '(idle)') continue;
      busy += dt;
      const c = category(cf.functionName, cf.url, cf.lineNumber);
      byCategory.set(c, (byCategory.get(c) ?? 0) + dt);
      const k = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
      byFunction.set(k, (byFunction.get(k) ?? 0) + dt);
    }
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(5)}%  ${round((cpuMicrosPerMsg * v) / busy, 2).toFixed(2).padStart(6)} µs  ${k}`);
  out(`\nCPU per message or cmd (all threads): ${round(cpuMicrosPerMsg)} µs; profiled busy time ${Math.round(busy / 1000)} ms\n`);
  out(rows(byCategory, 20).join('\n'));
  out('\nTop functions (self time):');
  out(rows(byFunction, 30).join('\n'));
}

const [variant = 'per-stage', ringArg] = process.argv.slice(2).filter((a) => a !== '--child');
const ringBytes = ringArg === undefined ? undefined : Number(ringArg);
/** Suite (d)'s graph: CPU per cmd over the measured rounds, their p50s (µs), and their window. */
async function profileCmds(oneGroup: boolean): Promise<{ cpuMicrosPerMsg: number; rates: number[]; measuredUs: [number, number] }> {
  const graph = await startDriverGraph('profile-cmd', [{ name: 'echo', addon: 'cmd_echo', group: oneGroup ? 'driver' : 'echo' }], ['echo'], undefined, 'driver', ringBytes === undefined ? {} : { ringBytes });
  try {
    await graph.run({ count: CMDS, warmup: CMDS, concurrency: 1 });
    const cpu = (): number => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    const c0 = cpu();
    const from = Number(process.hrtime.bigint() / 1000n);
    const rtts: Float64Array[] = [];
    for (let i = 0; i < ROUNDS; i++) rtts.push((await graph.run({ count: CMDS, warmup: 0, concurrency: 1 })).rtts);
    const measuredUs: [number, number] = [from, Number(process.hrtime.bigint() / 1000n)];
    const cpuMicrosPerMsg = (cpu() - c0) / (ROUNDS * CMDS);
    const p50s = rtts.map((r) => Math.round([...r].sort((a, b) => a - b)[CMDS >> 1]! * 1000 * 10) / 10);
    return { cpuMicrosPerMsg, rates: p50s, measuredUs };
  } finally {
    await graph.close();
  }
}

if (process.argv.includes('--child')) {
  const r = variant.startsWith('cmd')
    ? await profileCmds(variant === 'cmd-one-group')
    : await measureChain({ suite: 'profile-chain', groupPerStage: variant === 'per-stage', count: COUNT, rounds: ROUNDS, warmupRounds: 1, ringBytes });
  out(JSON.stringify({ cpuMicrosPerMsg: r.cpuMicrosPerMsg, rates: r.rates.map((x) => (variant.startsWith('cmd') ? x : Math.round(x))), measuredUs: r.measuredUs }));
  process.exit(0);
} else {
  const dir = join('bench-results', `prof-${variant}${ringBytes === undefined ? '' : `-ring${ringBytes}`}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`, 'bench/profile-chain.ts', '--child', ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`The profiled chain failed (exit ${run.status}).`);
  const res = JSON.parse(run.stdout.trim().split('\n').pop()!) as { cpuMicrosPerMsg: number; rates: number[]; measuredUs: [number, number] };
  const unit = variant.startsWith('cmd') ? 'µs p50 per round trip' : 'msgs/s';
  out(`${variant}${ringBytes === undefined ? '' : `, ringBytes ${ringBytes}`}: rounds ${res.rates.join(', ')} ${unit} (profiled)`);
  summarise(dir, res.cpuMicrosPerMsg, res.measuredUs);
}
