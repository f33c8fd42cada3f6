// Worker bootstrap: Node 20 cannot run .ts workers directly. Instead of registering tsx (an
// esbuild service per thread), register our hooks, which load every .ts file from the compile
// cache the engine warmed before starting the thread; then import the TypeScript entry.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

register(new URL('./hooks.mjs', import.meta.url), {
  data: {
    apiUrl: new URL('../api/index.ts', import.meta.url).href,
    cacheDir: workerData.cacheDir,
  },
});
await import('./entry.ts');
