/**
 * The sync's batch writes (reconcile's pages) and what each single write
 * answers, in this process, against real PostgreSQL: the order in which a
 * batch takes its locks (docs/decisions/015), read from a trigger that logs
 * each row as it is written; what each change answers; and what an empty
 * batch costs. The database is counted through pg_stat_statements.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clerkMembershipDataSchema, clerkOrganizationDataSchema } from '@/modules/clerk-sync/src/objects/clerk-organization-data';
import type { ClerkChange } from '@/modules/clerk-sync/src/engine/clerk-changes';
import { applyChangeOutcomes, syncOrganizationDeletion } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import type { Tx } from '@/modules/clerk-sync/src/engine/sync-statement';
import { applyUserVersion, applyUserVersionOutcomes, applyUserVersions, checkedClerkData, checkedClerkUser, syncUserDeletion } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { getPrisma } from '@/modules/cores/db/prisma';
import { newClerkOrganization, newMembership } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { callsOf, listStatements, StatementCounter } from '../helpers/statements';
import { newClerkUser } from '../helpers/webhooks';

const counter = await StatementCounter.open();
// The app's client as a transaction's: these functions take either.
const db = () => getPrisma() as unknown as Tx;

beforeEach(async () => {
  await prisma().$executeRawUnsafe('TRUNCATE "User", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership" CASCADE');
});

const organizationVersion = (organization: ReturnType<typeof newClerkOrganization>): ClerkChange => ({
  object: 'organization',
  action: 'version',
  data: checkedClerkData(clerkOrganizationDataSchema, organization, 'organization'),
});
const membershipVersion = (membership: ReturnType<typeof newMembership>): ClerkChange => ({
  object: 'membership',
  action: 'version',
  data: checkedClerkData(clerkMembershipDataSchema, membership, 'membership'),
});
/** Byte order, as COLLATE "C" sorts. */
const byBytes = (a: string, b: string) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1);

describe('a batch of organization and membership changes', () => {
  beforeAll(async () => {
    await prisma().$executeRawUnsafe('CREATE TABLE "TestWriteOrder" ("seq" serial PRIMARY KEY, "clerkId" text NOT NULL)');
    await prisma().$executeRawUnsafe(`CREATE FUNCTION test_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO "TestWriteOrder" ("clerkId") VALUES (NEW."clerkId"); RETURN NULL; END $$`);
    await prisma().$executeRawUnsafe('CREATE TRIGGER test_log_organization AFTER INSERT OR UPDATE ON "Organization" FOR EACH ROW EXECUTE FUNCTION test_log_write()');
    await prisma().$executeRawUnsafe('CREATE TRIGGER test_log_membership AFTER INSERT OR UPDATE ON "Membership" FOR EACH ROW EXECUTE FUNCTION test_log_write()');
  });
  afterAll(async () => {
    await prisma().$executeRawUnsafe('DROP TRIGGER test_log_organization ON "Organization"');
    await prisma().$executeRawUnsafe('DROP TRIGGER test_log_membership ON "Membership"');
    await prisma().$executeRawUnsafe('DROP FUNCTION test_log_write()');
    await prisma().$executeRawUnsafe('DROP TABLE "TestWriteOrder"');
  });
  beforeEach(async () => {
    await prisma().$executeRawUnsafe('TRUNCATE "TestWriteOrder"');
  });

  it('writes in lock order whatever the order given: each organization, then its memberships by user; and answers in the order given', async () => {
    const users = [newClerkUser(), newClerkUser(), newClerkUser()];
    await applyUserVersionOutcomes(db(), users.map(checkedClerkUser));
    const [first, second] = [newClerkOrganization(), newClerkOrganization()].sort((a, b) => byBytes(a.id, b.id));
    const memberships = [newMembership(second!, users[2]!), newMembership(first!, users[1]!), newMembership(second!, users[0]!), newMembership(first!, users[0]!)];
    const given = [membershipVersion(memberships[0]!), membershipVersion(memberships[1]!), organizationVersion(second!), membershipVersion(memberships[2]!), organizationVersion(first!), membershipVersion(memberships[3]!)];

    const results = await applyChangeOutcomes(db(), given);
    expect(results).toEqual(given.map(() => ({ outcome: 'applied', created: true })));
    const written = await prisma().$queryRawUnsafe<{ clerkId: string }[]>('SELECT "clerkId" FROM "TestWriteOrder" ORDER BY "seq"');
    const membershipOf = (organization: { id: string }) =>
      memberships
        .filter((m) => m.organization.id === organization.id)
        .sort((a, b) => byBytes(a.public_user_data.user_id, b.public_user_data.user_id))
        .map((m) => m.id);
    expect(written.map((row) => row.clerkId)).toEqual([first!.id, ...membershipOf(first!), second!.id, ...membershipOf(second!)]);

    // The same versions again change nothing and create nothing.
    expect(await applyChangeOutcomes(db(), given)).toEqual(given.map(() => ({ outcome: 'stale', created: false })));
  });

  it('answers deleted, creating nothing, for a membership of an organization Clerk deleted', async () => {
    const user = newClerkUser();
    await applyUserVersionOutcomes(db(), [checkedClerkUser(user)]);
    const gone = newClerkOrganization();
    // Tombstoned: Clerk deleted it before we ever held it.
    expect(await syncOrganizationDeletion(gone.id)).toBe('applied');
    expect(await applyChangeOutcomes(db(), [membershipVersion(newMembership(gone, user))])).toEqual([{ outcome: 'deleted', created: false }]);
    expect(await prisma().membership.count()).toBe(0);
  });

  it('answers missing_user for a membership whose user we do not hold, creating nothing', async () => {
    const organization = newClerkOrganization();
    expect(await applyChangeOutcomes(db(), [membershipVersion(newMembership(organization, newClerkUser()))])).toEqual([{ outcome: 'missing_user', created: false }]);
    expect(await prisma().membership.count()).toBe(0);
  });
});

