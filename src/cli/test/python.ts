/**
 * `ten-studio test <extension-dir>` for a Python extension: what TEN's `tests/bin/start` does
 * after `tman install --standalone`, on the studio's runtime.
 *
 * - The `.ten/app` layout `tman install --standalone` creates is laid out in a temporary folder
 *   (removed afterwards, nothing is written into the extension): `ten_packages/extension/<name>`
 *   is the extension itself, `ten_packages/system/ten_runtime_python` is the studio's
 *   `ten_runtime`, and every other system package the extension depends on comes from the
 *   extension's own `.ten/app` (an earlier `tman install`), the app it sits in
 *   (`<app>/ten_packages/system`), or `--system DIR` / `TEN_STUDIO_SYSTEM_PACKAGES` (folders of
 *   packages, or packages).
 * - PYTHONPATH: the folders the package's own `tests/bin/start` adds besides the `.ten/app` ones
 *   (TEN's AI extensions add the extension's folder or its parent, `"$(pwd)/.."`, so that tests
 *   can `import <name>`), the app folder, then each system package's `interface/` folder (the
 *   package folder itself when it has none, as for `pytest_ten`), then the caller's.
 * - Then `<python> -m pytest -s tests/ <args>` in the extension folder, with the caller's
 *   environment (PYTEST_ADDOPTS included) and pytest's own output; the exit code is pytest's
 *   (0 iff every test passed). The testers' runtime session (a node child of pytest) ends with
 *   pytest.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPython, studioPythonDir } from '../../runtime/app/python';
import { readFileText, readRegularTextSync } from '../../runtime/core/regular_file';
import { parseJsonText } from '../../shared/json/text';
import { UsageError } from '../args';
import type { TestRunner } from './runners';

export interface PythonTestOptions {
  /** The extension folder (holds manifest.json and tests/). */
  dir: string;
  /** Extra folders of system packages. */
  system: string[];
  /** Interpreter (default TEN_STUDIO_PYTHON, else python3). */
  python?: string;
  /** Arguments for pytest. */
  pytestArgs: string[];
}

interface Manifest {
  name?: unknown;
  dependencies?: { type?: unknown; name?: unknown }[];
}

const CLI = fileURLToPath(new URL('../../../bin/ten-studio.mjs', import.meta.url));

function readManifest(dir: string): Manifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new UsageError(`${dir} has no manifest.json: not a TEN package.`);
  return parseJsonText(readFileText(file)) as Manifest;
}

/** Where a system package named `name` can be found, if anywhere. */
function findSystemPackage(name: string, extDir: string, extra: readonly string[]): string | null {
  const candidates: string[] = [join(extDir, '.ten', 'app', 'ten_packages', 'system', name)];
  const extRoot = dirname(extDir);
  if (basename(extRoot) === 'extension' && basename(dirname(extRoot)) === 'ten_packages') candidates.push(join(dirname(extRoot), 'system', name));
  for (const d of extra) candidates.push(join(d, name), d);
  for (const c of candidates) {
    const m = join(c, 'manifest.json');
    if (!existsSync(m)) continue;
    try {
      const man = parseJsonText(readRegularTextSync(m)) as Manifest;
      if (man.name === name || (man.name === undefined && basename(c) === name)) return c;
    } catch {
      // An unreadable manifest is not the package asked for.
    }
  }
  return null;
}

/**
 * The folders a package's `tests/bin/start` puts on PYTHONPATH other than those of `.ten/app` (the
 * layout gives those) and the caller's `$PYTHONPATH`: entries of its `export PYTHONPATH=` lines,
 * relative to the package folder (the script `cd`s there), `$(pwd)`/`$PWD` being that folder.
 * Entries naming other variables are left out.
 */
