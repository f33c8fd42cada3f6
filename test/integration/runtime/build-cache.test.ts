// The worker build cache (app/build.ts) runs whatever it holds as the studio's user, so nobody
// else may put code there: the folder is private and checked before use, and an entry is trusted
// only by the hash of its source. Another user is a real one (`nobody`, through runuser) where
// the test runs as root; those tests are skipped otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_SOURCE, DEFAULT_CACHE_DIR, ModuleBuilder } from '../../../src/runtime/app/build';
import { Harness, graph } from './harness';

let h: Harness | undefined;
const temps: string[] = [];
afterEach(async () => {
  await h?.closeAndCheckLeaks();
  h = undefined;
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The default cache (private, and warm from the other tests): the runtime is not compiled again. */
const shared = DEFAULT_CACHE_DIR;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ten-cache-test-'));
  temps.push(d);
  return d;
}

/** A package `tiny` whose on_start logs `value=<value>`; returns the package folder's parent. */
function tinyPackage(root: string, value: string): string {
  const dir = join(root, 'pkgs');
  mkdirSync(join(dir, 'tiny', 'src'), { recursive: true });
  writeFileSync(join(dir, 'tiny', 'manifest.json'), JSON.stringify({ type: 'extension', name: 'tiny', version: '0.1.0', api: {} }));
  writeFileSync(
    join(dir, 'tiny', 'src', 'index.ts'),
    `import { Addon, RegisterAddonAsExtension, Extension, TenEnv } from "ten-runtime-nodejs";
class Tiny extends Extension {
  async onStart(tenEnv: TenEnv): Promise<void> {
    tenEnv.logInfo("value=${value}");
  }
}
@RegisterAddonAsExtension("tiny")
export class TinyAddon extends Addon {
  async onCreateInstance(_env: TenEnv, instanceName: string): Promise<Extension> {
    return new Tiny(instanceName);
  }
}
`,
  );
  return dir;
}

const tinyGraph = () => graph([{ type: 'extension', name: 't', addon: 'tiny', extension_group: 'g' }]);

async function loggedValue(x: Harness): Promise<string> {
  await x.until(() => x.events.some((e) => e.type === 'log' && e.message.startsWith('value=')), 'the value log');
  const e = x.events.find((e) => e.type === 'log' && e.message.startsWith('value='));
  return e?.type === 'log' ? e.message : '';
}

/** Runs a shell script as `nobody`; its stdin is `input`. */
function asNobody(script: string, input = ''): void {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', script], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`as nobody: ${script}: ${r.stderr}`);
}

const canSwitchUser = process.getuid?.() === 0 && spawnSync('runuser', ['-u', 'nobody', '--', 'true']).status === 0;
const NOBODY = canSwitchUser ? Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()) : -1;

/**
 * A legitimate build of `tiny` with code appended that writes `marker` when the module runs:
 * what an attacker would plant (the header is valid, taken from a real build).
 */
async function plantedEntry(pkgs: string, marker: string, cacheDir: string): Promise<{ path: string; text: string }> {
  const source = join(pkgs, 'tiny', 'src', 'index.ts');
  const b = new ModuleBuilder(shared);
  await b.build([source]);
  const built = b.outPath(source);
  // Its imports name the cache it was built in: made to name the cache it is planted in.
  const text = `${readFileSync(built, 'utf8').replaceAll(shared, cacheDir)}\nimport("node:fs").then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, "planted code ran"));\n`;
  return { path: join(cacheDir, built.slice(shared.length + 1)), text };
}

/** A folder like /tmp: anyone may create entries, only their owner may remove them. */
function sharedTemp(): string {
  const base = tempDir();
  chmodSync(base, 0o1777);
  return base;
}