describe('a batch of user versions', () => {
  it('answers each as applyUserVersion does: applied with no row, stale with the row we hold, deleted with none', async () => {
    const held = newClerkUser({ firstName: 'Held' }, 2_000);
    const gone = newClerkUser();
    await applyUserVersionOutcomes(db(), [checkedClerkUser(held)]);
    await syncUserDeletion(gone.id, new Date());
    const fresh = newClerkUser();
    const results = await applyUserVersions(db(), [checkedClerkUser(fresh), checkedClerkUser({ ...held, updated_at: 1_000 }), checkedClerkUser(gone)]);
    const row = await prisma().user.findUniqueOrThrow({ where: { clerkId: held.id } });
    expect(results).toEqual([
      { outcome: 'applied', user: null, created: true },
      { outcome: 'stale', user: row },
      { outcome: 'deleted', user: null },
    ]);
  });

  it.runIf(counter)('reads back only the rows it did not change: none when nothing is stale', async () => {
    const held = [newClerkUser({}, 2_000), newClerkUser({}, 2_000)];
    await applyUserVersionOutcomes(db(), held.map(checkedClerkUser));
    const fresh = [newClerkUser(), newClerkUser()];

    let mark = await counter!.mark();
    await applyUserVersions(db(), fresh.map(checkedClerkUser));
    let counts = await counter!.counts(mark);
    expect(counts.topLevel, listStatements(counts)).toBe(1);

    mark = await counter!.mark();
    await applyUserVersions(db(), [checkedClerkUser(newClerkUser()), checkedClerkUser({ ...held[0]!, updated_at: 1_000 })]);
    counts = await counter!.counts(mark);
    expect(counts.topLevel, listStatements(counts)).toBe(2);
    // The read of the rows held: the one stale user's, of the four rows there are.
    expect(callsOf(counts, 'FROM "public"."User"'), listStatements(counts)).toEqual({ calls: 1, rows: 1 });
  });

  it.runIf(counter)('an empty batch of users or of changes answers nothing and sends no statement', async () => {
    const mark = await counter!.mark();
    expect(await applyUserVersionOutcomes(db(), [])).toEqual([]);
    expect(await applyChangeOutcomes(db(), [])).toEqual([]);
    const counts = await counter!.counts(mark);
    expect(counts.topLevel, listStatements(counts)).toBe(0);
  });
});

describe('one user version', () => {
  it('answers a stale version with the row we hold, and nothing more', async () => {
    const user = newClerkUser({}, 2_000);
    expect(await applyUserVersion(db(), checkedClerkUser(user))).toMatchObject({ outcome: 'applied', created: true });
    const row = await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } });
    expect(await applyUserVersion(db(), checkedClerkUser({ ...user, updated_at: 1_000 }))).toStrictEqual({ outcome: 'stale', user: row });
  });

  it.runIf(counter)('answers a deleted user with no row, in the one statement that found the tombstone', async () => {
    const user = newClerkUser();
    await syncUserDeletion(user.id, new Date());
    const mark = await counter!.mark();
    expect(await applyUserVersion(db(), checkedClerkUser(user))).toStrictEqual({ outcome: 'deleted', user: null });
    const counts = await counter!.counts(mark);
    expect(counts.topLevel, listStatements(counts)).toBe(1);
  });
});

describe('Clerk data the sync cannot store', () => {
  it('is refused with every issue named by its path', () => {
    const user = newClerkUser();
    const broken = { ...user, email_addresses: [{ ...user.email_addresses[0]!, id: 5 }], updated_at: 'yesterday' };
    expect(() => checkedClerkUser(broken)).toThrow(new Error('Clerk user data cannot be stored: updated_at Invalid input: expected number, received string; email_addresses.0.id Invalid input: expected string, received number'));
  });
});