export function startScriptPaths(extDir: string): string[] {
  const file = join(extDir, 'tests', 'bin', 'start');
  if (!existsSync(file)) return [];
  const text = readRegularTextSync(file).replace(/\\\r?\n/g, '');
  const paths: string[] = [];
  for (const m of text.matchAll(/^\s*export\s+PYTHONPATH=(.*)$/gm)) {
    const value = m[1]!.trim().replace(/["']/g, '');
    for (const raw of value.split(':')) {
      const entry = raw.trim().replace(/\$\(pwd\)|\$\{PWD\}|\$PWD\b/g, extDir);
      if (entry === '' || entry.includes('$')) continue;
      const abs = resolve(extDir, entry);
      const rel = relative(extDir, abs);
      if (rel === '.ten' || rel.startsWith(`.ten${sep}`)) continue;
      if (!paths.includes(abs)) paths.push(abs);
    }
  }
  return paths;
}

/** Lays out `.ten/app` in `root`; returns the PYTHONPATH entries in TEN's order. */
export function layOutStandaloneApp(root: string, extDir: string, manifest: Manifest, extra: readonly string[], log: (line: string) => void): string[] {
  const name = typeof manifest.name === 'string' ? manifest.name : basename(extDir);
  const app = join(root, '.ten', 'app');
  const extension = join(app, 'ten_packages', 'extension');
  const system = join(app, 'ten_packages', 'system');
  mkdirSync(extension, { recursive: true });
  mkdirSync(system, { recursive: true });
  symlinkSync(extDir, join(extension, name), 'dir');
  const runtimePkg = join(system, 'ten_runtime_python');
  mkdirSync(runtimePkg);
  symlinkSync(studioPythonDir(), join(runtimePkg, 'interface'), 'dir');
  const paths = [app, join(runtimePkg, 'interface')];
  const missing: string[] = [];
  for (const dep of manifest.dependencies ?? []) {
    if (dep.type !== 'system' || typeof dep.name !== 'string' || dep.name === 'ten_runtime_python' || dep.name === 'ten_runtime') continue;
    const found = findSystemPackage(dep.name, extDir, extra);
    if (!found) {
      missing.push(dep.name);
      continue;
    }
    symlinkSync(found, join(system, dep.name), 'dir');
    const iface = join(system, dep.name, 'interface');
    paths.push(existsSync(iface) ? iface : join(system, dep.name));
  }
  // Packages given with --system that the manifest does not list (pytest_ten is often a dev dependency).
  for (const d of extra) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    const dirs = existsSync(join(d, 'manifest.json')) ? [d] : readdirSync(d).map((e) => join(d, e)).filter((e) => existsSync(join(e, 'manifest.json')));
    for (const pkg of dirs) {
      const link = join(system, basename(pkg));
      if (existsSync(link)) continue;
      symlinkSync(pkg, link, 'dir');
      const iface = join(link, 'interface');
      paths.push(existsSync(iface) ? iface : link);
    }
  }
  if (missing.length > 0) {
    log(`ten-studio test: system package(s) ${missing.join(', ')} not found (looked in the extension's .ten/app, its app, --system and TEN_STUDIO_SYSTEM_PACKAGES); tests importing them will fail.`);
  }
  return paths;
}

export async function testPython(opts: PythonTestOptions): Promise<number> {
  const dir = resolve(opts.dir);
  const manifest = readManifest(dir);
  const exe = opts.python ?? process.env.TEN_STUDIO_PYTHON ?? 'python3';
  checkPython(exe, opts.python ? '--python' : process.env.TEN_STUDIO_PYTHON ? 'TEN_STUDIO_PYTHON' : 'the default');
  const extra = [...opts.system, ...(process.env.TEN_STUDIO_SYSTEM_PACKAGES ?? '').split(delimiter).filter(Boolean)].map((d) => resolve(d));
  const root = mkdtempSync(join(tmpdir(), 'ten-studio-test-'));
  try {
    const paths = [...startScriptPaths(dir), ...layOutStandaloneApp(root, dir, manifest, extra, (l) => process.stderr.write(`${l}\n`))];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.PYTHONPATH = [...paths, ...(env.PYTHONPATH ? env.PYTHONPATH.split(delimiter) : [])].join(delimiter);
    env.TEN_STUDIO_NODE = process.execPath;
    env.TEN_STUDIO_CLI = CLI;
    const child = spawn(exe, ['-m', 'pytest', '-s', 'tests/', ...opts.pytestArgs], { cwd: dir, env, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const code = await new Promise<number>((r) => {
      child.on('error', (e) => {
        process.stderr.write(`ten-studio test: could not run ${exe}: ${e.message}\n`);
        r(1);
      });
      child.on('close', (c, signal) => r(c ?? (signal ? 1 : 0)));
    });
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    return code;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The runner `ten-studio test` uses for Python packages. */
export const pythonRunner: TestRunner = {
  describe: 'Python (pytest)',
  run: (pkg, opts) => testPython({ dir: pkg.dir, system: opts.system, python: opts.python, pytestArgs: opts.extraArgs }),
};
