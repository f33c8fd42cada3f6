// Every built-in addon is a well-formed TEN extension package, and the examples only use what the
// built-ins declare.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_ADDON_NAMES, BUILTIN_ADDONS_DIR, builtinAddonPackages, builtinCatalogueEntries } from '../../../../src/runtime/addons';
import { API_MESSAGE_LISTS, buildCatalogue, describeAddon, parseManifest, TEN_VALUE_TYPES, validateLayout, type TenManifest } from '../../../../src/shared';

const TEN_TYPES = new Set<string>(TEN_VALUE_TYPES);
const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
const PORT_LISTS = API_MESSAGE_LISTS;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

/** Problems in a TEN value schema (`{type, properties?, items?, required?}`), as readable paths. */
function schemaProblems(schema: unknown, path: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [`${path}: not an object`];
  const s = schema as Json;
  if (typeof s.type !== 'string' || !TEN_TYPES.has(s.type)) return [`${path}: unknown type ${String(s.type)}`];
  const problems: string[] = [];
  if (s.type === 'object') problems.push(...propertyBlockProblems(s, path));
  if (s.type === 'array') {
    if (s.items === undefined) problems.push(`${path}: array without items`);
    else problems.push(...schemaProblems(s.items, `${path}[]`));
  }
  return problems;
}

/** Problems in a `{properties, required?}` block. */
function propertyBlockProblems(block: Json, path: string): string[] {
  const problems: string[] = [];
  const props = (block.properties ?? {}) as Json;
  for (const [key, value] of Object.entries(props)) {
    if (!IDENT.test(key)) problems.push(`${path}.${key}: not an identifier`);
    problems.push(...schemaProblems(value, `${path}.${key}`));
  }
  if (block.required !== undefined) {
    const required = block.required as unknown[];
    if (!Array.isArray(required) || required.length === 0) problems.push(`${path}.required: must be a non-empty array`);
    else for (const r of required) if (!(String(r) in props)) problems.push(`${path}.required: '${String(r)}' is not a property`);
  }
  return problems;
}

/** Whether a property.json value satisfies a TEN type (TEN's adjust-then-check for numbers). */
function valueFits(value: unknown, type: string): boolean {
  if (type in INT_RANGES) {
    const [min, max] = INT_RANGES[type]!;
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
  }
  switch (type) {
    case 'float32':
    case 'float64':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    default:
      return false;
  }
}

