/**
 * `ten-studio validate <app-dir | property.json | graph.json | manifest.json> [--graph NAME] [--json] [--packages DIRS]`
 * Exit codes: 0 valid, 1 invalid, 2 unreadable input.
 */
import { formatDiagnostic } from '../shared';
import type { ParsedArgs } from './args';
import { checkInput, UnreadableInput } from './graph-input';

/** Runs `validate`; returns the exit code. */
export async function validate(args: ParsedArgs): Promise<number> {
  const json = args.options.get('json') === true;
  let result;
  try {
    result = await checkInput(args);
  } catch (err) {
    if (!(err instanceof UnreadableInput)) throw err;
    if (json) process.stdout.write(JSON.stringify({ valid: false, errors: [{ code: 'E003', message: err.message, file: args.positionals[0] ?? null, pointer: '', line: null, column: null }] }) + '\n');
    else process.stderr.write(`ten-studio validate: ${err.message}\n`);
    return 2;
  }
  const errors = result.diagnostics;
  if (json) {
    const out = {
      valid: errors.length === 0,
      errors: errors.map((d) => ({ code: d.code, message: d.message, file: d.file ?? null, pointer: d.pointer, line: d.line ?? null, column: d.column ?? null })),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } else if (errors.length === 0) {
    process.stdout.write('valid\n');
  } else {
    for (const d of errors) process.stdout.write(formatDiagnostic(d) + '\n');
    process.stdout.write(`${errors.length} problem${errors.length === 1 ? '' : 's'}\n`);
  }
  return errors.length === 0 ? 0 : 1;
}
