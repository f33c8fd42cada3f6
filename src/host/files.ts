/** The node:fs implementation of the graph model's `FileSource`. */
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileSource } from '../shared/app/files';
import { readRegularText, whyUnreadable } from '../runtime/core/regular_file';

/**
 * Reads files from disk; paths are made absolute and use `/` as the model expects. Only regular
 * files within the size limit are read (`readRegularFile`): a FIFO or a device named by an
 * import_uri or an app's package folder is "cannot be read", not a hang.
 */
export const nodeFiles: FileSource = {
  async readText(path) {
    try {
      return await readRegularText(path);
    } catch {
      return null;
    }
  },
  unreadable: whyUnreadable,
  async listDir(path) {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() || e.isSymbolicLink() || e.isFile()).map((e) => e.name).sort();
    } catch {
      return null;
    }
  },
};

/** An absolute, `/`-separated path for the model. */
export function modelPath(path: string): string {
  return resolve(path).replace(/\\/g, '/');
}
