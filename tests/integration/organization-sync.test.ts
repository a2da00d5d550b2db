/**
 * Organizations and memberships through the webhook service on real
 * PostgreSQL, with payloads signed and verified by the real library: the same
 * guarantees as users (ordering by `updated_at`, tombstones, duplicates) and
 * events in any order (docs/decisions/012). A membership whose user we do not
 * hold yet fetches the user once from the emulator's Backend API, through the
 * real `@clerk/backend` client.
 */
import type { UserJSON } from '@clerk/backend';
import { describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { syncMembershipDeletion, syncMembershipFromClerk, syncOrganizationDeletion, syncOrganizationFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { createPost } from '../helpers/factories';
import {
  changedMembership,
  changedOrganization,
  membershipDelivery,
  newClerkOrganization,
  newMembership,
  organizationDeletedDelivery,
  organizationDelivery,
} from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const emulated = emulatorAsAppsClerk();

function receive(d: Delivery) {
  const verified = verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);
  return processClerkWebhook(verified);
}
const outcomes = async (deliveries: Delivery[]) => {
  const answers = [];
  for (const d of deliveries) answers.push((await receive(d)).outcome);
  return answers;
};

const organization = (clerkId: string) => prisma().organization.findUnique({ where: { clerkId } });
const membershipsOf = (organizationClerkId: string) =>
  prisma().membership.findMany({ where: { organization: { clerkId: organizationClerkId } }, select: { clerkId: true, role: true, user: { select: { clerkId: true } } } });

const T = Date.UTC(2026, 10, 1);
/** Slugs are unique across the file's database: each test takes its own. */
const slug = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

describe('organizations', () => {
  it('created, updated, duplicated, and an older version after a newer one', async () => {
    const v1 = newClerkOrganization({ name: 'Acme', slug: slug('acme') }, T);
    const v2 = changedOrganization(v1, { name: 'Acme Inc', slug: `${v1.slug}-inc` }, T + 10);
    const created = organizationDelivery('organization.created', v1);
    expect(await outcomes([created, organizationDelivery('organization.updated', v2), created, organizationDelivery('organization.updated', v1)])).toEqual([
      'applied',
      'applied',
      'duplicate',
      'stale',
    ]);
    expect(await organization(v1.id)).toMatchObject({ name: 'Acme Inc', slug: v2.slug, clerkUpdatedAt: new Date(T + 10) });
    expect(await receive(created)).toEqual({ outcome: 'duplicate', clerkUserId: null, clerkObjectId: v1.id });
  });

  it('a slug another organization took later: the newer data holds it, the older row a placeholder until its own next version', async () => {
    const taken = slug('acme');
    const a1 = newClerkOrganization({ slug: taken }, T);
    const a2 = changedOrganization(a1, { slug: `${taken}-old` }, T + 10);
    const b = newClerkOrganization({ slug: taken }, T + 20);
    await outcomes([organizationDelivery('organization.created', a1), organizationDelivery('organization.created', b)]);
    expect((await organization(a1.id))?.slug).toBe(`~${a1.id}`);
    expect((await organization(b.id))?.slug).toBe(taken);
    await receive(organizationDelivery('organization.updated', a2));
    expect((await organization(a1.id))?.slug).toBe(`${taken}-old`);
    // Delivered the other way round: the older data never takes the slug.
    const contested = slug('beta');
    const c = newClerkOrganization({ slug: contested }, T + 5);
    const d = newClerkOrganization({ slug: contested }, T + 30);
    await outcomes([organizationDelivery('organization.created', d), organizationDelivery('organization.created', c)]);
    expect((await organization(d.id))?.slug).toBe(contested);
    expect((await organization(c.id))?.slug).toBe(`~${c.id}`);
  });

  it('deleted: the row goes with its memberships and its posts, the members and their personal posts stay; nothing brings it back', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const other = newClerkOrganization({}, T);
    const membership = newMembership(org, user, 'org:admin', T + 1);
    await outcomes([delivery('user.created', user), membershipDelivery('organizationMembership.created', membership), membershipDelivery('organizationMembership.created', newMembership(other, user, 'org:member', T + 1))]);
    const [row, otherRow, userRow] = await Promise.all([organization(org.id), organization(other.id), prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } })]);
    await createPost(userRow.id, { title: 'in the team', organizationId: row!.id });
    await createPost(userRow.id, { title: 'in the other team', organizationId: otherRow!.id });
    await createPost(userRow.id, { title: 'personal' });

    expect(await receive(organizationDeletedDelivery(org, T + 50))).toMatchObject({ outcome: 'applied' });
    expect(await organization(org.id)).toBeNull();
    expect(await prisma().deletedClerkOrganization.findUnique({ where: { clerkId: org.id } })).toMatchObject({ deletedAt: new Date(T + 50) });
    expect((await prisma().post.findMany({ where: { userId: userRow.id }, orderBy: { title: 'asc' } })).map((post) => post.title)).toEqual(['in the other team', 'personal']);
    expect(await membershipsOf(other.id)).toHaveLength(1);

    // Late events of the deleted organization: its own, and a membership embedding it.
    expect(
      await outcomes([
        organizationDelivery('organization.updated', changedOrganization(org, { name: 'Back?' }, T + 40)),
        membershipDelivery('organizationMembership.updated', changedMembership(membership, 'org:member', T + 45)),
      ]),
    ).toEqual(['stale', 'stale']);
    expect(await organization(org.id)).toBeNull();
    expect(await prisma().membership.count({ where: { clerkId: membership.id } })).toBe(0);
  });
});

