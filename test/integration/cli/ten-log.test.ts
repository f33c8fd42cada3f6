// The app's `ten.log` handlers in `ten-studio run`, as TEN's go_app_log_rotate_python checks
// them: a file emitter writes the logs, and after the file is moved away SIGHUP makes the run
// write a new one (logrotate), without stopping it. A real process, real signals, real files.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-log-it-'));
/** Ends a run a failed (timed-out) test left behind, and its wait. */
let abandon = (): void => {};
afterAll(() => {
  abandon();
  rmSync(tmp, { recursive: true, force: true });
});

const graph = {
  nodes: [
    { type: 'extension', name: 'ticker', addon: 'data_generator', property: { interval_ms: 10 } },
    { type: 'extension', name: 'stats', addon: 'counter_sink', property: { log_every_ms: 30 } },
  ],
  connections: [{ extension: 'ticker', data: [{ name: 'tick', dest: [{ extension: 'stats' }] }] }],
};

function writeApp(name: string, log: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'property.json'), JSON.stringify({ ten: { log, predefined_graphs: [{ name: 'g', auto_start: true, graph }] } }));
  return dir;
}

const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Waits (polling, no deadline of its own: the test's timeout is the limit) until `ok()`. */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 25));
}

const PLAIN_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+00:00 \d+\(0\) [DIWE] .*$/;

describe('ten-studio run with ten.log handlers', () => {
  it('writes a file emitter, reopens it on SIGHUP after logrotate moved it, and goes on running', async () => {
    const dir = writeApp('rotate', {
      handlers: [
        { matchers: [{ level: 'debug' }], formatter: { type: 'plain', colored: true }, emitter: { type: 'file', config: { path: 'logs/test.log' } } },
        { matchers: [{ level: 'info' }], formatter: { type: 'json' }, emitter: { type: 'console', config: { stream: 'stdout' } } },
      ],
    });
    const log = join(dir, 'logs', 'test.log');
    const child = spawn(process.execPath, ['bin/ten-studio.mjs', 'run', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    let alive = true;
    void exited.then(() => (alive = false));
    abandon = () => {
      alive = false;
      child.kill('SIGKILL');
    };
    const counted = (file: string) => () => !alive || read(file).includes('[stats] counter_sink:');
    try {
      await until(counted(log));
      for (const n of [1, 2]) {
        renameSync(log, `${log}.${n}`);
        child.kill('SIGHUP');
        await until(counted(log));
      }
      expect(alive, `${stdout}\n${stderr}`).toBe(true);
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, `${stdout}\n${stderr}`).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr.match(/Received SIGHUP: reopened 1 log file\./g)).toHaveLength(2);
    for (const file of [`${log}.1`, `${log}.2`, log]) {
      const lines = read(file).split('\n');
      expect(lines.pop(), file).toBe('');
      expect(lines.some((l) => / I \[stats\] counter_sink: /.test(l)), file).toBe(true);
      // Whole lines in plain form, no colour codes in a file.
      for (const l of lines) expect(l, file).toMatch(PLAIN_LINE);
    }
    // The console handler's JSON lines on stdout, at info and above.
    const json = stdout.split('\n').filter((l) => l.startsWith('{"timestamp":'));
    expect(json.length).toBeGreaterThan(0);
    for (const l of json) expect(JSON.parse(l)).toMatchObject({ level: expect.stringMatching(/^(INFO|WARN|ERROR)$/), category: '', pid: child.pid, tid: 0 });
    expect(json.some((l) => (JSON.parse(l) as { message: string }).message.startsWith('[stats] counter_sink: '))).toBe(true);
  }, 90_000);

  it('refuses a log configuration with problems, naming each, before anything starts', async () => {
    const dir = writeApp('bad', {
      handlers: [{ matchers: [{ level: 'verbose' }], formatter: { type: 'plain' }, emitter: { type: 'syslog', config: {} } }],
    });
    const { code, stdout, stderr } = await cli(['run', dir, '--duration', '1']);
    expect(code, `${stdout}\n${stderr}`).toBe(2);
    expect(stderr).toContain(`${join(dir, 'property.json')}: the log configuration is not valid:`);
    expect(stderr).toContain('  - ten.log.handlers[0].matchers[0].level: "verbose" is not a log level (off, debug, info, warn, error)');
    expect(stderr).toContain('  - ten.log.handlers[0].emitter.type: unknown emitter type "syslog" (console, file, otlp)');
    expect(stdout).not.toContain('graph');
  });
});
