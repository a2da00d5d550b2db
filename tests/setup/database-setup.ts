/**
 * A PostgreSQL server (embedded, or TEST_DATABASE_URL) and a template
 * database with every migration applied, provided to the test files. Each
 * file then clones the template (tests/setup/worker-database.ts), so files
 * run in parallel against real PostgreSQL without seeing each other's rows.
 */
import type { TestProject } from 'vitest/node';
import { getToolEnv } from '../../modules/cores/env/env';
import { applyMigrations } from '../../scripts/lib/schema-engine';
import { createDatabase, dropDatabase, withAdminClient } from '../helpers/databases';
import { startTestDatabaseServer } from './test-database-server';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
    templateDatabase: string;
  }
}

export default async function setupDatabase(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestDatabaseServer(getToolEnv().TEST_DATABASE_URL);
  const template = `test_template_${process.pid}`;
  try {
    // Statement counting (tests/helpers/statements.ts) reads pg_stat_statements here; a server that
    // cannot load it has its counting tests skipped (failed in CI), with the reason, not the whole run.
    await withAdminClient(server.adminUrl, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')).catch(() => {});
    const templateUrl = await createDatabase(server.adminUrl, template);
    await applyMigrations(templateUrl);
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('databaseServerUrl', server.adminUrl);
  project.provide('templateDatabase', template);

  let stopped = false;
  const teardown = async () => {
    if (stopped) return;
    stopped = true;
    await dropDatabase(server.adminUrl, template).catch(() => {});
    await server.stop();
  };
  // Interrupted runs (Ctrl-C, CI timeouts) still stop the server.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(130)));
  }
  return teardown;
}
