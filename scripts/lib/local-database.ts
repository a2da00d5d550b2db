/**
 * The database the scripts work on: `DATABASE_URL` when it is set; otherwise
 * the one the running `npm run dev` of this checkout uses; otherwise the
 * embedded PostgreSQL whose data lives in `.data/postgres`, started for the
 * command. Each says which (`description`).
 *
 * One embedded server per data directory: a script finding the server already
 * run by a live `npm run dev` uses it; a server orphaned by a killed run is
 * stopped and started afresh under the new owner.
 *
 * Its password is random, made at the first initdb and kept in
 * `.data/postgres-password` (0600); a cluster made by an older version, with
 * the well-known password `postgres`, is moved to a random one at its next
 * start. `.data` and its secrets are kept private at every start
 * (scripts/lib/local-data.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { getToolEnv } from '../../modules/cores/env/env';
import { writePrivateFile } from '../../modules/cores/private-files';
import { runningDevStack } from './dev-stack';
import { keepLocalDataPrivate } from './local-data';
import {
  CLUSTER_USER,
  clusterUrl,
  isAlive,
  newClusterPassword,
  type RunningCluster,
  runningServer,
  serverCanReach,
  startCluster,
  stopOrphan,
} from './postgres-cluster';
import { DATA_DIR, ROOT } from './paths';

export { DATA_DIR };
export const POSTGRES_DIR = path.join(DATA_DIR, 'postgres');
const OWNER_FILE = path.join(DATA_DIR, 'postgres.owner');
export const PASSWORD_FILE = path.join(DATA_DIR, 'postgres-password');
/** What every embedded cluster had before passwords were random. */
const LEGACY_PASSWORD = 'postgres';

const storedPassword = (file: string) => readFile(file, 'utf8').then((text) => text.trim() || null, () => null);

/** Whether the cluster takes `url`'s password: false when it refuses it (28P01); any other failure is thrown. */
async function acceptsPassword(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Start the embedded cluster in `dataDir` with the password kept in
 * `passwordFile` (made on first use); a cluster still on the old fixed
 * password gets that one instead, once it has started.
 */
export async function startEmbeddedCluster(options: { dataDir: string; passwordFile: string; port?: number }): Promise<RunningCluster> {
  let password = await storedPassword(options.passwordFile);
  if (!password) {
    password = newClusterPassword();
    await writePrivateFile(options.passwordFile, `${password}\n`);
  }
  const cluster = await startCluster({ dataDir: options.dataDir, port: options.port, password });
  try {
    if (await acceptsPassword(cluster.url())) return cluster;
    const legacy = new pg.Client({ connectionString: clusterUrl(cluster.port, LEGACY_PASSWORD) });
    try {
      await legacy.connect();
    } catch (error) {
      if ((error as { code?: string }).code !== '28P01') throw error;
      throw new Error(
        `The embedded PostgreSQL in ${options.dataDir} refuses the password kept in ${options.passwordFile}. ` +
          'Put its password back in that file, or delete the data directory to start with an empty database.',
      );
    }
    try {
      await legacy.query(`ALTER ROLE ${CLUSTER_USER} PASSWORD ${legacy.escapeLiteral(password)}`);
    } finally {
      await legacy.end().catch(() => {});
    }
    console.log(`The embedded PostgreSQL had the well-known password of older versions: it now has a random one, kept in ${options.passwordFile}.`);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

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

  await keepLocalDataPrivate();
  const running = await runningServer(POSTGRES_DIR);
  if (running) {
    const owner = Number(await readFile(OWNER_FILE, 'utf8').catch(() => '0'));
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      // Its owner started it with the kept password (or, started by an older version, the old one).
      const url = clusterUrl(running.port, (await storedPassword(PASSWORD_FILE)) ?? LEGACY_PASSWORD);
      return { url, embedded: false, description: `the embedded PostgreSQL in .data/postgres, run by pid ${owner}`, close: none };
    }
    await stopOrphan(POSTGRES_DIR);
  }

  const cluster = await startEmbeddedCluster({ dataDir: await reachableDataDir(), passwordFile: PASSWORD_FILE, port: env.EMBEDDED_POSTGRES_PORT });
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

/** Connection strings are printed for people (and land in CI logs): without their password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(unparseable connection string)';
  }
}
