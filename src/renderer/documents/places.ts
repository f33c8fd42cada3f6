/**
 * Recent places of the file dialogs: folders the user opened or saved something in, newest first,
 * kept in `localStorage` (per browser origin in browser mode, like the panel layout), plus the
 * folders of the recent files the host lists. The dialog starts in the newest one when the
 * document gives it no folder of its own.
 */
import type { RecentFile } from '../../shared';
import { dirName } from './paths';

const KEY = 'ten-studio.places';
const MAX_PLACES = 8;

export interface Place {
  path: string;
  /** What the place is to the user: home, the open document's folder, or a recent folder. */
  kind: 'home' | 'document' | 'recent';
}

function stored(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

/** Remembers the folder of a path the user opened or saved. */
export function rememberPlace(path: string, isFolder = false): void {
  const folder = isFolder ? path : dirName(path);
  const list = [folder, ...stored().filter((p) => p !== folder)].slice(0, MAX_PLACES);
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Storage full or off: places are a convenience.
  }
}

/** The newest remembered place, if any. */
export function lastPlace(): string | null {
  return stored()[0] ?? null;
}

/**
 * The places column: home, the open document's folder, then remembered folders and the folders of
 * recent files (an app's parent folder, where it sits among its siblings), without repeats.
 */
export function placesFor(home: string, documentFolder: string | null, recent: readonly RecentFile[]): Place[] {
  const out: Place[] = [{ path: home, kind: 'home' }];
  const seen = new Set([home]);
  const add = (path: string, kind: Place['kind']) => {
    if (seen.has(path) || out.length >= MAX_PLACES + 2) return;
    seen.add(path);
    out.push({ path, kind });
  };
  if (documentFolder) add(documentFolder, 'document');
  for (const p of stored()) add(p, 'recent');
  for (const r of recent) if (r.exists) add(dirName(r.path), 'recent');
  return out;
}
