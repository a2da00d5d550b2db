/**
 * A real PgBouncer (Debian's `pgbouncer` package, which .ci/run installs) in
 * transaction pooling mode in front of a test PostgreSQL: the way most
 * production databases are reached (PgBouncer on a VM, Supabase, Neon). Its
 * settings are the ones docs/deploy.md recommends.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort, makeTempClusterDir, serverIdentity } from '../../scripts/lib/postgres-cluster';
import { stopProcess } from '../../scripts/lib/processes';
import { stopWithParent } from '../../scripts/lib/watchdog';

export interface PgBouncer {
  /** The same URL as `upstreamUrl`, but through the pooler. */
  url(upstreamUrl: string): string;
  output(): string;
  stop(): Promise<void>;
}

export function pgbouncerBinary(): string | null {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Whether the pooler tests run: always in CI (where a missing PgBouncer is a failure), elsewhere when it is installed. */
export const pgbouncerTestsRun = Boolean(process.env.CI) || pgbouncerBinary() !== null;

/** The settings docs/deploy.md recommends for the sync (transaction pooling, a short server_login_retry). */
export const RECOMMENDED_SETTINGS = {
  pool_mode: 'transaction',
  // Retry a failed server login after 1 s, not 15: the outage seen through the pooler ends with the database's.
  server_login_retry: '1',
  max_client_conn: '1000',
  default_pool_size: '40',
  // node-postgres sends none of these, other drivers do.
  ignore_startup_parameters: 'extra_float_digits,options',
};

export async function startPgBouncer(upstreamUrl: string): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('PgBouncer is not installed: run `apt-get install -y pgbouncer` (Debian), as .ci/run does.');
  const upstream = new URL(upstreamUrl);
  const user = decodeURIComponent(upstream.username);
  const password = decodeURIComponent(upstream.password);
  const dir = await makeTempClusterDir('clerk-prisma-pgbouncer-');
  const ini = path.join(dir, 'pgbouncer.ini');
  const userlist = path.join(dir, 'userlist.txt');
  await writeFile(userlist, `"${user}" "${password}"\n`, { mode: 0o600 });
  // PgBouncer refuses to run as root: as root it runs as the postgres user, like the database.
  const identity = serverIdentity();

  let port = 0;
  let child: ChildProcess;
  let output = '';
  const url = (target: string) => {
    const through = new URL(target);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    return through.toString();
  };
  // A port found free can be taken before PgBouncer binds it (another test worker): then another.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const settings = {
      listen_addr: '127.0.0.1',
      listen_port: String(port),
      unix_socket_dir: '',
      auth_type: 'scram-sha-256',
      auth_file: userlist,
      pidfile: path.join(dir, 'pgbouncer.pid'),
      ...RECOMMENDED_SETTINGS,
    };
    await writeFile(
      ini,
      [`[databases]`, `* = host=${upstream.hostname} port=${upstream.port}`, `[pgbouncer]`, ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`), ''].join('\n'),
      { mode: 0o600 },
    );
    if (identity.uid !== undefined && identity.gid !== undefined) for (const file of [dir, ini, userlist]) await chown(file, identity.uid, identity.gid);

    child = spawn(binary, [ini], { ...identity, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) stopWithParent(child.pid, { removeDir: dir });
    output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (await pgbouncerAnswers(child, port, url(upstreamUrl), () => output)) break;
    if (!/Address already in use/.test(output) || attempt >= 3) throw new Error(`pgbouncer exited with ${child.exitCode}:\n${output}`);
  }

  return {
    url,
    output: () => output,
    async stop() {
      await stopProcess(child, { signal: 'SIGINT', graceMs: 5_000 });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether this PgBouncer answers a query within 15 s: once it says it
 * listens on `port` (so what answers there is this one, not another
 * process's); false if it exited first; throws if it never answers.
 */
async function pgbouncerAnswers(child: ChildProcess, port: number, url: string, output: () => string): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) return false;
    if (!output().includes(`listening on 127.0.0.1:${port}`)) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    const ready = await client.connect().then(
      () => client.query('SELECT 1').then(() => true),
      () => false,
    );
    await client.end().catch(() => {});
    if (ready) return true;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopProcess(child, { graceMs: 1_000 });
  throw new Error(`pgbouncer did not answer within 15 s:\n${output()}`);
}
