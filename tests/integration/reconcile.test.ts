/**
 * Reconcile against the emulator's Backend API through the real SDK, on a
 * database seeded with drift; and the guards that keep it from wiping a
 * database on the word of the wrong Clerk instance.
 */
import { spawn } from 'node:child_process';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clerkUserFields } from '@/modules/clerk-sync/src/objects/clerk-user';
import { massDeleteThreshold, ReconcileRefusal, reconcileOrganizations, reconcileUsers } from '@/modules/clerk-sync/src/reconcile/reconcile.service';
import { ROOT } from '../../scripts/lib/paths';
import { runNpmScript } from '../helpers/npm-script';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl } from '../helpers/emulator-control';
import { createPost } from '../helpers/factories';
import { prisma } from '../helpers/prisma';

let emulator: RunningEmulator;
let control: EmulatorControl;
beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: null, tokenTtlSeconds: 60 });
  control = new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await control.reset();
  await prisma().$executeRawUnsafe(
    'TRUNCATE "User", "Post", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery", "ClerkInstance", "RateLimitWindow", "ReconcileRun", "ReconcileSeen" CASCADE',
  );
});

const clerk = (target: RunningEmulator = emulator) => createClerkClient({ secretKey: target.keys.secretKey, apiUrl: target.url });

/**
 * Our rows equal the emulator's truth (its export: id, primary email, first
 * and last name, updated_at), except the ids given: computed from that
 * independent model, not with the sync's own mapping.
 */
async function expectEqualToClerk(except: string[] = []) {
  const rows = await prisma().user.findMany({ select: { clerkId: true, email: true, name: true, clerkUpdatedAt: true } });
  const expected = (await control.exportUsers())
    .filter(([id]) => !except.includes(id))
    .map(([clerkId, email, first, last, updatedAt]) => ({ clerkId, email, name: [first, last].filter(Boolean).join(' ') || null, clerkUpdatedAt: new Date(updatedAt) }));
  const byId = (a: { clerkId: string }, b: { clerkId: string }) => a.clerkId.localeCompare(b.clerkId);
  expect(rows.sort(byId)).toEqual(expected.sort(byId));
}

/** Every row of every table of ours, as text: "nothing written" means this does not change. */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables = ['User', 'Post', 'DeletedClerkUser', 'WebhookDelivery', 'ClerkInstance', 'RateLimitWindow', 'ReconcileRun', 'ReconcileSeen'];
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await prisma().$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${table}" t ORDER BY 1`);
    result[table] = rows.map((r) => r.row);
  }
  return result;
}

/** Rows of ours for users this Clerk instance does not know. */
async function orphanRows(count: number, prefix = 'orphan') {
  await prisma().user.createMany({
    data: Array.from({ length: count }, (_, i) => ({ clerkId: `user_${prefix}_${i}`, email: `${prefix}-${i}@example.com`, name: 'Orphan', clerkUpdatedAt: new Date(0) })),
  });
}

