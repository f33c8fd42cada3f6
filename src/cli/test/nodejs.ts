/**
 * Node.js packages: runs `tests/` the way TEN's `tests/bin/start` does — `npm run build`, then
 * `npm test` (mocha with ts-node/esm, as the package's `tests/package.json` configures) — with
 * our `ten-runtime-nodejs` in place of TEN's.
 *
 * Before that it sets the package up as `tman install --standalone` and the package's own
 * scripts would (TEN's standalone test flow), changing only what is missing or points elsewhere:
 * - the standalone app `.ten/app`: its manifest (type app), the package linked in as
 *   `ten_packages/extension/<name>`, and `ten_packages/system/ten_runtime_nodejs` linked to our
 *   built package (out/ten-runtime-nodejs, built first when stale). A TEN runtime found there is
 *   moved aside to `.ten/app/ten_packages/.ten_runtime_nodejs.replaced` (`tman install
 *   --standalone` makes it anew);
 * - `node_modules/ten-runtime-nodejs` of the package and of `tests/` (what `npm run
 *   standalone-install` and the `file:` dependency of tests/package.json create), linked to it;
 * - npm dependencies that do not resolve (Node's lookup, parent folders included): installed
 *   with `npm run standalone-install` in the package when it has that script (TEN's way: a
 *   plain `npm install` fails on the package's app-relative `file:` dependency), else
 *   `npm install`, and `npm install` in `tests/`. `--no-install` reports them instead;
 * - the package's own `npm run build`, so `build/index.js` is current.
 * `TEN_APP_BASE_DIR` is set to the standalone app for the test run.
 */
import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildRuntimePackage } from '../runtime-package';
import { readFileText } from '../../runtime/core/regular_file';
import { readPackageJson, type NpmPackageJson, type TenPackage } from './package';
import { runStep } from './process';
import type { TestOptions, TestRunner } from './runners';

const RUNTIME_NAME = 'ten-runtime-nodejs';

function say(text: string): void {
  process.stderr.write(`ten-studio test: ${text}\n`);
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  return isLink(path) || existsSync(path);
}

/**
 * Makes `link` a relative symlink to `target` unless it already resolves there. Something else
 * in its place is replaced: a link, or (in node_modules, which npm rebuilds) a folder.
 */
function ensureLink(link: string, target: string, what: string): void {
  if (realOrNull(link) === realOrNull(target)) return;
  if (exists(link)) {
    if (!isLink(link) && !link.includes('/node_modules/')) throw new Error(`${link} is a folder, not a link; move it away to test with ten-studio's runtime.`);
    rmSync(link, { recursive: true, force: true });
  }
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(relative(dirname(link), target), link);
  say(`linked ${what}: ${link} -> ${target}`);
}

/** The standalone app of the package, set up to run it on our runtime; returns its folder. */
function ensureStandaloneApp(pkg: TenPackage, runtimeDir: string): string {
  const app = join(pkg.dir, '.ten', 'app');
  const manifest = join(app, 'manifest.json');
  if (existsSync(manifest)) {
    const type = (JSON.parse(readFileText(manifest)) as { type?: unknown }).type;
    if (type !== 'app') throw new Error(`${manifest} is not an app manifest (type ${JSON.stringify(type)}).`);
  } else {
    mkdirSync(app, { recursive: true });
    const m = { type: 'app', name: 'ten_standalone_app', version: '0.1.0', dependencies: [{ type: 'extension', name: pkg.name, version: '*' }] };
    writeFileSync(manifest, `${JSON.stringify(m, null, 2)}\n`);
    say(`created the standalone app ${app}`);
  }
  ensureLink(join(app, 'ten_packages', 'extension', pkg.name), pkg.dir, 'the package into its standalone app');
  const system = join(app, 'ten_packages', 'system', 'ten_runtime_nodejs');
  if (exists(system) && !isLink(system)) {
    const aside = join(app, 'ten_packages', '.ten_runtime_nodejs.replaced');
    rmSync(aside, { recursive: true, force: true });
    renameSync(system, aside);
    say(`moved TEN's ten_runtime_nodejs aside to ${aside} (tman install --standalone restores it)`);
  }
  ensureLink(system, runtimeDir, "ten-studio's runtime as ten_runtime_nodejs");
  return app;
}

