/**
 * Package manifests (`manifest.json`): TEN's field rules (localized texts, dependencies), the
 * structural schema, and `api.interface[].import_uri` resolution and merge.
 */
import { dirnamePath, resolveImportUri, type FileSource } from '../app/files';
import { cloneJson } from '../json/clone';
import { pointer } from '../json/located';
import { diag, type Diagnostic } from '../graph/diagnostics';
import { parseJsonDocument, schemaDiagnostics, sourceOf, type JsonDocument } from '../graph/document';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A message declared in a manifest API (`cmd_in[]`, `data_out[]`, …). */
export interface ApiMessage {
  name: string;
  property?: { properties?: Record<string, unknown>; required?: string[] };
  result?: { property?: { properties?: Record<string, unknown>; required?: string[] } };
  [extra: string]: unknown;
}

/** The message lists of a manifest API, in TEN's order. */
export const API_MESSAGE_LISTS = [
  'cmd_in',
  'cmd_out',
  'data_in',
  'data_out',
  'audio_frame_in',
  'audio_frame_out',
  'video_frame_in',
  'video_frame_out',
] as const;
/** Name of one message list of a manifest API. */
export type ApiMessageList = (typeof API_MESSAGE_LISTS)[number];

/** A manifest's `api` (unknown keys kept). */
export interface ManifestApi {
  interface?: { import_uri: string }[];
  property?: { properties?: Record<string, unknown>; required?: string[] };
  cmd_in?: ApiMessage[];
  cmd_out?: ApiMessage[];
  data_in?: ApiMessage[];
  data_out?: ApiMessage[];
  audio_frame_in?: ApiMessage[];
  audio_frame_out?: ApiMessage[];
  video_frame_in?: ApiMessage[];
  video_frame_out?: ApiMessage[];
  [extra: string]: unknown;
}

/** A package `manifest.json` (unknown keys kept). */
export interface TenManifest {
  type: string;
  name: string;
  version: string;
  dependencies?: ({ type: string; name: string; version: string } | { path: string })[];
  api?: ManifestApi;
  [extra: string]: unknown;
}

const LOCALE = /^[a-z]{2}(-[A-Z]{2})?$/;

/** TEN's rules for a localized text (`description`, `display_name`, `readme`). */
function checkLocalized(value: unknown, ptr: string, out: (msg: string, p: string) => void): void {
  if (typeof value === 'string' || !isRecord(value)) return;
  const locales = value.locales;
  if (!isRecord(locales)) return;
  for (const [locale, entry] of Object.entries(locales)) {
    const p = `${ptr}/locales/${locale}`;
    if (!LOCALE.test(locale)) {
      out(`Invalid locale format: '${locale}'. The locale does not match the BCP47 pattern 'xx' or 'xx-YY'`, p);
      continue;
    }
    if (!isRecord(entry)) continue;
    const hasContent = entry.content !== undefined;
    const hasUri = entry.import_uri !== undefined;
    if (hasContent && hasUri) out(`Locale '${locale}' cannot have both 'content' and 'import_uri'`, p);
    else if (!hasContent && !hasUri) out(`Locale '${locale}' must have either 'content' or 'import_uri'`, p);
    else if (hasContent && entry.content === '') out(`Content for locale '${locale}' cannot be empty`, `${p}/content`);
    else if (hasUri && entry.import_uri === '') out(`Import URI for locale '${locale}' cannot be empty`, `${p}/import_uri`);
  }
}

/**
 * TEN's manifest field rules (what its deserializer enforces beyond the schema): locale keys and
 * content/import_uri of localized texts, and no duplicate dependency.
 */
