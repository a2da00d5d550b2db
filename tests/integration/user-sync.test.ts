/**
 * The user sync through the webhook service on real PostgreSQL, with
 * payloads signed and verified by the real library.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { placeholderEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import { syncUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { createPost } from '../helpers/factories';
import { prisma } from '../helpers/prisma';
import { changedClerkUser, type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

function receive(d: Delivery) {
  const verified = verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);
  return processClerkWebhook(verified);
}

const row = (clerkId: string) => prisma().user.findUnique({ where: { clerkId } });

describe('user.created', () => {
  it('creates the row with the primary email and the full name', async () => {
    const user = newClerkUser({ emailAddresses: ['ada@example.com'], firstName: 'Ada', lastName: 'Lovelace' });
    expect(await receive(delivery('user.created', user))).toEqual({ outcome: 'applied', clerkUserId: user.id });
    expect(await row(user.id)).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', clerkUpdatedAt: new Date(user.updated_at) });
  });

  it('takes the primary email by its id, not the first address', async () => {
    const user = newClerkUser({ emailAddresses: ['first@example.com', 'second@example.com', 'third@example.com'] });
    user.primary_email_address_id = user.email_addresses[2]!.id;
    await receive(delivery('user.created', user));
    expect((await row(user.id))?.email).toBe('third@example.com');
  });

  it.each([
    [null, null, null],
    ['Ada', null, 'Ada'],
    [null, 'Lovelace', 'Lovelace'],
    ['  Ada ', '   ', 'Ada'],
    ['', '', null],
  ])('names first %j and last %j as %j, never "null"', async (firstName, lastName, expected) => {
    const user = newClerkUser({ firstName, lastName });
    await receive(delivery('user.created', user));
    expect((await row(user.id))?.name).toBe(expected);
  });

  it('stores a phone-only user with a placeholder email that can reach no one', async () => {
    const user = newClerkUser({ emailAddresses: [], phoneNumbers: ['+15555550100'] });
    expect((await receive(delivery('user.created', user))).outcome).toBe('applied');
    expect((await row(user.id))?.email).toBe(placeholderEmail(user.id));
    expect(placeholderEmail(user.id)).toMatch(/@no-email\.invalid$/);
  });

  it('applied five times is one row: four answers change nothing', async () => {
    const user = newClerkUser();
    const d = delivery('user.created', user);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await receive(d)).outcome);
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(1);
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'applied', type: 'user.created', clerkUserId: user.id, attempts: 1 });
  });
});

describe('user.updated', () => {
  it('updates name and email', async () => {
    const user = newClerkUser({ emailAddresses: ['old@example.com'] }, 1_000);
    await receive(delivery('user.created', user));
    const next = changedClerkUser(user, { firstName: 'Grace', lastName: 'Hopper', primaryEmail: 'new@example.com' }, 2_000);
    expect((await receive(delivery('user.updated', next))).outcome).toBe('applied');
    expect(await row(user.id)).toMatchObject({ name: 'Grace Hopper', email: 'new@example.com' });
  });

  it('older than the version we hold changes nothing', async () => {
    const user = newClerkUser({}, 1_000);
    const v2 = changedClerkUser(user, { firstName: 'Second' }, 2_000);
    const v3 = changedClerkUser(v2, { firstName: 'Third' }, 3_000);
    await receive(delivery('user.updated', v3));
    expect((await receive(delivery('user.updated', v2))).outcome).toBe('stale');
    expect((await receive(delivery('user.created', user))).outcome).toBe('stale');
    expect((await row(user.id))?.name).toBe('Third Lovelace');
  });

  it('creates the row when it arrives before user.created', async () => {
    const user = newClerkUser({}, 1_000);
    await receive(delivery('user.updated', changedClerkUser(user, { firstName: 'Early' }, 2_000)));
    expect((await row(user.id))?.name).toBe('Early Lovelace');
  });
});

describe('user.deleted', () => {
  it('deletes the user and their posts, and keeps a tombstone with the event time', async () => {
    const user = newClerkUser();
    await receive(delivery('user.created', user));
    await createPost((await row(user.id))!.id);
    const deletedAt = Date.now();
    expect((await receive(delivery('user.deleted', user, deletedAt))).outcome).toBe('applied');
    expect(await row(user.id)).toBeNull();
    expect(await prisma().post.count({ where: { user: { clerkId: user.id } } })).toBe(0);
    expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: user.id } })).toMatchObject({ deletedAt: new Date(deletedAt) });
  });

  it('wins over a late user.created or user.updated', async () => {
    const user = newClerkUser({}, 1_000);
    await receive(delivery('user.created', user));
    await receive(delivery('user.deleted', user, 5_000));
    expect((await receive(delivery('user.updated', changedClerkUser(user, { firstName: 'Zombie' }, 2_000)))).outcome).toBe('stale');
    expect((await receive(delivery('user.created', user))).outcome).toBe('stale');
    expect(await row(user.id)).toBeNull();
  });

  it('arriving first still keeps the user from ever appearing', async () => {
    const user = newClerkUser({}, 1_000);
    await receive(delivery('user.deleted', user, 5_000));
    await receive(delivery('user.created', user));
    expect(await row(user.id)).toBeNull();
  });

  it('also stops just-in-time provisioning from bringing the user back', async () => {
    const user = newClerkUser();
    await receive(delivery('user.deleted', user));
    expect(await syncUserFromClerk(user)).toMatchObject({ outcome: 'deleted', user: null });
    expect(await row(user.id)).toBeNull();
  });
});

describe('events we do not handle', () => {
  it('are answered, recorded as ignored, and change nothing', async () => {
    const d = rawDelivery({ type: 'session.created', object: 'event', data: { id: 'sess_1', object: 'session' }, timestamp: Date.now(), instance_id: 'ins_test', event_attributes: { http_request: { client_ip: '', user_agent: '' } } });
    expect(await receive(d)).toEqual({ outcome: 'ignored', clerkUserId: null });
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'ignored', type: 'session.created' });
  });
});

describe('only a verified address', () => {
  const unverified = (user: ReturnType<typeof newClerkUser>) => {
    user.email_addresses[0]!.verification = { ...user.email_addresses[0]!.verification!, status: 'unverified' };
    return user;
  };

  it('becomes a user\'s email: an unverified primary gives the placeholder', async () => {
    const user = unverified(newClerkUser({ emailAddresses: ['not-yet@example.com'] }));
    expect((await receive(delivery('user.created', user))).outcome).toBe('applied');
    expect((await row(user.id))?.email).toBe(placeholderEmail(user.id));
  });

  it('never displaces another user\'s verified address', async () => {
    const owner = newClerkUser({ emailAddresses: ['owned@example.com'] }, 1_000);
    await receive(delivery('user.created', owner));
    const claimant = unverified(newClerkUser({ emailAddresses: ['owned@example.com'] }, 2_000));
    expect((await receive(delivery('user.created', claimant))).outcome).toBe('applied');
    expect((await row(owner.id))?.email).toBe('owned@example.com');
    expect((await row(claimant.id))?.email).toBe(placeholderEmail(claimant.id));
    // Once verified, the address is the claimant's by Clerk's word (and newer data wins, docs/decisions/005).
    const verified = changedClerkUser(claimant, {}, 3_000);
    verified.email_addresses[0]!.verification = { ...verified.email_addresses[0]!.verification!, status: 'verified' };
    await receive(delivery('user.updated', verified));
    expect((await row(claimant.id))?.email).toBe('owned@example.com');
  });
});

describe('names', () => {
  it('keep first and last name as Clerk has them, beside the display name', async () => {
    const user = newClerkUser({ firstName: ' Mary Ann ', lastName: 'Smith' });
    await receive(delivery('user.created', user));
    expect(await row(user.id)).toMatchObject({ firstName: 'Mary Ann', lastName: 'Smith', name: 'Mary Ann Smith' });
    await receive(delivery('user.updated', changedClerkUser(user, { firstName: null, lastName: 'van der Berg' }, user.updated_at + 1)));
    expect(await row(user.id)).toMatchObject({ firstName: null, lastName: 'van der Berg', name: 'van der Berg' });
  });
});

describe('an email held by a stale row', () => {
  it('goes to the newer user; the stale row keeps its posts under a placeholder email', async () => {
    const stale = newClerkUser({ emailAddresses: ['shared@example.com'] }, 1_000);
    await receive(delivery('user.created', stale));
    await createPost((await row(stale.id))!.id);
    // The deletion of `stale` was missed; Clerk let a new user take the address.
    const fresh = newClerkUser({ emailAddresses: ['shared@example.com'] }, 2_000);
    expect((await receive(delivery('user.created', fresh))).outcome).toBe('applied');
    expect((await row(fresh.id))?.email).toBe('shared@example.com');
    expect((await row(stale.id))?.email).toBe(placeholderEmail(stale.id));
    expect(await prisma().post.count({ where: { user: { clerkId: stale.id } } })).toBe(1);
  });

  it('stays with the newer user when an older event claims it', async () => {
    const newer = newClerkUser({ emailAddresses: ['taken@example.com'] }, 5_000);
    await receive(delivery('user.created', newer));
    const older = newClerkUser({ emailAddresses: ['taken@example.com'] }, 1_000);
    expect((await receive(delivery('user.created', older))).outcome).toBe('applied');
    expect((await row(newer.id))?.email).toBe('taken@example.com');
    expect((await row(older.id))?.email).toBe(placeholderEmail(older.id));
    // When the older user's own newer version arrives with another address, it is restored.
    await receive(delivery('user.updated', changedClerkUser(older, { primaryEmail: 'moved@example.com' }, 6_000)));
    expect((await row(older.id))?.email).toBe('moved@example.com');
  });
});

describe('the per-user lock', () => {
  /** Sessions of this database waiting for an advisory lock. */
  async function waitingOnLocks(): Promise<number> {
    const [row] = (await prisma().$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM pg_locks
      WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) as [{ count: number }];
    return row.count;
  }

  it('serialises two versions of one user: while another session holds it both wait, then the newer wins', async () => {
    const user = newClerkUser({}, 1_000);
    const second = changedClerkUser(user, { firstName: 'Second' }, 2_000);
    const third = changedClerkUser(second, { firstName: 'Third' }, 3_000);
    const side = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await side.connect();
    try {
      await side.query('BEGIN');
      await side.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [user.id]);
      // The newer version first, then the older: each must wait for the lock, not race past it.
      const results = [receive(delivery('user.updated', third)), receive(delivery('user.updated', second))];
      await expect.poll(waitingOnLocks, { timeout: 10_000 }).toBe(2);
      expect(await row(user.id)).toBeNull();
      await side.query('COMMIT');
      const outcomes = (await Promise.all(results)).map((result) => result.outcome);
      expect(outcomes.sort()).toEqual(['applied', 'stale']);
    } finally {
      await side.end();
    }
    expect(await row(user.id)).toMatchObject({ name: 'Third Lovelace', clerkUpdatedAt: new Date(3_000) });
  });
});
