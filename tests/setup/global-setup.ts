/**
 * Once per `npm test`: a PostgreSQL server (embedded, or TEST_DATABASE_URL)
 * and a template database with every migration applied. Each test file then
 * clones the template (tests/setup/worker-database.ts), so files run in
 * parallel against real PostgreSQL without seeing each other's rows.
 */
import type { TestProject } from 'vitest/node';
import { getToolEnv } from '../../modules/cores/env/env';
import { applyMigrations } from '../../scripts/lib/schema-engine';
import { createDatabase, dropDatabase } from '../helpers/databases';
import { ensureProductionBuild, SECOND_INSTANCE_DIST_DIR } from './production-build';
import { startTestDatabaseServer } from './test-database-server';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = getToolEnv();
  ensureProductionBuild();
  // A second instance built separately, for the browser journey across instances (tests/e2e/instances.e2e.ts).
  if (project.config.include.some((pattern) => pattern.includes('.e2e.ts'))) ensureProductionBuild(SECOND_INSTANCE_DIST_DIR);
  const server = await startTestDatabaseServer(env.TEST_DATABASE_URL);
  const template = `test_template_${process.pid}`;
  try {
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
