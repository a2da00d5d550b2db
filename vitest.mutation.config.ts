import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the
 * ones that call the mutated modules in this process, against real
 * PostgreSQL. Tests that reach the code through `next start` or a CLI child
 * process cannot see Stryker's active mutant, so they are left out; no
 * production build is needed.
 */
export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: [
      'modules/**/*.test.ts',
      'tests/integration/audit-log.test.ts',
      'tests/integration/authed-action.test.ts',
      'tests/integration/billing-limits.test.ts',
      'tests/integration/billing-sync.test.ts',
      'tests/integration/reconcile-billing.test.ts',
      'tests/integration/plan-provisioning.test.ts',
      'tests/integration/invitation-role-sync.test.ts',
      'tests/integration/invitation-services.test.ts',
      'tests/integration/reconcile-invitations.test.ts',
      'tests/integration/organization-sync.test.ts',
      'tests/integration/organization-sync.property.test.ts',
      'tests/integration/organization-services.test.ts',
      'tests/integration/personal-data.test.ts',
      'tests/integration/posts.test.ts',
      'tests/integration/provisioning.test.ts',
      'tests/integration/reconcile.test.ts',
      'tests/integration/reconcile-counts.test.ts',
      'tests/integration/reconcile-rules.test.ts',
      'tests/integration/sync-batches.test.ts',
      'tests/integration/sync-locks.test.ts',
      'tests/integration/telemetry-in-process.test.ts',
      'tests/integration/user-sync.test.ts',
      'tests/integration/user-sync.batch.test.ts',
      'tests/integration/user-sync.property.test.ts',
      'tests/integration/webhook-handler.test.ts',
      'tests/integration/webhook-handler-clerk.test.ts',
      'tests/integration/webhook-counts.test.ts',
    ],
    globalSetup: ['tests/setup/database-setup.ts'],
    setupFiles: ['tests/setup/worker-database.ts', 'tests/setup/fail-on-console-error.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
