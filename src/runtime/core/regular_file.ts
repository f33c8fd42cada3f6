/**
 * Reading a file a user named, safely: only regular files, and only up to a size limit, decided
 * BEFORE reading. A FIFO would block the reading thread until a writer appears (a run hangs on a
 * manifest.json or an import_uri that is one; four of them starve libuv's pool of four, so every
 * later file operation of the host hangs), and a character device such as /dev/zero never ends.
 * The checks are made on the opened descriptor (`fstat`), not on the path, so a file swapped
 * between a check and the open cannot slip through; the open itself is non-blocking, so opening a
 * FIFO returns at once.
 *
 * One reading ({@link fillRegularFile}) is driven two ways: synchronously where the runtime and
 * the CLI read manifests and property files ({@link readRegularFileSync}), and asynchronously
 * where the host serves requests and must not block its event loop ({@link readRegularFile}).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The largest file the studio reads (documents, graphs, manifests, sidecars, recovery copies,
 * recordings): 128 MiB. A TEN property.json is usually a few KB; past this size the parsed value
 * takes gigabytes of memory, so the file is refused with a clear error instead.
 */
export const MAX_FILE_BYTES = 128 * 1024 * 1024;

/**
 * Why a path was refused before reading or writing it: not a regular file, too large, or (when
 * a save would replace it) read-only or owned by someone else.
 */
export class FileRefusedError extends Error {
  constructor(
    readonly code: 'ENOTREGULAR' | 'ETOOLARGE' | 'EREADONLY' | 'EOWNER',
    /** What is wrong, phrased to follow "Cannot read <path>: ". */
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'FileRefusedError';
  }
}

/** `O_NONBLOCK` and `O_NOCTTY` where the platform has them (not on Windows). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** What a non-regular file is, for the error message. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** `1.5 GB`, `71.0 MB`, `900 bytes`: sizes as a message shows them (1 MB = 2^20 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

function notRegular(stats: Stats): FileRefusedError {
  const kind = fileKind(stats);
  return new FileRefusedError('ENOTREGULAR', kind === 'not a regular file' ? 'it is not a regular file' : `it is ${kind}, not a regular file`);
}

function tooLarge(size: number, maxBytes: number, grew = false): FileRefusedError {
  const what = grew ? `it grew past ${formatBytes(maxBytes)} while being read` : `it is ${formatBytes(size)}`;
  return new FileRefusedError('ETOOLARGE', `${what}; the studio reads files up to ${formatBytes(maxBytes)}`);
}

/** The open's error in words where it says what the file is: a Unix socket cannot be opened (ENXIO). */
function openRefusal(err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code === 'ENXIO') return new FileRefusedError('ENOTREGULAR', 'it is not a regular file (a socket or a device)');
  return err;
}

/** One read a {@link fillRegularFile} reader asks for: into `buffer` at `offset`, at most `length` bytes. */
interface ReadRequest {
  buffer: Buffer;
  offset: number;
  length: number;
}

/**
 * The reading of an opened file as steps, so that the synchronous and the asynchronous reader
 * share it: checks `stats` (throws {@link FileRefusedError} before a byte is read), then yields
 * each read to make and takes back how many bytes it gave (0 at the end); returns the bytes.
 * Sized from fstat, plus one byte to notice growth; /proc-style files that say 0 grow the buffer;
 * a file that grows past `maxBytes` while it is read is refused.
 */
function* fillRegularFile(stats: Stats, maxBytes: number): Generator<ReadRequest, Buffer, number> {
  if (!stats.isFile()) throw notRegular(stats);
  if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
  let buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooLarge(length, maxBytes, true);
      const bigger = Buffer.allocUnsafe(Math.min(Math.max(buffer.length * 2, 64 * 1024), maxBytes + 1));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const bytesRead = yield { buffer, offset: length, length: buffer.length - length };
    if (bytesRead === 0) return buffer.subarray(0, length);
    length += bytesRead;
  }
}

/**
 * Reads a regular file of at most `maxBytes`, synchronously. Throws {@link FileRefusedError} for
 * anything else (before reading a byte), or the file system's own error (ENOENT, EACCES, …).
 */
export function readRegularFileSync(path: string, maxBytes = MAX_FILE_BYTES): { bytes: Buffer; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw openRefusal(err);
  }
  try {
    const stats = fstatSync(fd);
    const steps = fillRegularFile(stats, maxBytes);
    let step = steps.next();
    while (!step.done) {
      const { buffer, offset, length } = step.value;
      step = steps.next(readSync(fd, buffer, offset, length, null));
    }
    return { bytes: step.value, stats };
  } finally {
    closeSync(fd);
  }
}

/** {@link readRegularFileSync} as UTF-8 text. */
export function readRegularTextSync(path: string, maxBytes = MAX_FILE_BYTES): string {
  return readRegularFileSync(path, maxBytes).bytes.toString('utf8');
}

/**
 * Reads a regular file of at most `maxBytes` without blocking the event loop. Throws
 * {@link FileRefusedError} for anything else (before reading a byte), or the file system's own
 * error (ENOENT, EACCES, …). A file that grows while it is read stops being read at
 * `maxBytes + 1` bytes and is refused too.
 */
export async function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Promise<{ bytes: Buffer; stats: Stats }> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw openRefusal(err);
  }
  try {
    const stats = await handle.stat();
    const steps = fillRegularFile(stats, maxBytes);
    let step = steps.next();
    while (!step.done) {
      const { buffer, offset, length } = step.value;
      step = steps.next((await handle.read(buffer, offset, length, null)).bytesRead);
    }
    return { bytes: step.value, stats };
  } finally {
    await handle.close();
  }
}

/** {@link readRegularFile} as UTF-8 text. */
export async function readRegularText(path: string, maxBytes = MAX_FILE_BYTES): Promise<string> {
  return (await readRegularFile(path, maxBytes)).bytes.toString('utf8');
}

/**
 * A file's UTF-8 text, read by {@link readRegularTextSync}; any failure is an `Error` that names
 * the file and says why: "Cannot read <path>: it is a FIFO (named pipe), not a regular file",
 * "…: it is 5.0 GB; the studio reads files up to 128.0 MB", "…: no such file or folder".
 */
export function readFileText(path: string): string {
  try {
    return readRegularTextSync(path);
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${readFailure(err)}`, { cause: err });
  }
}

/** Why `path` cannot be read now, in words that follow "Cannot read <path>: " (it reads the file once more). */
export async function whyUnreadable(path: string): Promise<string> {
  try {
    await readRegularText(path);
    return 'it changed while it was read';
  } catch (err) {
    return readFailure(err);
  }
}

/** Why a file could not be read, in words that follow "Cannot read <path>: ". */
export function readFailure(err: unknown): string {
  if (err instanceof FileRefusedError) return err.reason;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return (err as Error).message;
  }
}
