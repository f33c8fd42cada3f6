/**
 * Spare group threads. Booting a worker and loading the runtime into it is most of a graph's
 * start time (≈100 ms per thread on two cores, more under load). When a graph has stopped, the
 * App boots as many idle workers as it had groups, so the next start only sends `init`. Spares
 * are unref'd (they never keep the process alive), used once, and terminated when the App closes.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

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
    return new Worker(entry, { name, workerData: { spare: false }, resourceLimits: this.limits });
  }

  /** Tops the spares up to `count` (bounded by the cap). */
  refill(entry: URL, count: number): void {
    this.fill(entry, count);
  }

  private fill(entry: URL, count: number): void {
    const want = Math.min(count, this.max);
    while (!this.closed && this.spares.length < want) {
      const worker = new Worker(entry, { name: 'ten:spare', workerData: { spare: true }, resourceLimits: this.limits });
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
