/** A small argv parser: `--flag`, `--key value`, `--key=value`, and positionals. */
import { valuedOptions, type CommandSpec } from './commands';

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], valued: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq === -1 ? undefined : eq);
    if (eq !== -1) options.set(key, arg.slice(eq + 1));
    else if (valued.includes(key)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${key} needs a value.`);
      options.set(key, value);
      i++;
    } else options.set(key, true);
  }
  return { positionals, options };
}

/** What a command's arguments asked for: its usage, or a run with these arguments. */
export type CommandArgs = { help: true } | ({ help: false } & ParsedArgs);

/**
 * Parses a command's arguments strictly against its spec: `-h`/`--help` (before a `--`) asks for
 * the usage; an option the command does not take, a flag given a value, or a value option
 * without one is a `UsageError` naming it.
 */
export function parseCommandArgs(argv: readonly string[], spec: CommandSpec): CommandArgs {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  if (head.includes('--help') || head.includes('-h')) return { help: true };
  const short = head.find((a) => /^-[^-]/.test(a) && !/^-\d/.test(a));
  if (short !== undefined) throw new UsageError(`unknown option ${short}.`);
  const parsed = parseArgs(argv, valuedOptions(spec));
  for (const [key, value] of parsed.options) {
    const option = spec.options.find((o) => o.name === key);
    if (!option) throw new UsageError(`unknown option --${key}.`);
    if (option.value === undefined && value !== true) throw new UsageError(`--${key} takes no value.`);
    if (option.optional && value === '') throw new UsageError(`--${key}= needs a value (${option.value}), or give --${key} alone.`);
    if (option.value !== undefined && !option.optional && (value === true || value === '')) throw new UsageError(`--${key} needs a value (${option.value}).`);
  }
  return { help: false, ...parsed };
}

export function intOption(args: ParsedArgs, key: string, min: number, max: number): number | undefined {
  const raw = args.options.get(key);
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${key} must be an integer from ${min} to ${max}.`);
  }
  return n;
}
