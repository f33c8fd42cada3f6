/**
 * `ten-studio test <extension-dir> [--system DIR[,DIR]] [--python EXE] [pytest/mocha args…]`: runs
 * an extension's own tests the way TEN's `tests/bin/start` does, by the package's language.
 * Everything after the folder that is not one of our options goes to the test runner.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { isPythonPackage } from '../runtime/app/packages';
import { parseJsonText } from '../shared/json/text';
import { UsageError } from './args';
import { testPython } from './test_python';

const OURS = ['system', 'python'];

export async function test(argv: readonly string[]): Promise<number> {
  const [dirArg, ...rest] = argv;
  if (!dirArg || dirArg.startsWith('-')) throw new UsageError('test needs the extension folder: ten-studio test <extension-dir> [runner args…]');
  const dir = resolve(dirArg);
  const opts: Record<string, string[]> = { system: [], python: [] };
  const runnerArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      runnerArgs.push(...rest.slice(i + 1));
      break;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(a);
    if (m && OURS.includes(m[1]!)) {
      const value = m[2] ?? rest[++i];
      if (value === undefined) throw new UsageError(`--${m[1]} needs a value.`);
      if (m[1] === 'system') opts.system!.push(...value.split(',').flatMap((v) => v.split(delimiter)).filter(Boolean));
      else opts.python!.push(value);
      continue;
    }
    runnerArgs.push(a);
  }
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new UsageError(`${dir} has no manifest.json: not a TEN extension package.`);
  const manifest = parseJsonText(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  if (isPythonPackage(dir, manifest)) return testPython({ dir, system: opts.system!, python: opts.python!.at(-1), pytestArgs: runnerArgs });
  throw new UsageError(`${dir} is not a Python extension (no ten_runtime_python dependency, no addon.py); tests of other packages are not supported here yet.`);
}
