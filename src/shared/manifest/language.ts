/**
 * The language an extension package is written in, and whether this studio can run it. TEN
 * packages say it in their manifest: the system runtime they depend on (`ten_runtime_nodejs`,
 * `ten_runtime_python`, `ten_runtime_go`, or else `ten_runtime`, the C++ one); a package that does not
 * is recognised by its files (`addon.py`, `go.mod`, `BUILD.gn`, `src/index.ts`, …).
 */
import type { TenManifest } from './manifest';

export type PackageLanguage = 'typescript' | 'python' | 'cpp' | 'go' | 'unknown';

/** In the order the palette lists them. */
export const PACKAGE_LANGUAGES: readonly PackageLanguage[] = ['typescript', 'python', 'cpp', 'go', 'unknown'];

export const LANGUAGE_LABEL: Readonly<Record<PackageLanguage, string>> = {
  typescript: 'TypeScript',
  python: 'Python',
  cpp: 'C++',
  go: 'Go',
  unknown: 'Other',
};

/**
 * The one place that says which languages the studio's runtime runs: TypeScript on the group
 * threads, Python in one Python process per group (docs/python.md).
 */
export function canRunHere(language: PackageLanguage): boolean {
  return language === 'typescript' || language === 'python';
}

/** Why a package in `language` cannot run here, or null when it can. */
export function languageBlocker(language: PackageLanguage): string | null {
  if (canRunHere(language)) return null;
  const runs = PACKAGE_LANGUAGES.filter(canRunHere)
    .map((l) => (l === 'typescript' ? 'TypeScript (Node.js)' : LANGUAGE_LABEL[l]))
    .join(', ');
  const what = language === 'unknown' ? 'in a language the studio does not recognise' : `a ${LANGUAGE_LABEL[language]} extension`;
  return `${what}; this studio runs ${runs} extensions only`;
}

const RUNTIME_LANGUAGE: Readonly<Record<string, PackageLanguage>> = {
  ten_runtime_nodejs: 'typescript',
  ten_runtime_python: 'python',
  ten_runtime_go: 'go',
  ten_runtime: 'cpp',
};

/** By file name, for packages whose manifest names no runtime; the first rule that matches wins. */
const FILE_RULES: readonly [RegExp, PackageLanguage][] = [
  [/^(addon\.py|.*\.py)$/, 'python'],
  [/^(go\.mod|.*\.go)$/, 'go'],
  [/^(BUILD\.gn|CMakeLists\.txt|.*\.(cc|cpp|cxx|h|hpp))$/, 'cpp'],
  [/^(package\.json|tsconfig\.json|.*\.(ts|mts|js|mjs))$/, 'typescript'],
];

/**
 * The package's language from its manifest's system dependencies, else from `files`: the names in
 * its folder and in its `src/` folder (as `src/<name>`).
 */
export function packageLanguage(manifest: Pick<TenManifest, 'dependencies'> | undefined, files: readonly string[] = []): PackageLanguage {
  let core = false;
  for (const dep of manifest?.dependencies ?? []) {
    if (!('name' in dep) || dep.type !== 'system') continue;
    const language = RUNTIME_LANGUAGE[dep.name];
    // ten_runtime is the C++ core every binding depends on too (TEN's Python apps list both).
    if (language === 'cpp') core = true;
    else if (language) return language;
  }
  if (core) return 'cpp';
  const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
  for (const [pattern, language] of FILE_RULES) if (names.some((n) => pattern.test(n))) return language;
  return 'unknown';
}
