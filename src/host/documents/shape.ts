/**
 * The structure the studio needs before it can show a file: objects where it walks, arrays
 * where it iterates, names where it keys. Full TEN validation (rules, schemas, TEN's error
 * texts) belongs to the graph model in `src/shared/graph`; this only keeps a malformed file
 * from reaching the renderer as something it would crash on, and says where the file is wrong.
 */
import type { TenAppProperty, TenGraph } from '../../shared';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const escape = (token: string | number) => String(token).replace(/~/g, '~0').replace(/\//g, '~1');

/** A shape problem: a JSON pointer into the file and what is wrong there. */
export interface ShapeProblem {
  pointer: string;
  message: string;
}

function graphProblem(graph: unknown, at: string): ShapeProblem | null {
  if (!isRecord(graph)) return { pointer: at, message: 'a graph must be an object' };
  if (!Array.isArray(graph.nodes)) return { pointer: `${at}/nodes`, message: 'a graph needs a "nodes" array' };
  for (const [i, node] of graph.nodes.entries()) {
    const here = `${at}/nodes/${i}`;
    if (!isRecord(node)) return { pointer: here, message: 'a node must be an object' };
    if (typeof node.name !== 'string') return { pointer: `${here}/name`, message: 'a node needs a string "name"' };
    if (typeof node.type !== 'string') return { pointer: `${here}/type`, message: 'a node needs a string "type"' };
  }
  if (graph.connections !== undefined) {
    if (!Array.isArray(graph.connections)) return { pointer: `${at}/connections`, message: '"connections" must be an array' };
    for (const [i, conn] of graph.connections.entries()) {
      if (!isRecord(conn)) return { pointer: `${at}/connections/${i}`, message: 'a connection must be an object' };
    }
  }
  return null;
}

/** Checks an app `property.json`; returns the first problem, or null. */
export function propertyShapeProblem(value: unknown): ShapeProblem | null {
  if (!isRecord(value)) return { pointer: '', message: 'property.json must hold a JSON object' };
  if (value.ten === undefined) return null;
  if (!isRecord(value.ten)) return { pointer: '/ten', message: '"ten" must be an object' };
  const graphs = value.ten.predefined_graphs;
  if (graphs === undefined) return null;
  if (!Array.isArray(graphs)) return { pointer: '/ten/predefined_graphs', message: '"predefined_graphs" must be an array' };
  for (const [i, entry] of graphs.entries()) {
    const here = `/ten/predefined_graphs/${i}`;
    if (!isRecord(entry)) return { pointer: here, message: 'a predefined graph must be an object' };
    if (typeof entry.name !== 'string') return { pointer: `${here}/name`, message: 'a predefined graph needs a string "name"' };
    if (!isRecord(entry.graph)) return { pointer: `${here}/graph`, message: 'a predefined graph needs a "graph" object' };
    if (typeof entry.graph.import_uri === 'string' && entry.graph.nodes === undefined) continue;
    const problem = graphProblem(entry.graph, `${here}/graph`);
    if (problem) return problem;
  }
  return null;
}

/** Checks a standalone graph JSON; returns the first problem, or null. */
export function graphShapeProblem(value: unknown): ShapeProblem | null {
  return graphProblem(value, '');
}

/** Whether parsed JSON looks like a standalone graph rather than a property.json. */
export function looksLikeGraph(value: unknown): boolean {
  return isRecord(value) && value.ten === undefined && Array.isArray(value.nodes);
}

/**
 * A standalone graph is edited as the single predefined graph of a property document, so the
 * renderer handles every document the same way; `unwrapGraph` reverses it for writing.
 */
export function wrapGraph(graph: TenGraph, name: string): TenAppProperty {
  return { ten: { predefined_graphs: [{ name, graph }] } };
}

/** The graph body of a wrapped standalone graph, or an error text when it is not one. */
export function unwrapGraph(property: TenAppProperty): { graph: TenGraph } | { error: string } {
  const graphs = property.ten?.predefined_graphs;
  if (!Array.isArray(graphs) || graphs.length !== 1) {
    return { error: `a graph file holds exactly one graph, but the document has ${Array.isArray(graphs) ? graphs.length : 0}` };
  }
  const graph = graphs[0]!.graph;
  const problem = graphProblem(graph, `/ten/predefined_graphs/0/graph`);
  if (problem) return { error: `${problem.pointer}: ${problem.message}` };
  return { graph: graph as TenGraph };
}

/** Picks one inline predefined graph for export as standalone graph JSON. */
export function pickGraph(property: TenAppProperty, graphName: string | undefined): { graph: TenGraph } | { error: string } {
  const graphs = property.ten?.predefined_graphs ?? [];
  const names = graphs.map((g) => g.name);
  const entry = graphName === undefined ? (graphs.length === 1 ? graphs[0] : undefined) : graphs.find((g) => g.name === graphName);
  if (!entry) {
    return {
      error:
        graphName === undefined
          ? `the document has ${graphs.length} graphs (${names.join(', ') || 'none'}); name the one to export`
          : `the document has no graph "${graphName}" (it has ${names.join(', ') || 'none'})`,
    };
  }
  const at = `/ten/predefined_graphs/${escape(graphs.indexOf(entry))}/graph`;
  if (isRecord(entry.graph) && !('nodes' in entry.graph)) {
    return { error: `graph "${entry.name}" is imported from a file (import_uri); export that file instead` };
  }
  const problem = graphProblem(entry.graph, at);
  return problem ? { error: `${problem.pointer}: ${problem.message}` } : { graph: entry.graph as TenGraph };
}
