/**
 * `ten-studio trace <recording.json> --out <trace.json>`: converts a recording (from
 * `ten-studio run --record` or the studio's Save Recording) to Chrome trace JSON for Perfetto
 * (https://ui.perfetto.dev) or chrome://tracing.
 */
import { resolve } from 'node:path';
import { HostError } from '../shared';
import { readRecording, writeChromeTrace } from '../host/runs';
import { UsageError, type ParsedArgs } from './args';

export const TRACE_VALUED = ['out'];

export async function trace(args: ParsedArgs): Promise<number> {
  const [file, ...extra] = args.positionals;
  if (!file) throw new UsageError('Name a recording file: ten-studio trace <recording.json> --out <trace.json>.');
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  for (const key of args.options.keys()) {
    if (!TRACE_VALUED.includes(key)) throw new UsageError(`Unknown option --${key}.`);
  }
  const out = args.options.get('out');
  if (typeof out !== 'string') throw new UsageError('--out <trace.json> is required.');
  try {
    const rec = await readRecording(resolve(file));
    const written = await writeChromeTrace(rec, resolve(out), true);
    process.stdout.write(`Wrote ${written.path} (${written.bytes} bytes); open it in https://ui.perfetto.dev.\n`);
    return 0;
  } catch (e) {
    if (e instanceof HostError) {
      process.stderr.write(`ten-studio trace: ${e.message}\n`);
      return e.code === 'E_PARSE' ? 1 : 2;
    }
    throw e;
  }
}