describe('memberships', () => {
  it('created and role changes: the newest role wins in any order, duplicates change nothing', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const created = newMembership(org, user, 'org:member', T + 1);
    const promoted = changedMembership(created, 'org:admin', T + 2);
    await receive(delivery('user.created', user));
    const updated = membershipDelivery('organizationMembership.updated', promoted);
    expect(await outcomes([updated, membershipDelivery('organizationMembership.created', created), updated])).toEqual(['applied', 'stale', 'duplicate']);
    expect(await membershipsOf(org.id)).toEqual([{ clerkId: created.id, role: 'org:admin', user: { clerkId: user.id } }]);
  });

  it('before its organization: the organization is created from the data the membership embeds, and its own older event is stale', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({ name: 'Acme', slug: slug('acme') }, T);
    await receive(delivery('user.created', user));
    expect(await receive(membershipDelivery('organizationMembership.created', newMembership(org, user, 'org:admin', T + 1)))).toMatchObject({ outcome: 'applied', clerkUserId: user.id });
    expect(await organization(org.id)).toMatchObject({ name: 'Acme', slug: org.slug });
    expect(await receive(organizationDelivery('organization.created', org))).toMatchObject({ outcome: 'stale' });
    expect(await membershipsOf(org.id)).toHaveLength(1);
  });

  it('before its user: the user is fetched once from the Backend API and stored by the same rules', async () => {
    const user = (await emulated.clerk.users.createUser({ emailAddress: ['early@example.com'], firstName: 'Early', lastName: 'Bird', skipPasswordRequirement: true })).raw as UserJSON;
    const before = await emulated.control.backendApiCalls();
    const org = newClerkOrganization({}, T);
    expect(await receive(membershipDelivery('organizationMembership.created', newMembership(org, user, 'org:member', T + 1)))).toMatchObject({ outcome: 'applied' });
    const after = await emulated.control.backendApiCalls();
    expect((after.byRoute['GET /v1/users/:id'] ?? 0) - (before.byRoute['GET /v1/users/:id'] ?? 0)).toBe(1);
    expect(await prisma().user.findUnique({ where: { clerkId: user.id } })).toMatchObject({ email: 'early@example.com', name: 'Early Bird' });
    expect(await membershipsOf(org.id)).toEqual([{ clerkId: expect.any(String), role: 'org:member', user: { clerkId: user.id } }]);
    // The user's own event, older than what the Backend API gave: stale.
    expect((await receive(delivery('user.created', user))).outcome).toBe('stale');
  });

  it('before a user Clerk no longer has: the user is tombstoned and the membership is stale', async () => {
    // From the instance our keys read, which this database follows (its first delivery records it).
    await prisma().clerkInstance.deleteMany();
    const gone = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    expect(await receive(membershipDelivery('organizationMembership.created', newMembership(org, gone, 'org:member', T + 1), undefined, emulated.emulator.instanceId))).toMatchObject({ outcome: 'stale' });
    expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: gone.id } })).not.toBeNull();
    expect(await membershipsOf(org.id)).toEqual([]);
    expect((await receive(delivery('user.created', gone))).outcome).toBe('stale');
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: emulated.emulator.instanceId });
  });

  describe('before a user the keys\' instance does not know, when the instances cannot be shown to agree (docs/decisions/014)', () => {
    /** No tombstone, no user, no membership; the delivery kept failed, with its payload, for replay. */
    async function nothingWritten(d: Delivery, userId: string, organizationId: string) {
      expect(await prisma().deletedClerkUser.count({ where: { clerkId: userId } })).toBe(0);
      expect(await prisma().user.count({ where: { clerkId: userId } })).toBe(0);
      expect(await membershipsOf(organizationId)).toEqual([]);
      expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null, payload: expect.any(Object) });
    }

    it('refuses a delivery from another instance than the keys\', naming both', async () => {
      await prisma().clerkInstance.deleteMany();
      const stranger = newClerkUser({}, T);
      const org = newClerkOrganization({}, T);
      const d = membershipDelivery('organizationMembership.created', newMembership(org, stranger, 'org:member', T + 1), undefined, 'ins_another');
      await expect(receive(d)).rejects.toMatchObject({
        name: 'ClerkInstanceMismatch',
        message: expect.stringMatching(
          new RegExp(`^Clerk instance mismatch: CLERK_SECRET_KEY reads instance ${emulated.emulator.instanceId}, but this delivery came from instance ins_another and this database follows instance ins_another\\. `),
        ),
        instances: { keysInstanceId: emulated.emulator.instanceId, deliveryInstanceId: 'ins_another', dataInstanceId: 'ins_another' },
      });
      await nothingWritten(d, stranger.id, org.id);
    });

    it('refuses when the database follows another instance, whatever the delivery says', async () => {
      await prisma().clerkInstance.deleteMany();
      await prisma().clerkInstance.create({ data: { instanceId: 'ins_followed', recordedBy: 'reconcile' } });
      const stranger = newClerkUser({}, T);
      const org = newClerkOrganization({}, T);
      const d = membershipDelivery('organizationMembership.created', newMembership(org, stranger, 'org:member', T + 1), undefined, emulated.emulator.instanceId);
      await expect(receive(d)).rejects.toMatchObject({
        message: expect.stringContaining(`CLERK_SECRET_KEY reads instance ${emulated.emulator.instanceId}, but this database follows instance ins_followed. `),
        instances: { keysInstanceId: emulated.emulator.instanceId, deliveryInstanceId: emulated.emulator.instanceId, dataInstanceId: 'ins_followed' },
      });
      await nothingWritten(d, stranger.id, org.id);
    });

    it('refuses a delivery that names no instance while none is recorded: nothing says where the data came from', async () => {
      await prisma().clerkInstance.deleteMany();
      const stranger = newClerkUser({}, T);
      const org = newClerkOrganization({}, T);
      const named = membershipDelivery('organizationMembership.created', newMembership(org, stranger, 'org:member', T + 1));
      const { instance_id: _instance, ...envelope } = JSON.parse(named.body) as Record<string, unknown>;
      const d: Delivery = { ...named, body: JSON.stringify(envelope) };
      await expect(receive(d)).rejects.toMatchObject({
        message:
          `No Clerk instance is recorded for this database and this delivery names none: refusing to tombstone Clerk user ${stranger.id} on a 404 from instance ${emulated.emulator.instanceId}, ` +
          'which CLERK_SECRET_KEY reads, without knowing that the data came from it; nothing was written, and the delivery stays failed for replay. ' +
          'Run `npm run users:reconcile` (it checks our users against that instance, then records it); then `npm run webhooks:replay -- --failed`.',
        instances: { keysInstanceId: emulated.emulator.instanceId, deliveryInstanceId: null, dataInstanceId: null },
      });
      await nothingWritten(d, stranger.id, org.id);
      expect(await prisma().clerkInstance.count()).toBe(0);
    });
  });

  it('before its user while the Backend API is down: it fails for Svix to retry, and nothing of it is written', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    await emulated.control.serverErrors(3, 503);
    const d = membershipDelivery('organizationMembership.created', newMembership(org, user, 'org:member', T + 1));
    await expect(receive(d)).rejects.toMatchObject({ status: 503 });
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null });
    expect(await membershipsOf(org.id)).toEqual([]);
  });

  it('deleted: the row goes and a tombstone stays; a late update of it is stale', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const membership = newMembership(org, user, 'org:member', T + 1);
    await outcomes([delivery('user.created', user), membershipDelivery('organizationMembership.created', membership)]);
    expect(await receive(membershipDelivery('organizationMembership.deleted', membership, T + 10))).toMatchObject({ outcome: 'applied' });
    expect(await membershipsOf(org.id)).toEqual([]);
    expect(await receive(membershipDelivery('organizationMembership.updated', changedMembership(membership, 'org:admin', T + 5)))).toMatchObject({ outcome: 'stale' });
    expect(await membershipsOf(org.id)).toEqual([]);
    expect(await organization(org.id)).not.toBeNull();
  });

  it('removed and added again (a new membership id): the later membership is live whatever the order', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const first = newMembership(org, user, 'org:admin', T + 1);
    const second = newMembership(org, user, 'org:member', T + 20);
    await receive(delivery('user.created', user));
    expect(
      await outcomes([
        membershipDelivery('organizationMembership.created', second),
        membershipDelivery('organizationMembership.created', first),
        membershipDelivery('organizationMembership.deleted', first, T + 10),
      ]),
      // The first one was known to have ended when it came after the second: its deletion finds nothing left to do.
    ).toEqual(['applied', 'stale', 'stale']);
    expect(await membershipsOf(org.id)).toEqual([{ clerkId: second.id, role: 'org:member', user: { clerkId: user.id } }]);
    // And in the order Clerk sent them.
    const org2 = newClerkOrganization({}, T);
    const third = newMembership(org2, user, 'org:admin', T + 1);
    const fourth = newMembership(org2, user, 'org:member', T + 20);
    await outcomes([membershipDelivery('organizationMembership.created', third), membershipDelivery('organizationMembership.created', fourth), membershipDelivery('organizationMembership.deleted', third, T + 10)]);
    expect(await membershipsOf(org2.id)).toEqual([{ clerkId: fourth.id, role: 'org:member', user: { clerkId: user.id } }]);
  });

  it("a user's deletion removes their memberships, and their late membership events are stale", async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const membership = newMembership(org, user, 'org:member', T + 1);
    await outcomes([delivery('user.created', user), membershipDelivery('organizationMembership.created', membership), delivery('user.deleted', user, T + 30)]);
    expect(await membershipsOf(org.id)).toEqual([]);
    expect(await receive(membershipDelivery('organizationMembership.updated', changedMembership(membership, 'org:admin', T + 5)))).toMatchObject({ outcome: 'stale' });
    expect(await membershipsOf(org.id)).toEqual([]);
  });

  it("a user's deletion erases the payloads and errors of their membership deliveries, keeping the rows filed under their Clerk id (docs/decisions/008)", async () => {
    const user = newClerkUser({ firstName: 'Private', lastName: 'Person' }, T);
    const org = newClerkOrganization({ name: 'Erasure Ltd' }, T);
    const membership = newMembership(org, user, 'org:member', T + 1);
    // A membership before its user, while Clerk is down: it fails, its error and payload kept for replay.
    const failed = membershipDelivery('organizationMembership.created', membership);
    await emulated.control.serverErrors(1, 503, 'GET /v1/users/:id');
    await expect(receive(failed)).rejects.toThrow();
    const created = delivery('user.created', user);
    const updated = membershipDelivery('organizationMembership.updated', changedMembership(membership, 'org:admin', T + 2));
    const deleted = delivery('user.deleted', user, T + 30);
    expect(await outcomes([created, updated])).toEqual(['applied', 'applied']);
    const ledger = async () =>
      Object.fromEntries(
        (await prisma().webhookDelivery.findMany({ where: { clerkUserId: user.id }, select: { svixId: true, type: true, outcome: true, payload: true, error: true } })).map(
          ({ svixId, ...row }) => [svixId, row],
        ),
      );
    const before = await ledger();
    const reduced = (role: string, updatedAt: number) => ({
      id: membership.id,
      role,
      created_at: membership.created_at,
      updated_at: updatedAt,
      organization: { id: org.id, name: 'Erasure Ltd', slug: org.slug, updated_at: org.updated_at },
      public_user_data: { user_id: user.id },
    });
    expect(before[failed.svixId]).toEqual({
      type: 'organizationMembership.created',
      outcome: 'failed',
      error: 'Service Unavailable',
      payload: { type: 'organizationMembership.created', data: reduced('org:member', T + 1), instance_id: 'ins_test' },
    });
    expect(before[updated.svixId]).toEqual({ type: 'organizationMembership.updated', outcome: 'applied', error: null, payload: { type: 'organizationMembership.updated', data: reduced('org:admin', T + 2), instance_id: 'ins_test' } });

    expect((await receive(deleted)).outcome).toBe('applied');

    // Every row stays, under the user's Clerk id, naming no one: no payload, no error; user.deleted keeps its id (and the instance's) only.
    expect(await ledger()).toEqual({
      [created.svixId]: { type: 'user.created', outcome: 'applied', payload: null, error: null },
      [failed.svixId]: { type: 'organizationMembership.created', outcome: 'failed', payload: null, error: null },
      [updated.svixId]: { type: 'organizationMembership.updated', outcome: 'applied', payload: null, error: null },
      [deleted.svixId]: { type: 'user.deleted', outcome: 'applied', payload: { type: 'user.deleted', data: { id: user.id, deleted: true }, instance_id: 'ins_test' }, error: null },
    });
    expect(await membershipsOf(org.id)).toEqual([]);
  });

  it('keeps of a membership event only what the sync reads: no names or identifier of the user', async () => {
    const user = newClerkUser({ firstName: 'Private', lastName: 'Person' }, T);
    const d = membershipDelivery('organizationMembership.created', newMembership(newClerkOrganization({}, T), user, 'org:member', T + 1));
    await receive(delivery('user.created', user));
    await receive(d);
    const stored = JSON.stringify((await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: d.svixId } })).payload);
    expect(stored).toContain(user.id);
    expect(stored).not.toContain('Private');
    expect(stored).not.toContain(user.email_addresses[0]!.email_address);
  });

  it('refuses a malformed membership before writing anything', async () => {
    const user = newClerkUser({}, T);
    const org = newClerkOrganization({}, T);
    const bad = { ...newMembership(org, user, 'org:member', T), role: 'admin; DROP TABLE' };
    const d = membershipDelivery('organizationMembership.created', bad as never);
    expect(() => verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET)).toThrow(/malformed organizationMembership.created payload/);
    expect(await organization(org.id)).toBeNull();
  });
});

