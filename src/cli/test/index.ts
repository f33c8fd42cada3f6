/**
 * `ten-studio test <package-dir> [--no-install] [--system DIR[,DIR]] [--python EXE] [runner args…]`:
 * runs a TEN package's own tests with ten-graph-studio's runtime in place of TEN's, the way the
 * package's `tests/bin/start` would, prints the test framework's own output and summary, and
 * exits with its exit code (0 iff every test passed). The runner is chosen by the package's
 * language (runners.ts). Every argument after the folder that is not one of ours goes to the
 * test framework, as `tests/bin/start "$@"` passes it on (`--` ends ours explicitly).
 */
import { delimiter } from 'node:path';
import { UsageError } from '../args';
import { LANGUAGE_LABEL, type PackageLanguage } from '../../shared/manifest/language';
import { readTenPackage } from './package';
import { RUNNERS, type TestOptions } from './runners';

const USAGE = 'ten-studio test <package-dir> [--no-install] [--system DIR[,DIR]] [--python EXE] [test framework args…]';

/** Splits our options from the test framework's arguments. */
export function parseTestArgs(argv: readonly string[]): { dir: string; opts: TestOptions } {
  const [dir, ...rest] = argv;
  if (!dir || dir.startsWith('-')) throw new UsageError(`which package? Usage: ${USAGE}`);
  const opts: TestOptions = { noInstall: false, system: [], extraArgs: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      opts.extraArgs.push(...rest.slice(i + 1));
      break;
    }
    if (a === '--no-install') {
      opts.noInstall = true;
      continue;
    }
    const m = /^--(system|python)(?:=(.*))?$/.exec(a);
    if (!m) {
      opts.extraArgs.push(a);
      continue;
    }
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value.`);
    if (m[1] === 'system') opts.system.push(...value.split(',').flatMap((v) => v.split(delimiter)).filter(Boolean));
    else opts.python = value;
  }
  return { dir, opts };
}

export async function test(argv: readonly string[]): Promise<number> {
  const { dir, opts } = parseTestArgs(argv);
  const pkg = readTenPackage(dir);
  const runner = RUNNERS[pkg.language];
  if (!runner) {
    const languages = Object.keys(RUNNERS).map((l) => LANGUAGE_LABEL[l as PackageLanguage]);
    throw new UsageError(`${pkg.dir} is ${pkg.language === 'unknown' ? 'in a language not recognised' : `a ${LANGUAGE_LABEL[pkg.language]} package`}; ten-studio test runs ${languages.join(', ')} packages' tests.`);
  }
  process.stderr.write(`ten-studio test: ${pkg.name} (${runner.describe}) in ${pkg.dir}\n`);
  return runner.run(pkg, opts);
}
