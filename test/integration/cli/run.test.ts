// `ten-studio run` as a user runs it: a child process, its exit code and its --events file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'ten-cli-run-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; kills it (and fails) if it is still running after `ms`. */
function cli(args: string[], ms = 45_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ten-studio.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ten-studio ${args.join(' ')} did not exit within ${ms} ms.\n${stdout}\n${stderr}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function readEvents(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ten-studio run', () => {
  it('runs hello-pipeline for the duration and exits 0 with JSON-lines events', async () => {
    const file = join(tmp, 'hello.jsonl');
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/hello-pipeline', '--duration', '1', '--events', file]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Run ended cleanly (duration)');
    const events = readEvents(file);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['graph', 'lifecycle', 'log', 'app_closed', 'run_end']) expect(types, t).toContain(t);
    expect(events.some((e) => e.type === 'lifecycle' && e.extension === 'stats' && e.phase === 'on_start_done')).toBe(true);
    expect(events.some((e) => e.type === 'graph' && e.state === 'stopped')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', reason: 'duration', exit_code: 0, failures: [] });
  });

  it('exits non-zero when a violation occurs under the fail policy', async () => {
    const file = join(tmp, 'rogue.jsonl');
    const { code, stderr } = await cli(['run', 'resources/examples/misbehaving-demo', '--duration', '2', '--events', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('VIOLATION');
    expect(readEvents(file).some((e) => e.type === 'violation')).toBe(true);
  });

  it('still exits 0 when violations are only reported', async () => {
    const { code, stdout, stderr } = await cli(['run', 'resources/examples/misbehaving-demo', '--duration', '2', '--violation-policy', 'report']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toContain('VIOLATION');
  });

  it('exits 2 with a clear message for an unknown graph', async () => {
    const { code, stderr } = await cli(['run', 'resources/examples/hello-pipeline', '--graph', 'nope']);
    expect(code).toBe(2);
    expect(stderr).toContain('has no predefined graph "nope" (graphs: hello_pipeline)');
  });
});
