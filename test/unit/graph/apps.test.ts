import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { nodeFiles } from '../../../src/host/files';
import {
  appCatalogue,
  exportJson,
  flattenGraph,
  isFlat,
  loadApp,
  loadPackage,
  parseJson,
  predefinedGraphs,
  stripLineComments,
  validateApp,
  type TenGraph,
} from '../../../src/shared';
import { APPS, CORPUS, HAS_CORPUS } from './corpus';

const PACKAGES = join(CORPUS, 'packages', 'extension');

/** TEN's official property schema, compiled by a separate ajv (only tests use TEN's schema files). */
function officialPropertyValidator() {
  const schema = JSON.parse(stripLineComments(readFileSync(join(CORPUS, 'schemas', 'property.schema.json'), 'utf8')));
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const f of ['uri', 'uri-reference', 'int8', 'int64']) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

/** Problems each example app genuinely has: addons from TEN's registry that the corpus lacks. */
const EXPECTED_NOT_INSTALLED: Record<(typeof APPS)[number], string[]> = {
  'voice-assistant': ['agora_rtc'],
  'voice-assistant-nodejs': ['agora_rtc'],
  transcription: ['agora_rtc'],
  'websocket-example': [],
  'http-control': ['agora_rtc', 'http_server_python'],
};

describe.skipIf(!HAS_CORPUS)('example apps (needs ../shared/ten-corpus)', () => {
  it.each(APPS)('%s loads and reports only its real problems', async (name) => {
    const dir = join(CORPUS, 'apps', name);
    const app = await loadApp(dir, nodeFiles, { packageDirs: [PACKAGES] });
    expect(app.diagnostics).toEqual([]);
    expect(app.manifest?.value.type).toBe('app');
    const v = await validateApp(app, { files: nodeFiles });
    const notInstalled = new Set(v.diagnostics.filter((d) => d.code === 'E030').map((d) => /"([^"]+)"\)\]/.exec(d.message)![1]));
    expect([...notInstalled].sort()).toEqual(EXPECTED_NOT_INSTALLED[name]);
    // Interfaces of ten_ai_base that the corpus does not ship are reported as such, nothing else.
    const others = v.diagnostics.filter((d) => d.code !== 'E030');
    for (const d of others) expect(d.code).toBe('E041');
    for (const d of v.diagnostics) {
      expect(d.file).toBeTruthy();
      expect(d.pointer).toMatch(/^\//);
    }
    const e030 = v.diagnostics.find((d) => d.code === 'E030');
    if (e030) expect(e030.line).toBeGreaterThan(0);
  });

  it.each(APPS)('%s: every graph flattens to single-name forward flows', async (name) => {
    const dir = join(CORPUS, 'apps', name);
    const app = await loadApp(dir, nodeFiles, { packageDirs: [PACKAGES] });
    const graphs = predefinedGraphs(app.property!.value);
    expect(graphs.length).toBeGreaterThan(0);
    for (const g of graphs) {
      const r = await flattenGraph(g.graph as TenGraph, { files: nodeFiles, baseDir: dir });
      expect(r.ok).toBe(true);
      if (r.ok) expect(isFlat(r.graph)).toBe(true);
    }
  });

  it.each(APPS)('%s: parse → export → parse gives an equal document, and TEN official schema accepts the export', async (name) => {
    const validate = officialPropertyValidator();
    const text = readFileSync(join(CORPUS, 'apps', name, 'property.json'), 'utf8');
    const first = parseJson(text);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const exported = exportJson(first.doc.value, 'property');
    expect(exported.endsWith('\n')).toBe(true);
    expect(exported).toContain('\n  "ten": {');
    const second = parseJson(exported);
    expect(second.ok && second.doc.value).toEqual(first.doc.value);
    // Stable: exporting the re-parsed document changes nothing.
    expect(exportJson(second.ok ? second.doc.value : null, 'property')).toBe(exported);
    expect(validate(first.doc.value)).toBe(validate(JSON.parse(exported)));
    expect(validate(JSON.parse(exported)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    for (const g of predefinedGraphs(first.doc.value)) {
      const alone = exportJson(g.graph, 'graph');
      const back = parseJson(alone);
      expect(back.ok && back.doc.value).toEqual(g.graph);
    }
  });

  it('the app catalogue lists typed ports with schemas', async () => {
    const app = await loadApp(join(CORPUS, 'apps', 'voice-assistant'), nodeFiles, { packageDirs: [PACKAGES] });
    const cat = appCatalogue(app);
    const main = cat.get('main_python');
    expect(main?.source).toBe('app');
    expect(main!.propertySchema).toEqual({ type: 'object', properties: { greeting: { type: 'string' } } });
    const ports = cat.addons.flatMap((a) => a.ports);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) {
      expect(['cmd', 'data', 'audio_frame', 'video_frame']).toContain(p.kind);
      expect(['in', 'out']).toContain(p.direction);
    }
    const withSchema = cat.addons.flatMap((a) => a.ports).find((p) => p.schema?.type === 'object' && Object.keys(p.schema.properties).length > 0);
    expect(withSchema).toBeDefined();
    expect(cat.addons.some((a) => a.propertySchema?.type === 'object')).toBe(true);
  });
});

describe.skipIf(!HAS_CORPUS)('the 101 extension packages (needs ../shared/ten-corpus)', () => {
  const names = HAS_CORPUS ? readdirSync(PACKAGES).sort() : [];
  it('are all present', () => {
    expect(names).toHaveLength(101);
  });
  it.each(names)('%s loads with its interfaces', async (name) => {
    const pkg = await loadPackage(join(PACKAGES, name), nodeFiles);
    expect(pkg).toBeDefined();
    expect(pkg!.entry.manifest.name).toBe(name);
    // Only missing interface files of the ten_ai_base registry package may be reported for manifests.
    const manifestProblems = pkg!.diagnostics.filter((d) => d.file?.endsWith('manifest.json'));
    for (const d of manifestProblems) {
      expect(d.code).toBe('E041');
      expect(d.message).toContain('ten_ai_base');
    }
    expect(pkg!.entry.api?.interface).toBeUndefined();
  });
});

describe.skipIf(!HAS_CORPUS)('round trip of every graph-check input (needs ../shared/ten-corpus)', () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.json')) files.push(join(dir, e.name));
    }
  };
  if (HAS_CORPUS) walk(join(CORPUS, 'graph-check', 'cases'));

  it('covers the inputs', () => {
    expect(files.length).toBeGreaterThan(134);
  });

  it('parse → export → parse is equal for every input that is JSON', () => {
    let parsedCount = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const first = parseJson(text);
      let native: unknown;
      let nativeOk = true;
      try {
        native = JSON.parse(text);
      } catch {
        nativeOk = false;
      }
      // Our parser accepts exactly what JSON.parse accepts.
      expect(first.ok, f).toBe(nativeOk);
      if (!first.ok) continue;
      parsedCount++;
      expect(first.doc.value, f).toEqual(native);
      const kind = f.endsWith('property.json') ? 'property' : 'graph';
      const second = parseJson(exportJson(first.doc.value, kind));
      expect(second.ok && second.doc.value, f).toEqual(first.doc.value);
    }
    expect(parsedCount).toBeGreaterThan(100);
  });
});
