/**
 * Runs a conformance directory (`<dir>/cases.json` + `<dir>/cases/<id>/…`, the format of
 * ten-corpus/graph-check) against the graph model: each record's `operation` on its input, the
 * verdict compared with `expect`, the error text with the asserted fragments.
 */
import { loadApp, validateApp } from '../app/app';
import { dirnamePath, joinPath, resolveImportUri, type FileSource } from '../app/files';
import { checkGraphShape } from '../graph/check';
import type { Diagnostic } from '../graph/diagnostics';
import {
  checkGraphInfo,
  checkPropertyDocument,
  fullGraphCheck,
  loadGraphFromUri,
  parseJsonDocument,
  parseTimeGraphCheck,
  predefinedGraphs,
  sourceOf,
  type JsonDocument,
} from '../graph/document';
import { expandNames, flattenGraph, injectGraphProxyChecked, reverseConnections, selectNodes } from '../graph/flatten';
import { checkConnectionsCompatible, checkNodesInstalled } from '../graph/packages';
import type { TenGraph, TenPredefinedGraph } from '../graph/types';
import { pointer } from '../json/located';
import { buildCatalogue } from '../manifest/catalogue';
import { flattenManifestApi, parseManifest } from '../manifest/manifest';
import { validateTenFile, type TenFileKind } from '../schema/document-validate';
import { checkSchemaCompatible, compileValueSchema, parseValueSchema, propertyBlockToSchema } from '../schema/value-schema';

/** One record of `cases.json` (fields this runner reads). */
export interface ConformanceCase {
  id: string;
  operation: string;
  input: string;
  expect: 'valid' | 'invalid';
  error_contains?: string | null;
  error_contains_all?: string[];
  error_contains_any?: string[];
  error_not_contains?: string;
  notes?: string;
  rust_call?: string;
}

/** What running one case produced. */
export interface CaseRun {
  verdict: 'valid' | 'invalid';
  /** All error texts, one per line. */
  errorText: string;
  diagnostics: Diagnostic[];
  /** The operation's result (a graph, a list of nodes, an API), for deeper assertions. */
  output?: unknown;
}

