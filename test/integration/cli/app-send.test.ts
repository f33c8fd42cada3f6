// `ten-studio app` and `ten-studio send` as users run them: child processes talking TEN's msgpack
// protocol over loopback TCP, their output and exit codes (the process-level scenarios of TEN's
// integration tests: an app that exits when its client leaves, apps in separate processes
// sharing a graph, an app that cannot listen).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-app-it-'));
const FIXTURE_PACKAGES = resolve('test/fixtures/runtime/app/ten_packages');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** An app folder with the test packages and this property. */
function appDir(name: string, property: unknown): string {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  symlinkSync(FIXTURE_PACKAGES, join(dir, 'ten_packages'));
  writeFileSync(join(dir, 'property.json'), JSON.stringify(property, null, 2));
  return dir;
}

interface Running {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output matches. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

const running: Running[] = [];
afterEach(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

function startApp(args: string[]): Running {
  const child = spawn(process.execPath, ['bin/ten-studio.mjs', 'app', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const r: Running = {
    child,
    out: () => out,
    exited,
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((resolveWait, reject) => {
        if (re.test(out)) return resolveWait();
        const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${re} in:\n${out}`)), ms);
        const check = () => {
          if (!re.test(out)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolveWait();
        };
        listeners.add(check);
        void exited.then(() => {
          if (!re.test(out)) {
            clearTimeout(timer);
            reject(new Error(`The app exited before ${re}:\n${out}`));
          }
        });
      }),
  };
  running.push(r);
  return r;
}

const echoApp = (port: number) => ({
  ten: {
    uri: `msgpack://127.0.0.1:${port}/`,
    predefined_graphs: [{ name: 'default', auto_start: true, singleton: true, graph: { nodes: [{ type: 'extension', name: 'echo', addon: 'mesh', property: { answer: 'hello from the app' } }] } }],
  },
});

describe('ten-studio app and send', () => {
  it('answer --help', async () => {
    for (const cmd of ['app', 'send']) {
      const { code, stdout } = await cli([cmd, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: ten-studio ${cmd}`);
    }
  });

  it('send talks to a running app: OK with the result, ERROR for a graph it does not have, close_app ends the app cleanly', async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const app = startApp([appDir('echo', echoApp(port)), '--long-running']);
    await app.waitFor(/echo on_start_done/);
    const ok = await cli(['send', uri, 'hello', '--graph', 'default', '--ext', 'echo']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('OK: hello from the app\n{\n  "from": "echo"\n}\n');
    const json = await cli(['send', uri, 'hello', '--graph', 'default', '--ext', 'echo', '--json', '--prop', '{"n": 18446744073709551615}']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'OK', detail: 'hello from the app', src: { app: uri, extension: 'echo' } });
    const missing = await cli(['send', uri, 'hello', '--graph', 'nope', '--ext', 'echo']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('ERROR: Graph not found.\n');
    // The long-running app kept its graph through both clients leaving.
    expect(app.child.exitCode).toBeNull();
    const close = await cli(['send', uri, 'ten:close_app']);
    expect(close.code).toBe(0);
    expect(await app.exited).toBe(0);
    expect(app.out()).toContain('close_app from ');
    expect(app.out()).toContain('App closed cleanly (close_app).');
  });

  it('--metrics-ms writes samples of the running graph next to the events, and needs --events and a sane period', async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const dir = appDir('samples', echoApp(port));
    expect((await cli(['app', dir, '--metrics-ms', '100'])).stderr).toContain('--metrics-ms needs --events');
    expect((await cli(['app', dir, '--events', join(tmp, 'x.jsonl'), '--metrics-ms', '5'])).stderr).toContain('--metrics-ms must be a whole number of milliseconds, at least 20.');
    const file = join(tmp, 'samples.jsonl');
    const app = startApp([dir, '--long-running', '--events', file, '--metrics-ms', '50']);
    await app.waitFor(/echo on_start_done/);
    const lines = async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    type Sample = { ts: number; graphs: { groups: { extensions: { extension: string; state: string }[] }[] }[] };
    const samples = async () => (await lines()).filter((l) => 'sample' in l).map((l) => l.sample as Sample);
    const echoState = (s: Sample) => s.graphs.flatMap((g) => g.groups.flatMap((x) => x.extensions)).find((x) => x.extension === 'echo')?.state;
    for (let i = 0; i < 200 && !(await samples()).some((s) => echoState(s) === 'started'); i++) await new Promise((r) => setTimeout(r, 25));
    const all = await samples();
    expect(all.map(echoState)).toContain('started');
    expect(all.every((s, i) => i === 0 || s.ts >= all[i - 1]!.ts)).toBe(true);
    expect((await cli(['send', uri, 'ten:close_app'])).code).toBe(0);
    expect(await app.exited).toBe(0);
    // Events stay what they were: every other line is an event with its type.
    expect((await lines()).every((l) => 'sample' in l || typeof l.type === 'string')).toBe(true);
  });

  it('--control turns message tracing on for graphs that start later, writes the steps to the events, and skips a bad line saying which', async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const dir = appDir('control', echoApp(port));
    expect((await cli(['app', dir, '--control', join(tmp, 'c.jsonl')])).stderr).toContain('--control needs --events');
    const control = join(tmp, 'control.jsonl');
    writeFileSync(control, `{"tracing": {"edges": [{"dest": "echo"}], "sampleEvery": 0}}\n{"tracing": {"edges": [{"dest": "echo"}], "sampleEvery": 1}}\n`);
    const file = join(tmp, 'control-events.jsonl');
    const app = startApp([dir, '--long-running', '--events', file, '--control', control]);
    await app.waitFor(/echo on_start_done/);
    expect(app.out()).toContain(`--control ${control} line 1: "tracing.sampleEvery" must be an integer from 1 to 1000000; ignored.`);
    expect((await cli(['send', uri, 'hello', '--graph', 'default', '--ext', 'echo'])).code).toBe(0);
    const traces = async () =>
      (await readFile(file, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { trace?: { records: { stage: string; name: string; dest: string }[] } })
        .flatMap((l) => l.trace?.records ?? []);
    for (let i = 0; i < 200 && !(await traces()).some((r) => r.stage === 'delivered' && r.name === 'hello'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await traces()).toContainEqual(expect.objectContaining({ stage: 'delivered', name: 'hello', dest: 'echo' }));
    expect((await cli(['send', uri, 'ten:close_app'])).code).toBe(0);
    expect(await app.exited).toBe(0);
  });

  it("as TEN's app binary: the graph ends when the client that joined it leaves, and the app exits", async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const app = startApp([appDir('leaves', echoApp(port))]);
    await app.waitFor(/echo on_start_done/);
    const ok = await cli(['send', uri, 'hello', '--graph', 'default', '--ext', 'echo']);
    expect(ok.code).toBe(0);
    expect(await app.exited).toBe(0);
    expect(app.out()).toContain('App closed cleanly (graphs_ended).');
  });

  it('an app that cannot listen exits 2 saying why; send to nothing exits 2', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const app = startApp([appDir('taken', echoApp(port))]);
    expect(await app.exited).toBe(2);
    expect(app.out()).toContain(`Failed to listen on msgpack://127.0.0.1:${port}/: port ${port} is in use`);
    await new Promise<void>((r) => blocker.close(() => r()));
    const nobody = await cli(['send', `msgpack://127.0.0.1:${port}/`, 'hello']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain(`Failed to connect to msgpack://127.0.0.1:${port}/`);
    const bad = await cli(['send', 'http://x:1/', 'hello']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("No protocol serves the scheme 'http'");
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} closes the app in order (its graph stops, then it exits 0)`, async () => {
      const port = await freePort();
      const app = startApp([appDir(`signal-${signal}`, echoApp(port)), '--long-running']);
      await app.waitFor(/echo on_start_done/);
      app.child.kill(signal);
      expect(await app.exited).toBe(0);
      expect(app.out()).toContain(`Closing the app (${signal}`);
      expect(app.out()).toMatch(/echo on_deinit_done[\s\S]*App closed cleanly \(interrupt\)\./);
    });
  }

  it("send ten:stop_graph stops a graph by its id, answered 'close engine done' once it has stopped", async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const app = startApp([appDir('stop', { ten: { uri, long_running_mode: true } })]);
    await app.waitFor(/Listening on/);
    const graph = { nodes: [{ type: 'extension', name: 'echo', addon: 'mesh', property: { answer: 'hi' } }] };
    const started = await cli(['send', uri, 'ten:start_graph', '--json', '--prop', JSON.stringify({ graph_json: JSON.stringify(graph), long_running_mode: true })]);
    const graphId = JSON.parse(started.stdout).properties.graph_id as string;
    const stopped = await cli(['send', uri, 'ten:stop_graph', '--graph', graphId]);
    expect([stopped.code, stopped.stdout]).toEqual([0, 'OK: close engine done\n']);
    expect(app.out()).toMatch(/echo on_deinit_done/);
    const again = await cli(['send', uri, 'ten:stop_graph', '--graph', graphId]);
    expect([again.code, again.stdout]).toEqual([1, 'ERROR: Failed to find the engine to be shut down.\n']);
    const missing = await cli(['send', uri, 'ten:stop_graph']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ten:stop_graph needs --prop {"graph_id": "…"} (or --graph ID).');
    expect((await cli(['send', uri, 'ten:close_app'])).code).toBe(0);
    expect(await app.exited).toBe(0);
  });

  it('send --timeout gives up on a cmd nobody answers, saying so (exit 1); --retries waits for an app that is not up yet', async () => {
    const port = await freePort();
    const uri = `msgpack://127.0.0.1:${port}/`;
    const property = {
      ten: {
        uri,
        predefined_graphs: [{ name: 'default', auto_start: true, singleton: true, graph: { nodes: [{ type: 'extension', name: 'mute', addon: 'misbehaving', property: { mode: 'never_answer' } }] } }],
      },
    };
    const early = await cli(['send', uri, 'anyone', '--retries', '0']);
    expect([early.code, early.stderr]).toEqual([2, `ten-studio send: Failed to connect to ${uri}\n`]);
    // The client starts first and keeps dialling (every 500 ms, TEN's interval); the app starts
    // once the client has said it is retrying.
    const client = spawn(process.execPath, ['bin/ten-studio.mjs', 'send', uri, 'anyone', '--graph', 'default', '--ext', 'mute', '--timeout', '1', '--retries', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const retrying = new Promise<void>((r) => client.stderr.on('data', (c: Buffer) => ((stderr += c.toString()), stderr.includes('retrying') && r())));
    const clientExit = new Promise<number | null>((r) => client.on('exit', (code) => r(code)));
    onTestFinished(() => void (client.exitCode === null && client.kill('SIGKILL')));
    await retrying;
    expect(stderr).toBe(`ten-studio send: ${uri} is not reachable yet; retrying every 0.5 s, up to 200 times.\n`);
    const app = startApp([appDir('timeout', property), '--long-running']);
    expect(await clientExit, stderr).toBe(1);
    expect(stderr).toContain(`ten-studio send: no result for 'anyone' from ${uri} within 1 s.`);
    expect((await cli(['send', uri, 'ten:close_app'])).code).toBe(0);
    expect(await app.exited).toBe(0);
  });

  it('two app processes share a graph started by send; close_app ends each', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const [ua, ub] = [`msgpack://127.0.0.1:${pa}/`, `msgpack://127.0.0.1:${pb}/`];
    const a = startApp([appDir('two-a', { ten: { uri: ua, long_running_mode: true } })]);
    const b = startApp([appDir('two-b', { ten: { uri: ub, long_running_mode: true } })]);
    await Promise.all([a.waitFor(/Listening on/), b.waitFor(/Listening on/)]);
    const graph = {
      nodes: [
        { type: 'extension', name: 'ext1', addon: 'mesh', app: ua },
        { type: 'extension', name: 'ext2', addon: 'mesh', app: ub, property: { answer: 'hello world, too' } },
      ],
      connections: [{ app: ua, extension: 'ext1', cmd: [{ name: 'hello_world', dest: [{ app: ub, extension: 'ext2' }] }] }],
    };
    const started = await cli(['send', ua, 'ten:start_graph', '--json', '--prop', JSON.stringify({ graph_json: JSON.stringify(graph), long_running_mode: true })]);
    expect(started.code, started.stdout + started.stderr).toBe(0);
    const graphId = JSON.parse(started.stdout).properties.graph_id as string;
    const hello = await cli(['send', ua, 'hello_world', '--graph', graphId, '--ext', 'ext1']);
    expect(hello.stdout).toBe('OK: hello world, too\n{\n  "from": "ext2"\n}\n');
    // Joined at the other app by the graph id.
    const direct = await cli(['send', ub, 'hello_world', '--graph', graphId, '--ext', 'ext2']);
    expect(direct.code).toBe(0);
    await b.waitFor(new RegExp(`connection #\\d+ ${ua.replace(/[/.]/g, '\\$&')} attached`));
    expect((await cli(['send', ua, 'ten:close_app'])).code).toBe(0);
    expect(await a.exited).toBe(0);
    expect((await cli(['send', ub, 'ten:close_app'])).code).toBe(0);
    expect(await b.exited).toBe(0);
    expect(b.out()).toContain('App closed cleanly (close_app).');
  });
});
