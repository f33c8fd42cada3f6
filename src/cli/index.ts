/** `ten-studio` command line: one entry, one subcommand per verb. */
import { parseCommandArgs, UsageError, type ParsedArgs } from './args';
import { commandSpec, commandUsage, mainUsage } from './commands';
import { serve } from './serve';
import { conformance } from './conformance';
import { flatten } from './flatten';
import { validate } from './validate';
import { run } from './run';
import { trace } from './trace';
import { appCommand } from './app';
import { send } from './send';
import { packageVersion } from './paths';
import { runtimePackage } from './runtime-package';
import { pySession } from './py_session';
import { test } from './test';

const RUNNERS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  serve,
  run,
  trace,
  validate,
  flatten,
  app: appCommand,
  send,
  conformance,
  'runtime-package': runtimePackage,
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(mainUsage());
      return 2;
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0];
      if (command === 'help' && topic !== undefined) {
        const spec = commandSpec(topic);
        if (!spec) return unknownCommand(topic);
        process.stdout.write(commandUsage(spec));
        return 0;
      }
      process.stdout.write(mainUsage());
      return 0;
    }
    case '--version':
      process.stdout.write(`ten-studio ${packageVersion()}\n`);
      return 0;
  }
  const spec = commandSpec(command);
  if (command === '_py-session') {
    // Internal: started by ten_runtime (Python) in a test process.
    return await pySession();
  }
  if (command === 'test' && spec) {
    // Everything after the extension folder that is not ours belongs to the test runner.
    if (rest[0] === '--help' || rest[0] === '-h') {
      process.stdout.write(commandUsage(spec));
      return 0;
    }
    return await guarded(command, () => test(rest));
  }
  const runner = RUNNERS[command];
  if (!spec || !runner) return unknownCommand(command);
  try {
    const args = parseCommandArgs(rest, spec);
    if (args.help) {
      process.stdout.write(commandUsage(spec));
      return 0;
    }
    return await runner(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ten-studio ${command}: ${err.message}\nSee 'ten-studio ${command} --help'.\n`);
      return 2;
    }
    process.stderr.write(`ten-studio ${command}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

async function guarded(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ten-studio ${command}: ${err.message}\nSee 'ten-studio ${command} --help'.\n`);
      return 2;
    }
    process.stderr.write(`ten-studio ${command}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

function unknownCommand(name: string): number {
  const hint = name.startsWith('-') ? `Unknown option "${name}".` : `Unknown command "${name}".`;
  process.stderr.write(`${hint}\n\n${mainUsage()}`);
  return 2;
}
