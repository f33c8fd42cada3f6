// Which nodes of a graph the studio cannot run, and why: per node, by language or missing package.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Host } from '../../../src/host';
import { formatBlockers, runBlockers } from '../../../src/host/runnable';
import { BUILTIN_ADDONS_DIR } from '../../../src/runtime/addons';
import { canRunHere, HostError, languageBlocker, type TenAppProperty } from '../../../src/shared';

const APP = resolve('test/fixtures/apps/polyglot');
const property = JSON.parse(readFileSync(`${APP}/property.json`, 'utf8')) as TenAppProperty;

describe('runBlockers', () => {
  it('names every node that cannot start, each with its reason', () => {
    const { blockers, nodes } = runBlockers(property, ['mixed'], APP, [BUILTIN_ADDONS_DIR]);
    expect(nodes).toBe(9);
    const reasons = Object.fromEntries(blockers.map((b) => [b.node, b.reason]));
    // ok (ts_ok) and sink (a built-in) run.
    expect(reasons.ok).toBeUndefined();
    expect(reasons.sink).toBeUndefined();
    expect(reasons.noentry).toMatch(/^it has no entry file \(src\/index\.ts, index\.ts, or the file package\.json "main" names\)$/);
    for (const [node, language] of [['py', 'python'], ['go', 'go'], ['cpp', 'cpp']] as const) {
      if (!canRunHere(language)) expect(reasons[node], node).toBe(languageBlocker(language));
    }
    expect(reasons.declared).toMatch(/^not installed: the app's manifest.json depends on it, but ten_packages\/extension has no such package/);
    expect(reasons.pathdep).toBe("not installed: the app's manifest.json points to ../elsewhere/path_missing, which does not exist");
    expect(reasons.nowhere).toBe("not installed: neither a package of this app (ten_packages/extension) nor one of the studio's built-in addons");
    expect(blockers.map((b) => b.node)).toEqual(['noentry', 'py', 'go', 'cpp', 'declared', 'pathdep', 'nowhere'].filter((n) => reasons[n]));
    const text = formatBlockers(blockers, nodes);
    expect(text.split('\n')[0]).toBe(`${blockers.length} of the graph's 9 extension nodes cannot run here:`);
    // py_ext is a Python package, and Python runs here: it is not named.
    expect(text).not.toContain('- py (py_ext)');
    expect(text).toContain('- nowhere (no_such_addon): not installed');
  });

  it('finds nothing for a graph whose nodes all run here, and looks only at the graphs started', () => {
    expect(runBlockers(property, ['typescript_only'], APP, [BUILTIN_ADDONS_DIR]).blockers).toEqual([]);
  });

  it('a Python package without Python code cannot run: nothing would register its addon', () => {
    // TEN's voice-assistant ships main_python as a manifest and a property.json only.
    const app = mkdtempSync(join(tmpdir(), 'ten-studio-runnable-py-'));
    try {
      const pkg = join(app, 'ten_packages', 'extension', 'main_python');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'manifest.json'), JSON.stringify({ type: 'extension', name: 'main_python', version: '0.1.0', dependencies: [{ type: 'system', name: 'ten_runtime_python', version: '0.11' }] }));
      const doc: TenAppProperty = { ten: { predefined_graphs: [{ name: 'g', graph: { nodes: [{ type: 'extension', name: 'main', addon: 'main_python' }] } }] } };
      expect(runBlockers(doc, ['g'], app, [BUILTIN_ADDONS_DIR]).blockers).toEqual([{ node: 'main', addon: 'main_python', reason: 'it has no Python code to register its addon (addon.py or __init__.py)' }]);
      writeFileSync(join(pkg, 'addon.py'), '');
      expect(runBlockers(doc, ['g'], app, [BUILTIN_ADDONS_DIR]).blockers).toEqual([]);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('without an app folder, only built-ins are there', () => {
    const doc: TenAppProperty = { ten: { predefined_graphs: [{ name: 'g', graph: { nodes: [{ type: 'extension', name: 'x', addon: 'ts_ok' }, { type: 'extension', name: 'y', addon: 'counter_sink' }] } }] } };
    const { blockers } = runBlockers(doc, ['g'], undefined, [BUILTIN_ADDONS_DIR]);
    expect(blockers).toEqual([{ node: 'x', addon: 'ts_ok', reason: "not installed: not one of the studio's built-in addons (a document without an app folder has no packages of its own)" }]);
  });
});

describe('the host', () => {
  const host = new Host({ resourcesDir: resolve('resources'), version: 'test', dataDir: join(tmpdir(), 'ten-studio-runnable-test') });
  afterAll(() => host.dispose());

  it("lists the app's packages with their language and whether they run here", async () => {
    const addons = await host.editor.listAddons(APP);
    const by = (name: string) => addons.find((a) => a.name === name)!;
    expect(by('ts_ok')).toMatchObject({ source: 'app', language: 'typescript', runsHere: true });
    expect(by('ts_no_entry')).toMatchObject({ source: 'app', language: 'typescript', runsHere: false, cannotRun: expect.stringMatching(/no entry file/) });
    expect(by('py_ext')).toMatchObject({ source: 'app', language: 'python', runsHere: canRunHere('python') });
    expect(by('go_ext')).toMatchObject({ language: 'go', runsHere: false, cannotRun: languageBlocker('go') });
    expect(by('cpp_ext')).toMatchObject({ language: 'cpp', runsHere: false, cannotRun: languageBlocker('cpp') });
    expect(by('counter_sink')).toMatchObject({ source: 'builtin', language: 'typescript', runsHere: true });
  });

  it('refuses Run with one line per node that cannot start, and starts nothing', async () => {
    const opened = await host.documents.open(APP);
    const refused = await host.handle('startRun', { document: opened.document }, { transport: 'browser' }).then(
      () => null,
      (e: unknown) => e as HostError,
    );
    expect(refused).toBeInstanceOf(HostError);
    expect(refused!.code).toBe('E_RUN');
    expect(refused!.message).toMatch(/^\d+ of the graph's 9 extension nodes cannot run here:\n- noentry \(ts_no_entry\): it has no entry file/);
    expect(refused!.message).toContain('- nowhere (no_such_addon): not installed');
    expect(refused!.message).not.toContain('The following packages are declared in nodes but not installed');
    expect(host.runs.list()).toEqual([]);
  });
});