describe('the worker build cache', () => {
  it('lives in a private per-user folder by default, not in the shared temp folder', async () => {
    expect(DEFAULT_CACHE_DIR.startsWith(tmpdir())).toBe(false);
    h = new Harness();
    await h.app.startGraph(graph([{ type: 'extension', name: 'p', addon: 'plain', extension_group: 'g' }]));
    const st = lstatSync(DEFAULT_CACHE_DIR);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
    if (process.getuid) expect(st.uid).toBe(process.getuid());
  });

  it('builds a source again when its bytes changed but its size and mtime did not (entries are trusted by hash)', async () => {
    const root = tempDir();
    const pkgs = tinyPackage(root, 'AAAA');
    const cacheDir = shared;
    h = new Harness({ addonDirs: [pkgs], cacheDir });
    await h.app.startGraph(tinyGraph());
    expect(await loggedValue(h)).toBe('value=AAAA');
    await h.closeAndCheckLeaks();
    const source = join(pkgs, 'tiny', 'src', 'index.ts');
    const before = statSync(source);
    // `touch -r` copies timestamps to the nanosecond (utimes from JavaScript rounds them).
    const stamp = join(root, 'stamp');
    writeFileSync(stamp, '');
    spawnSync('touch', ['-r', source, stamp]);
    writeFileSync(source, readFileSync(source, 'utf8').replace('AAAA', 'BBBB'));
    spawnSync('touch', ['-r', stamp, source]);
    expect(statSync(source).size).toBe(before.size);
    expect(statSync(source).mtimeMs).toBe(before.mtimeMs);
    h = new Harness({ addonDirs: [pkgs], cacheDir });
    await h.app.startGraph(tinyGraph());
    expect(await loggedValue(h)).toBe('value=BBBB');
  });

  it.skipIf(!canSwitchUser)('refuses a cache folder another user created, and runs none of the code planted in it', async () => {
    const base = sharedTemp();
    const pkgs = tinyPackage(tempDir(), 'AAAA');
    const marker = join(base, 'pwned');
    // Control: the planted entry is one a trusting cache would run.
    const controlPlant = await plantedEntry(pkgs, marker, shared);
    writeFileSync(controlPlant.path, controlPlant.text);
    const control = new Harness({ addonDirs: [pkgs], cacheDir: shared });
    await control.app.startGraph(tinyGraph());
    await control.until(() => existsSync(marker), 'the control plant to run');
    await control.closeAndCheckLeaks();
    rmSync(marker);
    rmSync(controlPlant.path);

    const cacheDir = join(base, 'cache');
    const plant = await plantedEntry(pkgs, marker, cacheDir);
    asNobody(`mkdir -m 777 "${cacheDir}" && mkdir -p "$(dirname "${plant.path}")" && cat > "${plant.path}"`, plant.text);
    expect(lstatSync(cacheDir).uid).toBe(NOBODY);
    h = new Harness({ addonDirs: [pkgs], cacheDir });
    await expect(h.app.startGraph(tinyGraph())).rejects.toThrow(
      `The runtime's build cache ${cacheDir} belongs to user ${NOBODY}, not to you (user 0): another user may have planted code in it, so it is not used. Remove it (or choose another cacheDir).`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it.skipIf(!canSwitchUser)('empties a cache folder of ours that others could write to, and builds every module again', async () => {
    const base = sharedTemp();
    const pkgs = tinyPackage(tempDir(), 'AAAA');
    const marker = join(base, 'pwned');
    const cacheDir = join(base, 'cache');
    const plant = await plantedEntry(pkgs, marker, cacheDir);
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    asNobody(`mkdir -p "$(dirname "${plant.path}")" && cat > "${plant.path}"`, plant.text);
    h = new Harness({ addonDirs: [pkgs], cacheDir });
    await h.app.startGraph(tinyGraph());
    expect(await loggedValue(h)).toBe('value=AAAA');
    expect(existsSync(marker)).toBe(false);
    expect(lstatSync(cacheDir).mode & 0o777).toBe(0o700);
    const warning = h.events.find((e) => e.type === 'log' && e.message.includes('was writable by other users'));
    expect(warning).toMatchObject({ level: 4, message: `The runtime's build cache ${cacheDir} was writable by other users (mode 777); it was emptied and made private (0700), and every module is built again.` });
    // The planted file is gone; the entry there now is our own build.
    expect(statSync(plant.path).uid).toBe(0);
  });

  it.skipIf(!canSwitchUser)('refuses a symbolic link another user put in place of the cache folder', async () => {
    const base = sharedTemp();
    const pkgs = tinyPackage(tempDir(), 'AAAA');
    const marker = join(base, 'pwned');
    const theirs = join(base, 'theirs');
    const cacheDir = join(base, 'cache');
    const plant = await plantedEntry(pkgs, marker, cacheDir);
    const planted = join(theirs, plant.path.slice(cacheDir.length + 1));
    asNobody(`mkdir -m 755 "${theirs}" && mkdir -p "$(dirname "${planted}")" && cat > "${planted}" && ln -s "${theirs}" "${cacheDir}"`, plant.text);
    h = new Harness({ addonDirs: [pkgs], cacheDir });
    await expect(h.app.startGraph(tinyGraph())).rejects.toThrow(`The runtime's build cache ${cacheDir} is a symbolic link`);
    expect(existsSync(marker)).toBe(false);
  });

  it('checks the folder before every build, not once per builder', async () => {
    const root = tempDir();
    const source = join(root, 'one.ts');
    writeFileSync(source, 'export const one: number = 1;\n');
    const cacheDir = join(root, 'cache');
    const b = new ModuleBuilder(cacheDir);
    await b.build([source]);
    // Replaced between two builds.
    rmSync(cacheDir, { recursive: true });
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), cacheDir);
    await expect(b.build([source])).rejects.toThrow(`The runtime's build cache ${cacheDir} is a symbolic link`);
  });

  it('binds a cached package to the runtime API of the build that uses it, not of the one that cached it', async () => {
    const root = tempDir();
    const source = join(root, 'ext.ts');
    writeFileSync(source, 'import { Extension } from "ten-runtime-nodejs";\nexport const base = Extension;\n');
    const otherApi = join(root, 'other-install', 'api.ts');
    mkdirSync(join(root, 'other-install'));
    writeFileSync(otherApi, 'export class Extension {}\n');
    const cacheDir = join(root, 'cache');
    const other = new ModuleBuilder(cacheDir, otherApi);
    const [first] = await other.build([source]);
    expect(readFileSync(new URL(first), 'utf8')).toContain(other.outUrl(otherApi));
    // The same cache, used by this install: the entry is built again against this API.
    const mine = new ModuleBuilder(cacheDir);
    const [again] = await mine.build([source]);
    expect(again).toBe(first);
    const text = readFileSync(new URL(again), 'utf8');
    expect(text).toContain(mine.outUrl(API_SOURCE));
    expect(text).not.toContain(other.outUrl(otherApi));
  });
});
