// A command started by npm/npx ends with its parent, even when the parent ended before the
// command set up its stop handlers (serve prints its URL first; a loaded machine can take seconds
// before the handlers are in place, and by then the process has a new parent).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const LIFETIME = resolve('src/cli/lifetime.ts');

describe('onStopRequest', () => {
  it('stops a command whose parent ended before its handlers were set up', async () => {
    // middle: starts the command and prints its pid. command: loads lifetime.ts (as the CLI does at
    // start), waits until its parent is gone, then sets up its handlers as serve does.
    const command = `
      const { onStopRequest } = await import(${JSON.stringify(LIFETIME)});
      const start = process.ppid;
      process.stdout.write('loaded\\n');
      while (process.ppid === start) await new Promise((r) => setTimeout(r, 20));
      const keep = setInterval(() => {}, 1000);
      const timer = setTimeout(() => { process.stdout.write('not stopped\\n'); process.exit(1); }, 10000);
      onStopRequest((why) => { process.stdout.write('stopped: ' + why + '\\n'); clearTimeout(timer); clearInterval(keep); });
    `;
    const middle = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ${JSON.stringify(command)}], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TEN_STUDIO_WATCH_PARENT: '1' } });
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const ended = new Promise<void>((r) => middle.stdout.on('end', r));
    await new Promise<void>((r) =>
      middle.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('loaded\n')) r();
      }),
    );
    middle.kill('SIGKILL');
    // The command holds the pipe until it exits.
    await ended;
    expect(out).toMatch(/stopped: its parent process \(\d+\) ended/);
    expect(out).not.toContain('not stopped');
  }, 60_000);
});
