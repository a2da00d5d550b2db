/**
 * A PostgreSQL server of a test's own, migrated, that the test may stop and
 * start again on the same port (outages, restarts). Removed by `remove()`,
 * or by the watchdog if the test process dies first.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { makeTempClusterDir, newClusterPassword, type RunningCluster, startCluster } from '../../scripts/lib/postgres-cluster';
import { applyMigrations } from '../../scripts/lib/schema-engine';

export interface OwnDatabase {
  /** The `postgres` database's URL; unchanged across restarts. */
  url(database?: string): string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stop the server and delete its files. */
  remove(): Promise<void>;
}

export async function startOwnDatabase(prefix: string, options: { settings?: string[]; durable?: boolean } = {}): Promise<OwnDatabase> {
  const dir = await makeTempClusterDir(prefix);
  // One password for the cluster's life: a restart finds the one initdb set.
  const password = newClusterPassword();
  const start = (port?: number) =>
    startCluster({ dataDir: path.join(dir, 'data'), password, port, ephemeral: !options.durable, removeOnOrphan: dir, settings: options.settings });
  let cluster: RunningCluster = await start();
  await applyMigrations(cluster.url());
  return {
    url: (database) => cluster.url(database),
    stop: () => cluster.stop(),
    async restart() {
      cluster = await start(cluster.port);
    },
    async remove() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
