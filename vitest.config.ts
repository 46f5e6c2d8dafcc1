import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      // The browser build of tus-js-client is the one the worker ships; test that one.
      'tus-js-client': fileURLToPath(
        new URL('./node_modules/tus-js-client/lib.esm/browser/index.js', import.meta.url),
      ),
    },
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/fleet/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
