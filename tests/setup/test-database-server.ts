/**
 * The PostgreSQL server the test run uses: `TEST_DATABASE_URL`, or a
 * throwaway embedded cluster in a temporary directory. Also removes clusters
 * left behind by runs that were killed before they could clean up.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlive, makeTempClusterDir, newClusterPassword, startCluster, STATEMENT_STATISTICS_SETTINGS, stopOrphan } from '../../scripts/lib/postgres-cluster';

export const CLUSTER_DIR_PREFIX = 'clerk-prisma-test-';

export interface TestDatabaseServer {
  /** URL of the server's maintenance database (`postgres`): used to create and drop databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Stop and delete clusters whose owning test run no longer exists. */
export async function removeAbandonedClusters(): Promise<number> {
  const entries = await readdir(os.tmpdir()).catch(() => []);
  let removed = 0;
  for (const name of entries.filter((entry) => entry.startsWith(CLUSTER_DIR_PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    const owner = Number(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => '0'));
    // Only a run's own cluster, whose run is gone: other test clusters (a test's own database, another
    // run's) have no owner.pid of this kind, and their watchdogs remove them.
    if (!(owner > 0) || isAlive(owner)) continue;
    await stopOrphan(path.join(dir, 'data'));
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export async function startTestDatabaseServer(externalUrl: string | undefined): Promise<TestDatabaseServer> {
  if (externalUrl) return { adminUrl: externalUrl, stop: async () => {} };
  await removeAbandonedClusters();
  const dir = await makeTempClusterDir(CLUSTER_DIR_PREFIX);
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  try {
    // Counting what the server receives (tests/helpers/statements.ts) needs pg_stat_statements loaded at start.
    const cluster = await startCluster({ dataDir: path.join(dir, 'data'), password: newClusterPassword(), ephemeral: true, removeOnOrphan: dir, settings: STATEMENT_STATISTICS_SETTINGS });
    return {
      adminUrl: cluster.url(),
      async stop() {
        await cluster.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
