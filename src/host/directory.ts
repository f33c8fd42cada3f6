/**
 * Folder listings for the studio's own file browser (browser mode has no native file dialogs):
 * one page at a time, folders first, TEN app folders, packages and `property.json` files marked,
 * hidden names left out unless asked for, links followed but shown as links.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, sep } from 'node:path';
import { HostError, type DirectoryEntry, type DirectoryListing, type HostMethodTypes, type TenMark } from '../shared';
import { resolveUserPath } from './documents/paths';
import { readRegularText } from '../runtime/core/regular_file';

export const DEFAULT_DIRECTORY_PAGE = 500;
/** A manifest larger than this is not read to mark its folder. */
const MAX_MANIFEST_BYTES = 1 << 20;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function failure(err: unknown, path: string, what: string): HostError {
  switch (errno(err)) {
    case 'ENOENT':
      return new HostError('E_NOT_FOUND', `No such folder: ${path}.`);
    case 'ENOTDIR':
      return new HostError('E_NOT_DIR', `${path} is not a folder.`);
    case 'EACCES':
    case 'EPERM':
      return new HostError('E_IO', `Cannot ${what} ${path}: permission denied.`);
    case 'ELOOP':
      return new HostError('E_IO', `Cannot ${what} ${path}: too many levels of symbolic links.`);
    default:
      return new HostError('E_IO', `Cannot ${what} ${path}: ${(err as Error).message}`);
  }
}

/** What a folder is to the studio: a TEN app (manifest of type `app` and a property.json), another package, or nothing. */
async function folderMark(dir: string): Promise<TenMark | undefined> {
  try {
    const file = join(dir, 'manifest.json');
    // A FIFO or a device named manifest.json marks nothing (and does not hang the listing).
    const manifest = JSON.parse(await readRegularText(file, MAX_MANIFEST_BYTES)) as { type?: unknown } | null;
    if (typeof manifest?.type !== 'string') return undefined;
    if (manifest.type !== 'app') return 'package';
    return (await stat(join(dir, 'property.json')).then((s) => s.isFile(), () => false)) ? 'app' : 'package';
  } catch {
    return undefined;
  }
}

interface Candidate {
  dirent: Dirent;
  kind: DirectoryEntry['kind'];
  link?: DirectoryEntry['link'];
  info?: Stats;
}

async function classify(dir: string, dirent: Dirent): Promise<Candidate> {
  if (dirent.isDirectory()) return { dirent, kind: 'dir' };
  if (dirent.isFile()) return { dirent, kind: 'file' };
  if (!dirent.isSymbolicLink()) return { dirent, kind: 'other' };
  try {
    const info = await stat(join(dir, dirent.name));
    return { dirent, kind: info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other', link: 'ok', info };
  } catch {
    return { dirent, kind: 'other', link: 'broken' };
  }
}

/** The folders from the root down to `path`. */
function crumbsOf(path: string): DirectoryListing['crumbs'] {
  const { root } = parse(path);
  const out: DirectoryListing['crumbs'] = [{ name: root, path: root }];
  let at = root;
  for (const part of path.slice(root.length).split(sep).filter(Boolean)) {
    at = at.endsWith(sep) ? at + part : at + sep + part;
    out.push({ name: part, path: at });
  }
  return out;
}

export async function listDirectory(params: HostMethodTypes['listDirectory']['params']): Promise<DirectoryListing> {
  const path = resolveUserPath(params.path);
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    throw failure(err, path, 'open');
  }
  if (!info.isDirectory()) throw new HostError('E_NOT_DIR', `${path} is a file, not a folder.`);
  let dirents: Dirent[];
  try {
    dirents = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw failure(err, path, 'list the folder');
  }
  const showHidden = params.showHidden ?? false;
  const match = params.match?.trim().toLowerCase() ?? '';
  let hidden = 0;
  const visible = dirents.filter((d) => {
    if (!showHidden && d.name.startsWith('.')) {
      hidden++;
      return false;
    }
    return !match || d.name.toLowerCase().includes(match);
  });
  const candidates = await Promise.all(visible.map((d) => classify(path, d)));
  const rank = (c: Candidate) => (c.kind === 'dir' ? 0 : 1);
  candidates.sort((a, b) => rank(a) - rank(b) || collator.compare(a.dirent.name, b.dirent.name) || (a.dirent.name < b.dirent.name ? -1 : 1));
  const offset = Math.min(params.offset ?? 0, candidates.length);
  const page = candidates.slice(offset, offset + (params.limit ?? DEFAULT_DIRECTORY_PAGE));
  const entries = await Promise.all(
    page.map(async (c): Promise<DirectoryEntry> => {
      const full = join(path, c.dirent.name);
      const entry: DirectoryEntry = { name: c.dirent.name, path: full, kind: c.kind };
      if (c.link) entry.link = c.link;
      const s = c.info ?? (c.link === 'broken' ? undefined : await stat(full).catch(() => undefined));
      if (s) {
        entry.mtimeMs = s.mtimeMs;
        if (c.kind === 'file') entry.size = s.size;
      }
      const mark = c.kind === 'dir' ? await folderMark(full) : c.kind === 'file' && c.dirent.name === 'property.json' ? 'property' : undefined;
      if (mark) entry.ten = mark;
      return entry;
    }),
  );
  const parent = dirname(path) === path ? null : dirname(path);
  const listing: DirectoryListing = { path, parent, crumbs: crumbsOf(path), home: homedir(), entries, offset, total: candidates.length, hidden };
  const mark = await folderMark(path);
  if (mark) listing.ten = mark;
  return listing;
}