describe('npm run users:reconcile', () => {
  it('ends equal to Clerk from missing, stale, extra and tombstoned rows, through 429s', async () => {
    const COUNT = 2_500;
    await control.bulkUsers(COUNT, 'reconcile');
    const all = emulator.store.listUsers();

    // Drift: a third of the users never arrived; a third arrived but are stale; some rows are extra.
    const stale = all.slice(0, Math.floor(COUNT / 3));
    await prisma().user.createMany({
      data: stale.map((user) => ({ ...clerkUserFields(user), name: 'Stale Name', clerkUpdatedAt: new Date(user.updated_at - 1000) })),
    });
    const current = all.slice(Math.floor(COUNT / 3), Math.floor((2 * COUNT) / 3));
    await prisma().user.createMany({ data: current.map((user) => clerkUserFields(user)) });
    const extra = await prisma().user.create({ data: { clerkId: 'user_gone_from_clerk', email: 'gone@example.com', name: 'Gone', clerkUpdatedAt: new Date(0) } });
    await createPost(extra.id);
    // A user Clerk still lists but whose deletion we recorded stays deleted.
    const tombstoned = all[all.length - 1]!;
    await prisma().deletedClerkUser.create({ data: { clerkId: tombstoned.id, deletedAt: new Date() } });

    // The first call (which instance these keys read) meets all four 429s, one attempt at a time.
    await control.rateLimit(4, 2);
    const waits: number[] = [];
    const summary = await reconcileUsers(clerk(), { pageSize: 500, sleep: async (ms) => void waits.push(ms) });

    expect(summary).toMatchObject({
      instanceId: emulator.instanceId,
      seen: COUNT,
      created: COUNT - stale.length - current.length - 1,
      updated: stale.length,
      unchanged: current.length + 1,
      deleted: 1,
      failed: 0,
    });
    // Every 429 was waited out for its Retry-After.
    expect(summary.rateLimited).toBe(4);
    expect(waits).toEqual([2000, 2000, 2000, 2000]);
    await expectEqualToClerk([tombstoned.id]);
    expect(await prisma().post.count({ where: { userId: extra.id } })).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);
    expect(await prisma().reconcileRun.count()).toBe(0);
    // The database now follows this instance.
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: emulator.instanceId, recordedBy: 'reconcile' });

    // A second run finds nothing to do.
    const again = await reconcileUsers(clerk(), { pageSize: 500 });
    expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: COUNT, failed: 0 });
  }, 60_000);

  it('plans without writing anything under --dry-run, and only reports missing rows under --keep-missing', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['dry@example.com'], firstName: 'Dry' });
    await prisma().user.create({ data: { clerkId: 'user_not_in_clerk_either', email: 'orphan@example.com' } });
    await prisma().user.create({ data: { ...clerkUserFields((await clerk().users.createUser({ emailAddress: ['known@example.com'] })).raw!) } });
    const before = await snapshot();

    const plan = await reconcileUsers(clerk(), { dryRun: true });
    expect(plan).toMatchObject({ created: 1, deleted: 1, unchanged: 1 });
    // Not a row, not the instance, not a reconcile run: nothing.
    expect(await snapshot()).toEqual(before);

    const kept = await reconcileUsers(clerk(), { keepMissing: true });
    expect(kept).toMatchObject({ created: 1, deleted: 0, missing: 1 });
    expect(await prisma().user.findUnique({ where: { clerkId: 'user_not_in_clerk_either' } })).not.toBeNull();
    expect(await prisma().user.findUnique({ where: { clerkId: user.id } })).not.toBeNull();
  });
});

