/**
 * Test runners by package language. `ten-studio test <dir>` reads the package and runs it with
 * the first runner whose `detect` accepts it; another language is one more entry in RUNNERS.
 */
import type { TenPackage } from './package';
import { nodejsRunner } from './nodejs';

export interface TestOptions {
  /** Never run `npm install` (or another installer): fail if a dependency is missing. */
  noInstall: boolean;
  /** Extra arguments for the test framework (after `--` on the command line). */
  extraArgs: string[];
}

export interface TestRunner {
  /** As the user would say it: `nodejs`, `python`. */
  language: string;
  /** Whether this runner runs the package's tests (from its manifest and files). */
  detect(pkg: TenPackage): boolean;
  /** Runs the tests with our runtime in place of TEN's; resolves with the exit code. */
  run(pkg: TenPackage, opts: TestOptions): Promise<number>;
}

export const RUNNERS: TestRunner[] = [nodejsRunner];
