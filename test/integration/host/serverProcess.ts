/** Starts `fixtures/serve.ts` as a real child process, optionally as another local user. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const FIXTURE = resolve('test/integration/host/fixtures/serve.ts');

/** uid and gid of `nobody`, the second local user of the ownership tests. */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Why tests that act as a second local user cannot run here, or null when they can: they need
 * root (to switch user) and util-linux's `setpriv`.
 */
export function secondUserUnavailable(): string | null {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return 'needs root to act as a second local user (nobody) with setpriv';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'needs util-linux setpriv to act as a second local user (nobody)';
  // The server runs from this checkout as nobody: a checkout under a private folder (a 0700 home
  // or temporary folder) is closed to it.
  const tsx = resolve('node_modules/tsx/package.json');
  const asNobody = ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', 'test', '-r'];
  if (spawnSync(asNobody[0]!, [...asNobody.slice(1), tsx]).status !== 0 || spawnSync(asNobody[0]!, [...asNobody.slice(1), FIXTURE]).status !== 0) {
    return `needs the checkout readable by a second local user (nobody cannot read ${tsx})`;
  }
  return null;
}

export interface ServerProcess {
  port: number;
  token: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (its log lines). */
  stderr(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | NodeJS.Signals | null>;
  stop(): Promise<void>;
}

export async function startServerProcess(opts: { rendererDir: string; dataDir: string; asNobody?: boolean }): Promise<ServerProcess> {
  const node = [process.execPath, '--import', 'tsx', FIXTURE, opts.rendererDir, opts.dataDir];
  const argv = opts.asNobody ? ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  const first = await new Promise<string>((resolveLine, reject) => {
    void exited.then((how) => reject(new Error(`the server process ended (${how}) before listening:\n${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', resolveLine);
  });
  const [port, token] = first.trim().split(' ');
  return {
    port: Number(port),
    token: token!,
    child,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
