/** Where documents' companion files and the studio's own per-user data live. */
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The per-user studio data folder (recent files, recovery copies). `TEN_STUDIO_DATA_DIR`
 * overrides it, which is how tests and side-by-side installs keep their data apart.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.TEN_STUDIO_DATA_DIR) return resolve(env.TEN_STUDIO_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ten-studio');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'ten-studio');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'ten-studio');
}

/** Resolves a request path: `~` / `~/…` to the home folder, everything normalised. */
export function resolveUserPath(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}

/** Suffix of layout sidecar files. */
export const LAYOUT_SUFFIX = '.studio-layout.json';

/**
 * The layout sidecar of a TEN JSON file: same folder, same stem, `.studio-layout.json`
 * (`property.json` → `property.studio-layout.json`, `graph.json` → `graph.studio-layout.json`).
 */
export function layoutPathFor(tenFile: string): string {
  const name = basename(tenFile);
  const stem = name.toLowerCase().endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  return join(dirname(tenFile), `${stem}${LAYOUT_SUFFIX}`);
}
