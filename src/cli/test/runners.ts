/**
 * Test runners by package language (src/shared/manifest/language.ts decides a package's
 * language: the runtime its manifest depends on, else its files). `ten-studio test <dir>` runs a
 * package with the runner of its language; another language is one more entry in RUNNERS.
 */
import type { PackageLanguage } from '../../shared/manifest/language';
import type { TenPackage } from './package';
import { nodejsRunner } from './nodejs';
import { pythonRunner } from './python';

export interface TestOptions {
  /** Never run `npm install` (or another installer): fail if a dependency is missing. */
  noInstall: boolean;
  /** Extra arguments for the test framework (every argument after the folder not ours). */
  extraArgs: string[];
  /** Python: folders of TEN system packages (ten_ai_base, pytest_ten…), or packages. */
  system: string[];
  /** Python: the interpreter (default TEN_STUDIO_PYTHON, else python3). */
  python?: string;
}

export interface TestRunner {
  /** What the runner runs, as the user would say it: `Node.js (mocha)`. */
  describe: string;
  /** Runs the package's tests with our runtime in place of TEN's; resolves with the exit code. */
  run(pkg: TenPackage, opts: TestOptions): Promise<number>;
}

export const RUNNERS: Partial<Record<PackageLanguage, TestRunner>> = {
  typescript: nodejsRunner,
  python: pythonRunner,
};
