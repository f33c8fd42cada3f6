/**
 * Reading a file the studio was asked to open, safely: only regular files, and only up to a size
 * limit, decided BEFORE reading. A FIFO would block a thread-pool thread until a writer appears
 * (four of them starve libuv's pool of four, so every later file operation hangs), and a
 * character device such as /dev/zero never ends. The checks are made on the opened descriptor
 * (`fstat`), not on the path, so a file swapped between a check and the open cannot slip
 * through; the open itself is non-blocking, so opening a FIFO returns at once.
 */
import { constants, type Stats } from 'node:fs';
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

/**
 * Reads a regular file of at most `maxBytes`. Throws {@link FileRefusedError} for anything else
 * (before reading a byte), or the file system's own error (ENOENT, EACCES, …). A file that grows
 * while it is read stops being read at `maxBytes + 1` bytes and is refused too.
 */
export async function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Promise<{ bytes: Buffer; stats: Stats }> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    // A Unix socket cannot be opened at all (ENXIO); say what it is rather than "no such device".
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw new FileRefusedError('ENOTREGULAR', 'it is not a regular file (a socket or a device)');
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(stats);
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
    // Sized from fstat, plus one byte to notice growth; /proc-style files that say 0 grow the buffer.
    let buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw tooLarge(length, maxBytes, true);
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(buffer.length * 2, 64 * 1024), maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), stats };
  } finally {
    await handle.close();
  }
}

/** {@link readRegularFile} as UTF-8 text. */
export async function readRegularText(path: string, maxBytes = MAX_FILE_BYTES): Promise<string> {
  return (await readRegularFile(path, maxBytes)).bytes.toString('utf8');
}
