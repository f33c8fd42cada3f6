/** The node:fs implementation of the graph model's `FileSource`. */
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileSource } from '../shared/app/files';

/** Reads files from disk; paths are made absolute and use `/` as the model expects. */
export const nodeFiles: FileSource = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  },
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
