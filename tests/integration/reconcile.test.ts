/**
 * Reconcile against the emulator's Backend API through the real SDK, on a
 * database seeded with drift.
 */
import { createClerkClient, type UserJSON } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clerkUserFields } from '@/modules/auth/src/services/clerk-user';
import { reconcileUsers } from '@/modules/auth/src/services/reconcile.service';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { createPost } from '../helpers/factories';
import { prisma } from '../helpers/prisma';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: null, tokenTtlSeconds: 60 });
});
afterAll(async () => {
  await emulator?.close();
});

const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });

async function expectEqualToClerk(truth: UserJSON[]) {
  const rows = await prisma().user.findMany({ select: { clerkId: true, email: true, name: true, clerkUpdatedAt: true } });
  const expected = truth.map((user) => {
    const { clerkId, email, name, clerkUpdatedAt } = clerkUserFields(user);
    return { clerkId, email, name, clerkUpdatedAt };
  });
  const byId = (a: { clerkId: string }, b: { clerkId: string }) => a.clerkId.localeCompare(b.clerkId);
  expect(rows.sort(byId)).toEqual(expected.sort(byId));
}

describe('npm run users:reconcile', () => {
  it('ends equal to Clerk from missing, stale, extra and tombstoned rows, through 429s', async () => {
    const COUNT = 2_500;
    await fetch(`${emulator.url}/_control/users/bulk`, { method: 'POST', body: JSON.stringify({ count: COUNT, prefix: 'reconcile' }) });
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

    await fetch(`${emulator.url}/_control/rate-limit`, { method: 'POST', body: JSON.stringify({ count: 4, retryAfter: 2 }) });
    // The SDK lists and counts in parallel: each failed page costs two of the four 429s.
    const waits: number[] = [];
    const summary = await reconcileUsers(clerk(), { pageSize: 500, sleep: async (ms) => void waits.push(ms) });

    expect(summary).toMatchObject({
      seen: COUNT,
      created: COUNT - stale.length - current.length - 1,
      updated: stale.length,
      unchanged: current.length + 1,
      deleted: 1,
      failed: 0,
    });
    // Every 429 was waited out for its Retry-After.
    expect(summary.rateLimited).toBeGreaterThanOrEqual(1);
    expect(waits.length).toBe(summary.rateLimited);
    expect(new Set(waits)).toEqual(new Set([2000]));
    await expectEqualToClerk(all.filter((user) => user.id !== tombstoned.id));
    expect(await prisma().post.count({ where: { userId: extra.id } })).toBe(0);
    expect(await prisma().reconcileSeen.count()).toBe(0);

    // A second run finds nothing to do.
    const again = await reconcileUsers(clerk(), { pageSize: 500 });
    expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: COUNT, failed: 0 });
  });

  it('plans without writing under --dry-run, and only reports missing rows under --keep-missing', async () => {
    await fetch(`${emulator.url}/_control/reset`, { method: 'POST', body: '{}' });
    await prisma().user.deleteMany();
    const user = await clerk().users.createUser({ emailAddress: ['dry@example.com'], firstName: 'Dry' });
    await prisma().user.create({ data: { clerkId: 'user_not_in_clerk_either', email: 'orphan@example.com' } });
    const before = await prisma().user.count();

    const plan = await reconcileUsers(clerk(), { dryRun: true });
    expect(plan).toMatchObject({ created: 1, deleted: 1 });
    expect(await prisma().user.count()).toBe(before);
    expect(await prisma().user.findUnique({ where: { clerkId: user.id } })).toBeNull();

    const kept = await reconcileUsers(clerk(), { keepMissing: true });
    expect(kept).toMatchObject({ created: 1, deleted: 0, missing: 1 });
    expect(await prisma().user.findUnique({ where: { clerkId: 'user_not_in_clerk_either' } })).not.toBeNull();
  });
});