describe('reconcile, rule by rule', () => {
  it('counts a user it cannot store as failed, naming it and why, and syncs the rest of the page', async () => {
    const odd = await clerk().users.createUser({ emailAddress: ['odd@example.com'], firstName: 'Bell\u0007' });
    await clerk().users.createUser({ emailAddress: ['even@example.com'], firstName: 'Even' });
    const summary = await reconcileUsers(clerk());
    expect(summary).toMatchObject({ seen: 2, created: 1, failed: 1, failures: [`${odd.id}: Clerk user data cannot be stored: first_name contains control characters`] });
    expect(await prisma().user.count({ where: { clerkId: odd.id } })).toBe(0);
  });

  it('plans updates under --dry-run as it plans creations', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['planned@example.com'], firstName: 'New' });
    await prisma().user.create({ data: { ...clerkUserFields(user.raw!), name: 'Old', clerkUpdatedAt: new Date(user.updatedAt - 1_000) } });
    await prisma().clerkInstance.create({ data: { instanceId: emulator.instanceId, recordedBy: 'webhook' } });
    expect(await reconcileUsers(clerk(), { dryRun: true })).toMatchObject({ created: 0, updated: 1, unchanged: 0, failures: [] });
    expect((await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } })).name).toBe('Old');
  });

  it('brings a row that holds no version up to date', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['unversioned@example.com'], firstName: 'Versioned' });
    await prisma().user.create({ data: { clerkId: user.id, email: 'unversioned@example.com', name: 'Legacy' } });
    await prisma().clerkInstance.create({ data: { instanceId: emulator.instanceId, recordedBy: 'webhook' } });
    expect(await reconcileUsers(clerk())).toMatchObject({ updated: 1, created: 0 });
    await expectEqualToClerk();
  });

  it('has nothing to do, and refuses nothing, when Clerk and the database are both empty', async () => {
    expect(await reconcileUsers(clerk())).toEqual({
      instanceId: emulator.instanceId, seen: 0, created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0, failed: 0, rateLimited: 0, failures: [],
    });
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: emulator.instanceId, recordedBy: 'reconcile' });
  });

  it('under --keep-missing never counts missing rows against the mass-deletion threshold', async () => {
    await clerk().users.createUser({ emailAddress: ['only@example.com'] });
    await reconcileUsers(clerk());
    await orphanRows(150);
    expect(await reconcileUsers(clerk(), { keepMissing: true })).toMatchObject({ missing: 150, deleted: 0 });
    expect(await prisma().user.count()).toBe(151);
  });

  it('counts every missing row for the threshold under --dry-run, past the first 500', async () => {
    await clerk().users.createUser({ emailAddress: ['one@example.com'] });
    await reconcileUsers(clerk());
    await orphanRows(600);
    const refusal = await reconcileUsers(clerk(), { dryRun: true }).catch((error: unknown) => error);
    expect((refusal as Error).message).toContain('600 of our 601 rows are not in Clerk instance');
  });

  it('leaves another run that is still alive alone', async () => {
    await prisma().reconcileRun.create({ data: { id: 'run-of-another-host', host: 'elsewhere', pid: 1, startedAt: new Date(), heartbeatAt: new Date() } });
    await clerk().users.createUser({ emailAddress: ['alive@example.com'] });
    await reconcileUsers(clerk());
    expect((await prisma().reconcileRun.findMany({ select: { id: true } })).map((run) => run.id)).toEqual(['run-of-another-host']);
  });

  it('stops between two steps when its signal is aborted, leaving nothing behind', async () => {
    await control.bulkUsers(6, 'aborted');
    const controller = new AbortController();
    const stopped = await reconcileUsers(clerk(), { pageSize: 2, signal: controller.signal, onProgress: () => controller.abort(new Error('stopped by the test')) }).catch((error: unknown) => error);
    expect(stopped).toMatchObject({ message: 'stopped by the test' });
    // The first page was written; what the run kept to find missing rows is gone.
    expect(await prisma().user.count()).toBe(2);
    expect(await prisma().reconcileRun.count()).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);

    const aborted = new AbortController();
    aborted.abort('not an Error');
    await expect(reconcileUsers(clerk(), { signal: aborted.signal })).rejects.toThrow('reconcile interrupted');
  });

  it('under --dry-run with --switch-instance records nothing', async () => {
    await prisma().clerkInstance.create({ data: { instanceId: 'ins_before', recordedBy: 'webhook' } });
    await reconcileUsers(clerk(), { dryRun: true, switchInstance: emulator.instanceId });
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: 'ins_before' });
  });

  it('follows the instance --switch-instance names when nothing was recorded before', async () => {
    await reconcileUsers(clerk(), { switchInstance: emulator.instanceId });
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: emulator.instanceId });
  });
});

