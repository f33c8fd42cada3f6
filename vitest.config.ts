import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = { 'ten-runtime-nodejs': resolve(import.meta.dirname, 'src/runtime/api/index.ts') };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        // Some unit suites walk the whole TEN corpus (hundreds of files, property-based runs): on a
        // shared 2-core machine they need more than vitest's 5 s default without being slow.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration tests start real servers and worker threads; two cores, one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
