/**
 * TEN documents as the studio holds them: the parsed JSON value (kept whole, so unknown fields
 * survive a round trip), its text positions, and the checks TEN runs when it loads them.
 */
import { dirnamePath, resolveImportUri, readFailureNote, type FileSource } from '../app/files';
import { parseJson, pointer, textPositions, type LocatedJson } from '../json/located';
import { validateTenFile, type TenFileKind } from '../schema/document-validate';
import { checkAppFields, checkGraphShape, staticCheck, type GraphAt } from './check';
import { diag, type Diagnostic, type SourceRef } from './diagnostics';
import { exportJson, type ExportKind } from './export';
import type { TenGraph, TenPredefinedGraph } from './types';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parsed JSON file: value plus where each value was written. */
export interface JsonDocument<T = unknown> {
  file?: string;
  located?: LocatedJson;
  value: T;
}

/** A parsed document, or why the text is not JSON. */
export type ParseOutcome<T> = { ok: true; doc: JsonDocument<T> } | { ok: false; diagnostics: Diagnostic[] };

/** Parses JSON text into a document, reporting syntax errors (E001) with line:column. */
export function parseJsonDocument<T = unknown>(text: string, file?: string): ParseOutcome<T> {
  const r = parseJson(text);
  if (!r.ok) {
    const d: Diagnostic = { code: 'E001', message: `Failed to parse JSON: ${r.error.message}`, pointer: '', line: r.error.position.line, column: r.error.position.column };
    if (file !== undefined) d.file = file;
    return { ok: false, diagnostics: [d] };
  }
  return { ok: true, doc: { file, located: r.doc, value: r.doc.value as T } };
}

/**
 * A document held in memory (the editor's, as edited) as if read from the text it would be
 * written as (`exportJson(value, kind)`). The positions of that text are worked out only when a
 * diagnostic first asks for one: a document without problems is checked without being written
 * out and parsed again, which for a 71 MB document cost most of a check.
 */
export function documentFromValue<T>(value: T, file: string, kind: ExportKind = 'json'): JsonDocument<T> {
  let positions: LocatedJson['positions'] | undefined;
  const located: LocatedJson = {
    value,
    get positions() {
      positions ??= textPositions(exportJson(value, kind));
      return positions;
    },
  };
  return { file, located, value };
}

/** The file and positions diagnostics about `doc` need. */
export function sourceOf(doc: JsonDocument): SourceRef {
  return { file: doc.file, doc: doc.located };
}

/** Runs the structural schema of `kind` over a document (E002 per violation). */
export function schemaDiagnostics(kind: TenFileKind, doc: JsonDocument): Diagnostic[] {
  return validateTenFile(kind, doc.value).map((v) => diag('E002', v.message, sourceOf(doc), v.pointer));
}

/** The predefined graphs of a property document (empty when absent or malformed). */
export function predefinedGraphs(value: unknown): TenPredefinedGraph[] {
  if (!isRecord(value) || !isRecord(value.ten) || !Array.isArray(value.ten.predefined_graphs)) return [];
  return value.ten.predefined_graphs.filter(isRecord) as TenPredefinedGraph[];
}

/** Rules TEN applies to a predefined-graph entry before loading it. */
export function checkGraphInfo(info: TenPredefinedGraph, src: SourceRef, base: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const g = info.graph as Record<string, unknown> | undefined;
  if (!isRecord(g)) {
    out.push(diag('E004', `predefined graph '${String(info.name)}' has no 'graph' object`, src, base));
    return out;
  }
  if (typeof g.import_uri === 'string') {
    for (const field of ['nodes', 'connections', 'exposed_messages', 'exposed_properties']) {
      const v = g[field];
      if (Array.isArray(v) ? v.length > 0 : v !== undefined) {
        out.push(diag('E025', `When 'import_uri' is specified, '${field}' field must not be present`, src, `${base}/graph/${field}`));
      }
    }
  }
  return out;
}

/**
 * TEN's `Graph::from_str` rules for one graph: shape, then the `app` field rules.
 * (The static checks are separate: TEN runs them at start time, the studio on every edit.)
 */
export function parseTimeGraphCheck(graph: unknown, at: GraphAt): Diagnostic[] {
  const shape = checkGraphShape(graph, at);
  if (shape.length) return shape;
  return checkAppFields(graph as TenGraph, at);
}

