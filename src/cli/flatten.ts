/**
 * `ten-studio flatten <app-dir | property.json | graph.json> [--graph NAME]`: prints the
 * flattened graph (what the runtime runs) as JSON. Exit 1 with located errors when it cannot.
 */
import { nodeFiles } from '../host';
import { exportJson, flattenGraph, formatDiagnostic, type DiagnosticCode } from '../shared';
import type { ParsedArgs } from './args';
import { checkInput, UnreadableInput } from './graph-input';

const PACKAGE_CODES = new Set<DiagnosticCode>(['E030', 'E031', 'E032', 'E041', 'E051']);

/** Runs `flatten`; returns the exit code. */
export async function flatten(args: ParsedArgs): Promise<number> {
  let result;
  try {
    result = await checkInput(args);
  } catch (err) {
    if (!(err instanceof UnreadableInput)) throw err;
    process.stderr.write(`ten-studio flatten: ${err.message}\n`);
    return 2;
  }
  const name = args.options.get('graph');
  const candidates = result.graphs.filter((g) => typeof name !== 'string' || g.name === name);
  if (candidates.length !== 1) {
    const names = result.graphs.map((g) => g.name).join(', ');
    process.stderr.write(`ten-studio flatten: ${typeof name === 'string' ? `no graph named '${name}'` : '--graph NAME is required'} (graphs: ${names || 'none'})\n`);
    return 2;
  }
  // Package problems (not installed, schemas) do not change the flattened graph: warn, go on.
  const errors = result.diagnostics.filter((d) => !PACKAGE_CODES.has(d.code));
  for (const d of result.diagnostics) if (PACKAGE_CODES.has(d.code)) process.stderr.write(`warning: ${formatDiagnostic(d)}\n`);
  const chosen = candidates[0]!;
  if (errors.length || !chosen.graph) {
    for (const d of errors) process.stderr.write(formatDiagnostic(d) + '\n');
    return 1;
  }
  const { graph, at, baseDir } = chosen.graph;
  const flat = await flattenGraph(graph, { files: nodeFiles, baseDir, appBaseDir: result.appDir, at });
  if (!flat.ok) {
    for (const d of flat.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    return 1;
  }
  process.stdout.write(exportJson(flat.graph));
  return 0;
}
