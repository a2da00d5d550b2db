/**
 * Once per `npm test` (and `npm run test:e2e`): a production build of the
 * current sources for the tests that run `next start`, then the database
 * server and migrated template every test file clones.
 */
import type { TestProject } from 'vitest/node';
import setupDatabase from './database-setup';
import { ensureProductionBuild, SECOND_INSTANCE_DIST_DIR } from './production-build';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureProductionBuild();
  // A second instance built separately, for the browser journey across instances (tests/e2e/instances.e2e.ts).
  if (project.config.include.some((pattern) => pattern.includes('.e2e.ts'))) ensureProductionBuild(SECOND_INSTANCE_DIST_DIR);
  return setupDatabase(project);
}
