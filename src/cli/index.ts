/** `ten-studio` command line: one entry, one subcommand per verb. */
import { parseArgs, UsageError } from './args';
import { serve } from './serve';

const USAGE = `Usage: ten-studio <command> [options]

Commands:
  serve [--port N]   Start browser mode on 127.0.0.1 and print the URL (with its token).
  help               Show this text.
`;

const VALUED: Record<string, string[]> = {
  serve: ['port'],
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(parseArgs(rest, VALUED.serve!));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ten-studio ${command}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ten-studio ${command}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
