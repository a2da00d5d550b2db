/**
 * The database the scripts work on: `DATABASE_URL` when it is set; otherwise
 * the one the running `npm run dev` of this checkout uses; otherwise the
 * embedded PostgreSQL whose data lives in `.data/postgres`, started for the
 * command. Each says which (`description`).
 *
 * One embedded server per data directory: a script finding the server already
 * run by a live `npm run dev` uses it; a server orphaned by a killed run is
 * stopped and started afresh under the new owner.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getToolEnv } from '../../modules/cores/env/env';
import { runningDevStack } from './dev-stack';
import { CLUSTER_PASSWORD, CLUSTER_USER, isAlive, runningServer, serverCanReach, startCluster, stopOrphan } from './postgres-cluster';
import { DATA_DIR, ROOT } from './paths';

export { DATA_DIR };
export const POSTGRES_DIR = path.join(DATA_DIR, 'postgres');
const OWNER_FILE = path.join(DATA_DIR, 'postgres.owner');

export interface LocalDatabase {
  url: string;
  /** True when this process started the server (and `close` stops it). */
  embedded: boolean;
  /** Which database this is, for people: "DATABASE_URL (…)", "the one of npm run dev (pid …)", … */
  description: string;
  close(): Promise<void>;
}

/**
 * `.data/postgres`, unless we are root in a directory the `postgres` OS user
 * cannot enter (a private home, mktemp -d): then the data lives in
 * /var/lib/clerk-prisma-dev/<hash of this checkout>, and `.data/postgres` is a
 * link to it, so everything else still finds it there.
 */
async function reachableDataDir(): Promise<string> {
  const real = existsSync(POSTGRES_DIR) ? realpathSync(POSTGRES_DIR) : POSTGRES_DIR;
  if (serverCanReach(path.dirname(real)) || existsSync(path.join(real, 'PG_VERSION'))) return real;
  await rm(POSTGRES_DIR, { recursive: true, force: true }); // an empty leftover of a failed first start
  const hash = createHash('sha1').update(ROOT).digest('hex').slice(0, 12);
  const outside = path.join('/var/lib/clerk-prisma-dev', hash, 'postgres');
  await mkdir(path.dirname(outside), { recursive: true, mode: 0o755 });
  await chmod('/var/lib/clerk-prisma-dev', 0o755);
  await chmod(path.dirname(outside), 0o755);
  await symlink(outside, POSTGRES_DIR);
  console.log(`The postgres user cannot enter ${DATA_DIR}; the embedded database lives in ${outside} (linked from .data/postgres).`);
  return outside;
}

export async function openLocalDatabase(): Promise<LocalDatabase> {
  const env = getToolEnv();
  const none = async () => {};
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, description: `DATABASE_URL (${redactUrl(env.DATABASE_URL)})`, close: none };
  const stack = runningDevStack();
  if (stack && stack.pid !== process.pid) {
    return { url: stack.database.url, embedded: false, description: `the database of the running ${stack.command} (pid ${stack.pid}): ${redactUrl(stack.database.url)}`, close: none };
  }

  await mkdir(DATA_DIR, { recursive: true });
  const running = await runningServer(POSTGRES_DIR);
  if (running) {
    const owner = Number(await readFile(OWNER_FILE, 'utf8').catch(() => '0'));
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      const url = `postgresql://${CLUSTER_USER}:${CLUSTER_PASSWORD}@127.0.0.1:${running.port}/postgres`;
      return { url, embedded: false, description: `the embedded PostgreSQL in .data/postgres, run by pid ${owner}`, close: none };
    }
    await stopOrphan(POSTGRES_DIR);
  }

  const cluster = await startCluster({ dataDir: await reachableDataDir(), port: env.EMBEDDED_POSTGRES_PORT });
  if (cluster.port !== env.EMBEDDED_POSTGRES_PORT) {
    console.log(`Port ${env.EMBEDDED_POSTGRES_PORT} (EMBEDDED_POSTGRES_PORT) is taken: the embedded PostgreSQL listens on ${cluster.port} instead.`);
  }
  await writeFile(OWNER_FILE, String(process.pid));
  return {
    url: cluster.url(),
    embedded: true,
    description: `the embedded PostgreSQL in .data/postgres (started for this command, port ${cluster.port})`,
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
