/**
 * Path text as the host writes it (POSIX `/`, or Windows `\` with a drive), for the file dialogs:
 * the renderer has no `node:path`, and these few operations on the host's own absolute paths are
 * all it needs.
 */

/** The separator the path uses: `\` for a Windows path (`C:\…`, `\\server\…`), else `/`. */
export function separatorOf(path: string): '/' | '\\' {
  return /^[A-Za-z]:\\|^\\\\/.test(path) || (path.includes('\\') && !path.includes('/')) ? '\\' : '/';
}

/** The last segment (a file or folder name); empty for a root. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const at = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return at === -1 ? trimmed : trimmed.slice(at + 1);
}

/** The folder holding `path`; a root stays itself. */
export function dirName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/[\\/]+$/, '') : path;
  const at = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (at === -1) return trimmed;
  const head = trimmed.slice(0, at);
  if (head === '') return trimmed[0]!;
  // `C:` alone is the drive's current folder on Windows, not its root.
  return /^[A-Za-z]:$/.test(head) ? `${head}\\` : head;
}

/** `name` inside `folder`. */
export function joinPath(folder: string, name: string): string {
  const sep = separatorOf(folder);
  return folder.endsWith('/') || folder.endsWith('\\') ? folder + name : folder + sep + name;
}

/** Whether typed text names a folder to go to: it ends with a separator. */
export function endsWithSeparator(path: string): boolean {
  return path.endsWith('/') || path.endsWith('\\');
}
