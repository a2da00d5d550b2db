/**
 * The batch write reconcile uses (`applyUserVersions`) called directly, so
 * that a broken rule shows here: through reconcile, a page that fails as a
 * batch is retried user by user, which would hide it. Expected rows are
 * literals; users are built by the emulator's own builders.
 */
import type { UserJSON } from '@clerk/backend';
import { describe, expect, it } from 'vitest';
import { placeholderEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import { inSyncTransaction } from '@/modules/clerk-sync/src/engine/sync-statement';
import { applyUserDeletion, applyUserVersion, applyUserVersions } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { prisma } from '../helpers/prisma';
import { changedClerkUser, newClerkUser } from '../helpers/webhooks';

/** A user with an id we choose, to fix the order of ids in a batch. */
const withId = (id: string, user: UserJSON): UserJSON => ({ ...user, id });

/** A version of `user` dated `at` exactly, even earlier than it (the emulator's builder only moves forward): a late delivery. */
function versionAt(user: UserJSON, changes: Parameters<typeof changedClerkUser>[1], at: number): UserJSON {
  return { ...changedClerkUser(user, changes, at), updated_at: at };
}

const batch = (users: UserJSON[]) => inSyncTransaction((tx) => applyUserVersions(tx, users));
const one = (user: UserJSON) => inSyncTransaction((tx) => applyUserVersion(tx, user));
const rowOf = (clerkId: string) =>
  prisma().user.findUnique({ where: { clerkId }, select: { email: true, name: true, firstName: true, lastName: true, clerkUpdatedAt: true } });

describe('applyUserVersions', () => {
  it('creates new users in one go, answering in the order it was given', async () => {
    const users = [
      withId('user_batch_c', newClerkUser({ emailAddresses: ['c@example.com'], firstName: 'Cy', lastName: 'Young' }, 3_000)),
      withId('user_batch_a', newClerkUser({ emailAddresses: ['a@example.com'], firstName: 'Al', lastName: null }, 1_000)),
      withId('user_batch_b', newClerkUser({ emailAddresses: ['b@example.com'], firstName: null, lastName: null }, 2_000)),
    ];
    users[2]!.username = 'bee';
    const results = await batch(users);
    expect(results).toEqual([
      { outcome: 'applied', user: null, created: true },
      { outcome: 'applied', user: null, created: true },
      { outcome: 'applied', user: null, created: true },
    ]);
    expect(await rowOf('user_batch_c')).toEqual({ email: 'c@example.com', name: 'Cy Young', firstName: 'Cy', lastName: 'Young', clerkUpdatedAt: new Date(3_000) });
    expect(await rowOf('user_batch_a')).toEqual({ email: 'a@example.com', name: 'Al', firstName: 'Al', lastName: null, clerkUpdatedAt: new Date(1_000) });
    expect(await rowOf('user_batch_b')).toEqual({ email: 'b@example.com', name: 'bee', firstName: null, lastName: null, clerkUpdatedAt: new Date(2_000) });
  });

  it('updates older rows, leaves rows at the same or a newer version, and never writes a tombstoned user', async () => {
    const older = newClerkUser({ emailAddresses: ['older@example.com'], firstName: 'Old' }, 1_000);
    const same = newClerkUser({ emailAddresses: ['same@example.com'], firstName: 'Same' }, 2_000);
    const newer = newClerkUser({ emailAddresses: ['newer@example.com'], firstName: 'New' }, 9_000);
    const gone = newClerkUser({ emailAddresses: ['gone@example.com'] }, 1_000);
    for (const user of [older, same, newer, gone]) await one(user);
    await inSyncTransaction((tx) => applyUserDeletion(tx, gone.id, new Date(1_500)));

    const results = await batch([
      changedClerkUser(older, { firstName: 'Updated', primaryEmail: 'updated@example.com' }, 5_000),
      versionAt(same, { firstName: 'Ignored' }, 2_000),
      versionAt(newer, { firstName: 'Ignored' }, 5_000),
      changedClerkUser(gone, { firstName: 'Ignored' }, 5_000),
    ]);
    expect(results.map((result) => [result.outcome, result.created ?? null])).toEqual([
      ['applied', false],
      ['stale', null],
      ['stale', null],
      ['deleted', null],
    ]);
    // A stale answer carries the row we hold.
    expect(results[1]!.user).toMatchObject({ clerkId: same.id, name: 'Same Lovelace' });
    expect(results[2]!.user).toMatchObject({ clerkId: newer.id, name: 'New Lovelace' });
    expect(await rowOf(older.id)).toEqual({ email: 'updated@example.com', name: 'Updated Lovelace', firstName: 'Updated', lastName: 'Lovelace', clerkUpdatedAt: new Date(5_000) });
    expect(await rowOf(same.id)).toMatchObject({ name: 'Same Lovelace', clerkUpdatedAt: new Date(2_000) });
    expect(await rowOf(newer.id)).toMatchObject({ name: 'New Lovelace', clerkUpdatedAt: new Date(9_000) });
    expect(await rowOf(gone.id)).toBeNull();
  });

  it('takes an email from an older row outside the batch, and leaves one a newer row holds', async () => {
    const staleHolder = newClerkUser({ emailAddresses: ['moving@example.com'] }, 1_000);
    const newerHolder = newClerkUser({ emailAddresses: ['kept@example.com'] }, 9_000);
    await one(staleHolder);
    await one(newerHolder);
    const taker = newClerkUser({ emailAddresses: ['moving@example.com'] }, 2_000);
    const loser = newClerkUser({ emailAddresses: ['kept@example.com'] }, 3_000);
    const plain = newClerkUser({ emailAddresses: ['plain@example.com'] }, 3_000);

    const results = await batch([taker, loser, plain]);
    expect(results.map((result) => [result.outcome, result.created])).toEqual([
      ['applied', true],
      ['applied', true],
      ['applied', true],
    ]);
    expect((await rowOf(taker.id))?.email).toBe('moving@example.com');
    expect((await rowOf(staleHolder.id))?.email).toBe(placeholderEmail(staleHolder.id));
    expect((await rowOf(newerHolder.id))?.email).toBe('kept@example.com');
    expect((await rowOf(loser.id))?.email).toBe(placeholderEmail(loser.id));
    expect((await rowOf(plain.id))?.email).toBe('plain@example.com');
  });

  it('lets a user it already holds take an address from an older row outside the batch', async () => {
    const holder = newClerkUser({ emailAddresses: ['wanted@example.com'] }, 1_000);
    const claimant = newClerkUser({ emailAddresses: ['before@example.com'] }, 1_000);
    await one(holder);
    await one(claimant);
    const [result] = await batch([changedClerkUser(claimant, { primaryEmail: 'wanted@example.com' }, 3_000)]);
    expect(result?.outcome).toBe('applied');
    expect((await rowOf(claimant.id))?.email).toBe('wanted@example.com');
    expect((await rowOf(holder.id))?.email).toBe(placeholderEmail(holder.id));
  });

  it('gives an email two users of the batch claim to the newer, whatever their order', async () => {
    const first = withId('user_claim_a', newClerkUser({ emailAddresses: ['claimed@example.com'] }, 4_000));
    const second = withId('user_claim_b', newClerkUser({ emailAddresses: ['claimed@example.com'] }, 7_000));
    await batch([second, first]);
    expect((await rowOf(second.id))?.email).toBe('claimed@example.com');
    expect((await rowOf(first.id))?.email).toBe(placeholderEmail(first.id));
  });

  it('moves an email between two users of the batch, the taker first in id order', async () => {
    const from = withId('user_swap_b', newClerkUser({ emailAddresses: ['swap@example.com'] }, 1_000));
    const to = withId('user_swap_a', newClerkUser({ emailAddresses: ['other@example.com'] }, 1_000));
    await batch([from, to]);
    // In Clerk, `from` changed address, then `to` took the old one.
    const results = await batch([changedClerkUser(to, { primaryEmail: 'swap@example.com' }, 3_000), changedClerkUser(from, { primaryEmail: 'new@example.com' }, 2_000)]);
    expect(results.map((result) => result.outcome)).toEqual(['applied', 'applied']);
    expect((await rowOf(to.id))?.email).toBe('swap@example.com');
    expect((await rowOf(from.id))?.email).toBe('new@example.com');
  });

  it('updates a row that holds no version yet', async () => {
    const user = newClerkUser({ emailAddresses: ['legacy@example.com'], firstName: 'Fresh' }, 4_000);
    await prisma().user.create({ data: { clerkId: user.id, email: 'legacy@example.com', name: 'Legacy' } });
    const [result] = await batch([user]);
    expect(result).toEqual({ outcome: 'applied', user: null, created: false });
    expect(await rowOf(user.id)).toMatchObject({ name: 'Fresh Lovelace', clerkUpdatedAt: new Date(4_000) });
  });
});

describe('applyUserVersion', () => {
  it('answers an equal version as stale with the row it holds, changing nothing', async () => {
    const user = newClerkUser({ emailAddresses: ['equal@example.com'], firstName: 'Kept' }, 5_000);
    expect(await one(user)).toMatchObject({ outcome: 'applied', created: true, user: { clerkId: user.id, email: 'equal@example.com' } });
    const result = await one(versionAt(user, { firstName: 'Other' }, 5_000));
    expect(result).toMatchObject({ outcome: 'stale', user: { clerkId: user.id, name: 'Kept Lovelace' } });
    expect((await one(changedClerkUser(user, { firstName: 'Newer' }, 6_000))).created).toBe(false);
  });

  it('never takes an email from another user with the very version it holds', async () => {
    const user = newClerkUser({ emailAddresses: ['own@example.com'] }, 5_000);
    await one(user);
    const other = newClerkUser({ emailAddresses: ['others@example.com'] }, 2_000);
    await one(other);
    const result = await one(versionAt(user, { primaryEmail: 'others@example.com' }, 5_000));
    expect(result.outcome).toBe('stale');
    expect((await rowOf(other.id))?.email).toBe('others@example.com');
  });

  it('never takes an email from another user with a version older than the one it holds', async () => {
    const user = newClerkUser({ emailAddresses: ['mine@example.com'] }, 5_000);
    await one(user);
    const other = newClerkUser({ emailAddresses: ['theirs@example.com'] }, 2_000);
    await one(other);
    // A late, stale version of `user` that named the other's address: it is older than what we hold.
    const result = await one(versionAt(user, { primaryEmail: 'theirs@example.com' }, 4_000));
    expect(result.outcome).toBe('stale');
    expect((await rowOf(other.id))?.email).toBe('theirs@example.com');
    expect((await rowOf(user.id))?.email).toBe('mine@example.com');
  });
});

describe('an email held by a row of the same or no version', () => {
  it('goes to the newcomer when both versions are equal (the later event wins a tie)', async () => {
    const holder = newClerkUser({ emailAddresses: ['tie@example.com'] }, 5_000);
    await one(holder);
    const newcomer = newClerkUser({ emailAddresses: ['tie@example.com'] }, 5_000);
    await one(newcomer);
    expect((await rowOf(newcomer.id))?.email).toBe('tie@example.com');
    expect((await rowOf(holder.id))?.email).toBe(placeholderEmail(holder.id));
  });

  it('goes to the newcomer when the holder has no version at all', async () => {
    await prisma().user.create({ data: { clerkId: 'user_legacy_holder', email: 'legacy-held@example.com' } });
    const newcomer = newClerkUser({ emailAddresses: ['legacy-held@example.com'] }, 5_000);
    await one(newcomer);
    expect((await rowOf(newcomer.id))?.email).toBe('legacy-held@example.com');
    expect((await rowOf('user_legacy_holder'))?.email).toBe(placeholderEmail('user_legacy_holder'));
  });
});

describe('inSyncTransaction', () => {
  /** A write conflict as Prisma reports it through the pg adapter. */
  const conflict = () => Object.assign(new Error('could not serialize access'), { code: 'P2034' });

  it('runs again from the start after a conflict, and gives up after five attempts', async () => {
    let calls = 0;
    expect(await inSyncTransaction(async () => (++calls < 3 ? Promise.reject(conflict()) : 'done'))).toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(inSyncTransaction(async () => ((calls++, Promise.reject(conflict())) as Promise<never>))).rejects.toThrow('could not serialize access');
    expect(calls).toBe(5);
  });

  it('does not run again after any other failure', async () => {
    let calls = 0;
    await expect(inSyncTransaction(async () => ((calls++, Promise.reject(new Error('not a conflict'))) as Promise<never>))).rejects.toThrow('not a conflict');
    expect(calls).toBe(1);
  });

  it('gives a transaction longer than Prisma\'s default 5 s before it times out', async () => {
    expect(await inSyncTransaction(async (tx) => (await tx.$executeRaw`SELECT pg_sleep(5.5)`, 'finished'))).toBe('finished');
  }, 30_000);
});

describe('applyUserDeletion', () => {
  it('is applied once; a second deletion of the same user is stale and keeps the first time', async () => {
    const user = newClerkUser({}, 1_000);
    await one(user);
    expect(await inSyncTransaction((tx) => applyUserDeletion(tx, user.id, new Date(2_000)))).toEqual({ outcome: 'applied' });
    expect(await inSyncTransaction((tx) => applyUserDeletion(tx, user.id, new Date(3_000)))).toEqual({ outcome: 'stale' });
    expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: user.id }, select: { deletedAt: true } })).toEqual({ deletedAt: new Date(2_000) });
  });

  it('of a user we never stored leaves a tombstone and is applied', async () => {
    expect(await inSyncTransaction((tx) => applyUserDeletion(tx, 'user_never_seen', new Date(2_000)))).toEqual({ outcome: 'applied' });
    expect(await prisma().deletedClerkUser.count({ where: { clerkId: 'user_never_seen' } })).toBe(1);
  });

  it('removes the user\'s rate-limit counters and no one else\'s', async () => {
    const user = newClerkUser({}, 1_000);
    await one(user);
    const windowStart = new Date(60_000);
    await prisma().rateLimitWindow.createMany({
      data: [
        { key: `${user.id}:posts`, windowStart, count: 3 },
        { key: `${user.id}x:posts`, windowStart, count: 1 },
      ],
    });
    await inSyncTransaction((tx) => applyUserDeletion(tx, user.id, new Date(2_000)));
    expect((await prisma().rateLimitWindow.findMany({ select: { key: true } })).map((row) => row.key)).toEqual([`${user.id}x:posts`]);
  });
});