/** Parse-time rules plus static checks for one graph. */
export function fullGraphCheck(graph: unknown, at: GraphAt): Diagnostic[] {
  const first = parseTimeGraphCheck(graph, at);
  if (first.length) return first;
  return staticCheck(graph as TenGraph, at);
}

/**
 * TEN's `parse_property`: schema, predefined graph names unique, each graph entry's rules and
 * each inline graph's parse-time rules. Imported graphs are checked by {@link loadPredefinedGraph}.
 */
export function checkPropertyDocument(doc: JsonDocument, opts: { schema?: boolean } = {}): Diagnostic[] {
  const src = sourceOf(doc);
  if (!isRecord(doc.value)) return [diag('E004', 'property.json must be a JSON object', src, '')];
  const out: Diagnostic[] = opts.schema === false ? [] : schemaDiagnostics('property', doc);
  const names = new Map<string, number>();
  predefinedGraphs(doc.value).forEach((info, i) => {
    const base = pointer('ten', 'predefined_graphs', i);
    if (typeof info.name === 'string') {
      const prev = names.get(info.name);
      if (prev !== undefined) out.push(diag('E024', `Duplicated graph name '${info.name}' in predefined_graphs[${prev}] and predefined_graphs[${i}].`, src, `${base}/name`));
      else names.set(info.name, i);
    }
    const infoDiags = checkGraphInfo(info, src, base);
    out.push(...infoDiags);
    if (!infoDiags.length && isRecord(info.graph) && typeof info.graph.import_uri !== 'string') {
      out.push(...parseTimeGraphCheck(info.graph, { src, base: `${base}/graph` }));
    }
  });
  return out;
}

/** A graph ready for checks: the graph, where it was written, and the folder it lives in. */
export interface LocatedGraph {
  graph: TenGraph;
  at: GraphAt;
  /** Folder of the file the graph was read from (for its subgraphs' import_uri). */
  baseDir?: string;
}

/**
 * Loads predefined graph `index` of a property document, following `graph.import_uri` (relative
 * to the property file's folder). Errors point at the entry in property.json or at the imported file.
 */
export async function loadPredefinedGraph(
  doc: JsonDocument,
  index: number,
  opts: { files?: FileSource; baseDir?: string; appBaseDir?: string },
): Promise<{ ok: true; graph: LocatedGraph } | { ok: false; diagnostics: Diagnostic[] }> {
  const src = sourceOf(doc);
  const info = predefinedGraphs(doc.value)[index];
  const base = pointer('ten', 'predefined_graphs', index);
  if (!info) return { ok: false, diagnostics: [diag('E004', `no predefined graph #${index}`, src, '/ten/predefined_graphs')] };
  const infoDiags = checkGraphInfo(info, src, base);
  if (infoDiags.length) return { ok: false, diagnostics: infoDiags };
  const g = info.graph as Record<string, unknown>;
  if (typeof g.import_uri !== 'string') return { ok: true, graph: { graph: g as TenGraph, at: { src, base: `${base}/graph` }, baseDir: opts.baseDir } };
  return loadGraphFromUri(g.import_uri, opts, { src, ptr: `${base}/graph/import_uri` });
}

/** Loads a standalone graph file named by an import_uri. */
export async function loadGraphFromUri(
  uri: string,
  opts: { files?: FileSource; baseDir?: string; appBaseDir?: string },
  from: { src: SourceRef; ptr: string },
): Promise<{ ok: true; graph: LocatedGraph } | { ok: false; diagnostics: Diagnostic[] }> {
  const res = resolveImportUri(uri, opts.baseDir, opts.appBaseDir);
  if (!res.ok) return { ok: false, diagnostics: [diag('E026', res.error, from.src, from.ptr)] };
  const text = opts.files ? await opts.files.readText(res.path) : null;
  if (text === null) return { ok: false, diagnostics: [diag('E026', `Failed to read graph file from ${res.path}${await readFailureNote(opts.files, res.path)}`, from.src, from.ptr)] };
  const parsed = parseJsonDocument<TenGraph>(text, res.path);
  if (!parsed.ok) return parsed;
  const at = { src: sourceOf(parsed.doc), base: '' };
  // Only the shape: TEN's loader does not apply graph rules; callers run the checks they need.
  const diags = checkGraphShape(parsed.doc.value, at);
  if (diags.length) return { ok: false, diagnostics: diags };
  return { ok: true, graph: { graph: parsed.doc.value, at, baseDir: dirnamePath(res.path) } };
}
