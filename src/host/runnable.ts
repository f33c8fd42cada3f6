/**
 * Which extension packages the studio's runtime can run, and why a node cannot: its package is in
 * a language the runtime does not run (`canRunHere` in `shared/manifest/language.ts`), has no
 * entry file, or is not installed at all (declared in the app's manifest or not). The palette
 * shows it per package, and a run refuses to start with one line per node that cannot, instead
 * of the runtime's first "not installed".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { discoverAddons, type AddonPackage } from '../runtime/app/packages';
import { readRegularTextSync } from '../runtime/core/regular_file';
import { languageBlocker, packageLanguage, parseJsonText, type PackageLanguage, type TenAppProperty, type TenManifest } from '../shared';

export interface PackageRunnability {
  language: PackageLanguage;
  runsHere: boolean;
  /** Why not, when it does not run here. */
  cannotRun?: string;
}

export interface NodeBlocker {
  node: string;
  addon: string;
  reason: string;
}

const NO_ENTRY = 'it has no entry file (src/index.ts, index.ts, or the file package.json "main" names)';
const NO_PYTHON_ENTRY = 'it has no Python code to register its addon (addon.py or __init__.py)';

function readManifest(dir: string): TenManifest | null {
  try {
    const v = parseJsonText(readRegularTextSync(join(dir, 'manifest.json'))) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as TenManifest) : null;
  } catch {
    return null;
  }
}

/** Names in the package folder and in its `src/` (as `src/<name>`), for `packageLanguage`. */
function packageFiles(dir: string): string[] {
  const list = (d: string, prefix: string) => {
    try {
      return readdirSync(d).map((n) => prefix + n);
    } catch {
      return [];
    }
  };
  return [...list(dir, ''), ...list(join(dir, 'src'), 'src/')];
}

/** The language of the package in `dir` and whether it runs here (`discovered`: the runtime found it with an entry). */
export function packageRunnability(dir: string | undefined, manifest: TenManifest | undefined, discovered: boolean): PackageRunnability {
  const language = packageLanguage(manifest, dir ? packageFiles(dir) : []);
  const blocker = languageBlocker(language);
  if (blocker) return { language, runsHere: false, cannotRun: blocker };
  if (!discovered) return { language, runsHere: false, cannotRun: language === 'python' ? NO_PYTHON_ENTRY : NO_ENTRY };
  return { language, runsHere: true };
}

/** Extension package folders of an app, by the addon name their manifest gives (else the folder's). */
function appPackageDirs(appDir: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!appDir) return out;
  const root = join(appDir, 'ten_packages', 'extension');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of names) {
    const dir = join(root, name);
    if (name.startsWith('.') || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
    const manifest = readManifest(dir);
    if (manifest?.type !== undefined && manifest.type !== 'extension') continue;
    out.set(typeof manifest?.name === 'string' ? manifest.name : name, dir);
  }
  return out;
}

/** Why an addon the runtime did not find is missing, from what the app's manifest declares. */
function notInstalled(addon: string, appDir: string | undefined): string {
  const manifest = appDir ? readManifest(appDir) : null;
  for (const dep of manifest?.dependencies ?? []) {
    if ('path' in dep && typeof dep.path === 'string' && basename(dep.path) === addon) {
      return `not installed: the app's manifest.json points to ${dep.path}, which ${existsSync(join(appDir!, dep.path)) ? 'has no extension package' : 'does not exist'}`;
    }
    if ('name' in dep && dep.name === addon) {
      return "not installed: the app's manifest.json depends on it, but ten_packages/extension has no such package (install the app's dependencies, e.g. with tman install)";
    }
  }
  return appDir
    ? "not installed: neither a package of this app (ten_packages/extension) nor one of the studio's built-in addons"
    : "not installed: not one of the studio's built-in addons (a document without an app folder has no packages of its own)";
}

interface GraphNode {
  type?: unknown;
  name?: unknown;
  addon?: unknown;
  app?: unknown;
}

/**
 * The nodes of `graphs` (predefined graphs of `property`, written inline) that the runtime cannot
 * start, with the reason for each. `appDir` and `addonDirs` are what the run's `App` gets.
 */
export function runBlockers(
  property: TenAppProperty,
  graphs: readonly string[],
  appDir: string | undefined,
  addonDirs: readonly string[],
): { blockers: NodeBlocker[]; nodes: number } {
  let discovered: Map<string, AddonPackage> | null = null;
  let appPackages: Map<string, string> | null = null;
  const appUri = property.ten?.uri;
  const out: NodeBlocker[] = [];
  const seen = new Set<string>();
  let count = 0;
  for (const entry of property.ten?.predefined_graphs ?? []) {
    if (!graphs.includes(entry.name)) continue;
    const nodes = (entry.graph as { nodes?: unknown }).nodes;
    if (!Array.isArray(nodes)) continue;
    for (const n of nodes as GraphNode[]) {
      if (n?.type !== 'extension' || typeof n.name !== 'string' || typeof n.addon !== 'string') continue;
      // A node of another app runs there, not here.
      if (typeof n.app === 'string' && n.app !== appUri) continue;
      count++;
      discovered ??= discoverAddons(appDir, addonDirs);
      const pkg = discovered.get(n.addon);
      if (pkg) {
        // Found with an entry: it runs, unless its manifest names the runtime of another language.
        const language = packageLanguage(readManifest(pkg.dir) ?? undefined);
        const blocker = language === 'unknown' ? null : languageBlocker(language);
        if (blocker) add(n.name, n.addon, blocker);
        continue;
      }
      appPackages ??= appPackageDirs(appDir);
      const dir = appPackages.get(n.addon);
      add(n.name, n.addon, dir ? (packageRunnability(dir, readManifest(dir) ?? undefined, false).cannotRun ?? NO_ENTRY) : notInstalled(n.addon, appDir));
    }
  }
  return { blockers: out, nodes: count };

  function add(node: string, addon: string, reason: string): void {
    if (seen.has(node)) return;
    seen.add(node);
    out.push({ node, addon, reason });
  }
}

/** The run's refusal: one line per node that cannot start. */
export function formatBlockers(blockers: readonly NodeBlocker[], nodes: number): string {
  const head = `${blockers.length} of the graph's ${nodes} extension node${nodes === 1 ? '' : 's'} cannot run here:`;
  return [head, ...blockers.map((b) => `- ${b.node} (${b.addon}): ${b.reason}`)].join('\n');
}
