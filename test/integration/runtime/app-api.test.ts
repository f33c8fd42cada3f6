// TEN's App and AddonManager, and how the API finds the app (TEN's app base dir): an app folder
// (manifest.json of type "app"), or an extension's standalone app `.ten/app` as
// `tman install --standalone` makes it, with the extension linked into it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AddonManager, App, Cmd, ExtensionTester, TenErrorCode, type TenEnv, type TenEnvTester } from 'ten-runtime-nodejs';
import { registeredAddon } from '../../../src/runtime/api/addon';
import { FIXTURE_APP } from './harness';
import { freePort } from '../protocol/apps';
import { TenClient } from '../../../src/runtime/protocol/client';

const PACKAGES = join(FIXTURE_APP, 'ten_packages', 'extension');
const ROOT = resolve(import.meta.dirname, '../../..');

let dir: string;
let savedCwd: string;
let savedBaseDir: string | undefined;
let channel: BroadcastChannel;
const reports: { ext: string; kind: string; [k: string]: unknown }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ten-app-api-'));
  savedCwd = process.cwd();
  savedBaseDir = process.env.TEN_APP_BASE_DIR;
  delete process.env.TEN_APP_BASE_DIR;
  reports.length = 0;
  channel = new BroadcastChannel('ten-runtime-test');
  channel.onmessage = (m: MessageEvent) => reports.push(m.data as (typeof reports)[number]);
});

