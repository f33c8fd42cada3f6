/**
 * `ten-studio test <package-dir> [--no-install] [-- <test framework args>]`: runs a TEN
 * package's own tests with ten-graph-studio's runtime in place of TEN's, the way the package's
 * `tests/bin/start` would, prints the test framework's own output and summary, and exits with
 * its exit code (0 iff every test passed). The runner is chosen by the package's language
 * (runners.ts).
 */
import { UsageError, type ParsedArgs } from '../args';
import { readTenPackage } from './package';
import { RUNNERS } from './runners';

export async function test(args: ParsedArgs): Promise<number> {
  const [dir, ...extraArgs] = args.positionals;
  if (!dir) throw new UsageError('which package? Usage: ten-studio test <package-dir> [--no-install] [-- <test framework args>]');
  const pkg = readTenPackage(dir);
  const runner = RUNNERS.find((r) => r.detect(pkg));
  if (!runner) {
    throw new UsageError(
      `cannot tell how to test ${pkg.dir}: its manifest depends on none of ${RUNNERS.map((r) => r.language).join(', ')} ` +
        '(e.g. a system dependency on ten_runtime_nodejs), and it has no tests/package.json.',
    );
  }
  process.stderr.write(`ten-studio test: ${pkg.name} (${runner.language}) in ${pkg.dir}\n`);
  return runner.run(pkg, { noInstall: args.options.get('no-install') === true, extraArgs });
}
