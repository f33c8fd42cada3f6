// Package discovery: Python packages (TEN's layout) are found, not dropped for lacking a JS entry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverAddons, pythonPathsFor } from '../../../src/runtime/app/packages';

let root = '';

function pkg(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ten-packages-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('discoverAddons', () => {
  it('finds Python packages by their ten_runtime_python dependency or their addon.py, as ten_packages.extension.<folder>', () => {
    const ext = join(root, 'app', 'ten_packages', 'extension');
    pkg(join(ext, 'by_dep'), { type: 'extension', name: 'dep_addon', dependencies: [{ type: 'system', name: 'ten_runtime_python', version: '0.11' }] }, { 'property.json': '{"a":1}', '__init__.py': '' });
    // A manifest and no Python code (TEN's voice-assistant ships main_python so): nothing would register its addon.
    pkg(join(ext, 'manifest_only'), { type: 'extension', name: 'manifest_only', dependencies: [{ type: 'system', name: 'ten_runtime_python', version: '0.11' }] });
    pkg(join(ext, 'by_file'), { type: 'extension', name: 'file_addon' }, { 'addon.py': '' });
    pkg(join(ext, 'ts'), { type: 'extension', name: 'ts_addon' }, { 'src/index.ts': '' });
    pkg(join(ext, 'nothing'), { type: 'extension', name: 'no_code' });
    const found = discoverAddons(join(root, 'app'), []);
    expect(found.get('dep_addon')).toMatchObject({ runtime: 'python', entry: '', pyModule: 'ten_packages.extension.by_dep', property: { a: 1 } });
    expect(found.get('file_addon')).toMatchObject({ runtime: 'python', pyModule: 'ten_packages.extension.by_file' });
    expect(found.get('ts_addon')).toMatchObject({ runtime: 'nodejs', entry: join(ext, 'ts', 'src', 'index.ts') });
    expect(found.has('no_code')).toBe(false);
    expect(found.has('manifest_only')).toBe(false);
  });

  it("puts the app and its system packages' interface folders on the Python path, as TEN's start scripts do", () => {
    const app = join(root, 'app');
    pkg(join(app, 'ten_packages', 'system', 'ten_ai_base'), { type: 'system', name: 'ten_ai_base' }, { 'interface/ten_ai_base/__init__.py': '' });
    pkg(join(app, 'ten_packages', 'system', 'no_interface'), { type: 'system', name: 'no_interface' });
    const dir = join(app, 'ten_packages', 'extension', 'x');
    expect(pythonPathsFor([dir, dir])).toEqual([join(app, 'ten_packages', 'system', 'ten_ai_base', 'interface'), app]);
    expect(pythonPathsFor([join(root, 'loose', 'x')])).toEqual([]);
  });
});
