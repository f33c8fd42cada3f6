/**
 * Crash-safe file replacement. A reader (or the next launch after a crash or power loss) sees
 * either the old file or the new one, never a mix or a truncated file:
 * temp file in the same directory (so the rename stays on one file system) → write → fsync the
 * file → rename over the target → fsync the directory (so the rename itself is durable).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileFingerprint } from '../../shared';

/** Suffix of the temporary files `writeFileAtomic` creates; a killed writer can leave one behind. */
export const TEMP_SUFFIX = '.ten-studio-tmp';

/** The temporary file name used while writing `target`. Hidden, unique per write. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
}

/** File content: whole, or produced in chunks (a large export streamed as it is generated). */
export type AtomicData = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/**
 * Replaces `target` with `data` atomically. Keeps the target's permission bits when it exists.
 * A symbolic link is followed, so the file it points to is replaced and the link stays a link.
 * On any failure the temporary file is removed and the target is left as it was.
 */
export async function writeFileAtomic(requested: string, data: AtomicData): Promise<void> {
  const target = await realpath(requested).catch(() => requested);
  const mode = await stat(target).then(
    (s) => s.mode & 0o7777,
    () => null,
  );
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined = await open(temp, 'wx', mode ?? 0o666);
  try {
    // An existing file's mode is set explicitly: the umask applied at creation could narrow it.
    if (mode !== null) await handle.chmod(mode);
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for await (const chunk of data) await (typeof chunk === 'string' ? handle.write(chunk) : handle.write(chunk));
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(target));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files a killed writer left next to `target`. Only files of processes that
 * no longer run are touched, so a save in progress in another studio is never disturbed.
 * Resolves to the names removed.
 */
export async function removeStaleTemps(requested: string): Promise<string[]> {
  const target = await realpath(requested).catch(() => requested);
  const prefix = `.${basename(target)}.`;
  const removed: string[] = [];
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    await rm(join(dirname(target), name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Flushes a directory entry to disk. Windows cannot open a directory for fsync, and some file
 * systems refuse it (EINVAL/EISDIR/EPERM); there the rename is as durable as the OS makes it.
 */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a file once and returns its bytes with the fingerprint of exactly those bytes. */
export async function readWithFingerprint(file: string): Promise<{ bytes: Buffer; fingerprint: FileFingerprint }> {
  const handle = await open(file, 'r');
  try {
    const bytes = await handle.readFile();
    const info = await handle.stat();
    return { bytes, fingerprint: { sha256: sha256(bytes), mtimeMs: info.mtimeMs, size: info.size } };
  } finally {
    await handle.close();
  }
}

/** The fingerprint of a file as it is now, or null when it does not exist. */
export async function fingerprintOf(file: string): Promise<FileFingerprint | null> {
  try {
    return (await readWithFingerprint(file)).fingerprint;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Whether the file on disk differs from what the studio last saw. Size and content hash decide;
 * a changed mtime alone (a `touch`, a checkout of identical bytes) is not a change.
 */
export function changedOnDisk(base: FileFingerprint, now: FileFingerprint): boolean {
  return base.size !== now.size || base.sha256 !== now.sha256;
}
