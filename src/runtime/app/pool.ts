/**
 * Spare group threads. Booting a worker and loading the runtime into it is most of a graph's
 * start time (≈100 ms per thread on two cores, more under load). When a graph has stopped, the
 * App boots as many idle workers as it had groups, so the next start only sends `init`. Spares
 * are unref'd (they never keep the process alive), used once, and terminated when the App closes.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Node options that install module loader hooks (or modules that do) before the entry; each
 * takes a value. CommonJS preloads (`--require`) are inherited as before: they install no ESM
 * hooks, and test runners use them for small things (vitest preloads a warning filter).
 */
const PRELOAD_FLAGS = new Set(['--loader', '--experimental-loader', '--import']);

function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq === -1 ? arg : arg.slice(0, eq);
}

/**
 * The process's Node options less its module loaders (and their values). A thread
 * inherits `execArgv`, so a test process started as `mocha` with `loader: ts-node/esm` (TEN's
 * test setup) would start ts-node's hooks in every group thread: a second or more per thread,
 * and a warning printed per thread. Group threads run modules already built to plain JavaScript
 * (app/build.ts) and need none of them.
 */
export function withoutPreloads(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (!PRELOAD_FLAGS.has(flagName(arg))) out.push(arg);
    else if (!arg.includes('=')) i++;
  }
  return out;
}

/**
 * Options given to group threads: undefined (Node's inheritance, which silently skips the
 * options a thread cannot take) unless the process has preloads; then `withoutPreloads`, less
 * the per-process and V8 options Node refuses when they are given explicitly (learnt from its
 * refusal once, then kept).
 */
let groupArgv: string[] | undefined | null = null;

/** A new group thread running `entry`. */
export function spawnGroupThread(entry: URL, options: { name: string; workerData: unknown; resourceLimits?: ResourceLimits }): Worker {
  if (groupArgv === null) {
    const all = process.execArgv;
    groupArgv = all.some((a) => PRELOAD_FLAGS.has(flagName(a))) ? withoutPreloads(all) : undefined;
  }
  try {
    return new Worker(entry, { ...options, execArgv: groupArgv });
  } catch (e) {
    const m = /invalid execArgv flags: (.*)$/.exec((e as Error).message);
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !m || !groupArgv) throw e;
    const refused = new Set(m[1]!.split(', '));
    groupArgv = groupArgv.filter((a) => !refused.has(a));
    return new Worker(entry, { ...options, execArgv: groupArgv });
  }
}

interface Spare {
  worker: Worker;
  onExit: () => void;
  onError: () => void;
}

export class WorkerPool {
  private spares: Spare[] = [];
  private closed = false;
  /** Cap on idle workers, whatever the graphs ask for. */
  private readonly max: number;
  /** The V8 heap bound of every group thread (app/memory.ts). */
  private readonly limits: ResourceLimits;

  constructor(max: number, limits: ResourceLimits = {}) {
    this.max = max;
    this.limits = limits;
  }

  /** A booted spare running `entry`, or a fresh worker when none is left. */
  take(entry: URL, name: string): Worker {
    for (;;) {
      const s = this.spares.pop();
      if (!s) break;
      s.worker.off('exit', s.onExit);
      s.worker.off('error', s.onError);
      if (s.worker.threadId < 0) continue;
      s.worker.ref();
      return s.worker;
    }
    return spawnGroupThread(entry, { name, workerData: { spare: false }, resourceLimits: this.limits });
  }

  /** Tops the spares up to `count` (bounded by the cap). */
  refill(entry: URL, count: number): void {
    this.fill(entry, count);
  }

  private fill(entry: URL, count: number): void {
    const want = Math.min(count, this.max);
    while (!this.closed && this.spares.length < want) {
      const worker = spawnGroupThread(entry, { name: 'ten:spare', workerData: { spare: true }, resourceLimits: this.limits });
      worker.unref();
      const s: Spare = {
        worker,
        onExit: () => {
          this.spares = this.spares.filter((x) => x !== s);
        },
        // A spare that fails to boot is dropped; the next start boots a fresh worker instead.
        onError: () => undefined,
      };
      worker.on('exit', s.onExit);
      worker.on('error', s.onError);
      this.spares.push(s);
    }
  }

  get size(): number {
    return this.spares.length;
  }

  /** Terminates every spare. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.spares;
    this.spares = [];
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
