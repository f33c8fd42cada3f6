/**
 * The Python processes of groups (host thread only), and the spare interpreters.
 *
 * The host thread starts every group's Python process (`python -m ten_studio_py.host`): it listens
 * on a Unix socket in a private folder (the path is its first line on stdout), imports our runtime,
 * and waits for its group thread to connect; the group's configuration (its paths, PYTHONPATH,
 * the debugger) is the first frame. The host thread keeps the process: its output and exit are
 * passed to the group thread, and it is what `live().processes` counts (engine.ts).
 *
 * Spares: starting an interpreter and importing our runtime is most of a Python group's start
 * (≈100–200 ms). While anything holds a lease (`leasePythonSpares`: each App, the studio host),
 * the host thread keeps that many processes started for the interpreter, arguments, environment
 * and working folder of the last Python group started, ready to take the next group with the same
 * four (never another: the key is all four, the environment whole). A spare has imported only our
 * packages and knows nothing of a graph before it takes a group. Spares are topped up when a graph
 * has stopped (as the spare threads: nothing of it competes for the CPU then), ended when the last
 * lease goes, and end by themselves when their stdin closes (the host process is gone, however it
 * ended). Spares are nobody's live processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a process is started with; processes started with equal specs are interchangeable before they take a group. */
export interface PySpawnSpec {
  exe: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

const LISTEN_MARK = 'ten-studio-link ';
/** Output of a process kept until its group takes it. */
const EARLY_OUTPUT = 64 * 1024;
/** Lines of stderr a process that ended before it listened is reported with. */
const STDERR_TAIL = 30;

export function specKey(spec: PySpawnSpec): string {
  const env = Object.keys(spec.env)
    .sort()
    .map((k) => [k, spec.env[k]]);
  return JSON.stringify([spec.exe, spec.args, spec.cwd, env]);
}

export interface PyProcSinks {
  output(level: 2 | 3, text: string | null): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** One process, from its start to its exit. */
export class PyProc {
  readonly key: string;
  readonly pid: number;
  /** When it was started (a start that took a spare finds this earlier than itself). */
  readonly startedAt = Date.now();
  /** The socket its group connects to; rejects when it ends (or cannot start) before it listens. */
  readonly listening: Promise<string>;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly child: ChildProcess;
  private sinks: PyProcSinks | null = null;
  private early: [2 | 3, string | null][] = [];
  private earlyBytes = 0;
  private socketPath = '';
  private readonly onGone: Array<() => void> = [];

  constructor(spec: PySpawnSpec) {
    this.key = specKey(spec);
    const child = spawn(spec.exe, spec.args, { stdio: ['pipe', 'pipe', 'pipe'], env: spec.env, cwd: spec.cwd });
    this.child = child;
    this.pid = child.pid ?? 0;
    // A spare keeps nothing alive; a process taken for a group does until it exits (`hold`).
    child.unref();
    for (const s of this.streams()) s.unref?.();
    child.stdin!.on('error', () => undefined);
    let resolveListening!: (path: string) => void;
    let rejectListening!: (e: Error) => void;
    this.listening = new Promise<string>((res, rej) => {
      resolveListening = res;
      rejectListening = rej;
    });
    // Handled whether anyone awaits it or not.
    this.listening.catch(() => undefined);
    let first = '';
    let listening = false;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      if (listening) return this.out(2, s);
      first += s;
      const nl = first.indexOf('\n');
      if (nl === -1) return;
      const line = first.slice(0, nl);
      const rest = first.slice(nl + 1);
      listening = true;
      if (line.startsWith(LISTEN_MARK)) {
        this.socketPath = line.slice(LISTEN_MARK.length);
        resolveListening(this.socketPath);
      } else {
        rejectListening(new Error(`it wrote '${line}' instead of the socket it listens on`));
        this.out(2, `${line}\n`);
      }
      if (rest) this.out(2, rest);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => this.out(3, s));
    child.on('error', (e) => rejectListening(e));
    child.on('close', (code, signal) => {
      this.exited = { code, signal };
      // Before it listened nobody has its output yet: its stderr says why (a module not found…).
      const tail = this.early
        .filter(([level, text]) => level === 3 && text)
        .map(([, text]) => text)
        .join('')
        .trim()
        .split('\n')
        .slice(-STDERR_TAIL)
        .join('\n');
      rejectListening(new Error(`it exited (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `\nstderr:\n${tail}` : ''}`));
      // A process killed before its group connected leaves its folder behind.
      if (this.socketPath) rmSync(dirname(this.socketPath), { recursive: true, force: true });
      if (this.sinks) {
        this.sinks.output(2, null);
        this.sinks.output(3, null);
        this.sinks.exit(code, signal);
      }
      for (const f of this.onGone.splice(0)) f();
    });
  }

