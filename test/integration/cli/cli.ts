// Runs the `ten-studio` CLI as a user does: a child process, its exit code and its output.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI; kills it (and fails) if it is still running after `ms`. `onStdout` sees the
 * output so far and may act on the child (signal it, call its HTTP port). `env` adds variables.
 * The CLI runs in a process group of its own, and a timeout kills the whole group: a child it
 * started (a Python test process waiting for a debugger) must not outlive a hung test.
 */
export function cli(args: string[], ms = 45_000, onStdout?: (stdout: string, child: ChildProcess) => void, env?: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ten-studio.mjs', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`ten-studio ${args.join(' ')} did not exit within ${ms} ms.\n${stdout}\n${stderr}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