describe('from the Backend API (what the product applies at once after its own calls, and just-in-time provisioning)', () => {
  it('stores an organization and its memberships by the same rules, provisioning a member we do not hold, and applies removals at once', async () => {
    const clerk = emulated.clerk;
    const admin = await emulated.control.createUser({ email: 'admin@example.com', firstName: 'Ada' });
    const member = await emulated.control.createUser({ email: 'member@example.com', firstName: 'Grace' });
    const created = await clerk.organizations.createOrganization({ name: 'Acme', slug: slug('acme'), createdBy: admin.id });
    await clerk.organizations.createOrganizationMembership({ organizationId: created.id, userId: member.id, role: 'org:member' });
    const { data } = await clerk.organizations.getOrganizationMembershipList({ organizationId: created.id });

    expect(await syncOrganizationFromClerk(created.raw)).toBe('applied');
    expect(await Promise.all(data.map((membership) => syncMembershipFromClerk(membership.raw)))).toEqual(['applied', 'applied']);
    expect((await membershipsOf(created.id)).map((m) => `${m.user.clerkId} ${m.role}`).sort()).toEqual([`${admin.id} org:admin`, `${member.id} org:member`].sort());
    expect(await prisma().user.findUnique({ where: { clerkId: member.id } })).toMatchObject({ email: 'member@example.com' });
    // The same again: nothing newer.
    expect(await syncMembershipFromClerk(data[0]!.raw)).toBe('stale');

    const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: created.id, userId: member.id });
    expect(await syncMembershipDeletion(removed.raw)).toBe('applied');
    expect(await membershipsOf(created.id)).toHaveLength(1);
    // Its late creation event changes nothing.
    const late = data.find((membership) => membership.publicUserData?.userId === member.id)!;
    expect(await syncMembershipFromClerk(late.raw)).toBe('deleted');

    expect(await syncOrganizationDeletion(created.id)).toBe('applied');
    expect(await organization(created.id)).toBeNull();
    expect(await syncOrganizationFromClerk(created.raw)).toBe('deleted');
  });

  it('refuses data it cannot store, naming the field and why', async () => {
    await expect(syncOrganizationFromClerk({ ...newClerkOrganization(), name: 'bad\u0000name' })).rejects.toThrow('Clerk organization data cannot be stored: name contains control characters');
    await expect(syncOrganizationFromClerk({ ...newClerkOrganization(), name: '   ' })).rejects.toThrow('Clerk organization data cannot be stored: name is blank');
    await expect(syncOrganizationFromClerk({ ...newClerkOrganization(), slug: '' })).rejects.toThrow('Clerk organization data cannot be stored: slug is blank');
    const user = newClerkUser({}, T);
    await expect(syncMembershipFromClerk({ ...newMembership(newClerkOrganization(), user), role: 'owner' })).rejects.toThrow('Clerk membership data cannot be stored: role is not an organization role');
    await expect(syncMembershipDeletion({ ...newMembership(newClerkOrganization(), user), role: 'owner' })).rejects.toThrow('Clerk membership data cannot be stored: role');
  });

  it('stores names and slugs as Clerk has them, without surrounding blanks', async () => {
    const org = newClerkOrganization({ name: '  Acme  ', slug: ` ${slug('acme')} ` }, T);
    expect(await syncOrganizationFromClerk(org)).toBe('applied');
    expect(await organization(org.id)).toMatchObject({ name: 'Acme', slug: org.slug.trim() });
  });

  it('applies a newer membership of a user we hold with no Backend API call', async () => {
    const clerk = emulated.clerk;
    const admin = await emulated.control.createUser({ email: `held-${slug('a')}@example.com` });
    const created = await clerk.organizations.createOrganization({ name: 'Held', slug: slug('held'), createdBy: admin.id });
    const [first] = (await clerk.organizations.getOrganizationMembershipList({ organizationId: created.id })).data;
    expect(await syncMembershipFromClerk(first!.raw)).toBe('applied');
    const member = await emulated.control.createUser({ email: `held-${slug('m')}@example.com` });
    await clerk.organizations.createOrganizationMembership({ organizationId: created.id, userId: member.id, role: 'org:member' });
    await syncMembershipFromClerk((await clerk.organizations.getOrganizationMembershipList({ organizationId: created.id, userId: [member.id] })).data[0]!.raw);
    const promoted = await clerk.organizations.updateOrganizationMembership({ organizationId: created.id, userId: member.id, role: 'org:admin' });
    const before = (await emulated.control.backendApiCalls()).byRoute['GET /v1/users/:id'] ?? 0;
    expect(await syncMembershipFromClerk(promoted.raw)).toBe('applied');
    expect((await emulated.control.backendApiCalls()).byRoute['GET /v1/users/:id'] ?? 0).toBe(before);
    expect((await membershipsOf(created.id)).find((m) => m.user.clerkId === member.id)?.role).toBe('org:admin');
  });
});