/** Whether Node finds package `name` from `dir` (its node_modules, then each parent's). */
function resolvable(dir: string, name: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (!d.endsWith('/node_modules') && existsSync(join(d, 'node_modules', name, 'package.json'))) return true;
    if (dirname(d) === d) return false;
  }
}

function missingDependencies(dir: string, pkg: NpmPackageJson): string[] {
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => n !== RUNTIME_NAME);
  return names.filter((n) => !resolvable(dir, n));
}

async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  say(`npm ${args.join(' ')}  (in ${cwd})`);
  const r = await runStep('npm', args, cwd, env);
  if (r.leftovers) say(`processes left running by npm ${args.join(' ')} were stopped`);
  return r.code;
}

class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly code: number,
  ) {
    super(`${step} failed (exit code ${code})`);
  }
}

async function step(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const code = await npm(args, cwd, env);
  if (code !== 0) throw new StepFailed(`npm ${args.join(' ')} in ${cwd}`, code);
}

async function installIfMissing(dir: string, pkg: NpmPackageJson, opts: TestOptions, env: NodeJS.ProcessEnv, standalone: boolean): Promise<boolean> {
  const missing = missingDependencies(dir, pkg);
  if (missing.length === 0) return false;
  if (opts.noInstall) throw new Error(`${dir}: dependencies not installed: ${missing.join(', ')} (run without --no-install to install them)`);
  say(`${dir}: installing ${missing.join(', ')}`);
  const args = standalone && pkg.scripts?.['standalone-install'] ? ['run', 'standalone-install'] : ['install', '--no-audit', '--no-fund'];
  await step(args, dir, env);
  return true;
}

export const nodejsRunner: TestRunner = {
  describe: 'Node.js (mocha)',

  async run(pkg, opts) {
    const testsDir = join(pkg.dir, 'tests');
    const tests = readPackageJson(testsDir);
    if (!tests) {
      say(`${pkg.name} has no tests: ${join(testsDir, 'package.json')} is missing (TEN's layout: tests/package.json with mocha).`);
      return 1;
    }
    if (!tests.scripts?.test) {
      say(`${join(testsDir, 'package.json')} has no "test" script to run.`);
      return 1;
    }
    try {
      const built = await buildRuntimePackage();
      if (built.built) say(`built ten-runtime-nodejs in ${built.ms} ms (${built.dir})`);
      const app = ensureStandaloneApp(pkg, built.dir);
      const system = join(app, 'ten_packages', 'system', 'ten_runtime_nodejs');
      const env: NodeJS.ProcessEnv = { ...process.env, TEN_APP_BASE_DIR: app };
      const link = (): void => {
        if (pkg.packageJson) ensureLink(join(pkg.dir, 'node_modules', RUNTIME_NAME), system, `${RUNTIME_NAME} for the package`);
        ensureLink(join(testsDir, 'node_modules', RUNTIME_NAME), system, `${RUNTIME_NAME} for its tests`);
      };
      link();
      let installed = false;
      if (pkg.packageJson) installed = await installIfMissing(pkg.dir, pkg.packageJson, opts, env, true);
      installed = (await installIfMissing(testsDir, tests, opts, env, false)) || installed;
      // npm may have put its own link (to where the package.json said) in place of ours.
      if (installed) link();
      if (pkg.packageJson?.scripts?.build) await step(['run', 'build'], pkg.dir, env);
      if (tests.scripts.build) await step(['run', 'build'], testsDir, env);
      const args = ['test', ...(opts.extraArgs.length ? ['--', ...opts.extraArgs] : [])];
      say(`npm ${args.join(' ')}  (in ${testsDir})`);
      const r = await runStep('npm', args, testsDir, env);
      if (r.leftovers) say('processes the tests left running were stopped');
      return r.code;
    } catch (e) {
      if (e instanceof StepFailed) {
        say(e.message);
        return e.code || 1;
      }
      say(e instanceof Error ? e.message : String(e));
      return 1;
    }
  },
};
