import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Tests of the upload engine, the tus uploader and the fetch stack: the same code runs in the
 * service worker (tus-js-client's browser build) and in Node (its Node build, e.g. a relay ashore),
 * so these run once against each build.
 */
const ENGINE_TESTS = [
  'test/unit/engine*.test.ts',
  'test/unit/tusUploader.test.ts',
  'test/unit/blobFileReader.test.ts',
  'test/unit/fetchHttpStack.test.ts',
  'test/unit/nodeEngine.test.ts',
];

/**
 * Black-box server suites that do not depend on where the server keeps its state: they run once on
 * the embedded backends and once more on the fleet's (see test/support/fleet/testBackends.ts),
 * started once for all of them.
 */
const FLEET_SUITES = [
  'test/server/protocol.test.ts',
  'test/server/integrity.test.ts',
  'test/server/quota.test.ts',
  'test/server/limits.test.ts',
  'test/server/auth.test.ts',
  'test/server/revocation.test.ts',
  'test/server/stall.test.ts',
];

/** Compiles the server once per project for the suites that run it as its own process. */
const COMPILED_SERVER = 'test/support/compiledServer.setup.ts';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core machine,
    // though most of these files wait on servers, child processes and timers rather than the CPU.
    maxWorkers: '100%',
    projects: [
      {
        extends: true,
        resolve: {
          alias: {
            // The build the worker ships. Without the alias Node resolves the package's Node build.
            'tus-js-client': fileURLToPath(
              new URL('./node_modules/tus-js-client/lib.esm/browser/index.js', import.meta.url),
            ),
          },
        },
        test: {
          name: 'tus-browser',
          include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/fleet/**/*.test.ts'],
          env: { TUS_BUILD: 'browser' },
          globalSetup: [COMPILED_SERVER],
        },
      },
      {
        extends: true,
        test: { name: 'tus-node', include: ENGINE_TESTS, env: { TUS_BUILD: 'node' } },
      },
      {
        extends: true,
        test: {
          name: 'fleet-backends',
          include: FLEET_SUITES,
          env: { TENDER_TEST_BACKENDS: 'fleet' },
          globalSetup: [COMPILED_SERVER, 'test/support/fleet/fleetServices.setup.ts'],
        },
      },
    ],
  },
});
