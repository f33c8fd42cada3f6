// Extension code's npm dependencies resolve as Node's ESM resolution does (exports conditions,
// `import` over `require`, the package's own `imports` map), and an import Node cannot resolve
// fails the start naming the source file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, graph } from './harness';

let h: Harness | undefined;
const temps: string[] = [];
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A one-file extension package `name` in a fresh folder, with `code` after its imports. */
function tempPackage(name: string, imports: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ten-npm-'));
  temps.push(dir);
  mkdirSync(join(dir, name, 'src'), { recursive: true });
  writeFileSync(join(dir, name, 'manifest.json'), JSON.stringify({ type: 'extension', name, version: '0.1.0', api: {} }));
  writeFileSync(
    join(dir, name, 'src', 'index.ts'),
    `import { Addon, RegisterAddonAsExtension, Extension, TenEnv } from "ten-runtime-nodejs";
${imports}
class X extends Extension {}
@RegisterAddonAsExtension("${name}")
export class XAddon extends Addon {
  async onCreateInstance(_env: TenEnv, instanceName: string): Promise<Extension> {
    return new X(instanceName);
  }
}
`,
  );
  return dir;
}

describe('npm dependencies of extension code', () => {
  it("import { WebSocketServer } from 'ws', an exports map's import/node conditions and a '#' import all resolve as Node resolves them", async () => {
    h = new Harness();
    await h.app.startGraph(graph([{ type: 'extension', name: 'user', addon: 'npm_user', extension_group: 'g' }]));
    const [r] = await h.report('user', 'npm');
    expect(r).toMatchObject({ variant: 'import', feature: 'node-import', helper: 'ts-helper', echo: 'hello back' });
    expect(h.errors()).toEqual([]);
  });

  it('an import Node cannot resolve fails the start with the source file and Node\'s reason', async () => {
    const dir = tempPackage('missing_dep', 'import { nothing } from "no-such-package-anywhere";\nvoid nothing;');
    h = new Harness({ addonDirs: [dir] });
    await expect(h.app.startGraph(graph([{ type: 'extension', name: 'm', addon: 'missing_dep', extension_group: 'g' }]))).rejects.toThrow(
      new RegExp(`${join(dir, 'missing_dep', 'src', 'index.ts')}: cannot import 'no-such-package-anywhere': Cannot find package 'no-such-package-anywhere'`),
    );
  });

  it('a type-only import of a package that is not installed is no error (it is gone from the JavaScript)', async () => {
    const dir = tempPackage('types_only', 'import type { Nothing } from "no-such-types-package";\nexport type Alias = Nothing;');
    h = new Harness({ addonDirs: [dir] });
    await h.app.startGraph(graph([{ type: 'extension', name: 't', addon: 'types_only', extension_group: 'g' }]));
    await h.until(() => h!.phases('t').includes('on_start_done'), 't started');
  });
});
