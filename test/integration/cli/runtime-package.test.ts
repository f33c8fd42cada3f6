// The installable ten-runtime-nodejs package (`ten-studio runtime-package`): a user's project
// that installs it compiles with tsc under TEN's compiler options and sees TEN's API only, and
// Node loads it. The project lives under node_modules/.cache so typescript resolves from this
// checkout; the package is linked into its node_modules as `npm install <dir>` links it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli';

const ROOT = resolve(import.meta.dirname, '../../..');
const WORK = join(ROOT, 'node_modules/.cache/ten-studio-test', `package-${process.pid}`);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TEN_API = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/ten-api/ten-runtime-nodejs.json'), 'utf8')) as Record<string, { kind: string }>;

let pkgDir = '';

/** TEN's extension tsconfig (packages/core_extensions/default_extension_nodejs), in our words. */
const TSCONFIG = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2023',
    lib: ['ES2023'],
    outDir: 'build',
    rootDir: 'src',
    strict: true,
    noImplicitAny: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    sourceMap: true,
    types: [] as string[],
  },
  include: ['src/**/*'],
};

function project(name: string, source: string): string {
  const dir = join(WORK, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', main: 'build/index.js' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'src/index.ts'), source);
  symlinkSync(pkgDir, join(dir, 'node_modules/ten-runtime-nodejs'));
  return dir;
}

function tsc(dir: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, '-p', '.'], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

beforeAll(async () => {
  mkdirSync(WORK, { recursive: true });
  const r = await cli(['runtime-package'], 240_000);
  expect(r.code, r.stderr).toBe(0);
  pkgDir = r.stdout.trim();
}, 250_000);
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('the ten-runtime-nodejs package', () => {
  it("is laid out as TEN's: package.json main build/index.js with types, manifest of the system package", () => {
    expect(realpathSync(pkgDir)).toBe(realpathSync(join(ROOT, 'out/ten-runtime-nodejs')));
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({ name: 'ten-runtime-nodejs', type: 'module', main: 'build/index.js', types: 'build/index.d.ts' });
    expect(Object.keys(pkg.dependencies as object).sort()).toEqual(['@types/node', 'ajv', 'typescript']);
    expect(JSON.parse(readFileSync(join(pkgDir, 'manifest.json'), 'utf8'))).toMatchObject({ type: 'system', name: 'ten_runtime_nodejs' });
  });

  it("holds every extension package the runtime adds to graphs itself (found next to its modules)", () => {
    const own = readdirSync(join(ROOT, 'src/runtime'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('manifest.json') && !f.startsWith('addons/'))
      .map((f) => dirname(f));
    expect(own.length).toBeGreaterThanOrEqual(2);
    for (const dir of own) {
      expect(existsSync(join(pkgDir, 'build/runtime', dir, 'manifest.json')), dir).toBe(true);
      expect(existsSync(join(pkgDir, 'build/runtime', dir, 'src/index.js')), dir).toBe(true);
    }
  });

  it("compiles an extension written against TEN's API with TEN's compiler options, and shows no member beyond TEN's", () => {
    const dir = project(
      'user_ext',
      `import { Addon, RegisterAddonAsExtension, Extension, TenEnv, Cmd, CmdResult, StatusCode, Value, LogLevel } from "ten-runtime-nodejs";
class MyExtension extends Extension {
  private name: string;
  constructor(name: string) {
    super(name);
    this.name = name;
  }
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    console.log(this.name, cmd.getName());
    tenEnv.log(LogLevel.INFO, "got", "cat", Value.fromNative({ n: 1 }), { skip: 2 });
    const r = CmdResult.Create(StatusCode.OK, cmd);
    r.setPropertyBool("ok", true);
    await tenEnv.returnResult(r, { waitForResult: true });
  }
}
@RegisterAddonAsExtension("user_ext")
class MyAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new MyExtension(instanceName);
  }
}
`,
    );
    // One compilation (tsc is slow on a loaded machine): this file must fail, index.ts must not.
    writeFileSync(
      join(dir, 'src/beyond.ts'),
      `import { Cmd, TenEnv } from "ten-runtime-nodejs";
export async function f(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
  await tenEnv.getPropertyBool("x");
  console.log(cmd._w);
}
`,
    );
    const r = tsc(dir);
    const errors = r.out.split('\n').filter((l) => l.includes('error TS'));
    expect(errors.filter((l) => !l.startsWith('src/beyond.ts'))).toEqual([]);
    expect(errors.join('\n')).toContain("Property 'getPropertyBool' does not exist on type 'TenEnv'");
    expect(errors.join('\n')).toContain("Property '_w' does not exist on type 'Cmd'");
    expect(errors).toHaveLength(2);
  });

  it("loads in Node and exports TEN's values", () => {
    const dir = project('loader', '');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', 'const m = await import("ten-runtime-nodejs"); console.log(JSON.stringify(Object.keys(m).sort()));'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const values = Object.entries(TEN_API)
      .filter(([, e]) => e.kind !== 'interface' && e.kind !== 'type')
      .map(([name]) => name)
      .sort();
    expect(JSON.parse(out)).toEqual(values);
  });
});
