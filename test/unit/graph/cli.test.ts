import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseArgs } from '../../../src/cli/args';
import { conformance } from '../../../src/cli/conformance';
import { flatten } from '../../../src/cli/flatten';
import { validate } from '../../../src/cli/validate';
import { CORPUS, GRAPH_CHECK, HAS_CORPUS } from './corpus';

const tmp = mkdtempSync(join(tmpdir(), 'ten-graph-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const VALUED = ['graph', 'packages'];

describe('ten-studio validate', () => {
  it.each(['hello-pipeline', 'misbehaving-demo', 'gateway-and-media', 'two-apps'])(
    'finds the built-in addons for the built-in example %s, and only with them',
    async (example) => {
      const dir = join('resources', 'examples', example);
      expect(await validate(parseArgs([dir], VALUED))).toBe(0);
      expect(out).toBe('valid\n');
      out = '';
      expect(await validate(parseArgs([dir, '--no-builtins', '--json'], VALUED))).toBe(1);
      const codes = new Set(JSON.parse(out).errors.map((e: { code: string }) => e.code));
      expect([...codes]).toEqual(['E030']);
    },
  );

  it('exits 0 for a valid graph and prints "valid"', async () => {
    const f = write('ok.json', JSON.stringify({ nodes: [{ type: 'extension', name: 'a', addon: 'x' }] }));
    expect(await validate(parseArgs([f], VALUED))).toBe(0);
    expect(out).toBe('valid\n');
  });

  it('exits 1 and prints --json in the documented shape, with line and column', async () => {
    const f = write('bad.json', '{\n  "nodes": [\n    {"type": "extension", "name": "a", "addon": "x", "app": ""}\n  ]\n}\n');
    expect(await validate(parseArgs([f, '--json'], VALUED))).toBe(1);
    const res = JSON.parse(out);
    expect(Object.keys(res)).toEqual(['valid', 'errors']);
    expect(res.valid).toBe(false);
    expect(res.errors[0]).toEqual({
      code: 'E020',
      message: "nodes[0]: the 'app' field can not be empty, remove the field if the graph is a single-app graph",
      file: f,
      pointer: '/nodes/0/app',
      line: 3,
      column: 61,
    });
  });

  it('locates an unexpected key at the key itself', async () => {
    const f = write('extra/property.json', '{\n  "ten": {\n    "predefined_graphs": [\n      {"name": "g", "bogus": 1, "graph": {"nodes": [{"type": "extension", "name": "a", "addon": "x"}]}}\n    ]\n  }\n}\n');
    expect(await validate(parseArgs([f, '--json'], VALUED))).toBe(1);
    const e = JSON.parse(out).errors[0];
    expect(e).toMatchObject({ code: 'E002', pointer: '/ten/predefined_graphs/0/bogus', line: 4, column: 30 });
    expect(e.message).toBe("Additional properties are not allowed ('bogus' was unexpected) @ /ten/predefined_graphs/0");
  });

  it('lists each error with its location in human output', async () => {
    const f = write('syntax.json', '{"nodes": [1,]}');
    expect(await validate(parseArgs([f], VALUED))).toBe(1);
    expect(out).toContain(`${f}:1:14 /: E001 Failed to parse JSON: trailing comma in array`);
  });

  it('validates a manifest.json with its field rules', async () => {
    const f = write('pkg/manifest.json', JSON.stringify({ type: 'extension', name: 'p', version: '1.0.0', dependencies: [{ type: 'system', name: 'a', version: '1.0' }, { type: 'system', name: 'a', version: '2.0' }] }));
    expect(await validate(parseArgs([f, '--json'], VALUED))).toBe(1);
    expect(JSON.parse(out).errors.map((e: { code: string; pointer: string }) => [e.code, e.pointer])).toEqual([['E040', '/dependencies/1']]);
  });

  it('exits 2 for unreadable input', async () => {
    expect(await validate(parseArgs([join(tmp, 'nope.json'), '--json'], VALUED))).toBe(2);
    expect(JSON.parse(out).valid).toBe(false);
  });

  it('validates a property.json, only the named graph', async () => {
    const f = write(
      'app/property.json',
      JSON.stringify({
        ten: {
          predefined_graphs: [
            { name: 'good', graph: { nodes: [{ type: 'extension', name: 'a', addon: 'x' }] } },
            { name: 'bad', graph: { nodes: [] } },
          ],
        },
      }),
    );
    expect(await validate(parseArgs([f, '--graph', 'good'], VALUED))).toBe(0);
    expect(await validate(parseArgs([f, '--graph', 'bad'], VALUED))).toBe(1);
    expect(out).toContain('No extension node is defined in graph.');
  });

  it.skipIf(!HAS_CORPUS)('validates an example app folder and names the missing addons', async () => {
    const code = await validate(parseArgs([join(CORPUS, 'apps', 'transcription'), '--packages', join(CORPUS, 'packages', 'extension'), '--json'], VALUED));
    expect(code).toBe(1);
    const res = JSON.parse(out);
    expect(res.errors.map((e: { code: string }) => e.code)).toEqual(['E030']);
    expect(res.errors[0].message).toContain('agora_rtc');
  });
});

describe('ten-studio flatten', () => {
  it('prints the flattened graph (names expanded, sources reversed)', async () => {
    const f = write(
      'flat.json',
      JSON.stringify({
        nodes: [
          { type: 'extension', name: 'a', addon: 'x' },
          { type: 'extension', name: 'b', addon: 'x' },
        ],
        connections: [{ extension: 'b', cmd: [{ names: ['p', 'q'], source: [{ extension: 'a' }] }] }],
      }),
    );
    expect(await flatten(parseArgs([f], VALUED))).toBe(0);
    expect(JSON.parse(out).connections).toEqual([
      { extension: 'a', cmd: [{ name: 'p', dest: [{ extension: 'b' }] }, { name: 'q', dest: [{ extension: 'b' }] }] },
    ]);
  });

  it.skipIf(!HAS_CORPUS)('flattens an example app graph despite addons missing from the corpus, with warnings', async () => {
    const code = await flatten(parseArgs([join(CORPUS, 'apps', 'websocket-example'), '--graph', 'voice_assistant', '--packages', join(CORPUS, 'packages', 'extension')], VALUED));
    expect(err).toBe('');
    expect(code).toBe(0);
    const g = JSON.parse(out);
    expect(g.connections.every((c: { extension?: string }) => typeof c.extension === 'string')).toBe(true);
    expect(JSON.stringify(g)).not.toContain('"source"');
    expect(JSON.stringify(g)).not.toContain('"names"');
    out = '';
    err = '';
    expect(await flatten(parseArgs([join(CORPUS, 'apps', 'transcription'), '--graph', 'transcription'], VALUED))).toBe(0);
    expect(err).toContain('warning:');
    expect(JSON.parse(out).nodes.length).toBeGreaterThan(0);
  });

  it('needs --graph when a property.json has several graphs', async () => {
    const f = write(
      'two/property.json',
      JSON.stringify({ ten: { predefined_graphs: ['g1', 'g2'].map((name) => ({ name, graph: { nodes: [{ type: 'extension', name: 'a', addon: 'x' }] } })) } }),
    );
    expect(await flatten(parseArgs([f], VALUED))).toBe(2);
    expect(err).toContain('--graph NAME is required');
    expect(await flatten(parseArgs([f, '--graph', 'g2'], VALUED))).toBe(0);
  });
});

describe('ten-studio conformance', () => {
  it('runs any directory in the corpus format and exits 1 on failure', async () => {
    const dir = join(tmp, 'conf');
    write('conf/cases/ok/graph.json', JSON.stringify({ nodes: [{ type: 'extension', name: 'a', addon: 'x' }] }));
    write('conf/cases/wrong/graph.json', '{"nodes": []');
    write(
      'conf/cases.json',
      JSON.stringify([
        { id: 'ok', operation: 'parse_graph', input: 'graph.json', expect: 'valid', error_contains: null },
        { id: 'wrong', operation: 'parse_graph', input: 'graph.json', expect: 'valid', error_contains: null },
      ]),
    );
    expect(await conformance(parseArgs([dir], []))).toBe(1);
    expect(out.trim().split('\n')).toEqual([expect.stringMatching(/^FAIL wrong: expected valid, got invalid/), '1 passed, 1 failed']);
  });

  it('exits 2 when the directory has no cases.json', async () => {
    expect(await conformance(parseArgs([join(tmp, 'none')], []))).toBe(2);
  });

  it.skipIf(!HAS_CORPUS)('passes every case of ten-corpus/graph-check', async () => {
    expect(await conformance(parseArgs([GRAPH_CHECK], []))).toBe(0);
    expect(out).toBe('134 passed, 0 failed\n');
  });
});

describe('the ten-studio binary', () => {
  it('wires validate with its exit code and --json output', () => {
    const f = write('bin/graph.json', JSON.stringify({ nodes: [{ type: 'extension', name: 'a', addon: 'x' }, { type: 'extension', name: 'a', addon: 'x' }] }));
    const run = spawnSync(process.execPath, ['bin/ten-studio.mjs', 'validate', f, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    const res = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(res.valid).toBe(false);
    expect(res.errors[0]).toMatchObject({ code: 'E011', pointer: '/nodes/1/name', file: f });
  }, 60_000);
});
