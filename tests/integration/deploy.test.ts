/**
 * docs/deploy.md, step by step, with the commands it gives: a fresh
 * database behind PgBouncer in transaction mode, migrations through the
 * direct URL, `npm start` with a production environment, a signed webhook
 * (also during a secret rotation), the prune, a dry-run reconcile and a replay.
 * The emulator stands in for the Clerk instance (no network here).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { ROOT } from '../../scripts/lib/paths';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { type RunningApp, startApp } from '../helpers/app';
import { createDatabase, dropDatabase, withAdminClient } from '../helpers/databases';
import { type PgBouncer, pgbouncerTestsRun, startPgBouncer } from '../helpers/pgbouncer';
import { createClerkClient } from '@clerk/backend';
import { delivery, signedHeaders } from '../helpers/webhooks';

/** A command exactly as the guide writes it, run through the shell. */
function sh(command: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.runIf(pgbouncerTestsRun)('the deployment guide, step by step', () => {
  const serverUrl = inject('databaseServerUrl');
  const name = `deploy_${randomBytes(4).toString('hex')}`;
  let direct: string;
  let pooled: string;
  let pooler: PgBouncer;
  let clerk: EmulatorProcess;
  let app: RunningApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    direct = await createDatabase(serverUrl, name);
    pooler = await startPgBouncer(direct);
    pooled = pooler.url(direct);
    clerk = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 300, allowPersonalAccounts: true, output: 'pipe' });
  });
  afterAll(async () => {
    await app?.stop();
    await clerk?.stop();
    await pooler?.stop();
    await dropDatabase(serverUrl, name);
  });

  it('generates a server-actions key with the command it gives', async () => {
    const { stdout, status } = await sh(`node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`);
    expect(status).toBe(0);
    expect(Buffer.from(stdout.trim(), 'base64')).toHaveLength(32);
  });

  it('migrates through DIRECT_URL while DATABASE_URL goes through the pooler', async () => {
    const { stdout, stderr, status } = await sh('npm run db:migrate', { DATABASE_URL: pooled, DIRECT_URL: direct });
    expect(stderr).not.toMatch(/error/i);
    expect(status).toBe(0);
    expect(stdout).toMatch(/Applied \d+ migration\(s\) to .* \(DIRECT_URL\)/);
    const tables = await withAdminClient(direct, (client) => client.query<{ count: number }>(`SELECT count(*)::int AS count FROM "_prisma_migrations"`));
    expect(tables.rows[0]!.count).toBeGreaterThan(0);
  }, 60_000);

  it('serves with npm start and the production environment, through the pooler', async () => {
    const { CLERK_EMULATOR_URL: _emulatorUrl, ...clerkEnv } = clerk.appEnv;
    env = {
      ...clerkEnv,
      DATABASE_URL: pooled,
      NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
    };
    const port = await freePort();
    app = await startApp({ ...env, APP_URL: `http://localhost:${port}` }, { port, viaNpmStart: true });
    expect(app.output()).toContain('next start');
    const health = await fetch(`${app.url}/api/health`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'ok' });
    expect(new URL(app.url).port).toBe(String(port));
  }, 60_000);

  it('takes Clerk\'s webhooks, also while the signing secret is being rotated (two signatures in one header)', async () => {
    const created = await createClerkClient({ secretKey: clerk.secretKey, apiUrl: clerk.url }).users.createUser({ emailAddress: ['deployed@example.com'], firstName: 'Deployed', lastName: 'Lovelace' });
    const user = created.raw!;
    const d = delivery('user.created', user, user.updated_at, clerk.instanceId);
    const oldSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const headers = signedHeaders(d, { secret: clerk.webhookSecret });
    const rotated = signedHeaders(d, { secret: oldSecret, timestamp: new Date(Number(headers['svix-timestamp']) * 1000) });
    // Svix signs with the old and the new secret while a rotation is under way, in either order.
    for (const signature of [`${rotated['svix-signature']} ${headers['svix-signature']}`, `${headers['svix-signature']} ${rotated['svix-signature']}`]) {
      const response = await fetch(`${app.url}/api/webhooks/clerk`, { method: 'POST', headers: { ...headers, 'svix-signature': signature }, body: d.body });
      expect(response.status).toBe(200);
    }
    // Signed only with a secret we do not have: refused.
    const stranger = await fetch(`${app.url}/api/webhooks/clerk`, { method: 'POST', headers: rotated, body: d.body });
    expect(stranger.status).toBe(400);
    const rows = await withAdminClient(direct, (client) => client.query<{ name: string }>(`SELECT name FROM "User" WHERE "clerkId" = $1`, [user.id]));
    expect(rows.rows).toEqual([{ name: 'Deployed Lovelace' }]);
  }, 60_000);

  it('prunes, reconciles (dry run) and replays with the commands it gives', async () => {
    const prune = await sh('npm run data:prune', { DATABASE_URL: pooled });
    expect(prune.status).toBe(0);
    expect(prune.stdout).toMatch(/Pruned .*: \d+ webhook payloads dropped/);

    const reconcile = await sh('npm run users:reconcile -- --dry-run', { DATABASE_URL: pooled, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url });
    expect(reconcile.stderr).toBe('');
    expect(reconcile.status).toBe(0);
    expect(reconcile.stdout).toContain(`Dry run: nothing written. Reconciled 1 users of Clerk instance ${clerk.instanceId}`);
    expect(reconcile.stdout).toContain('0 would be created, 0 would be updated, 0 would be deleted, 1 unchanged, 0 failed');

    const reconciled = await sh('npm run users:reconcile', { DATABASE_URL: pooled, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url });
    expect(reconciled.status).toBe(0);
    expect(reconciled.stdout).toContain(`Reconciled 1 users of Clerk instance ${clerk.instanceId}`);

    const replay = await sh('npm run webhooks:replay -- --failed', { DATABASE_URL: pooled, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url });
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('Replayed 0 deliveries, 0 failed.');
  }, 120_000);
});
