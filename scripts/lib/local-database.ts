/**
 * The database the scripts work on: `DATABASE_URL` when it is set, otherwise
 * the embedded PostgreSQL whose data lives in `.data/postgres`.
 *
 * One embedded server per data directory: a script finding the server already
 * run by a live `npm run dev` uses it; a server orphaned by a killed run is
 * stopped and started afresh under the new owner.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getToolEnv } from '../../modules/cores/env/env';
import { CLUSTER_PASSWORD, CLUSTER_USER, isAlive, runningServer, startCluster, stopOrphan } from './postgres-cluster';
import { ROOT } from './paths';

export const DATA_DIR = path.join(ROOT, '.data');
export const POSTGRES_DIR = path.join(DATA_DIR, 'postgres');
const OWNER_FILE = path.join(DATA_DIR, 'postgres.owner');

export interface LocalDatabase {
  url: string;
  /** True when this process started the server (and `close` stops it). */
  embedded: boolean;
  close(): Promise<void>;
}

export async function openLocalDatabase(): Promise<LocalDatabase> {
  const env = getToolEnv();
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, close: async () => {} };

  await mkdir(DATA_DIR, { recursive: true });
  const running = await runningServer(POSTGRES_DIR);
  if (running) {
    const owner = Number(await readFile(OWNER_FILE, 'utf8').catch(() => '0'));
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      const url = `postgresql://${CLUSTER_USER}:${CLUSTER_PASSWORD}@127.0.0.1:${running.port}/postgres`;
      return { url, embedded: false, close: async () => {} };
    }
    await stopOrphan(POSTGRES_DIR);
  }

  const cluster = await startCluster({ dataDir: POSTGRES_DIR, port: env.EMBEDDED_POSTGRES_PORT });
  await writeFile(OWNER_FILE, String(process.pid));
  return {
    url: cluster.url(),
    embedded: true,
    async close() {
      await cluster.stop();
      await rm(OWNER_FILE, { force: true });
    },
  };
}

/** Connection strings are printed for people; hide a password that is not the local default. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password && parsed.password !== CLUSTER_PASSWORD) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(unparseable connection string)';
  }
}
