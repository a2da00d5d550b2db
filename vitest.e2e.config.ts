import path from 'node:path';
import { defineConfig } from 'vitest/config';

/** Browser journeys (`npm run test:e2e`): Debian's Chromium driven by playwright-core. */
export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    // Every emulator the tests start holds its answers and webhooks to Clerk's contract (tools/clerk-emulator/src/contract).
    env: { CLERK_EMULATOR_CONTRACT: 'enforce' },
    include: ['tests/e2e/**/*.e2e.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    setupFiles: ['tests/setup/worker-database.ts', 'tests/setup/fail-on-console-error.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
