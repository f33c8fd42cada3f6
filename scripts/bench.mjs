// `npm run bench [-- name-filter]`: runs every bench/*.bench.ts in its own Node process (so one
// suite's JIT and heap state never colour another's), each printing one JSON object on its last
// stdout line. Writes them all to bench-results/results.json and prints a summary.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const filter = process.argv[2] ?? '';
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`No benchmark matches "${filter}" in bench/.`);
  process.exit(1);
}
const results = [];
let failed = 0;
for (const file of files) {
  console.error(`▶ ${file}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `bench/${file}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    if (run.status !== 0) throw new Error(`exit ${run.status}`);
    results.push({ file, ...JSON.parse(last) });
  } catch (err) {
    failed++;
    console.error(`✗ ${file}: ${err.message}`);
    results.push({ file, error: String(err.message) });
  }
}
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  results,
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/results.json', JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
