/**
 * What the local tools keep on disk: the embedded cluster's password (random,
 * made at the first initdb and kept 0600; a cluster of an older version, on
 * the fixed password `postgres`, moved to a random one at its next start),
 * and `.data`'s secrets readable by their owner only, also when an older
 * checkout left them 0644 in 0755 directories. `npm run dev` and the scripts
 * run these same functions (tests/integration/newcomer.test.ts runs them
 * through the commands).
 */
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { keepLocalDataPrivate } from '../../scripts/lib/local-data';
import { startEmbeddedCluster } from '../../scripts/lib/local-database';
import { clusterUrl, makeTempClusterDir, serverIdentity, startCluster } from '../../scripts/lib/postgres-cluster';
import { EmulatorControl } from '../helpers/emulator-control';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(prefix: string): Promise<string> {
  const dir = await makeTempClusterDir(prefix);
  dirs.push(dir);
  return dir;
}

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

/** What the server answers `url`: 'ok', or the SQLSTATE it refused it with. */
async function login(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

describe('the embedded cluster\'s password', () => {
  it('is random, made at the first initdb, kept 0600, and the same at every start', async () => {
    const dir = await tempDir('clerk-prisma-password-');
    const passwordFile = path.join(dir, 'postgres-password');
    let cluster = await startEmbeddedCluster({ dataDir: path.join(dir, 'data'), passwordFile });
    try {
      const password = (await readFile(passwordFile, 'utf8')).trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(await modeOf(passwordFile)).toBe(0o600);
      expect(cluster.url()).toBe(`postgresql://postgres:${password}@127.0.0.1:${cluster.port}/postgres`);
      expect(await login(cluster.url())).toBe('ok');
      expect(await login(clusterUrl(cluster.port, 'postgres'))).toBe('28P01');

      await cluster.stop();
      cluster = await startEmbeddedCluster({ dataDir: path.join(dir, 'data'), passwordFile });
      expect((await readFile(passwordFile, 'utf8')).trim()).toBe(password);
      expect(await login(cluster.url())).toBe('ok');
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('moves a cluster still on the old fixed password to a random one at its next start, keeping its data', async () => {
    const dir = await tempDir('clerk-prisma-legacy-password-');
    const dataDir = path.join(dir, 'data');
    // What an older version made: initdb with `postgres`, and no password file.
    const old = await startCluster({ dataDir, password: 'postgres' });
    const client = new pg.Client({ connectionString: old.url() });
    await client.connect();
    await client.query('CREATE TABLE kept (id int)');
    await client.end();
    await old.stop();

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const passwordFile = path.join(dir, 'postgres-password');
    const cluster = await startEmbeddedCluster({ dataDir, passwordFile });
    try {
      const password = (await readFile(passwordFile, 'utf8')).trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(log).toHaveBeenCalledWith(`The embedded PostgreSQL had the well-known password of older versions: it now has a random one, kept in ${passwordFile}.`);
      expect(await login(clusterUrl(cluster.port, 'postgres'))).toBe('28P01');
      const moved = new pg.Client({ connectionString: cluster.url() });
      await moved.connect();
      expect((await moved.query('SELECT count(*)::int AS n FROM kept')).rows).toEqual([{ n: 0 }]);
      await moved.end();
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('says what to do when the cluster refuses the kept password, and stops it', async () => {
    const dir = await tempDir('clerk-prisma-lost-password-');
    const dataDir = path.join(dir, 'data');
    await (await startCluster({ dataDir, password: 'a-password-nobody-kept' })).stop();
    const passwordFile = path.join(dir, 'postgres-password');
    await writeFile(passwordFile, 'another\n');
    await expect(startEmbeddedCluster({ dataDir, passwordFile })).rejects.toThrow(
      `The embedded PostgreSQL in ${dataDir} refuses the password kept in ${passwordFile}. Put its password back in that file, or delete the data directory to start with an empty database.`,
    );
    // Stopped: it starts again at once (a server still running would hold its data directory).
    const again = await startCluster({ dataDir, password: 'a-password-nobody-kept' });
    expect(await login(again.url())).toBe('ok');
    await again.stop();
  }, 60_000);
});

describe('.data', () => {
  /** What an older checkout left: everything readable by all. */
  async function olderCheckout(dataDir: string, files: string[]): Promise<void> {
    for (const file of files) {
      await mkdir(path.dirname(path.join(dataDir, file)), { recursive: true });
      await writeFile(path.join(dataDir, file), '{}');
      await chmod(path.join(dataDir, file), 0o644);
    }
    await chmod(dataDir, 0o755);
    await chmod(path.join(dataDir, 'clerk-emulator'), 0o755);
  }

  it('has its secrets made private at the next start of the tools, whatever an older checkout left', async () => {
    const dataDir = path.join(await tempDir('clerk-prisma-data-'), '.data');
    await mkdir(path.join(dataDir, 'postgres'), { recursive: true, mode: 0o700 });
    await olderCheckout(dataDir, ['dev-stack.json', 'postgres-password', 'postgres.owner', 'clerk-emulator/keys.json', 'clerk-emulator/state.json', 'clerk-emulator/webhook-secret']);
    await keepLocalDataPrivate(dataDir);
    // As root the server runs as `postgres`, which must still reach .data/postgres: .data may be entered, not listed.
    expect(await modeOf(dataDir)).toBe(serverIdentity().uid === undefined ? 0o700 : 0o711);
    for (const file of ['dev-stack.json', 'postgres-password', 'postgres.owner']) expect(await modeOf(path.join(dataDir, file)), file).toBe(0o600);
    expect(await modeOf(path.join(dataDir, 'clerk-emulator'))).toBe(0o700);
    for (const file of ['keys.json', 'state.json', 'webhook-secret']) expect(await modeOf(path.join(dataDir, 'clerk-emulator', file)), file).toBe(0o600);
    expect(await modeOf(path.join(dataDir, 'postgres'))).toBe(0o700);
  });

  it('holds the emulator\'s keys, sessions and webhook secret readable by their owner only, as it starts and as it saves', async () => {
    const dataDir = path.join(await tempDir('clerk-prisma-emulator-data-'), 'clerk-emulator');
    const start = () => startEmulatorProcess({ port: 0, dataDir, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 60, allowPersonalAccounts: true, output: 'pipe' });
    const first = await start();
    await first.stop();
    // An older checkout's modes, kept files and all.
    await chmod(dataDir, 0o755);
    for (const file of ['keys.json', 'webhook-secret']) await chmod(path.join(dataDir, file), 0o644);

    const emulator = await start();
    try {
      expect(emulator.secretKey).toBe(first.secretKey);
      expect(await modeOf(dataDir)).toBe(0o700);
      for (const file of ['keys.json', 'webhook-secret']) expect(await modeOf(path.join(dataDir, file)), file).toBe(0o600);
      const control = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
      const user = await control.createUser({ email: 'saved@example.com' });
      await control.signIn(user.id);
      const state = path.join(dataDir, 'state.json');
      await expect.poll(() => readFile(state, 'utf8').catch(() => ''), { timeout: 10_000 }).toContain('saved@example.com');
      expect(await modeOf(state)).toBe(0o600);
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});
