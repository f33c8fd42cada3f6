// ten-studio test (Python) takes from a package's tests/bin/start the PYTHONPATH folders it adds
// besides .ten/app's (TEN's AI extensions add the package folder or its parent).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptPaths } from '../../../src/cli/test/python';

let dir = '';
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function pkgWithStart(script: string | null): string {
  dir = mkdtempSync(join(tmpdir(), 'start-paths-'));
  const pkg = join(dir, 'my_ext');
  mkdirSync(join(pkg, 'tests', 'bin'), { recursive: true });
  if (script !== null) writeFileSync(join(pkg, 'tests', 'bin', 'start'), script);
  return pkg;
}

describe('startScriptPaths', () => {
  it('takes "$(pwd)/.." and "." relative to the package, leaving out .ten/app entries and $PYTHONPATH', () => {
    const pkg = pkgWithStart(
      '#!/bin/bash\nset -e\ncd "$(dirname "${BASH_SOURCE[0]}")/../.."\n' +
        'export PYTHONPATH="$(pwd)/..":.:.ten/app:.ten/app/ten_packages/system/ten_ai_base/interface:$PYTHONPATH\npytest -s tests/ "$@"\n',
    );
    expect(startScriptPaths(pkg)).toEqual([dirname(pkg), pkg]);
  });

  it('reads an export continued over several lines', () => {
    const pkg = pkgWithStart('export PYTHONPATH=.ten/app:\\\n  vendor/lib:\\\n  $PWD/src\n');
    expect(startScriptPaths(pkg)).toEqual([join(pkg, 'vendor', 'lib'), join(pkg, 'src')]);
  });

  it('gives nothing for TEN\'s template script or without a script', () => {
    expect(startScriptPaths(pkgWithStart('export PYTHONPATH=.ten/app/ten_packages/system/ten_runtime_python/lib:.ten/app/ten_packages/system/ten_runtime_python/interface:.ten/app\n'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    expect(startScriptPaths(pkgWithStart(null))).toEqual([]);
  });
});
