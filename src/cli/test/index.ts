/**
 * `ten-studio test <package-dir> [--no-install] [-- <test framework args>]`: runs a TEN
 * package's own tests with ten-graph-studio's runtime in place of TEN's, the way the package's
 * `tests/bin/start` would, prints the test framework's own output and summary, and exits with
 * its exit code (0 iff every test passed). The runner is chosen by the package's language
 * (runners.ts).
 */
import { UsageError, type ParsedArgs } from '../args';
import { LANGUAGE_LABEL, type PackageLanguage } from '../../shared/manifest/language';
import { readTenPackage } from './package';
import { RUNNERS } from './runners';

export async function test(args: ParsedArgs): Promise<number> {
  const [dir, ...extraArgs] = args.positionals;
  if (!dir) throw new UsageError('which package? Usage: ten-studio test <package-dir> [--no-install] [-- <test framework args>]');
  const pkg = readTenPackage(dir);
  const runner = RUNNERS[pkg.language];
  if (!runner) {
    const languages = Object.keys(RUNNERS).map((l) => LANGUAGE_LABEL[l as PackageLanguage]);
    throw new UsageError(`${pkg.dir} is ${pkg.language === 'unknown' ? 'in a language not recognised' : `a ${LANGUAGE_LABEL[pkg.language]} package`}; ten-studio test runs ${languages.join(', ')} packages' tests.`);
  }
  process.stderr.write(`ten-studio test: ${pkg.name} (${runner.describe}) in ${pkg.dir}\n`);
  return runner.run(pkg, { noInstall: args.options.get('no-install') === true, extraArgs });
}
