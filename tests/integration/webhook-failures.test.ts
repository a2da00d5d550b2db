/**
 * Failure: the database going away under the webhook endpoint, and a
 * processing failure repaired by `npm run webhooks:replay`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { ROOT } from '../../scripts/lib/paths';
import { type OwnDatabase, startOwnDatabase } from '../helpers/own-database';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';
import { outageAndRedelivery } from '../helpers/scenarios';
import { delivery, newClerkUser, post, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

describe('the database stopped mid-stream', () => {
  let database: OwnDatabase;
  let stack: Stack;
  beforeAll(async () => {
    database = await startOwnDatabase('clerk-prisma-test-outage-');
    stack = await startStack({ databaseUrl: database.url() });
  });
  afterAll(async () => {
    await stack?.stop();
    await database?.remove();
  });

  it('answers 503 with Retry-After while it is down, and redelivery afterwards ends in the right state', async () => {
    await outageAndRedelivery({ send: (d) => post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret }), database });
  }, 60_000);
});

describe('npm run webhooks:replay', () => {
  // The Clerk instance the data follows: replay checks the keys against it before anything else.
  let clerk: EmulatorProcess;
  beforeAll(async () => {
    clerk = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 300, allowPersonalAccounts: true, output: 'pipe' });
  });
  afterAll(async () => {
    await clerk?.stop();
  });
  const replayEnv = () => ({ ...process.env, DATABASE_URL: process.env.DATABASE_URL, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url });

  it('re-processes failed deliveries once the cause is fixed', async () => {
    const user = newClerkUser({ firstName: 'Replayed' });
    const d = delivery('user.created', user);
    const { processClerkWebhook } = await import('@/modules/clerk-sync/src/webhook/clerk-webhook.service');
    const { verifyClerkWebhook } = await import('@/modules/clerk-sync/src/webhook/webhook-verification');
    const webhook = verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);

    // A broken deployment: the users' table is missing, so processing fails and is rolled back.
    await prisma().$executeRawUnsafe('ALTER TABLE "User" RENAME TO "User_broken"');
    try {
      await expect(processClerkWebhook(webhook)).rejects.toThrow();
    } finally {
      await prisma().$executeRawUnsafe('ALTER TABLE "User_broken" RENAME TO "User"');
    }
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null, error: expect.any(String) });
    expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(0);

    const replay = spawnSync('npm', ['run', '--silent', 'webhooks:replay', '--', '--failed'], { cwd: ROOT, encoding: 'utf8', env: replayEnv() });
    expect(replay.stdout).toContain(`${d.svixId} user.created: applied`);
    expect(replay.status).toBe(0);
    expect((await prisma().user.findUnique({ where: { clerkId: user.id } }))?.name).toBe('Replayed Lovelace');
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'applied', error: null });

    // By svix-id, as the README writes it: processed again (the ordering rules keep that harmless); an unknown id fails.
    const byId = spawnSync('npm', ['run', '--silent', 'webhooks:replay', '--', d.svixId, 'msg_unknown'], { cwd: ROOT, encoding: 'utf8', env: replayEnv() });
    expect(byId.stdout).toContain(`${d.svixId} user.created: stale`);
    expect(byId.stderr).toContain('msg_unknown: no such delivery');
    expect(byId.status).toBe(1);

    // Without Clerk keys, with something to replay: it says what to set, and replays nothing.
    const { CLERK_SECRET_KEY: _key, CLERK_API_URL: _url, ...withoutKeys } = replayEnv();
    const keyless = spawnSync('npm', ['run', '--silent', 'webhooks:replay', '--', d.svixId], { cwd: ROOT, encoding: 'utf8', env: withoutKeys });
    expect(keyless.stderr).toContain('DATABASE_URL is set but CLERK_SECRET_KEY is not: set the secret key of the Clerk instance this database follows');
    expect(keyless.stdout).not.toContain(`${d.svixId} user.created:`);
    expect(keyless.status).toBe(2);
  }, 60_000);
});
