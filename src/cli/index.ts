/** `ten-studio` command line: one entry, one subcommand per verb. */
import { parseArgs, UsageError } from './args';
import { serve } from './serve';
import { conformance } from './conformance';
import { flatten } from './flatten';
import { validate } from './validate';
import { run, RUN_VALUED } from './run';
import { trace, TRACE_VALUED } from './trace';

const USAGE = `Usage: ten-studio <command> [options]

Commands:
  serve [--port N]   Start browser mode on 127.0.0.1 and print the URL (with its token).
  run <app-dir | property.json> [--graph NAME] [--duration S] [--events FILE.jsonl]
      [--record FILE [--trace all|SRC>DEST,… [--trace-sample N]]]
      [--violation-policy fail|report|abort]
                     Run a graph headless; exit 0 only when it ended cleanly.
                     --record writes a recording (events, metrics) the studio opens;
                     --trace adds traced messages on those edges to it.
  trace <recording.json> --out <trace.json>
                     Convert a recording to Chrome trace JSON (open it in Perfetto).
  validate <app-dir | property.json | graph.json> [--graph NAME] [--json] [--packages DIR[,DIR]] [--no-builtins]
                     Check TEN files; exit 0 valid, 1 invalid, 2 unreadable.
  flatten <app-dir | property.json | graph.json> [--graph NAME]
                     Print the flattened graph (what the runtime runs) as JSON.
  conformance <dir>  Run <dir>/cases.json (ten-corpus graph-check format); exit 1 on any failure.
  help               Show this text.
`;

const VALUED: Record<string, string[]> = {
  serve: ['port'],
  validate: ['graph', 'packages'],
  flatten: ['graph', 'packages'],
  conformance: [],
  run: RUN_VALUED,
  trace: TRACE_VALUED,
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(parseArgs(rest, VALUED.serve!));
      case 'validate':
        return await validate(parseArgs(rest, VALUED.validate!));
      case 'flatten':
        return await flatten(parseArgs(rest, VALUED.flatten!));
      case 'conformance':
        return await conformance(parseArgs(rest, VALUED.conformance!));
      case 'run':
        return await run(parseArgs(rest, VALUED.run!));
      case 'trace':
        return await trace(parseArgs(rest, VALUED.trace!));
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