  private out(level: 2 | 3, text: string): void {
    if (this.sinks) return this.sinks.output(level, text);
    if (this.earlyBytes > EARLY_OUTPUT) return;
    this.earlyBytes += text.length;
    this.early.push([level, text]);
  }

  private streams(): { ref?: () => void; unref?: () => void }[] {
    const c = this.child;
    return [c.stdin, c.stdout, c.stderr] as unknown as { ref?: () => void; unref?: () => void }[];
  }

  /** Taken for a group: the host process waits for it (its start, its output, its exit). */
  hold(): void {
    this.child.ref();
    for (const s of this.streams()) s.ref?.();
  }

  /** Where its output and exit go from now on (what came before first). */
  attach(sinks: PyProcSinks): void {
    this.sinks = sinks;
    for (const [level, text] of this.early.splice(0)) sinks.output(level, text);
    if (this.exited) {
      sinks.output(2, null);
      sinks.output(3, null);
      sinks.exit(this.exited.code, this.exited.signal);
    }
  }

  /** Called once it has exited (at once when it has). */
  whenGone(f: () => void): void {
    if (this.exited) f();
    else this.onGone.push(f);
  }

  kill(): void {
    if (this.exited) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // Gone already.
    }
  }

  /** Ends a process that has not taken a group: the end of its stdin. */
  release(): void {
    this.child.stdin!.end();
  }
}

/** The processes started for groups, and the spares (one set per host thread). */
class PythonProcesses {
  private spares: PyProc[] = [];
  private readonly leases = new Map<number, number>();
  private nextLease = 1;

  /** How many spares to keep (the most any lease asks for). */
  get wanted(): number {
    let n = 0;
    for (const c of this.leases.values()) n = Math.max(n, c);
    return n;
  }

  /** Keeps `count` spares while the lease is held; the returned function releases it. */
  lease(count: number): () => Promise<void> {
    const id = this.nextLease++;
    this.leases.set(id, Math.max(0, Math.floor(count)));
    return async () => {
      if (this.leases.delete(id)) await this.trim();
    };
  }

  /** A process for a group: a spare started with the same spec, else a new one. */
  take(spec: PySpawnSpec): PyProc {
    const key = specKey(spec);
    const i = this.spares.findIndex((p) => p.key === key && p.exited === null);
    const p = i !== -1 ? this.spares.splice(i, 1)[0]! : new PyProc(spec);
    p.hold();
    return p;
  }

  /** Tops the spares of `spec` up to what the leases ask for; spares of any other spec are ended. */
  keep(spec: PySpawnSpec): void {
    const key = specKey(spec);
    for (const p of this.spares.filter((s) => s.key !== key)) this.end(p);
    const want = this.wanted;
    while (this.spares.length < want) {
      const p = new PyProc(spec);
      this.spares.push(p);
      p.whenGone(() => (this.spares = this.spares.filter((s) => s !== p)));
    }
  }

  /** Spares ready or starting (for tests and the bench). */
  spareProcesses(): readonly PyProc[] {
    return this.spares;
  }

  /** Ends spares beyond what the leases ask for; resolves once they have exited. */
  async trim(): Promise<void> {
    const extra = this.spares.slice(this.wanted);
    for (const p of extra) this.end(p);
    await Promise.all(extra.map((p) => new Promise<void>((r) => p.whenGone(r))));
  }

  private end(p: PyProc): void {
    this.spares = this.spares.filter((s) => s !== p);
    // Whoever waits for its exit keeps the host process up until it has.
    p.hold();
    p.release();
  }
}

export const pythonProcesses = new PythonProcesses();

/**
 * Keeps `count` spare interpreters (for the groups' last spec) until the returned function is
 * called. The studio host holds one for its lifetime, so that a run's App (one per run) finds a
 * spare the previous run left.
 */
export function leasePythonSpares(count: number): () => Promise<void> {
  return pythonProcesses.lease(count);
}