describe('built-in addon catalogue', () => {
  it('lists exactly the addon folders', () => {
    const folders = readdirSync(BUILTIN_ADDONS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(folders).toEqual([...BUILTIN_ADDON_NAMES].sort());
  });

  it('resolves every package to existing files', () => {
    for (const pkg of builtinAddonPackages()) {
      expect(existsSync(pkg.manifestPath), pkg.manifestPath).toBe(true);
      expect(existsSync(pkg.propertyPath), pkg.propertyPath).toBe(true);
      expect(existsSync(pkg.entry), pkg.entry).toBe(true);
    }
  });

  it('feeds the shared catalogue with ports and property defaults', () => {
    const catalogue = buildCatalogue(builtinCatalogueEntries());
    expect(catalogue.addons.map((a) => a.name).sort()).toEqual([...BUILTIN_ADDON_NAMES].sort());
    expect(catalogue.get('data_generator')?.defaultProperty).toMatchObject({ interval_ms: 100, data_name: 'tick' });
    expect(catalogue.port('cmd_echo', 'cmd', 'in', 'ping')?.resultSchema).toBeDefined();
    expect(catalogue.get('counter_sink')?.source).toBe('builtin');
  });

  it('fails loudly when a package is missing', () => {
    expect(() => builtinAddonPackages(resolve('test'))).toThrow(/Built-in addon "audio_generator" is missing/);
  });
});

describe.each(BUILTIN_ADDON_NAMES.map((name) => [name]))('built-in addon %s', (name) => {
  const dir = join(BUILTIN_ADDONS_DIR, name);
  const manifest = readJson(join(dir, 'manifest.json'));
  const api = (manifest.api ?? {}) as Json;

  it('has a TEN extension manifest', () => {
    expect(manifest.type).toBe('extension');
    expect(manifest.name).toBe(name);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    const allowedTop = ['type', 'name', 'version', 'display_name', 'description', 'tags', 'dependencies', 'api'];
    expect(Object.keys(manifest).filter((k) => !allowedTop.includes(k))).toEqual([]);
    const allowedApi = ['property', 'interface', ...PORT_LISTS];
    expect(Object.keys(api).filter((k) => !allowedApi.includes(k))).toEqual([]);
  });

  it("passes the shared manifest parser (TEN's manifest schema and field rules)", () => {
    const file = join(dir, 'manifest.json');
    const { doc, diagnostics } = parseManifest(readFileSync(file, 'utf8'), file);
    expect(diagnostics.map((d) => `${d.code} ${d.message} @ ${d.pointer}`)).toEqual([]);
    expect(doc).toBeDefined();
  });

  it('gives the editor typed ports whose schemas all compile', () => {
    const info = describeAddon({ manifest: manifest as unknown as TenManifest, source: 'builtin', dir });
    expect(info.ports.filter((p) => p.schemaError !== undefined)).toEqual([]);
    const declared = PORT_LISTS.reduce((n, list) => n + ((api[list] as unknown[] | undefined)?.length ?? 0), 0);
    expect(info.ports).toHaveLength(declared);
  });

  it('declares valid property and port schemas', () => {
    const problems: string[] = [];
    if (api.property !== undefined) problems.push(...propertyBlockProblems(api.property as Json, 'api.property'));
    for (const list of PORT_LISTS) {
      const ports = api[list];
      if (ports === undefined) continue;
      expect(Array.isArray(ports), list).toBe(true);
      const names = (ports as Json[]).map((p) => p.name);
      expect(new Set(names).size, `${list} names are unique`).toBe(names.length);
      for (const port of ports as Json[]) {
        const where = `api.${list}[${String(port.name)}]`;
        if (typeof port.name !== 'string' || !IDENT.test(port.name)) problems.push(`${where}: bad name`);
        if (port.property !== undefined) problems.push(...propertyBlockProblems(port.property as Json, `${where}.property`));
        if (port.result !== undefined) {
          if (!list.startsWith('cmd_')) problems.push(`${where}: only cmds have results`);
          const result = port.result as Json;
          if (result.property !== undefined) problems.push(...propertyBlockProblems(result.property as Json, `${where}.result.property`));
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives defaults in property.json that fit api.property', () => {
    const defaults = readJson(join(dir, 'property.json'));
    const declared = ((api.property as Json | undefined)?.properties ?? {}) as Record<string, Json>;
    for (const [key, value] of Object.entries(defaults)) {
      expect(declared[key], `property.json '${key}' is declared`).toBeDefined();
      expect(valueFits(value, String(declared[key]!.type)), `'${key}' = ${JSON.stringify(value)}`).toBe(true);
    }
  });

  it('is written like a user extension', () => {
    const source = readFileSync(join(dir, 'src', 'index.ts'), 'utf8');
    expect(source).toMatch(/from "ten-runtime-nodejs"/);
    expect(source).toContain(`@RegisterAddonAsExtension("${name}")`);
  });
});

describe('built-in examples', () => {
  const examplesDir = resolve('resources/examples');
  const examples = readdirSync(examplesDir).filter((e) => existsSync(join(examplesDir, e, 'property.json')));

  it.each(examples.map((e) => [e]))('%s uses built-in addons, its own packages or stand-ins, with declared properties of the right type', (example) => {
    const app = readJson(join(examplesDir, example, 'property.json'));
    const graphs = ((app.ten as Json).predefined_graphs ?? []) as Json[];
    expect(graphs.length).toBeGreaterThan(0);
    // An example may ship packages of its own (`ten_packages/extension/*`) and run nodes as
    // stand-ins (its layout sidecar's `standIns`: agora_rtc as the local transport).
    const ownDir = join(examplesDir, example, 'ten_packages', 'extension');
    const own = new Map<string, string>();
    if (existsSync(ownDir)) for (const d of readdirSync(ownDir)) own.set(String(readJson(join(ownDir, d, 'manifest.json')).name), join(ownDir, d));
    const sidecar = join(examplesDir, example, 'property.studio-layout.json');
    const layout = existsSync(sidecar) ? (readJson(sidecar) as { graphs: Record<string, { standIns?: Record<string, unknown> }> }) : { graphs: {} };
    if (existsSync(sidecar)) expect(validateLayout(layout)).toBeNull();
    for (const graph of graphs) {
      for (const node of (graph.graph as Json).nodes as Json[]) {
        if (node.type !== 'extension') continue;
        const addon = String(node.addon);
        if (layout.graphs[String(graph.name)]?.standIns?.[String(node.name)]) continue;
        const ownPackage = own.get(addon);
        if (!ownPackage) expect(BUILTIN_ADDON_NAMES as readonly string[], `node '${String(node.name)}'`).toContain(addon);
        const api = (readJson(join(ownPackage ?? join(BUILTIN_ADDONS_DIR, addon), 'manifest.json')).api ?? {}) as Json;
        const declared = ((api.property as Json | undefined)?.properties ?? {}) as Record<string, Json>;
        for (const [key, value] of Object.entries((node.property ?? {}) as Json)) {
          expect(declared[key], `${String(node.name)}.${key} is declared by ${addon}`).toBeDefined();
          expect(valueFits(value, String(declared[key]!.type)), `${String(node.name)}.${key}`).toBe(true);
        }
      }
    }
  });
});

describe('docs/builtin-addons.md', () => {
  const doc = readFileSync(resolve('docs/builtin-addons.md'), 'utf8');

  it.each(BUILTIN_ADDON_NAMES.map((name) => [name]))('documents %s and every property it declares', (name) => {
    const section = doc.split(`### \`${name}\``)[1]?.split('### ')[0];
    expect(section, `a section for ${name}`).toBeDefined();
    const api = (readJson(join(BUILTIN_ADDONS_DIR, name, 'manifest.json')).api ?? {}) as Json;
    const declared = Object.keys(((api.property as Json | undefined)?.properties ?? {}) as Json);
    for (const key of declared) expect(section, `${name}.${key}`).toContain(`| \`${key}\` |`);
  });
});
