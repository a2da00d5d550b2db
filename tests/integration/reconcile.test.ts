/**
 * Reconcile against the emulator's Backend API through the real SDK, on a
 * database seeded with drift; and the guards that keep it from wiping a
 * database on the word of the wrong Clerk instance.
 */
import { spawn } from 'node:child_process';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clerkUserFields } from '@/modules/auth/src/services/clerk-user';
import { massDeleteThreshold, ReconcileRefusal, reconcileUsers } from '@/modules/auth/src/services/reconcile.service';
import { ROOT } from '../../scripts/lib/paths';
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
    'TRUNCATE "User", "Post", "DeletedClerkUser", "WebhookDelivery", "ClerkInstance", "RateLimitWindow", "ReconcileRun", "ReconcileSeen" CASCADE',
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
    expect(await snapshot()).toEqual(before);
  });

  it('refuses when nothing is recorded and none of our users exist in the instance', async () => {
    await orphanRows(5);
    await prisma().clerkInstance.deleteMany();
    const before = await snapshot();
    await expect(reconcileUsers(clerk(foreign))).rejects.toMatchObject({ reason: 'unverified-instance' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an instance that lists no users at all, removing nothing', async () => {
    await followedDatabase();
    await control.reset(); // same instance, every user gone
    const users = await prisma().user.count();
    await expect(reconcileUsers(clerk())).rejects.toMatchObject({ reason: 'mass-delete' });
    expect(await prisma().user.count()).toBe(users);
    expect(await prisma().post.count()).toBe(users);
    expect(await prisma().deletedClerkUser.count()).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);
  });

  it('follows another instance only when told to with --switch-instance', async () => {
    await followedDatabase();
    await expect(reconcileUsers(clerk(foreign), { switchInstance: emulator.instanceId })).rejects.toMatchObject({ reason: 'switch-mismatch' });
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

    const dryRun = await reconcileUsers(clerk(), { dryRun: true }).catch((error: unknown) => error);
    expect(dryRun).toMatchObject({ reason: 'mass-delete' });

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
  /** The command as the README writes it, run without blocking this process (the emulator it talks to lives here). */
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('npm', ['run', '--silent', 'users:reconcile', '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (status) => resolve({ status, stdout, stderr }));
    });

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
