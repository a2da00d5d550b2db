/**
 * Reconcile's rules that reconcile.test.ts does not reach, against the
 * emulator's Backend API through the real SDK: memberships whose user we do
 * not hold, a page the database refuses as a whole (a trigger refuses one
 * user's row), dry runs (what they count, what they leave alone) and what a
 * run leaves behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clerkUserFields } from '@/modules/clerk-sync/src/objects/clerk-user';
import { reconcileOrganizations, reconcileUsers } from '@/modules/clerk-sync/src/reconcile/reconcile.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { prisma } from '../helpers/prisma';
import { callsOf, listStatements, StatementCounter } from '../helpers/statements';

const counter = await StatementCounter.open();

// The app's Clerk too: a membership's missing user is fetched through it, as in the command.
const app = emulatorAsAppsClerk();
const clerk = () => app.clerk;
const control = { createUser: (input: { email: string; firstName?: string }) => app.control.createUser(input), hideFromList: (ids: string[]) => app.control.hideFromList(ids) };
beforeEach(async () => {
  await prisma().$executeRawUnsafe(
    'TRUNCATE "User", "Post", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery", "ClerkInstance", "ReconcileRun", "ReconcileSeen" CASCADE',
  );
  await prisma().clerkInstance.create({ data: { instanceId: app.emulator.instanceId, recordedBy: 'webhook' } });
});

describe('memberships', () => {
  it('stores a membership whose user we do not hold after fetching the user, and leaves no run behind', async () => {
    const owner = await control.createUser({ email: 'owner@example.com', firstName: 'Owner' });
    const team = await clerk().organizations.createOrganization({ name: 'Team', slug: 'team', createdBy: owner.id });
    const summary = await reconcileOrganizations(clerk());
    expect(summary.organizations).toMatchObject({ seen: 1, created: 1, failed: 0 });
    expect(summary.memberships).toMatchObject({ seen: 1, created: 1, failed: 0, failures: [] });
    expect(await prisma().user.findUniqueOrThrow({ where: { clerkId: owner.id } })).toMatchObject({ email: 'owner@example.com', name: 'Owner' });
    expect(await prisma().membership.findFirstOrThrow({ where: { organization: { clerkId: team.id } }, select: { role: true, user: { select: { clerkId: true } } } })).toEqual({
      role: 'org:admin',
      user: { clerkId: owner.id },
    });
    expect(await prisma().reconcileRun.count()).toBe(0);
  });

  it('plans organizations under --dry-run from our versions and tombstones: new, stale, up to date, deleted by us', async () => {
    const owner = await control.createUser({ email: 'planner@example.com' });
    const teams = [];
    for (const i of [0, 1, 2, 3]) teams.push(await clerk().organizations.createOrganization({ name: `Team ${i}`, slug: `team-${i}`, createdBy: owner.id }));
    await reconcileUsers(clerk());
    await reconcileOrganizations(clerk());
    const [, stale, missing, deleted] = teams;
    await prisma().organization.update({ where: { clerkId: stale!.id }, data: { name: 'Old', clerkUpdatedAt: new Date(stale!.updatedAt - 1_000) } });
    await prisma().organization.delete({ where: { clerkId: missing!.id } });
    await prisma().organization.delete({ where: { clerkId: deleted!.id } });
    await prisma().deletedClerkOrganization.create({ data: { clerkId: deleted!.id, deletedAt: new Date() } });

    const plan = await reconcileOrganizations(clerk(), { dryRun: true });
    expect(plan.organizations).toMatchObject({ seen: 4, created: 1, updated: 1, unchanged: 2, deleted: 0, failed: 0 });
    expect(await prisma().organization.count()).toBe(2);
    expect((await prisma().organization.findUniqueOrThrow({ where: { clerkId: stale!.id } })).name).toBe('Old');
  });
});

describe('users', () => {
  describe('when the database refuses one user of a page', () => {
    let refused: string;
    beforeEach(async () => {
      ({ id: refused } = await control.createUser({ email: 'refused@example.com' }));
      await prisma().$executeRawUnsafe(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'row refused for this test'; END $$`);
      await prisma().$executeRawUnsafe(`CREATE TRIGGER test_refuse BEFORE INSERT ON "User" FOR EACH ROW WHEN (NEW."clerkId" = '${refused}') EXECUTE FUNCTION test_refuse()`);
    });
    afterEach(async () => {
      await prisma().$executeRawUnsafe('DROP TRIGGER test_refuse ON "User"');
      await prisma().$executeRawUnsafe('DROP FUNCTION test_refuse()');
    });

    it('writes the rest of the page one user at a time, counting that one failed and naming it', async () => {
      const others = [await control.createUser({ email: 'one@example.com' }), await control.createUser({ email: 'two@example.com' })];
      const summary = await reconcileUsers(clerk());
      expect(summary).toMatchObject({ seen: 3, created: 2, failed: 1, failures: [expect.stringMatching(new RegExp(`^${refused}: .*row refused for this test`, 's'))] });
      expect((await prisma().user.findMany({ select: { clerkId: true } })).map((row) => row.clerkId).sort()).toEqual(others.map((user) => user.id).sort());
    });
  });

  it('plans an update under --dry-run for a row that holds no version', async () => {
    const user = await control.createUser({ email: 'unversioned@example.com', firstName: 'Versioned' });
    await prisma().user.create({ data: { clerkId: user.id, email: 'unversioned@example.com', name: 'Legacy' } });
    expect(await reconcileUsers(clerk(), { dryRun: true })).toMatchObject({ seen: 1, created: 0, updated: 1, unchanged: 0 });
    expect((await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } })).name).toBe('Legacy');
  });

  it.runIf(counter)('under --dry-run reads, of our rows and tombstones, only those of the page', async () => {
    const listed = [await control.createUser({ email: 'held@example.com' }), await control.createUser({ email: 'new@example.com' })];
    await prisma().user.create({ data: { clerkId: listed[0]!.id, email: 'held@example.com', clerkUpdatedAt: new Date(0) } });
    await prisma().user.createMany({ data: [0, 1, 2].map((i) => ({ clerkId: `user_other_${i}`, email: `other-${i}@example.com`, clerkUpdatedAt: new Date(0) })) });
    await prisma().deletedClerkUser.createMany({ data: [0, 1].map((i) => ({ clerkId: `user_gone_${i}`, deletedAt: new Date() })) });
    const mark = await counter!.mark();
    expect(await reconcileUsers(clerk(), { dryRun: true, keepMissing: true })).toMatchObject({ seen: 2, created: 1, updated: 1 });
    const counts = await counter!.counts(mark);
    expect(callsOf(counts, 'FROM "public"."User" WHERE "public"."User"."clerkId" IN'), listStatements(counts)).toEqual({ calls: 1, rows: 1 });
    expect(callsOf(counts, 'FROM "public"."DeletedClerkUser" WHERE "public"."DeletedClerkUser"."clerkId" IN'), listStatements(counts)).toEqual({ calls: 1, rows: 0 });
  });

  it('under --dry-run leaves a user the listing skipped as it is, counting the update it would make', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['skipped@example.com'], firstName: 'Now' });
    await prisma().user.create({ data: { ...clerkUserFields(user.raw!), name: 'Then', firstName: 'Then', clerkUpdatedAt: new Date(user.updatedAt - 1_000) } });
    await control.createUser({ email: 'listed@example.com' });
    await control.hideFromList([user.id]);
    expect(await reconcileUsers(clerk(), { dryRun: true })).toMatchObject({ seen: 1, created: 1, updated: 1, deleted: 0, failed: 0 });
    expect(await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } })).toMatchObject({ name: 'Then', clerkUpdatedAt: new Date(user.updatedAt - 1_000) });
  });

  it('reports its progress once a page: no report for the empty page after a full one', async () => {
    for (const i of [0, 1, 2, 3]) await control.createUser({ email: `paged-${i}@example.com` });
    const reports: { phase: string; done: number }[] = [];
    await reconcileUsers(clerk(), { pageSize: 2, onProgress: ({ phase, done }) => void reports.push({ phase, done }) });
    expect(reports.filter((report) => report.phase === 'users')).toEqual([
      { phase: 'users', done: 2 },
      { phase: 'users', done: 4 },
    ]);
  });

  it('refuses another instance with a ReconcileRefusal, by name', async () => {
    await prisma().clerkInstance.update({ where: { slot: 'current' }, data: { instanceId: 'ins_another' } });
    await expect(reconcileUsers(clerk())).rejects.toMatchObject({ name: 'ReconcileRefusal', reason: 'foreign-instance' });
  });
});
