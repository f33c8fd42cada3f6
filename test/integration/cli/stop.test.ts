// Everything `ten-studio run` starts can be stopped: a start that never finishes is bounded by the
// start timeout and ended by a signal, a start that fails leaves no thread behind (the process
// exits), and a run launched by npm/npx ends with its parent. Real processes and signals.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-stop-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** Grandchildren a test started: a failed test must not leave them running. */
const orphans: number[] = [];
afterEach(() => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
});

const PROBE = resolve(import.meta.dirname, '../../fixtures/runtime/app/ten_packages/extension/probe');

/** An app folder whose auto_start graph is `nodes` (`probe` from the runtime fixtures is installed). */
function app(name: string, nodes: unknown[], graphText?: (json: string) => string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'ten_packages', 'extension'), { recursive: true });
  cpSync(PROBE, join(dir, 'ten_packages', 'extension', 'probe'), { recursive: true });
  const json = JSON.stringify({ ten: { predefined_graphs: [{ name: 'main', auto_start: true, graph: { nodes, connections: [] } }] } });
  writeFileSync(join(dir, 'property.json'), graphText ? graphText(json) : json);
  return dir;
}

const hangs = () => app('hangs', [{ type: 'extension', name: 'hang_create', addon: 'probe', extension_group: 'g1' }]);

describe('stopping ten-studio run', () => {
  it('an onCreateInstance that never resolves fails the run after --start-timeout instead of hanging it', async () => {
    const { code, stderr } = await cli(['run', hangs(), '--duration', '5', '--start-timeout', '1']);
    expect(code).toBe(1);
    expect(stderr).toContain("graph main failed to start: Extension 'hang_create' (addon 'probe', group 'g1') was not created within 1000 ms");
  });

  it('SIGTERM during a start that never finishes stops the run at once', async () => {
    let signalled = false;
    const { code, stderr } = await cli(['run', hangs(), '--duration', '5'], 30_000, (stdout, child) => {
      if (!signalled && stdout.includes(' starting')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    expect(signalled).toBe(true);
    expect(stderr).toContain('Stopping (SIGTERM;');
    expect(stderr).toContain("The app is closing: the graph was stopped while it started: extension 'hang_create' (group 'g1') was still being created.");
    expect(code).toBe(1);
  });

  it('a start that fails after a group thread was made (a property nested 10,000 deep) exits, naming the node', async () => {
    const deep = app(
      'deep',
      [
        { type: 'extension', name: 'first', addon: 'forwarder', extension_group: 'g1' },
        { type: 'extension', name: 'deep', addon: 'forwarder', extension_group: 'g2', property: '@nested@' },
      ],
      (json) => json.replace('"@nested@"', `${'{"x":'.repeat(10_000)}{}${'}'.repeat(10_000)}`),
    );
    const { code, stderr } = await cli(['run', deep, '--duration', '1']);
    expect(code).toBe(1);
    expect(stderr).toContain("The properties of node 'deep' (group 'g2') cannot be passed to its thread: Maximum call stack size exceeded (nested too deep?).");
    expect(stderr).not.toContain('still running 3 s after the command ended');
  });

  it('an app the studio started as a process (ten-studio app) ends when the studio is killed', async () => {
    const port = await new Promise<number>((r) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => r(p));
      });
    });
    const dir = join(tmp, 'listening-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'property.json'), JSON.stringify({ ten: { uri: `msgpack://127.0.0.1:${port}/`, long_running_mode: true } }));
    // The stand-in studio starts the app as src/host/runs/apps.ts does, and is SIGKILLed.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, ['bin/ten-studio.mjs', 'app', ${JSON.stringify(dir)}, '--long-running'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TEN_STUDIO_WATCH_PARENT: '1' } });
         process.stderr.write('pid ' + c.pid + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const ended = new Promise<void>((r) => parent.stdout.on('end', r));
    const listening = new Promise<void>((r) => {
      const seen = (c: Buffer): void => {
        out += c.toString();
        const pid = /^pid (\d+)$/m.exec(out);
        if (pid && !orphans.includes(Number(pid[1]))) orphans.push(Number(pid[1]));
        if (out.includes('Listening on ')) r();
      };
      parent.stdout.on('data', seen);
      parent.stderr.on('data', seen);
    });
    await listening;
    parent.kill('SIGKILL');
    await ended;
    expect(out).toMatch(/Closing the app \(its parent process \(\d+\) ended;/);
  });

  it('a run started by npm or npx ends when its parent process is killed', async () => {
    // A stand-in for npx: it starts the CLI (with npm's environment) and is then SIGKILLed,
    // so it can forward nothing. The CLI holds the stand-in's stdout: its end is the CLI's exit.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, ['bin/ten-studio.mjs', 'run', 'resources/examples/hello-pipeline', '--duration', '600'], { stdio: ['ignore', 'inherit', 'inherit'] });
         process.stderr.write('pid ' + c.pid + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_lifecycle_event: 'npx', npm_command: 'exec' } },
    );
    let out = '';
    const ended = new Promise<void>((r) => parent.stdout.on('end', r));
    parent.stderr.on('data', (c: Buffer) => {
      out += c.toString();
      const pid = /^pid (\d+)$/m.exec(out);
      if (pid && !orphans.includes(Number(pid[1]))) orphans.push(Number(pid[1]));
    });
    await new Promise<void>((r) =>
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('graph      hello_pipeline') && out.includes(' started')) r();
      }),
    );
    parent.kill('SIGKILL');
    await ended;
    expect(out).toMatch(/Stopping \(its parent process \(\d+\) ended;/);
    expect(out).toContain('Run ended cleanly (interrupt).');
  });
});
