import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    // Every emulator the tests start holds its answers and webhooks to Clerk's contract (tools/clerk-emulator/src/contract).
    env: { CLERK_EMULATOR_CONTRACT: 'enforce' },
    include: ['tests/**/*.test.ts', 'modules/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    setupFiles: ['tests/setup/worker-database.ts', 'tests/setup/fail-on-console-error.ts'],
    pool: 'forks',
    // Two cores: two workers, each with its own database.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
