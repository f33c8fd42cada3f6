/**
 * Crash-safe file replacement. A reader (or the next launch after a crash or power loss) sees
 * either the old file or the new one, never a mix or a truncated file:
 * temp file in the same directory (so the rename stays on one file system) → write → fsync the
 * file → rename over the target → fsync the directory (so the rename itself is durable).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileFingerprint } from '../../shared';
import { FileRefusedError, fileKind, readRegularFile } from '../../runtime/core/regular_file';

/** Suffix of the temporary files `writeFileAtomic` creates; a killed writer can leave one behind. */
export const TEMP_SUFFIX = '.ten-studio-tmp';

/** The temporary file name used while writing `target`. Hidden, unique per write. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
}

/** File content: whole, or produced in chunks (a large export streamed as it is generated). */
export type AtomicData = string | Uint8Array | AsyncIterable<string | Uint8Array>;

export interface AtomicWriteOptions {
  /**
   * The file's permission bits, always (recovery copies are 0600 whatever they were before).
   * Without it an existing file keeps its own mode and a new one gets 0666 less the umask.
   */
  mode?: number;
}

const canChown = process.platform !== 'win32';

/**
 * Replaces `target` with `data` atomically. A symbolic link is followed, so the file it points
 * to is replaced and the link stays a link. On any failure the temporary file is removed and the
 * target is left as it was.
 *
 * A rename installs a new file, so it could change what the user never edited; instead an
 * existing target keeps its mode and its owner and group, or is refused ({@link FileRefusedError},
 * nothing written) when that is not possible:
 * - not a regular file (a FIFO, a device, a folder): `ENOTREGULAR`;
 * - read-only: no write bit at all (0444), or none for this user (`access(W_OK)` fails), though the
 *   folder would let a rename replace it: `EREADONLY`;
 * - owned by another user or group that the new file cannot be given (only root may give a file
 *   away): `EOWNER`.
 */
export async function writeFileAtomic(requested: string, data: AtomicData, options: AtomicWriteOptions = {}): Promise<void> {
  const target = await realpath(requested).catch(() => requested);
  const existing = await stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing) await checkReplaceable(target, existing);
  const mode = options.mode ?? (existing ? existing.mode & 0o7777 : null);
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined = await open(temp, 'wx', mode ?? 0o666);
  try {
    if (existing && canChown) await keepOwner(handle, existing);
    // The mode is set explicitly: the umask applied at creation could narrow it, and a chown
    // clears the set-user-ID and set-group-ID bits.
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

/** Throws {@link FileRefusedError} when `target` must not be replaced by a rename (see writeFileAtomic). */
async function checkReplaceable(target: string, info: Stats): Promise<void> {
  if (!info.isFile()) {
    throw new FileRefusedError('ENOTREGULAR', `it is ${fileKind(info)}, not a regular file; nothing was written`);
  }
  const writable = (info.mode & 0o222) !== 0 && (await access(target, constants.W_OK).then(() => true, () => false));
  if (!writable) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new FileRefusedError(
      'EREADONLY',
      `it is read-only (mode ${mode}); nothing was written. Make it writable, or save under another name`,
    );
  }
}

/** Gives the temporary file the owner and group of the file it replaces; refuses when it cannot. */
async function keepOwner(handle: FileHandle, existing: Stats): Promise<void> {
  const mine = await handle.stat();
  if (mine.uid === existing.uid && mine.gid === existing.gid) return;
  try {
    await handle.chown(existing.uid, existing.gid);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL') throw err;
    const whose = mine.uid !== existing.uid ? `user ${existing.uid}` : `group ${existing.gid}`;
    throw new FileRefusedError(
      'EOWNER',
      `it belongs to ${whose}, and saving replaces the file, which would make it yours; nothing was written. Save under another name`,
    );
  }
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

/**
 * Reads a file once (a regular file within the size limit, see `readRegularFile`) and returns its
 * bytes with the fingerprint of exactly those bytes.
 */
export async function readWithFingerprint(file: string): Promise<{ bytes: Buffer; fingerprint: FileFingerprint }> {
  const { bytes, stats } = await readRegularFile(file);
  return { bytes, fingerprint: { sha256: sha256(bytes), mtimeMs: stats.mtimeMs, size: bytes.length } };
}

/** The bytes and fingerprint of a file as it is now, or null when it does not exist. */
export async function readIfExists(file: string): Promise<{ bytes: Buffer; fingerprint: FileFingerprint } | null> {
  try {
    return await readWithFingerprint(file);
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