/** One case's outcome: passed, or the reason it did not. */
export interface CaseResult {
  id: string;
  passed: boolean;
  /** Why it failed (empty when passed). */
  reason: string;
  run: CaseRun;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const OPERATIONS = [
  'parse_property',
  'parse_graph',
  'graph_static_check',
  'graph_check_with_packages',
  'graph_check_single_app',
  'reverse_connections',
  'names_expansion',
  'flatten',
  'selector',
  'subgraph',
  'exposed_messages',
  'msg_conversion',
  'import_uri',
  'schema_validate_property',
  'schema_validate_manifest',
  'schema_validate_interface',
  'schema_validate_manifest_lock',
  'schema_create',
  'schema_compatibility',
  'schema_validate_value',
  'parse_manifest',
  'manifest_interface_flatten',
] as const;
/** The operations of the corpus format (see ten-corpus/README.md). */
export type ConformanceOperation = (typeof OPERATIONS)[number];

const done = (diagnostics: Diagnostic[], output?: unknown): CaseRun => ({
  verdict: diagnostics.length ? 'invalid' : 'valid',
  errorText: diagnostics.map((d) => d.message).join('\n'),
  diagnostics,
  output,
});
const fail = (message: string): CaseRun => done([{ code: 'E004', message, pointer: '' }]);

/** Reads and parses a JSON input; a missing file or a syntax error ends the case as invalid. */
async function readDoc(files: FileSource, path: string): Promise<{ doc: JsonDocument } | { run: CaseRun }> {
  const text = await files.readText(path);
  if (text === null) return { run: done([{ code: 'E003', message: `Cannot read ${path}`, file: path, pointer: '' }]) };
  const parsed = parseJsonDocument(text, path);
  return parsed.ok ? { doc: parsed.doc } : { run: done(parsed.diagnostics) };
}

/** Graph checks on a file that is either a property.json or a graph JSON. */
function graphsOf(doc: JsonDocument): { graph: unknown; at: { src: ReturnType<typeof sourceOf>; base: string } }[] {
  const src = sourceOf(doc);
  if (isRecord(doc.value) && isRecord(doc.value.ten)) {
    return predefinedGraphs(doc.value).map((g, i) => ({ graph: g.graph, at: { src, base: `${pointer('ten', 'predefined_graphs', i)}/graph` } }));
  }
  return [{ graph: doc.value, at: { src, base: '' } }];
}

/** Runs one case. `caseDir` is `<dir>/cases/<id>`. Never throws for bad inputs. */
export async function runCase(c: ConformanceCase, caseDir: string, files: FileSource): Promise<CaseRun> {
  const input = joinPath(caseDir, c.input);
  const op = c.operation as ConformanceOperation;
  if (!OPERATIONS.includes(op)) return fail(`unknown operation '${c.operation}'`);
  switch (op) {
    case 'graph_check_with_packages':
    case 'graph_check_single_app': {
      const isDir = (await files.listDir(input)) !== null;
      if (!isDir) {
        const r = await readDoc(files, input);
        if ('run' in r) return r.run;
        const diags = graphsOf(r.doc).flatMap(({ graph, at }) => {
          const d = fullGraphCheck(graph, at);
          return d.length ? d : [...checkNodesInstalled(graph as TenGraph, at, buildCatalogue([])), ...checkConnectionsCompatible(graph as TenGraph, at, buildCatalogue([]))];
        });
        return done(diags);
      }
      const app = await loadApp(input, files);
      if (op === 'graph_check_with_packages') {
        const v = await validateApp(app, { files });
        return done(v.diagnostics, v.graphs);
      }
      const r = await readDoc(files, joinPath(input, 'graph.json'));
      if ('run' in r) return r.run;
      const at = { src: sourceOf(r.doc), base: '' };
      const d = fullGraphCheck(r.doc.value, at);
      if (d.length) return done(d);
      const catalogue = buildCatalogue(app.packages.map((p) => p.entry));
      const ten = isRecord(app.property?.value) && isRecord(app.property.value.ten) ? app.property.value.ten : {};
      const appUri = typeof ten.uri === 'string' ? ten.uri : undefined;
      const g = r.doc.value as TenGraph;
      return done([...checkNodesInstalled(g, at, catalogue, { appUri }), ...checkConnectionsCompatible(g, at, catalogue)]);
    }
    case 'schema_compatibility': {
      const a = await readDoc(files, input);
      if ('run' in a) return a.run;
      const b = await readDoc(files, joinPath(dirnamePath(input), 'schema2.json'));
      if ('run' in b) return b.run;
      const s1 = parseValueSchema(a.doc.value);
      const s2 = parseValueSchema(b.doc.value);
      if (!s1.ok) return fail(s1.error);
      if (!s2.ok) return fail(s2.error);
      const r = checkSchemaCompatible(s1.schema, s2.schema);
      return r.ok ? done([]) : done([{ code: 'E052', message: r.error, file: input, pointer: '' }]);
    }
    case 'import_uri':
      return runImportUri(c, input, caseDir, files);
    default:
      break;
  }
  const r = await readDoc(files, input);
  if ('run' in r) return r.run;
  const doc = r.doc;
  const src = sourceOf(doc);
  switch (op) {
    case 'parse_property':
      return done(checkPropertyDocument(doc));
    case 'parse_graph':
      return done(parseTimeGraphCheck(doc.value, { src, base: '' }), doc.value);
    case 'graph_static_check':
    case 'msg_conversion': {
      if (isRecord(doc.value) && isRecord(doc.value.ten)) {
        const first = checkPropertyDocument(doc, { schema: op === 'msg_conversion' });
        if (first.length) return done(first);
      }
      return done(graphsOf(doc).flatMap(({ graph, at }) => fullGraphCheck(graph, at)), doc.value);
    }
    case 'reverse_connections':
    case 'names_expansion':
    case 'selector': {
      const shape = checkGraphShape(doc.value, { src, base: '' });
      if (shape.length) return done(shape);
      const g = doc.value as TenGraph;
      if (op === 'reverse_connections') return done([], reverseConnections(g));
      if (op === 'names_expansion') return done([], expandNames(g));
      const selected: Record<string, string[]> = {};
      for (const n of g.nodes) if (n.type === 'selector') selected[n.name] = (selectNodes(g, n.name) ?? []).map((x) => x.name);
      return done([], selected);
    }
    case 'flatten':
    case 'subgraph': {
      const shape = checkGraphShape(doc.value, { src, base: '' });
      if (shape.length) return done(shape);
      // The notes name the variants TEN's tests call: no base folder, or exposed info kept.
      const noBase = /without a base dir/i.test(c.notes ?? '');
      const preserveExposed = /keeps exposed info/i.test(c.notes ?? '');
      const res = await flattenGraph(doc.value as TenGraph, { files, baseDir: noBase ? undefined : caseDir, preserveExposed, at: { src, base: '' } });
      return res.ok ? done([], res.graph) : done(res.diagnostics);
    }
    case 'exposed_messages': {
      const shape = checkGraphShape(doc.value, { src, base: '' });
      if (shape.length) return done(shape);
      const hostText = await files.readText(joinPath(caseDir, 'host_loc.json'));
      const host = hostText === null ? undefined : parseJsonDocument<Record<string, unknown>>(hostText);
      const hostLoc = host?.ok && isRecord(host.doc.value) ? host.doc.value : undefined;
      const res = injectGraphProxyChecked(doc.value as TenGraph, hostLoc, { src, base: '' });
      return res.ok ? done([], res.graph) : done(res.diagnostics);
    }
    case 'schema_validate_property':
    case 'schema_validate_manifest':
    case 'schema_validate_interface':
    case 'schema_validate_manifest_lock': {
      const kind = op.slice('schema_validate_'.length).replace('_', '-') as TenFileKind;
      return done(validateTenFile(kind, doc.value).map((v) => ({ code: 'E002', message: v.message, file: input, pointer: v.pointer })));
    }
    case 'schema_create': {
      const s = parseValueSchema(doc.value);
      return s.ok ? done([], s.schema) : fail(s.error);
    }
    case 'schema_validate_value': {
      const api = isRecord(doc.value) && isRecord(doc.value.api) ? doc.value.api : {};
      const schema = propertyBlockToSchema(api.property);
      if (!schema.ok) return fail(schema.error);
      const v = await readDoc(files, joinPath(caseDir, 'property_value.json'));
      if ('run' in v) return v.run;
      const check = compileValueSchema(schema.schema)(v.doc.value);
      return check.ok ? done([]) : done([{ code: 'E051', message: check.error, pointer: '' }]);
    }
    case 'parse_manifest': {
      const text = (await files.readText(input)) ?? '';
      const m = parseManifest(text, input, { schema: /create_from_str/.test(c.rust_call ?? '') });
      return done(m.diagnostics, m.doc?.value);
    }
    case 'manifest_interface_flatten': {
      const text = (await files.readText(input)) ?? '';
      const m = parseManifest(text, input);
      if (!m.doc || m.diagnostics.length) return done(m.diagnostics);
      const api = isRecord(m.doc.value) ? m.doc.value.api : undefined;
      const flat = await flattenManifestApi(api, { files, baseDir: dirnamePath(input), file: input });
      return done(flat.diagnostics, flat.api);
    }
    default:
      return fail(`operation '${op}' needs no document`);
  }
}

async function runImportUri(c: ConformanceCase, input: string, caseDir: string, files: FileSource): Promise<CaseRun> {
  const r = await readDoc(files, input);
  if ('run' in r) return r.run;
  const doc = r.doc;
  const src = sourceOf(doc);
  const name = input.slice(input.lastIndexOf('/') + 1);
  if (name === 'request.json' && isRecord(doc.value)) {
    // Our wrapper around TEN's load_graph_from_uri(uri, base_dir).
    const uri = typeof doc.value.uri === 'string' ? doc.value.uri : '';
    const base = typeof doc.value.base_dir === 'string' ? doc.value.base_dir : undefined;
    const baseDir = base === undefined ? undefined : base.startsWith('file://') ? base.slice(7) : base;
    const res = resolveImportUri(uri, baseDir);
    if (!res.ok) return done([{ code: 'E026', message: res.error, file: input, pointer: '/uri' }]);
    const loaded = await loadGraphFromUri(uri, { files, baseDir }, { src, ptr: '/uri' });
    return loaded.ok ? done([], loaded.graph.graph) : done(loaded.diagnostics);
  }
  if (isRecord(doc.value) && isRecord(doc.value.graph) && typeof doc.value.name === 'string') {
    const info = doc.value as TenPredefinedGraph;
    const d = checkGraphInfo(info, src, '');
    if (d.length) return done(d);
    const g = info.graph as Record<string, unknown>;
    if (typeof g.import_uri !== 'string') return done(parseTimeGraphCheck(g, { src, base: '/graph' }), g);
    const loaded = await loadGraphFromUri(g.import_uri, { files, baseDir: caseDir }, { src, ptr: '/graph/import_uri' });
    return loaded.ok ? done([], loaded.graph.graph) : done(loaded.diagnostics);
  }
  // A graph file loaded by a relative URI against its case folder.
  const loaded = await loadGraphFromUri(c.input, { files, baseDir: caseDir }, { src, ptr: '' });
  return loaded.ok ? done([], loaded.graph.graph) : done(loaded.diagnostics);
}

/** Compares a run with the case's expectations. */
export function judge(c: ConformanceCase, run: CaseRun): { passed: boolean; reason: string } {
  if (run.verdict !== c.expect) {
    return { passed: false, reason: `expected ${c.expect}, got ${run.verdict}${run.errorText ? `: ${run.errorText.split('\n')[0]}` : ''}` };
  }
  if (c.expect === 'valid') return { passed: true, reason: '' };
  const text = run.errorText;
  const must = [...(c.error_contains ? [c.error_contains] : []), ...(c.error_contains_all ?? [])];
  const missing = must.filter((f) => !text.includes(f));
  if (missing.length) return { passed: false, reason: `error text lacks ${JSON.stringify(missing)}; got: ${text.split('\n')[0]}` };
  if (c.error_contains_any?.length && !c.error_contains_any.some((f) => text.includes(f))) {
    return { passed: false, reason: `error text has none of ${JSON.stringify(c.error_contains_any)}; got: ${text.split('\n')[0]}` };
  }
  if (c.error_not_contains && text.includes(c.error_not_contains)) {
    return { passed: false, reason: `error text must not contain ${JSON.stringify(c.error_not_contains)}` };
  }
  return { passed: true, reason: '' };
}

/** Reads `<dir>/cases.json`; an unreadable or malformed file is an error string. */
export async function readCases(dir: string, files: FileSource): Promise<ConformanceCase[] | string> {
  const file = joinPath(dir, 'cases.json');
  const text = await files.readText(file);
  if (text === null) return `Cannot read ${file}`;
  const parsed = parseJsonDocument(text, file);
  if (!parsed.ok) return `${file}: ${parsed.diagnostics[0]!.message}`;
  if (!Array.isArray(parsed.doc.value)) return `${file}: expected an array of cases`;
  return parsed.doc.value.filter(
    (c): c is ConformanceCase => isRecord(c) && typeof c.id === 'string' && typeof c.operation === 'string' && typeof c.input === 'string' && (c.expect === 'valid' || c.expect === 'invalid'),
  );
}

/** Runs every case of a conformance directory. */
export async function runConformance(dir: string, files: FileSource): Promise<CaseResult[] | string> {
  const cases = await readCases(dir, files);
  if (typeof cases === 'string') return cases;
  const results: CaseResult[] = [];
  for (const c of cases) {
    let run: CaseRun;
    try {
      run = await runCase(c, joinPath(dir, `cases/${c.id}`), files);
    } catch (err) {
      run = fail(`internal error: ${(err as Error).message}`);
    }
    results.push({ id: c.id, ...judge(c, run), run });
  }
  return results;
}

