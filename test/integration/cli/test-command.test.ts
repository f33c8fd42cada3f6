// `ten-studio test <package>` runs a TEN Node.js package's own mocha tests (TEN's layout:
// tests/package.json with mocha and ts-node/esm) on our runtime, through the installable
// ten-runtime-nodejs package. The package is a copy of test/fixtures/ten-test/greeter_nodejs
// placed under node_modules/.cache, so its npm dependencies (mocha, chai, ts-node, typescript)
// resolve from this checkout's and the run needs no network (--no-install).
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli';
import { alive } from '../../fixtures/processes';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURE = join(ROOT, 'test/fixtures/ten-test/greeter_nodejs');
const WORK = join(ROOT, 'node_modules/.cache/ten-studio-test', `run-${process.pid}`);
const RUNTIME = join(ROOT, 'out/ten-runtime-nodejs');

/** A fresh copy of the fixture package; `edit` changes it before the run. */
function copyPackage(name: string, edit: (dir: string) => void = () => undefined): string {
  const dir = join(WORK, name, 'greeter_nodejs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(WORK, name), { recursive: true });
  cpSync(FIXTURE, dir, { recursive: true });
  edit(dir);
  return dir;
}

beforeAll(() => mkdirSync(WORK, { recursive: true }));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('ten-studio test', () => {
  it("runs the package's tests on our runtime, prints mocha's summary and exits 0 when all pass", { timeout: 300_000 }, async () => {
    const dir = copyPackage('pass');
    const r = await cli(['test', dir, '--no-install'], 280_000);
    expect(r.stderr).toContain('ten-studio test: greeter_nodejs (Node.js (mocha))');
    expect(r.stdout).toMatch(/greets with the greeting of its property\.json/);
    expect(r.stdout).toMatch(/\b3 passing\b/);
    expect(r.stdout).not.toMatch(/failing/);
    expect(r.code).toBe(0);
    // The standalone app and the package's links lead to the built ten-runtime-nodejs.
    const runtime = realpathSync(RUNTIME);
    expect(realpathSync(join(dir, '.ten/app/ten_packages/system/ten_runtime_nodejs'))).toBe(runtime);
    expect(realpathSync(join(dir, '.ten/app/ten_packages/extension/greeter_nodejs'))).toBe(realpathSync(dir));
    expect(realpathSync(join(dir, 'node_modules/ten-runtime-nodejs'))).toBe(runtime);
    expect(realpathSync(join(dir, 'tests/node_modules/ten-runtime-nodejs'))).toBe(runtime);
    expect(existsSync(join(dir, 'build/index.js'))).toBe(true);
  });

  it('a failing test makes the exit code non-zero; processes a test left running are stopped', { timeout: 300_000 }, async () => {
    const dir = copyPackage('fail', (d) => {
      const spec = join(d, 'tests/src/greeter.spec.ts');
      writeFileSync(spec, readFileSync(spec, 'utf8').replace('"hello, TEN"', '"goodbye, TEN"'));
      writeFileSync(
        join(d, 'tests/src/leak.spec.ts'),
        `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
it("leaves a process behind", () => {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  child.unref();
  writeFileSync(${JSON.stringify(join(d, 'leftover.pid'))}, String(child.pid));
});
`,
      );
    });
    const r = await cli(['test', dir, '--no-install'], 280_000);
    expect(r.stdout).toMatch(/\b3 passing\b/);
    expect(r.stdout).toMatch(/\b1 failing\b/);
    expect(r.stdout).toMatch(/expected 'hello, TEN' to equal 'goodbye, TEN'/);
    expect(r.code).not.toBe(0);
    const pid = Number(readFileSync(join(dir, 'leftover.pid'), 'utf8'));
    expect(alive(pid)).toBe(false);
    expect(r.stderr).toContain('processes the tests left running were stopped');
  });

  it('--no-install names the dependencies that do not resolve instead of installing them', { timeout: 120_000 }, async () => {
    const dir = copyPackage('missing', (d) => {
      const file = join(d, 'tests/package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { devDependencies: Record<string, string> };
      pkg.devDependencies['ten-studio-no-such-package'] = '1.0.0';
      writeFileSync(file, JSON.stringify(pkg, null, 2));
    });
    const r = await cli(['test', dir, '--no-install'], 100_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dependencies not installed: ten-studio-no-such-package \(run without --no-install to install them\)/);
  });

  it('a folder that is no TEN package, or one in a language without a runner, is a usage error', async () => {
    const plain = join(WORK, 'plain');
    mkdirSync(plain, { recursive: true });
    let r = await cli(['test', plain]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${plain} is not a TEN package: it has no manifest.json.`);
    // A Go package: its manifest depends on TEN's Go runtime (src/shared/manifest/language.ts).
    const manifest = { type: 'extension', name: 'x', version: '0.1.0', dependencies: [{ type: 'system', name: 'ten_runtime_go', version: '0.11' }] };
    writeFileSync(join(plain, 'manifest.json'), JSON.stringify(manifest));
    r = await cli(['test', plain]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a Go package; ten-studio test runs TypeScript.*, Python packages' tests\./);
    r = await cli(['test']);
    expect(r.code).toBe(2);
  });
});