describe('reconcile and the Backend API', () => {
  it('retries server errors with backoff, and ends as if nothing had happened', async () => {
    for (let i = 0; i < 3; i++) await clerk().users.createUser({ emailAddress: [`retried-${i}@example.com`] });
    await control.serverErrors(3, 503);
    const waits: number[] = [];
    const summary = await reconcileUsers(clerk(), { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([250, 500, 1000]);
    expect(summary).toMatchObject({ created: 3, failed: 0, rateLimited: 0 });
    await expectEqualToClerk();
  }, 60_000);

  it('gives up after its retries with the error Clerk gave', async () => {
    await control.serverErrors(10, 502);
    await expect(reconcileUsers(clerk(), { maxRetries: 2, sleep: async () => {} })).rejects.toMatchObject({ status: 502 });
  });

  it('retries 500 as it retries 503, and gives up after exactly maxRetries retries', async () => {
    await clerk().users.createUser({ emailAddress: ['five-hundred@example.com'] });
    await control.serverErrors(2, 500);
    const waits: number[] = [];
    expect(await reconcileUsers(clerk(), { maxRetries: 2, sleep: async (ms) => void waits.push(ms) })).toMatchObject({ created: 1, failed: 0 });
    expect(waits).toEqual([250, 500]);

    await control.serverErrors(3, 500);
    const before = await control.backendApiCalls();
    await expect(reconcileUsers(clerk(), { maxRetries: 2, sleep: async () => {} })).rejects.toMatchObject({ status: 500 });
    // The first call (which instance) was tried three times: once, then two retries.
    expect((await control.backendApiCalls()).total - before.total).toBe(3);
  });

  it('does not retry what a retry cannot fix: a 4xx other than 429 fails at once', async () => {
    await control.serverErrors(1, 422);
    const waits: number[] = [];
    await expect(reconcileUsers(clerk(), { sleep: async (ms) => void waits.push(ms) })).rejects.toMatchObject({ status: 422 });
    expect(waits).toEqual([]);
  });

  it('retries when Clerk cannot be reached at all, then fails with the network error', async () => {
    const unreachable = createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: 'http://127.0.0.1:1' });
    const waits: number[] = [];
    await expect(reconcileUsers(unreachable, { maxRetries: 3, sleep: async (ms) => void waits.push(ms) })).rejects.toThrow();
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('waits out a 429 without Retry-After with its own backoff', async () => {
    await control.rateLimit(1, 0);
    const waits: number[] = [];
    const summary = await reconcileUsers(clerk(), { sleep: async (ms) => void waits.push(ms) });
    expect(summary.rateLimited).toBe(1);
    expect(waits).toEqual([250]);
  });

  it('pages through every user, reporting its progress page by page', async () => {
    await control.bulkUsers(7, 'paged');
    // This database already follows the instance (a webhook recorded it), and holds two users it no longer has.
    await prisma().clerkInstance.create({ data: { instanceId: emulator.instanceId, recordedBy: 'webhook' } });
    await orphanRows(2);
    const progress: string[] = [];
    const before = await control.backendApiCalls();
    const summary = await reconcileUsers(clerk(), { pageSize: 3, onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total}`) });
    expect(summary).toMatchObject({ seen: 7, created: 7, deleted: 2 });
    expect(progress).toEqual(['users 3/7', 'users 6/7', 'users 7/7', 'missing 2/null']);
    // Pages of 3, 3 and 1: a short page is the last one, so no fourth listing call.
    expect(((await control.backendApiCalls()).byRoute['GET /v1/users'] ?? 0) - (before.byRoute['GET /v1/users'] ?? 0)).toBe(3);
    await expectEqualToClerk();
  });

  it('pages on when a page is exactly full, and ends at the first empty page', async () => {
    await control.bulkUsers(6, 'full');
    const before = await control.backendApiCalls();
    expect(await reconcileUsers(clerk(), { pageSize: 3 })).toMatchObject({ seen: 6, created: 6 });
    // instance, a sample check is skipped (no rows yet), then pages of 3, 3 and an empty one.
    expect(((await control.backendApiCalls()).byRoute['GET /v1/users'] ?? 0) - (before.byRoute['GET /v1/users'] ?? 0)).toBe(3);
  });

  it('confirms each missing row with one getUser before removing it: a user the listing skipped stays', async () => {
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await clerk().users.createUser({ emailAddress: [`listed-${i}@example.com`] }));
    await reconcileUsers(clerk());
    await orphanRows(1);
    // Offset paging skips a user when others are deleted meanwhile: the listing leaves users[1] out.
    await control.hideFromList([users[1]!.id]);
    const before = await control.backendApiCalls();
    const summary = await reconcileUsers(clerk());
    const after = await control.backendApiCalls();
    expect(summary).toMatchObject({ deleted: 1, failed: 0 });
    expect(await prisma().user.count({ where: { clerkId: users[1]!.id } })).toBe(1);
    expect(await prisma().user.count({ where: { clerkId: 'user_orphan_0' } })).toBe(0);
    // One lookup for each row the listing did not show, and no more.
    expect((after.byRoute['GET /v1/users/:id'] ?? 0) - (before.byRoute['GET /v1/users/:id'] ?? 0)).toBe(2);
  });
});

describe('rows the listing did not show', () => {
  it('keeps a row it cannot confirm gone (Clerk answered 500), counting it failed and naming it', async () => {
    await clerk().users.createUser({ emailAddress: ['listed@example.com'] });
    await prisma().clerkInstance.create({ data: { instanceId: emulator.instanceId, recordedBy: 'webhook' } });
    await orphanRows(1);
    await control.serverErrors(1, 500, 'GET /v1/users/:id');
    const summary = await reconcileUsers(clerk(), { maxRetries: 0 });
    expect(summary).toMatchObject({ deleted: 0, failed: 1, failures: [expect.stringMatching(/^user_orphan_0: /)] });
    expect(await prisma().user.count({ where: { clerkId: 'user_orphan_0' } })).toBe(1);
  });

  it('brings a user the listing skipped up to date from its getUser answer', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['skipped@example.com'], firstName: 'Now' });
    await prisma().clerkInstance.create({ data: { instanceId: emulator.instanceId, recordedBy: 'webhook' } });
    await prisma().user.create({ data: { ...clerkUserFields(user.raw!), name: 'Then', firstName: 'Then', clerkUpdatedAt: new Date(user.updatedAt - 1_000) } });
    await clerk().users.createUser({ emailAddress: ['listed@example.com'] });
    await control.hideFromList([user.id]);
    expect(await reconcileUsers(clerk())).toMatchObject({ seen: 1, created: 1, updated: 1, deleted: 0, failed: 0 });
    expect(await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } })).toMatchObject({ name: 'Now', firstName: 'Now', clerkUpdatedAt: new Date(user.updatedAt) });
  });
});

describe('reconcile against the wrong Clerk instance', () => {
  let foreign: RunningEmulator;
  beforeAll(async () => {
    foreign = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: null, tokenTtlSeconds: 60 });
  });
  afterAll(async () => {
    await foreign?.close();
  });

  async function followedDatabase() {
    // Our data came from `emulator`: three users with posts, and the instance recorded.
    for (const i of [1, 2, 3]) await clerk().users.createUser({ emailAddress: [`ours-${i}@example.com`], firstName: `Ours${i}` });
    await reconcileUsers(clerk());
    for (const row of await prisma().user.findMany()) await createPost(row.id);
    await new EmulatorControl(foreign.url, foreign.keys.secretKey, foreign.controlToken).reset();
    await clerk(foreign).users.createUser({ emailAddress: ['theirs@example.com'], firstName: 'Theirs' });
  }

  it('refuses a foreign instance before writing anything, naming both instances', async () => {
    await followedDatabase();
    const before = await snapshot();
    const refusal = await reconcileUsers(clerk(foreign)).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ReconcileRefusal);
    expect(refusal).toMatchObject({ reason: 'foreign-instance' });
    expect((refusal as Error).message).toContain(foreign.instanceId);
    expect((refusal as Error).message).toContain(emulator.instanceId);
    expect((refusal as Error).message).toMatch(
      new RegExp(
        `^Refusing: these Clerk keys read instance ${foreign.instanceId}, but this database follows instance ${emulator.instanceId} ` +
          String.raw`\(recorded by the first reconcile on \d{4}-\d\d-\d\dT[\d:.]+Z\)\. Nothing was changed\. ` +
          String.raw`Check CLERK_SECRET_KEY \(and CLERK_API_URL\) against DATABASE_URL\. If this database really should follow the other instance from now on, ` +
          `run again with --switch-instance=${foreign.instanceId}\\.$`,
      ),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('refuses when nothing is recorded and none of our users exist in the instance', async () => {
    await orphanRows(5);
    await prisma().clerkInstance.deleteMany();
    // The foreign instance has users of its own: only ours are looked for.
    await clerk(foreign).users.createUser({ emailAddress: ['someone-else@example.com'] });
    const before = await snapshot();
    await expect(reconcileUsers(clerk(foreign))).rejects.toMatchObject({
      reason: 'unverified-instance',
      message:
        `Refusing: no Clerk instance is recorded for this database yet, and none of 5 of its users exist in instance ${foreign.instanceId}, ` +
        'which these keys read: it looks like another instance than the one the data came from. Nothing was changed. ' +
        'Check CLERK_SECRET_KEY (and CLERK_API_URL) against DATABASE_URL. If this database really should follow this instance, ' +
        `run again with --switch-instance=${foreign.instanceId}.`,
    });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an instance that lists no users at all, removing nothing', async () => {
    await followedDatabase();
    await control.reset(); // same instance, every user gone
    const users = await prisma().user.count();
    await expect(reconcileUsers(clerk())).rejects.toMatchObject({
      reason: 'mass-delete',
      message:
        `Refusing to remove users: Clerk instance ${emulator.instanceId} lists no users at all, so every one of our 3 rows would be removed. ` +
        'None was removed (users Clerk lists were brought up to date: 0 created, 0 updated). ' +
        'Check that these are the right Clerk keys for this database; if those users really are gone from Clerk, run again with --allow-mass-delete ' +
        '(or --keep-missing to keep them).',
    });
    expect(await prisma().user.count()).toBe(users);
    expect(await prisma().post.count()).toBe(users);
    expect(await prisma().deletedClerkUser.count()).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);
  });

  it('follows another instance only when told to with --switch-instance', async () => {
    await followedDatabase();
    await expect(reconcileUsers(clerk(foreign), { switchInstance: emulator.instanceId })).rejects.toMatchObject({
      reason: 'switch-mismatch',
      message: `Refusing: --switch-instance names ${emulator.instanceId}, but these Clerk keys read instance ${foreign.instanceId}. Nothing was changed.`,
    });
    const summary = await reconcileUsers(clerk(foreign), { switchInstance: foreign.instanceId, allowMassDelete: true });
    expect(summary).toMatchObject({ instanceId: foreign.instanceId, created: 1, deleted: 3 });
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: foreign.instanceId });
  });
});

describe('mass deletion', () => {
  it(`needs --allow-mass-delete above the threshold (${massDeleteThreshold(300)} of 300 rows), checked before the first removal`, async () => {
    for (let i = 0; i < 5; i++) await clerk().users.createUser({ emailAddress: [`kept-${i}@example.com`] });
    await reconcileUsers(clerk());
    await orphanRows(295);
    expect(await prisma().user.count()).toBe(300);
    expect(massDeleteThreshold(300)).toBe(100);

    const refusal = await reconcileUsers(clerk()).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ reason: 'mass-delete' });
    expect((refusal as Error).message).toMatch(/295 of our 300 rows are not in Clerk instance \S+ \(more than the threshold of 100\)/);
    expect(await prisma().user.count()).toBe(300);
    expect(await prisma().deletedClerkUser.count()).toBe(0);

    expect((refusal as Error).message).toContain('None was removed (users Clerk lists were brought up to date: 0 created, 0 updated).');
    const dryRun = await reconcileUsers(clerk(), { dryRun: true }).catch((error: unknown) => error);
    expect(dryRun).toMatchObject({ reason: 'mass-delete' });
    expect((dryRun as Error).message).toContain('(more than the threshold of 100). None was removed. Check that');

    const allowed = await reconcileUsers(clerk(), { allowMassDelete: true });
    expect(allowed).toMatchObject({ deleted: 295, unchanged: 5 });
    expect(await prisma().user.count()).toBe(5);
  }, 60_000);

  it('removes fewer rows than the threshold without asking', async () => {
    for (let i = 0; i < 3; i++) await clerk().users.createUser({ emailAddress: [`few-${i}@example.com`] });
    await reconcileUsers(clerk());
    await orphanRows(100);
    expect(await reconcileUsers(clerk())).toMatchObject({ deleted: 100 });
  });
});

describe('the users:reconcile command', () => {
  const baseEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CLERK_SECRET_KEY: emulator.keys.secretKey, CLERK_API_URL: emulator.url });
  /** The command as the README writes it. */
  const run = (args: string[], env: NodeJS.ProcessEnv) => runNpmScript('users:reconcile', args, env);

  it('exits 1 when a user cannot be synced, naming the user and why', async () => {
    const odd = await clerk().users.createUser({ emailAddress: ['odd@example.com'], firstName: 'Bell\u0007' });
    const result = await run([], baseEnv());
    expect(result.stderr).toContain(`failed: ${odd.id}: Clerk user data cannot be stored: first_name contains control characters`);
    expect(result.stdout).toContain('1 failed');
    expect(result.status).toBe(1);
  }, 60_000);

  it('takes no emulator keys when DATABASE_URL names a database: it says what to set and exits 2', async () => {
    await orphanRows(3);
    const { CLERK_SECRET_KEY: _key, CLERK_API_URL: _url, ...withoutKeys } = baseEnv();
    const result = await run([], withoutKeys);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL is set but CLERK_SECRET_KEY is not');
    expect(await prisma().user.count()).toBe(3);
  }, 60_000);

  it('exits 2 against a foreign instance, deleting nothing, until told to follow it; flags combine as the README shows', async () => {
    await orphanRows(3);
    await prisma().clerkInstance.create({ data: { instanceId: 'ins_some_other_instance', recordedBy: 'webhook' } });
    const result = await run(['--dry-run', '--keep-missing'], baseEnv());
    expect(result.stderr).toContain(`these Clerk keys read instance ${emulator.instanceId}, but this database follows instance ins_some_other_instance`);
    expect(result.stderr).toContain(`run again with --switch-instance=${emulator.instanceId}`);
    expect(result.status).toBe(2);
    expect(await prisma().user.count()).toBe(3);

    // Every row would go (Clerk lists none of them): that needs --allow-mass-delete too.
    const switched = await run([`--switch-instance=${emulator.instanceId}`], baseEnv());
    expect(switched.stderr).toContain('Refusing to remove users: Clerk instance');
    expect(switched.status).toBe(2);
    const moved = await run([`--switch-instance=${emulator.instanceId}`, '--allow-mass-delete'], baseEnv());
    expect(moved.stdout).toContain('3 deleted');
    expect(moved.status).toBe(0);
    expect(await prisma().user.count()).toBe(0);
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: emulator.instanceId });
  }, 90_000);

  it('leaves nothing behind when interrupted with Ctrl-C, and clears what a killed run left at the next start', async () => {
    await control.bulkUsers(6_000, 'interrupted');
    await reconcileUsers(clerk(), { pageSize: 500 });
    /** The command as a terminal runs it (its own process group); stopped once it has written some of what it saw. */
    const stopped = (stop: (group: number, worker: number) => void) =>
      new Promise<string>((resolve) => {
        const child = spawn('npm', ['run', '--silent', 'users:reconcile', '--', '--page-size=50'], { cwd: ROOT, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let sent = false;
        let output = '';
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (!sent && /users \d+/.test(chunk.toString())) {
            sent = true;
            void Promise.all([prisma().reconcileSeen.count(), prisma().reconcileRun.findFirstOrThrow()]).then(([count, run]) => {
              expect(count).toBeGreaterThan(0);
              stop(child.pid!, run.pid);
            });
          }
        });
        // Once every process holding its output is gone (npm dies of the SIGINT at once; the worker cleans up first).
        child.once('close', () => resolve(output));
      });

    // Ctrl-C: SIGINT to the whole foreground group, npm and the worker alike.
    expect(await stopped((group) => process.kill(-group, 'SIGINT'))).toContain('Reconcile interrupted: nothing left behind');
    expect(await prisma().reconcileRun.count()).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);

    // Killed outright (a crash, the OOM killer): its rows stay behind...
    await stopped((group, worker) => {
      process.kill(worker, 'SIGKILL');
      process.kill(-group, 'SIGKILL');
    });
    expect(await prisma().reconcileSeen.count()).toBeGreaterThan(0);
    expect(await prisma().reconcileRun.count()).toBe(1);
    // ...until the next start recognises the run as dead (its process is gone) and removes them.
    await reconcileUsers(clerk(), { pageSize: 500, keepMissing: true });
    expect(await prisma().reconcileRun.count()).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);
  }, 120_000);
});

describe('organizations and memberships', () => {
  /** Ours against the emulator's own records, compared as lines. */
  async function expectOrganizationsEqualToClerk() {
    const [organizations, memberships] = await Promise.all([control.exportOrganizations(), control.exportMemberships()]);
    const ours = await prisma().organization.findMany({ select: { clerkId: true, slug: true, name: true } });
    expect(ours.map((o) => `${o.clerkId} ${o.slug} ${o.name}`).sort()).toEqual(organizations.map(([id, slug, name]) => `${id} ${slug} ${name}`).sort());
    const ourMemberships = await prisma().membership.findMany({ select: { clerkId: true, role: true, organization: { select: { clerkId: true } }, user: { select: { clerkId: true } } } });
    expect(ourMemberships.map((m) => `${m.clerkId} ${m.organization.clerkId} ${m.user.clerkId} ${m.role}`).sort()).toEqual(
      memberships.map(([id, organizationId, userId, role]) => `${id} ${organizationId} ${userId} ${role}`).sort(),
    );
  }

  it('ends equal to Clerk from missing, stale and extra organizations and memberships, through 429s', async () => {
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await control.createUser({ email: `org-member-${i}@example.com`, firstName: `Member${i}` }));
    const teams = [];
    for (let i = 0; i < 3; i++) teams.push(await clerk().organizations.createOrganization({ name: `Team ${i}`, slug: `team-${i}`, createdBy: users[0]!.id }));
    for (const team of teams) {
      await clerk().organizations.createOrganizationMembership({ organizationId: team.id, userId: users[1]!.id, role: 'org:member' });
      await clerk().organizations.createOrganizationMembership({ organizationId: team.id, userId: users[2]!.id, role: 'org:admin' });
    }
    // Our copy: users and the first two organizations with all their members, as the webhooks left them...
    await reconcileUsers(clerk());
    await reconcileOrganizations(clerk());
    await expectOrganizationsEqualToClerk();
    // ...then drift: a stale name and a stale role, a missing membership, a missing organization (the third),
    // an extra organization with a member and a post, an extra membership.
    const [first, second] = [teams[0]!, teams[1]!];
    await prisma().organization.update({ where: { clerkId: first.id }, data: { name: 'Stale name', clerkUpdatedAt: new Date(first.updatedAt - 1000) } });
    await prisma().membership.updateMany({ where: { organization: { clerkId: second.id }, user: { clerkId: users[2]!.id } }, data: { role: 'org:member', clerkUpdatedAt: new Date(0) } });
    await prisma().membership.deleteMany({ where: { organization: { clerkId: first.id }, user: { clerkId: users[1]!.id } } });
    await prisma().organization.delete({ where: { clerkId: teams[2]!.id } });
    const member = await prisma().user.findUniqueOrThrow({ where: { clerkId: users[3]!.id } });
    const extra = await prisma().organization.create({ data: { clerkId: 'org_gone', name: 'Gone', slug: 'gone', clerkUpdatedAt: new Date(0) } });
    await prisma().membership.create({ data: { clerkId: 'orgmem_gone', organizationId: extra.id, userId: member.id, role: 'org:admin', clerkCreatedAt: new Date(0), clerkUpdatedAt: new Date(0) } });
    await prisma().post.create({ data: { userId: member.id, organizationId: extra.id, title: 'In a team Clerk no longer has', content: 'x' } });
    const firstRow = await prisma().organization.findUniqueOrThrow({ where: { clerkId: first.id } });
    await prisma().membership.create({ data: { clerkId: 'orgmem_extra', organizationId: firstRow.id, userId: member.id, role: 'org:member', clerkCreatedAt: new Date(0), clerkUpdatedAt: new Date(0) } });

    const plan = await reconcileOrganizations(clerk(), { dryRun: true });
    expect(plan.organizations).toMatchObject({ created: 1, updated: 1, deleted: 1 });
    // A dry run removes no organization, so it also counts the extra organization's membership, which that removal takes along.
    expect(plan.memberships).toMatchObject({ created: 4, updated: 1, deleted: 2 });
    await control.rateLimit(2, 1);
    const waits: number[] = [];
    const summary = await reconcileOrganizations(clerk(), { pageSize: 2, sleep: async (ms) => void waits.push(ms) });
    expect(summary.organizations).toMatchObject({ seen: 3, created: 1, updated: 1, deleted: 1, unchanged: 1, failed: 0 });
    // The extra organization's membership went with it; the extra one in the first organization is confirmed gone.
    expect(summary.memberships).toMatchObject({ seen: 9, created: 4, updated: 1, deleted: 1, failed: 0 });
    expect(summary.organizations.rateLimited + summary.memberships.rateLimited).toBe(2);
    expect(waits).toEqual([1000, 1000]);
    await expectOrganizationsEqualToClerk();
    expect(await prisma().post.count({ where: { title: 'In a team Clerk no longer has' } })).toBe(0);
    // Nothing left to do.
    expect(await reconcileOrganizations(clerk())).toMatchObject({ organizations: { created: 0, updated: 0, deleted: 0 }, memberships: { created: 0, updated: 0, deleted: 0 } });
  });

  it('refuses to remove every organization when Clerk lists none, unless allowed', async () => {
    const user = await control.createUser({ email: 'lonely@example.com' });
    await reconcileUsers(clerk());
    const row = await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } });
    await prisma().organization.create({ data: { clerkId: 'org_only_ours', name: 'Ours', slug: 'ours', clerkUpdatedAt: new Date(0) } });
    await prisma().post.create({ data: { userId: row.id, title: 'kept', content: 'x' } });
    await expect(reconcileOrganizations(clerk())).rejects.toMatchObject({ reason: 'mass-delete', message: expect.stringContaining('lists no organizations at all') });
    expect(await prisma().organization.count()).toBe(1);
    expect((await reconcileOrganizations(clerk(), { allowMassDelete: true })).organizations).toMatchObject({ deleted: 1 });
    expect(await prisma().organization.count()).toBe(0);
  });
});
