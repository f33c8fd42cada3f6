/**
 * Runs the steps of a package's tests as child processes, with their output on ours, and leaves
 * nothing running: each step gets a process group of its own, and whatever of the group is
 * still alive when the step exits (a server a test started and never stopped) is stopped.
 */
import { spawn } from 'node:child_process';

export interface StepResult {
  /** Exit code; a step ended by a signal counts as 128 + the signal number, as shells do. */
  code: number;
  /** Processes of the step's group still running after it exited (and stopped by us). */
  leftovers: boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
}

/** Runs `command args` in `cwd`; Ctrl-C reaches the step's whole group. */
export async function runStep(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<StepResult> {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit', detached: true });
  const forward = (signal: NodeJS.Signals): void => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group already ended.
      }
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? 128 + (SIGNALS[signal ?? ''] ?? 1)));
    });
    const pgid = child.pid!;
    const leftovers = groupAlive(pgid);
    if (leftovers) await stopGroup(pgid);
    return { code, leftovers };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
