/**
 * Where the TEN app of this process lives (TEN: `ten_find_app_base_dir`). Extension packages are
 * read from `<base>/ten_packages/extension/`.
 *
 * In order: the `TEN_APP_BASE_DIR` environment variable (TEN); the folders above this module
 * (TEN: above the runtime library, which `tman` installs at
 * `<app>/ten_packages/system/ten_runtime_nodejs`); then, ours, the folders above the working
 * directory — an installed package is usually a symlink, and Node loads modules by their real
 * path, so a runtime linked in from elsewhere cannot see the app from its own location.
 *
 * Each folder is tried as TEN does: a `manifest.json` of type `app` makes it the base dir; one
 * of type `extension` with a standalone app under `.ten/app` (what `tman install --standalone`
 * creates to test an extension) makes that app the base dir.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRegularTextSync } from '../core/regular_file';

function manifestType(dir: string): string | undefined {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readRegularTextSync(file)) as { type?: unknown };
    return typeof m.type === 'string' ? m.type : undefined;
  } catch {
    return undefined;
  }
}

/** The app base dir found from `start` upwards, or undefined. */
export function appBaseDirAbove(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const type = manifestType(dir);
    if (type === 'app') return dir;
    if (type === 'extension') {
      const standalone = join(dir, '.ten', 'app');
      if (manifestType(standalone) !== undefined) return standalone;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** @throws Error when no app can be found (TEN: "Cannot find app base dir"). */
export function findAppBaseDir(): string {
  const fromEnv = process.env.TEN_APP_BASE_DIR;
  if (fromEnv) return resolve(fromEnv);
  const found = appBaseDirAbove(dirname(fileURLToPath(import.meta.url))) ?? appBaseDirAbove(process.cwd());
  if (found) return found;
  throw new Error(
    `Cannot find app base dir: no manifest.json of type "app" above ${process.cwd()}, and no extension with a ` +
      'standalone app in .ten/app (tman install --standalone, or ten-studio test, creates one); or set TEN_APP_BASE_DIR.',
  );
}