export function checkManifestFields(doc: JsonDocument): Diagnostic[] {
  const src = sourceOf(doc);
  const v = doc.value;
  if (!isRecord(v)) return [diag('E004', 'manifest.json must be a JSON object', src, '')];
  const out: Diagnostic[] = [];
  const push = (msg: string, p: string): void => void out.push(diag('E040', msg, src, p));
  for (const field of ['description', 'display_name', 'readme']) checkLocalized(v[field], `/${field}`, push);
  const api = v.api;
  if (isRecord(api)) {
    const props = isRecord(api.property) && isRecord(api.property.properties) ? api.property.properties : {};
    for (const [k, p] of Object.entries(props)) if (isRecord(p)) checkLocalized(p.description, pointer('api', 'property', 'properties', k, 'description'), push);
  }
  if (Array.isArray(v.dependencies)) {
    const seen = new Set<string>();
    v.dependencies.forEach((d, i) => {
      if (!isRecord(d) || typeof d.name !== 'string') return;
      const key = `${String(d.type)}|${d.name}`;
      if (seen.has(key)) push(`Duplicate dependency found: type '${String(d.type)}', name '${d.name}'`, pointer('dependencies', i));
      seen.add(key);
    });
  }
  return out;
}

/** Parses a manifest; `schema: false` runs only TEN's field rules (as TEN's deserializer does). */
export function parseManifest(text: string, file?: string, opts: { schema?: boolean } = {}): { doc?: JsonDocument<TenManifest>; diagnostics: Diagnostic[] } {
  const parsed = parseJsonDocument<TenManifest>(text, file);
  if (!parsed.ok) return { diagnostics: parsed.diagnostics };
  const diagnostics = [...(opts.schema === false ? [] : schemaDiagnostics('manifest', parsed.doc)), ...checkManifestFields(parsed.doc)];
  return { doc: parsed.doc, diagnostics };
}

/** Merges `from` into `into`: properties and required united, messages merged by name (first wins). */
function mergeApi(into: ManifestApi, from: ManifestApi): void {
  if (from.property) {
    const p = (into.property ??= {});
    p.properties = { ...(from.property.properties ?? {}), ...(p.properties ?? {}) };
    const req = [...(p.required ?? []), ...(from.property.required ?? [])];
    if (req.length) p.required = [...new Set(req)];
  }
  for (const list of API_MESSAGE_LISTS) {
    const incoming = from[list];
    if (!incoming) continue;
    const target = (into[list] ??= []);
    for (const m of incoming) if (!target.some((t) => t.name === m.name)) target.push(cloneJson(m));
  }
}

/**
 * The manifest's API with every `api.interface[].import_uri` loaded (relative to the file that
 * contains it, recursively) and merged; the result has no `interface` left.
 */
export async function flattenManifestApi(
  api: ManifestApi | undefined,
  opts: { files?: FileSource; baseDir?: string; appBaseDir?: string; file?: string },
): Promise<{ api: ManifestApi; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const result: ManifestApi = cloneJson(api ?? {});
  const visiting = new Set<string>();
  // `prefix` is where `interface` sits in `file`: under `/api` in a manifest, at the top in an interface file.
  const load = async (imports: { import_uri: string }[] | undefined, baseDir: string | undefined, file: string | undefined, into: ManifestApi, prefix: string): Promise<void> => {
    for (const [i, imp] of (imports ?? []).entries()) {
      const ptr = prefix + pointer('interface', i, 'import_uri');
      const where = { file };
      const uri = typeof imp?.import_uri === 'string' ? imp.import_uri : '';
      const res = resolveImportUri(uri, baseDir, opts.appBaseDir);
      if (!res.ok) {
        diagnostics.push(diag('E041', res.error, where, ptr));
        continue;
      }
      if (visiting.has(res.path)) continue;
      const text = opts.files ? await opts.files.readText(res.path) : null;
      if (text === null) {
        diagnostics.push(diag('E041', `Failed to load interface from ${uri}: cannot read ${res.path}`, where, ptr));
        continue;
      }
      const parsed = parseJsonDocument<ManifestApi>(text, res.path);
      if (!parsed.ok) {
        diagnostics.push(...parsed.diagnostics);
        continue;
      }
      const schema = schemaDiagnostics('interface', parsed.doc);
      if (schema.length) {
        diagnostics.push(...schema);
        continue;
      }
      visiting.add(res.path);
      const nested: ManifestApi = cloneJson(parsed.doc.value);
      const nestedImports = nested.interface;
      delete nested.interface;
      await load(nestedImports, dirnamePath(res.path), res.path, nested, '');
      mergeApi(into, nested);
      visiting.delete(res.path);
    }
  };
  const imports = result.interface;
  delete result.interface;
  await load(imports, opts.baseDir, opts.file, result, '/api');
  return { api: result, diagnostics };
}
