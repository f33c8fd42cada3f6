/**
 * File access for the pure graph model. The host implements it with node:fs, tests with a map.
 * Paths are absolute and use `/`; `joinPath`/`dirnamePath` do the arithmetic here so that shared
 * code never needs node:path.
 */
export interface FileSource {
  /** The file's text, or `null` when it does not exist or cannot be read. */
  readText(path: string): Promise<string | null>;
  /** Names of the entries of a directory, or `null` when it is not a readable directory. */
  listDir(path: string): Promise<string[] | null>;
  /**
   * Why `readText` gave `null` for `path`, in words that follow "cannot read <path>: " (no such
   * file or folder, a FIFO, too large, …); asked only then, so that errors can say it.
   */
  unreadable?(path: string): Promise<string>;
}

/** ` (<why>)` after a message about a file `files` could not read, where it can say why; else ''. */
export async function readFailureNote(files: FileSource | undefined, path: string): Promise<string> {
  const reason = await files?.unreadable?.(path);
  return reason ? ` (${reason})` : '';
}

/** An in-memory `FileSource` (tests, the renderer's unsaved buffers). */
export function memoryFiles(files: Readonly<Record<string, string>>): FileSource {
  return {
    readText: async (path) => files[normalizePath(path)] ?? null,
    listDir: async (path) => {
      const prefix = normalizePath(path).replace(/\/?$/, '/');
      const names = new Set<string>();
      for (const f of Object.keys(files)) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
      return names.size ? [...names].sort() : null;
    },
  };
}

/** Collapses `.`, `..` and repeated slashes; keeps a leading `/` (or a Windows drive). */
export function normalizePath(path: string): string {
  const p = path.replace(/\\/g, '/');
  const lead = p.startsWith('/') ? '/' : '';
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !lead) out.push(part);
  }
  return lead + out.join('/');
}

/** `base` + `rel` (an absolute `rel` wins). */
export function joinPath(base: string, rel: string): string {
  if (isAbsolutePath(rel)) return normalizePath(rel);
  return normalizePath(`${base}/${rel}`);
}

/** The folder part of a path. */
export function dirnamePath(path: string): string {
  const p = normalizePath(path);
  const i = p.lastIndexOf('/');
  return i <= 0 ? (p.startsWith('/') ? '/' : '.') : p.slice(0, i);
}

/** The last segment of a path. */
export function basenamePath(path: string): string {
  const p = normalizePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `/x`, `\\x` or `C:\\x`. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(path);
}

/** Outcome of resolving an `import_uri`: a local file path, or TEN's error text. */
export type UriResolution = { ok: true; path: string } | { ok: false; error: string };

/**
 * Resolves an `import_uri` the way TEN does: relative paths against the folder of the file that
 * contains it, `file://` URLs as absolute paths, `${app_base_dir}` against the app folder.
 * Bare absolute paths are rejected (TEN requires `file://`). `http(s)://` is valid TEN but the
 * studio works offline, so it is reported as not loadable.
 */
export function resolveImportUri(uri: string, baseDir: string | undefined, appBaseDir?: string): UriResolution {
  let u = uri;
  if (u.startsWith('${app_base_dir}')) {
    if (appBaseDir === undefined) return { ok: false, error: `app_base_dir is not known, import_uri: ${uri}` };
    u = joinPath(appBaseDir, u.slice('${app_base_dir}'.length).replace(/^\/+/, ''));
    return { ok: true, path: u };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(u);
  if (scheme && !/^[A-Za-z]:[\\/]/.test(u)) {
    const s = scheme[1]!.toLowerCase();
    if (s === 'file') return { ok: true, path: normalizePath(decodeURIComponent(u.slice('file://'.length))) };
    if (s === 'http' || s === 'https') {
      return { ok: false, error: `Loading import_uri over ${s} is not supported by the studio (offline): ${uri}` };
    }
    return { ok: false, error: `Unsupported URL scheme '${scheme[1]}' in import_uri: ${uri}` };
  }
  if (isAbsolutePath(u)) {
    return { ok: false, error: `Absolute paths are not supported in import_uri: ${uri}. Use file:// URI or relative path instead` };
  }
  if (baseDir === undefined) return { ok: false, error: `base_dir cannot be None when uri is a relative path, import_uri: ${uri}` };
  return { ok: true, path: joinPath(baseDir, u) };
}
