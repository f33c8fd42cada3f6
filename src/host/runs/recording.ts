/**
 * Recording files: a run's events, metrics and traces as one JSON document (written atomically,
 * validated when read back), and their Chrome trace export.
 */
import { stat } from 'node:fs/promises';
import { HostError, parseJsonText, stringifyJson, validateRecording, type Recording } from '../../shared';
import { writeFileAtomic } from '../documents';
import { resolveUserPath } from '../documents/paths';
import { FileRefusedError, readRegularText } from '../../runtime/core/regular_file';
import { toChromeTrace } from './perfetto';

/** Writes JSON to `path` atomically; `E_EXISTS` when it exists and `overwrite` is not set. */
export async function writeJsonFile(path: string, value: unknown, overwrite: boolean): Promise<{ path: string; bytes: number }> {
  const file = resolveUserPath(path);
  if (!overwrite && (await exists(file))) throw new HostError('E_EXISTS', `${file} already exists; pass overwrite to replace it.`);
  const text = stringifyJson(value) as string;
  try {
    await writeFileAtomic(file, text);
  } catch (e) {
    throw new HostError('E_IO', `Could not write ${file}: ${e instanceof FileRefusedError ? e.reason : (e as Error).message}`);
  }
  return { path: file, bytes: Buffer.byteLength(text) };
}

/** Reads and checks a recording file. `E_IO` when unreadable, `E_PARSE` when not a recording. */
export async function readRecording(path: string): Promise<Recording> {
  const file = resolveUserPath(path);
  let text: string;
  try {
    text = await readRegularText(file);
  } catch (e) {
    throw new HostError('E_IO', `Could not read ${file}: ${e instanceof FileRefusedError ? e.reason : (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (e) {
    throw new HostError('E_PARSE', `${file} is not JSON: ${(e as Error).message}`);
  }
  const problem = validateRecording(value);
  if (problem) throw new HostError('E_PARSE', `${file} is not a TEN Graph Studio recording: it ${problem}.`);
  return value as Recording;
}

/** Writes the Chrome trace JSON of a recording. */
export function writeChromeTrace(rec: Recording, path: string, overwrite: boolean): Promise<{ path: string; bytes: number }> {
  return writeJsonFile(path, toChromeTrace(rec), overwrite);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
