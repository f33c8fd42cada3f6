// `npm test`: typecheck, lint, unit, integration, Python and end-to-end suites, one after another, then
// `N skipped` and one closing line `N passed, N failed` summed over every runner (the form CI
// recognises, so skips get a line of their own). Typecheck and lint
// count as one check each. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const REPORTS = '.test-reports';
rmSync(REPORTS, { recursive: true, force: true });
mkdirSync(REPORTS, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n━━ ${label} ━━`);
  const started = Date.now();
  const status = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status;
  console.log(`━━ ${label}: exit ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return status;
}

function count(label, passed, failed, skipped) {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  lines.push(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const node = process.execPath;
const check = (label, args) => {
  const ok = run(label, 'npm', ['run', '--silent', ...args]) === 0;
  count(label, ok ? 1 : 0, ok ? 0 : 1, 0);
};
check('typecheck', ['typecheck']);
check('lint', ['lint']);

for (const project of ['unit', 'integration']) {
  const out = `${REPORTS}/vitest-${project}.json`;
  const status = run(project, node, [
    'node_modules/vitest/vitest.mjs', 'run', '--project', project,
    '--reporter=default', '--reporter=json', `--outputFile.json=${out}`,
  ]);
  const report = readJson(out);
  if (!report) count(project, 0, 1, 0);
  else {
    const failed = report.numFailedTests + (status !== 0 && report.numFailedTests === 0 ? 1 : 0);
    count(project, report.numPassedTests, failed, report.numPendingTests + report.numTodoTests);
  }
}

{
  // The Python side (python/: ten_runtime, the bridge, the testers), with pytest through real
  // processes; counts from its JUnit report.
  const out = `${REPORTS}/pytest.xml`;
  const python = process.env.TEN_STUDIO_PYTHON || 'python3';
  // A missing test dependency is one clear line, not pytest's (or Python's) traceback.
  const missing = spawnSync(python, ['-c', 'import pytest, pydantic; assert int(pydantic.VERSION.split(".")[0]) >= 2'], { stdio: 'ignore' }).status !== 0;
  if (missing) console.log(`\n━━ python ━━\n${python} lacks pytest or pydantic 2: pip install -r python/requirements-test.txt (or set TEN_STUDIO_PYTHON)`);
  const status = missing ? 1 : run('python', python, ['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider', `--junitxml=${out}`]);
  let xml = '';
  try {
    xml = readFileSync(out, 'utf8');
  } catch {
    xml = '';
  }
  const m = /<testsuite[^>]*\berrors="(\d+)"[^>]*\bfailures="(\d+)"[^>]*\bskipped="(\d+)"[^>]*\btests="(\d+)"/.exec(xml);
  if (!m) count('python', 0, 1, 0);
  else {
    const [errors, failures, skipped, tests] = m.slice(1).map(Number);
    const failed = errors + failures + (status !== 0 && errors + failures === 0 ? 1 : 0);
    count('python', tests - errors - failures - skipped, failed, skipped);
  }
}

{
  const out = `${REPORTS}/playwright.json`;
  const status = run('e2e', node, ['scripts/test-e2e.mjs', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
  });
  const stats = readJson(out)?.stats;
  if (!stats) count('e2e', 0, 1, 0);
  else {
    const failed = stats.unexpected + (status !== 0 && stats.unexpected === 0 ? 1 : 0);
    count('e2e', stats.expected + stats.flaky, failed, stats.skipped);
  }
}

console.log('\n' + lines.join('\n'));
console.log(`${totals.skipped} skipped`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
