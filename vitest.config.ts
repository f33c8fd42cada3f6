import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = { 'ten-runtime-nodejs': resolve(import.meta.dirname, 'src/runtime/api/index.ts') };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
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
