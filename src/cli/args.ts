/** A small argv parser: `--flag`, `--key value`, `--key=value`, and positionals. */
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

export function intOption(args: ParsedArgs, key: string, min: number, max: number): number | undefined {
  const raw = args.options.get(key);
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${key} must be an integer from ${min} to ${max}.`);
  }
  return n;
}
