/**
 * Finds extension packages on disk: `<appDir>/ten_packages/extension/<name>/` and every
 * `addonDirs` entry (a package folder itself, or a folder of package folders). The addon name is
 * the manifest's `name` (else the folder name).
 *
 * A package is Python when its manifest depends on `ten_runtime_python` or it has an `addon.py`
 * (TEN's layout); it is then imported in the group's Python process as
 * `ten_packages.extension.<folder>`. Otherwise its entry is the package's built `main` when that
 * file exists, else its TypeScript source, compiled on load.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseJsonText } from '../../shared/json/text';
import { readFileText } from '../core/regular_file';

export interface AddonPackage {
  name: string;
  dir: string;
  /** The module to import (TypeScript/JavaScript); '' for a Python package. */
  entry: string;
  api: Record<string, unknown>;
  property: Record<string, unknown>;
  /** The language the package is written in. */
  runtime: 'nodejs' | 'python';
  /** Python: the module registering the addon. */
  pyModule?: string;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readJson(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  // A FIFO or a device named manifest.json is refused, saying so, instead of hanging the run.
  const v: unknown = parseJsonText(readFileText(file));
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function entryOf(dir: string): string | null {
  const pkg = readJson(join(dir, 'package.json'));
  if (pkg && typeof pkg.main === 'string') {
    const main = resolve(dir, pkg.main);
    if (existsSync(main)) return main;
  }
  for (const c of ['src/index.ts', 'index.ts', 'src/index.mts', 'build/index.js', 'src/index.js', 'index.js']) {
    const f = join(dir, c);
    if (existsSync(f)) return f;
  }
  return null;
}

/** TEN's marks of a Python extension package. */
export function isPythonPackage(dir: string, manifest: Record<string, unknown>): boolean {
  const deps = Array.isArray(manifest.dependencies) ? (manifest.dependencies as { name?: unknown }[]) : [];
  if (deps.some((d) => d && d.name === 'ten_runtime_python')) return true;
  return existsSync(join(dir, 'addon.py'));
}

/** A Python package registers its addon from `addon.py` or its `__init__.py`. */
export function hasPythonEntry(dir: string): boolean {
  return existsSync(join(dir, 'addon.py')) || existsSync(join(dir, '__init__.py'));
}

function loadPackage(dir: string): AddonPackage | null {
  const manifest = readJson(join(dir, 'manifest.json'));
  if (!manifest) return null;
  if (manifest.type !== undefined && manifest.type !== 'extension') return null;
  const name = typeof manifest.name === 'string' ? manifest.name : (dir.split('/').pop() ?? dir);
  const api = manifest.api && typeof manifest.api === 'object' ? (manifest.api as Record<string, unknown>) : {};
  const property = readJson(join(dir, 'property.json')) ?? {};
  if (isPythonPackage(dir, manifest)) {
    // TEN imports the package to register its addon: without Python code nothing registers.
    if (!hasPythonEntry(dir)) return null;
    return { name, dir, entry: '', api, property, runtime: 'python', pyModule: `ten_packages.extension.${basename(dir)}` };
  }
  const entry = entryOf(dir);
  if (!entry) return null;
  return { name, dir, entry, api, property, runtime: 'nodejs' };
}

/** Scans the app and addon directories; later directories win on duplicate names. */
export function discoverAddons(appDir: string | undefined, addonDirs: readonly string[]): Map<string, AddonPackage> {
  const found = new Map<string, AddonPackage>();
  const roots = [...(appDir ? [join(appDir, 'ten_packages', 'extension')] : []), ...addonDirs];
  for (const root of roots) {
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    const self = loadPackage(root);
    if (self) {
      found.set(self.name, self);
      continue;
    }
    for (const e of readdirSync(root, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      // A package linked in (tman links the extension under test into its standalone app) is a
      // symlink to a folder.
      if (!e.isDirectory() && !(e.isSymbolicLink() && isDirectory(join(root, e.name)))) continue;
      const p = loadPackage(join(root, e.name));
      if (p) found.set(p.name, p);
    }
  }
  return found;
}

/**
 * What a Python process needs on `sys.path` for these packages, as TEN's start scripts set it:
 * for a package inside an app (`<app>/ten_packages/extension/<name>`), the app folder and each of
 * its system packages' `interface/` folders (e.g. `ten_ai_base`).
 */
export function pythonPathsFor(packageDirs: readonly string[]): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (!out.includes(p)) out.push(p);
  };
  for (const dir of packageDirs) {
    const extRoot = dirname(dir);
    if (basename(extRoot) !== 'extension' || basename(dirname(extRoot)) !== 'ten_packages') continue;
    const app = dirname(dirname(extRoot));
    const system = join(app, 'ten_packages', 'system');
    if (existsSync(system)) {
      for (const e of readdirSync(system, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (!e.isDirectory() && !e.isSymbolicLink()) continue;
        const iface = join(system, e.name, 'interface');
        if (existsSync(iface)) add(iface);
      }
    }
    add(app);
  }
  return out;
}
