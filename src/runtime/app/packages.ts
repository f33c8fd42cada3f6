/**
 * Finds extension packages on disk: `<appDir>/ten_packages/extension/<name>/` and every
 * `addonDirs` entry (a package folder itself, or a folder of package folders). The addon name is
 * the manifest's `name` (else the folder name). The entry is the package's built `main` when
 * that file exists, otherwise its TypeScript source, compiled on load.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseJsonText } from '../../shared/json/text';

export interface AddonPackage {
  name: string;
  dir: string;
  entry: string;
  api: Record<string, unknown>;
  property: Record<string, unknown>;
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
  const v: unknown = parseJsonText(readFileSync(file, 'utf8'));
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

function loadPackage(dir: string): AddonPackage | null {
  const manifest = readJson(join(dir, 'manifest.json'));
  if (!manifest) return null;
  if (manifest.type !== undefined && manifest.type !== 'extension') return null;
  const entry = entryOf(dir);
  if (!entry) return null;
  const name = typeof manifest.name === 'string' ? manifest.name : (dir.split('/').pop() ?? dir);
  const api = manifest.api && typeof manifest.api === 'object' ? (manifest.api as Record<string, unknown>) : {};
  return { name, dir, entry, api, property: readJson(join(dir, 'property.json')) ?? {} };
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