afterEach(() => {
  channel.close();
  process.chdir(savedCwd);
  if (savedBaseDir === undefined) delete process.env.TEN_APP_BASE_DIR;
  else process.env.TEN_APP_BASE_DIR = savedBaseDir;
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/** An app folder with the fixture packages linked in, as tman installs them. */
function makeApp(property: unknown, packages: string[] = ['probe', 'plain']): string {
  const app = join(dir, 'app');
  mkdirSync(join(app, 'ten_packages', 'extension'), { recursive: true });
  writeJson(join(app, 'manifest.json'), { type: 'app', name: 'test_app', version: '0.1.0' });
  writeJson(join(app, 'property.json'), property);
  for (const p of packages) symlinkSync(join(PACKAGES, p), join(app, 'ten_packages', 'extension', p));
  return app;
}

describe('App (TEN: run, close, onConfigure, onInit, onDeinit)', () => {
  it('runs the app of its base dir: property.json, onConfigure changes, auto_start graph, close_app ends run after onDeinit', async () => {
    const app = makeApp({
      ten: {
        predefined_graphs: [
          {
            name: 'default',
            auto_start: true,
            graph: { nodes: [{ type: 'extension', name: 'p', addon: 'probe', extension_group: 'g', property: { probe: { actions: [{ op: 'closeApp' }] } } }] },
          },
        ],
      },
      mine: 1,
    });
    process.chdir(app);
    const seen: string[] = [];
    let env: TenEnv | undefined;
    class MyApp extends App {
      async onConfigure(tenEnv: TenEnv): Promise<void> {
        env = tenEnv;
        seen.push(`configure mine=${(await tenEnv.getPropertyNumber('mine'))[0]}`);
        seen.push(`init error=${(await tenEnv.initPropertyFromJson(JSON.stringify({ added: 'yes' })))?.errorMessage}`);
      }
      async onInit(tenEnv: TenEnv): Promise<void> {
        seen.push(`init added=${(await tenEnv.getPropertyString('added'))[0]}`);
        seen.push(`log=${tenEnv.logInfo('app log', 'cat', { k: 1 })?.errorMessage}`);
        const [, err] = await tenEnv.sendCmd(Cmd.Create('x'));
        seen.push(`send=${err?.errorCode}`);
      }
      async onDeinit(): Promise<void> {
        seen.push(`deinit after ${reports.filter((r) => r.ext === 'p' && r.kind === 'phase').map((r) => r.phase).join(',')}`);
      }
    }
    await new MyApp().run();
    expect(seen).toEqual([
      'configure mine=1',
      'init error=undefined',
      'init added=yes',
      'log=undefined',
      `send=${TenErrorCode.ErrorCodeGeneric}`,
      'deinit after configure,init,start,stop,deinit',
    ]);
    // After run() resolved the app's ten_env is closed, as TEN's.
    expect((await env!.getPropertyNumber('mine'))[1]?.errorCode).toBe(TenErrorCode.ErrorCodeTenIsClosed);
  });

  it('close() ends run() (a FakeApp as in TEN’s extension test setups), and a second run() is refused', async () => {
    process.chdir(makeApp({}));
    let inited!: () => void;
    const init = new Promise<void>((r) => (inited = r));
    const order: string[] = [];
    class FakeApp extends App {
      async onInit(): Promise<void> {
        order.push('init');
        inited();
      }
      async onDeinit(): Promise<void> {
        order.push('deinit');
      }
    }
    const app = new FakeApp();
    const running = app.run();
    await init;
    await app.close();
    await running;
    order.push('run resolved');
    expect(order).toEqual(['init', 'deinit', 'run resolved']);
    await expect(app.run()).rejects.toThrow('App.run() was called twice on the same App.');
  });

  it("writes its log records to property.json's ten.log handlers, and SIGHUP reopens their files while it runs (logrotate)", async () => {
    const handler = (path: string) => ({ matchers: [{ level: 'info' }], formatter: { type: 'json' }, emitter: { type: 'file', config: { path } } });
    const app = makeApp({ ten: { log: { handlers: [handler('logs/app.log')] } } });
    process.chdir(app);
    const log = join(app, 'logs', 'app.log');
    let step!: () => void;
    const logged = new Promise<void>((r) => (step = r));
    let env!: TenEnv;
    class LoggingApp extends App {
      async onInit(tenEnv: TenEnv): Promise<void> {
        env = tenEnv;
        tenEnv.logDebug('below the level');
        tenEnv.logInfo('before the rotation', 'cat', { k: 1 });
        step();
      }
    }
    const a = new LoggingApp();
    const running = a.run();
    await logged;
    // The file emitter writes asynchronously: the line is there once it is on disk.
    while (!existsSync(log) || !readFileSync(log, 'utf8').includes('before the rotation')) await new Promise((r) => setTimeout(r, 5));
    // logrotate: the file is moved away, then the app is told to reopen it.
    const rotated = join(app, 'logs', 'app.log.1');
    renameSync(log, rotated);
    process.kill(process.pid, 'SIGHUP');
    // The signal is handled on a later turn of the loop; reopening creates the file again.
    while (!existsSync(log)) await new Promise((r) => setTimeout(r, 5));
    env.logInfo('after the rotation');
    await a.close();
    await running;
    const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string; category?: string });
    expect(lines(rotated).map((l) => l.message)).toEqual(['before the rotation']);
    expect(lines(rotated)[0]).toMatchObject({ level: 'INFO', category: 'cat' });
    expect(lines(log).map((l) => l.message)).toEqual(['after the rotation']);
    // The app's SIGHUP handler is gone with the app.
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('a log configuration with problems makes run() reject, each problem located', async () => {
    process.chdir(makeApp({ ten: { log: { handlers: [{ matchers: [{ level: 'loud' }], formatter: { type: 'json' }, emitter: { type: 'file', config: { path: 'x.log' } } }] } } }));
    await expect(new App().run()).rejects.toThrow(/property\.json: the log configuration is not valid:\n {2}- ten\.log\.handlers\[0\]\.matchers\[0\]\.level: "loud" is not a log level/);
  });

  it('without an app it rejects saying where it looked and what to do', async () => {
    process.chdir(dir);
    await expect(new App().run()).rejects.toThrow(/Cannot find app base dir: no manifest.json of type "app" above .*TEN_APP_BASE_DIR/);
  });
});

describe('AddonManager', () => {
  it("loadAllAddons imports each package's build/index.js in this thread (the sources-only ones are the runtime's to build)", async () => {
    process.chdir(makeApp({}, ['prebuilt', 'plain']));
    expect(registeredAddon('prebuilt')).toBeUndefined();
    await AddonManager.getInstance().loadAllAddons();
    expect(registeredAddon('prebuilt')).toBeDefined();
    expect(registeredAddon('plain')).toBeUndefined();
    expect(await AddonManager.getInstance().loadSingleAddon('prebuilt')).toBe(true);
    expect(await AddonManager.getInstance().loadSingleAddon('nowhere')).toBe(false);
  });

  it('a package whose module fails to load makes loadAllAddons reject naming it', async () => {
    const app = makeApp({}, []);
    const bad = join(app, 'ten_packages', 'extension', 'bad');
    mkdirSync(join(bad, 'build'), { recursive: true });
    writeJson(join(bad, 'package.json'), { name: 'bad', type: 'module', main: 'build/index.js' });
    writeFileSync(join(bad, 'build', 'index.js'), 'throw new Error("bad at import");\n');
    process.chdir(app);
    await expect(AddonManager.getInstance().loadAllAddons()).rejects.toThrow(/Failed to load addon 'bad' from .*build\/index.js: bad at import/);
  });
});

describe('ExtensionTester finds the extension as TEN does', () => {
  it("in the extension's standalone app .ten/app (the extension linked into it), from the extension's tests folder", async () => {
    // An extension folder with its standalone app, as `tman install --standalone` leaves it.
    const ext = join(dir, 'my_ext');
    mkdirSync(join(ext, 'tests'), { recursive: true });
    mkdirSync(join(ext, 'src'));
    writeJson(join(ext, 'manifest.json'), { type: 'extension', name: 'my_ext', version: '0.1.0' });
    writeFileSync(
      join(ext, 'src', 'index.ts'),
      `import { Addon, RegisterAddonAsExtension, Extension, TenEnv, Cmd, CmdResult, StatusCode } from "ten-runtime-nodejs";
class MyExt extends Extension {
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const r = CmdResult.Create(StatusCode.OK, cmd);
    r.setPropertyString("detail", "from my_ext");
    await tenEnv.returnResult(r);
  }
}
@RegisterAddonAsExtension("my_ext")
class MyExtAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, name: string): Promise<Extension> {
    return new MyExt(name);
  }
}
`,
    );
    const standalone = join(ext, '.ten', 'app');
    mkdirSync(join(standalone, 'ten_packages', 'extension'), { recursive: true });
    writeJson(join(standalone, 'manifest.json'), { type: 'app', name: 'ten_standalone_app', version: '0.1.0' });
    symlinkSync(ext, join(standalone, 'ten_packages', 'extension', 'my_ext'));
    process.chdir(join(ext, 'tests'));

    let detail = '';
    class Tester extends ExtensionTester {
      async onStart(env: TenEnvTester): Promise<void> {
        const [r] = await env.sendCmd(Cmd.Create('hi'));
        detail = r?.getPropertyString('detail')[0] ?? '';
        env.stopTest();
      }
    }
    const t = new Tester();
    t.setTestModeSingle('my_ext', '{}');
    t.setTimeout(30_000_000);
    expect(await t.run()).toBeUndefined();
    expect(detail).toBe('from my_ext');
  });

  it('nowhere: run() resolves with an error telling how to provide the app', async () => {
    process.chdir(dir);
    const t = new ExtensionTester();
    t.setTestModeSingle('x', '{}');
    const err = await t.run();
    expect(err?.errorCode).toBe(TenErrorCode.ErrorCodeGeneric);
    expect(err?.errorMessage).toMatch(/Cannot find app base dir/);
  });
});

describe('App in a program of its own (TEN default_app_nodejs: new App().run())', () => {
  it('keeps the process running until the app closes, with no graph running', { timeout: 120_000 }, async () => {
    const app = makeApp({});
    const script = join(dir, 'main.ts');
    // The close comes from an unref'd timer, which does not keep Node running: only the app can
    // hold the process until then. Without that the process ends right after onInit.
    writeFileSync(
      script,
      `import { App } from ${JSON.stringify(join(ROOT, 'src/runtime/api/index.ts'))};
class Main extends App {
  async onInit(): Promise<void> {
    console.log("inited");
    setTimeout(() => void this.close(), 500).unref();
  }
}
new Main().run().then(() => console.log("run resolved"));
`,
    );
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, script], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(out).toBe('inited\nrun resolved\n');
    expect(code).toBe(0);
  });
});

describe('App on the network (TEN app binary: listens on ten.uri)', () => {
  it("a TEN client's cmd to predefined graph 'default' starts it; when the client leaves, its graph ends and with it the app", { timeout: 120_000 }, async () => {
    const uri = `msgpack://127.0.0.1:${await freePort()}/`;
    const app = makeApp(
      {
        ten: {
          uri,
          predefined_graphs: [
            { name: 'default', auto_start: false, singleton: true, graph: { nodes: [{ type: 'extension', name: 'm', addon: 'mesh', extension_group: 'g', property: { answer: 'hi from default' } }] } },
          ],
        },
      },
      ['mesh'],
    );
    process.chdir(app);
    let closed = false;
    const running = new App().run().then(() => (closed = true));
    const client = await TenClient.connect(uri, { retries: 50, intervalMs: 100 });
    const result = await client.cmd('hello', { app: uri, graph: 'default', extension: 'm' });
    expect(result.status).toBe(0);
    expect(result.props.detail).toBe('hi from default');
    expect(closed).toBe(false);
    await client.close();
    await running;
  });
});

