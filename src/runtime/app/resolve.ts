/**
 * Node's own ESM resolution of bare imports (`exports` and `imports` maps with the `import`
 * condition, `main`, self-references), from any module location.
 *
 * The build rewrites the imports of extension code to absolute URLs, because the built modules
 * live in the cache folder, where Node would resolve packages from the wrong place. Which file a
 * package import names must be what Node would pick if the source ran where it lies:
 * `import.meta.resolve(specifier, parentURL)` is exactly that, but its second argument needs
 * `--experimental-import-meta-resolve` (Node 20–24), a per-process flag the studio's hosts do
 * not run with. A worker can be given the flag, so a small helper thread answers the build's
 * questions. `require.resolve` is no substitute: it applies the `require` condition and picks
 * the CommonJS entry of dual packages (`ws`, for one).
 *
 * Only cold builds resolve (a warm build checks what a resolution depends on, see build.ts);
 * the thread starts on the first question of a build (~25 ms) and the build ends it.
 */
import { Worker } from 'node:worker_threads';

const RESOLVER_SOURCE = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ id, specs, parent }) => {
  const out = specs.map((spec) => {
    try {
      return { url: import.meta.resolve(spec, parent) };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  });
  parentPort.postMessage({ id, out });
});
`;

/** A resolved URL, or the resolver's error message. */
export type Resolution = { url: string } | { error: string };

export class EsmResolver {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: Resolution[]) => void; reject: (e: Error) => void }>();

  /** Resolves `specs` as an `import` in the module at `parentUrl` would. */
  resolve(specs: string[], parentUrl: string): Promise<Resolution[]> {
    const w = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, specs, parent: parentUrl });
    });
  }

  /** Ends the helper thread (the next question starts another). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(RESOLVER_SOURCE)}`), {
      execArgv: ['--experimental-import-meta-resolve'],
      name: 'ten:resolver',
    });
    w.on('message', (m: { id: number; out: Resolution[] }) => {
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      waiter?.resolve(m.out);
    });
    const fail = (e: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(e);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('The import resolver thread ended.')));
    this.worker = w;
    return w;
  }
}
