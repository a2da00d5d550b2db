/**
 * The sync's locks on real PostgreSQL (docs/decisions/015): every change
 * takes them in one order (organization, then the membership's pair, then
 * the user), so that a reconcile batch and a webhook never wait on each
 * other in a cycle; and a delivery's failure, recorded after its
 * transaction rolled back, never puts back personal data that the user's
 * deletion erased meanwhile. Each race is staged step by step: a session of
 * the test holds a lock, the statements under test are seen waiting in
 * `pg_stat_activity`, then the lock is released.
 */
import type { UserJSON } from '@clerk/backend';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { clerkMembershipDataSchema } from '@/modules/clerk-sync/src/objects/clerk-organization-data';
import type { ClerkChange } from '@/modules/clerk-sync/src/engine/clerk-changes';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { applyChange, applyChangeOutcomes } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { checkedClerkData, syncUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { newClerkOrganization, newMembership } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { changedClerkUser, delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const sessions: pg.Client[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.end().catch(() => {});
});

/** A connection of the test's own, outside the app's pool. */
async function session(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  sessions.push(client);
  return client;
}

/** In `holder`'s open transaction: the advisory lock the sync takes for `key` (a Clerk id), exclusively. */
async function holdLock(holder: pg.Client, key: string): Promise<void> {
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}

/** How many backends of this database wait for an advisory lock right now. */
async function advisoryWaiters(observer: pg.Client): Promise<number> {
  const { rows } = await observer.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
  );
  return rows[0]!.count;
}

async function deadlocks(observer: pg.Client): Promise<number> {
  await observer.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await observer.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0]!.deadlocks);
}

const membershipChange = (data: unknown): ClerkChange => ({ object: 'membership', action: 'version', data: checkedClerkData(clerkMembershipDataSchema, data, 'membership') });

async function storedUser(): Promise<UserJSON> {
  const user = newClerkUser();
  await syncUserFromClerk(user);
  return user;
}

describe('one lock order: organization, then pair, then user', () => {
  it('lets a reconcile batch and a webhook on the same organization both finish, without a deadlock or a retry', async () => {
    const [first, second] = [await storedUser(), await storedUser()];
    // Clerk ids in the order the batch applies them.
    const [u1, u2] = [first, second].sort((a, b) => (a.id < b.id ? -1 : 1)) as [UserJSON, UserJSON];
    const organization = newClerkOrganization();
    const at = Date.now();
    const batch = [membershipChange(newMembership(organization, u1, 'org:member', at)), membershipChange(newMembership(organization, u2, 'org:member', at))];
    const webhook = membershipChange({ ...newMembership(organization, u2, 'org:admin', at + 1_000) });

    const observer = await session();
    const before = await deadlocks(observer);
    // Someone holds the first user (their user.updated, say): the batch gets as far as that user's lock and waits there.
    const holder = await session();
    await holdLock(holder, u1.id);
    // Called as they are, without the retry on conflicts that would hide a deadlock.
    const batchDone = applyChangeOutcomes(prisma(), batch);
    await expect.poll(() => advisoryWaiters(observer), { timeout: 10_000, interval: 20 }).toBe(1);
    const webhookDone = applyChange(prisma(), webhook);
    await expect.poll(() => advisoryWaiters(observer), { timeout: 10_000, interval: 20 }).toBe(2);
    await holder.query('COMMIT');

    const [batchResults, webhookOutcome] = await Promise.all([batchDone, webhookDone]);
    expect(batchResults.map((result) => result.outcome)).toEqual(['applied', 'applied']);
    expect(webhookOutcome).toBe('applied');
    expect(await deadlocks(observer)).toBe(before);
    const roles = await prisma().membership.findMany({ where: { organization: { clerkId: organization.id } }, select: { role: true, user: { select: { clerkId: true } } }, orderBy: { user: { clerkId: 'asc' } } });
    expect(roles).toEqual([
      { role: 'org:member', user: { clerkId: u1.id } },
      { role: 'org:admin', user: { clerkId: u2.id } },
    ]);
  });
});

describe('a delivery that fails while its user is being deleted', () => {
  it('records the failure without the payload or the error text, whichever commits first', async () => {
    const user = newClerkUser({ firstName: 'Erased' });
    await syncUserFromClerk(user);
    const update = delivery('user.updated', changedClerkUser(user, { firstName: 'Erasable' }, user.updated_at + 1_000));
    const webhook = verifyClerkWebhook(update.body, new Headers(signedHeaders(update)), TEST_SIGNING_SECRET);

    // The user's deletion, applied but not yet committed: it holds the user's lock and has erased the ledger.
    const deletion = await session();
    await deletion.query('BEGIN');
    await deletion.query(`SELECT clerk_apply_user_deletion($1, (now() AT TIME ZONE 'UTC')::timestamp(3))`, [user.id]);
    const observer = await session();
    const processing = processClerkWebhook(webhook).then(
      () => 'processed',
      (error: unknown) => error,
    );
    // The update waits for the user's lock; then it fails (cancelled, as a deadline or an outage would end it).
    await expect.poll(() => advisoryWaiters(observer), { timeout: 10_000, interval: 20 }).toBe(1);
    await observer.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'`);
    // Its failure is being recorded now, or already is: either way the deletion commits after it started.
    const settled = { done: false };
    void processing.then(() => (settled.done = true));
    await expect.poll(async () => settled.done || (await advisoryWaiters(observer)) === 1, { timeout: 10_000, interval: 20 }).toBe(true);
    await deletion.query('COMMIT');

    expect(await processing).toMatchObject({ message: expect.stringMatching(/cancel/i) });
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: update.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null, payload: null, error: null });
    expect(await prisma().deletedClerkUser.count({ where: { clerkId: user.id } })).toBe(1);
  });
});
