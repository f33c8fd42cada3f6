/**
 * `ten-studio conformance <dir>` (also `npm run conformance -- <dir>`): runs every case of
 * `<dir>/cases.json`, prints one line per failing case and a final `N passed, N failed` line.
 * Exit 0 when all pass, 1 when any fails, 2 when the directory cannot be read.
 */
import { modelPath, nodeFiles } from '../host';
import { runConformance } from '../shared';
import { UsageError, type ParsedArgs } from './args';

/** Runs `conformance`; returns the exit code. */
export async function conformance(args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0];
  if (dir === undefined) throw new UsageError('missing <dir> (a folder with cases.json and cases/<id>/)');
  const results = await runConformance(modelPath(dir), nodeFiles);
  if (typeof results === 'string') {
    process.stderr.write(`ten-studio conformance: ${results}\n`);
    return 2;
  }
  let passed = 0;
  for (const r of results) {
    if (r.passed) passed++;
    else process.stdout.write(`FAIL ${r.id}: ${r.reason}\n`);
  }
  const failed = results.length - passed;
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
