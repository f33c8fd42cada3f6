// Worker bootstrap. Node 20 cannot run .ts workers directly: register tsx for the runtime's own
// sources, then our hooks (registered last, so they run first) which map `ten-runtime-nodejs`
// to the API module and compile extension packages with TypeScript (legacy decorators).
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register(new URL('./hooks.mjs', import.meta.url), {
  data: {
    apiUrl: new URL('../api/index.ts', import.meta.url).href,
    tsRoots: (workerData && workerData.tsRoots) || [],
  },
});
await import('./entry.ts');
