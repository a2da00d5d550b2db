/**
 * Invitations, roles and permissions through the webhook service on real
 * PostgreSQL, payloads signed and verified by the real library: the same
 * guarantees as the other objects (docs/decisions/011, 012, 022): order by
 * Clerk's `updated_at`, duplicates, tombstones, any order against the
 * membership an acceptance makes, and the invited address kept only while
 * the invitation is pending. And the permission check every statement asks.
 */
import { describe, expect, it } from 'vitest';
import { syncUserDeletion } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { acceptedDelivery, invitationAt, invitationDelivery, newInvitation, newPermission, newRole, permissionDelivery, roleDelivery } from '../helpers/invitation-events';
import { membershipDelivery, newClerkOrganization, newMembership, organizationDeletedDelivery, organizationDelivery } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

function receive(d: Delivery) {
  return processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
}
const outcomes = async (deliveries: Delivery[]) => {
  const answers = [];
  for (const d of deliveries) answers.push((await receive(d)).outcome);
  return answers;
};
const invitationRow = (clerkId: string) =>
  prisma().invitation.findUnique({ where: { clerkId }, select: { email: true, role: true, status: true, acceptedClerkUserId: true, organizationClerkId: true, clerkUpdatedAt: true } });
const payloadOf = async (svixId: string) => (await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId } })).payload;

const T = Date.UTC(2026, 10, 1);

describe('invitations', () => {
  it('created, duplicated, revoked, and an older version after: the address goes when the invitation ends, from the row and the ledger', async () => {
    const organization = newClerkOrganization({}, T);
    const invitation = newInvitation(organization, { email: 'Guest@Example.com', role: 'org:admin' }, T);
    const created = invitationDelivery('organizationInvitation.created', invitation);
    expect(await outcomes([created, created])).toEqual(['applied', 'duplicate']);
    expect(await invitationRow(invitation.id)).toEqual({ email: 'guest@example.com', role: 'org:admin', status: 'pending', acceptedClerkUserId: null, organizationClerkId: organization.id, clerkUpdatedAt: new Date(T) });
    expect(await payloadOf(created.svixId)).toMatchObject({ data: { email_address: 'Guest@Example.com' } });

    const revoked = invitationDelivery('organizationInvitation.revoked', invitationAt(invitation, 'revoked', T + 10));
    expect(await outcomes([revoked, invitationDelivery('organizationInvitation.created', invitationAt(invitation, 'pending', T + 5))])).toEqual(['applied', 'stale']);
    expect(await invitationRow(invitation.id)).toMatchObject({ email: null, status: 'revoked' });
    expect(await payloadOf(created.svixId)).toBeNull();
    expect(await payloadOf(revoked.svixId)).toBeNull();
  });

  it('never reopens an ended invitation, even at a later version; an expiry reported at the same version ends it', async () => {
    const organization = newClerkOrganization({}, T);
    const invitation = newInvitation(organization, {}, T);
    await receive(invitationDelivery('organizationInvitation.revoked', invitationAt(invitation, 'revoked', T + 10)));
    expect(await outcomes([invitationDelivery('organizationInvitation.created', invitationAt(invitation, 'pending', T + 20))])).toEqual(['stale']);
    expect(await invitationRow(invitation.id)).toMatchObject({ status: 'revoked', email: null });

    // Clerk reads an invitation past its expiry as expired without a newer updated_at.
    const other = newInvitation(organization, {}, T);
    await receive(invitationDelivery('organizationInvitation.created', other));
    expect(await outcomes([invitationDelivery('organizationInvitation.created', invitationAt(other, 'expired', T))])).toEqual(['applied']);
    expect(await invitationRow(other.id)).toMatchObject({ status: 'expired', email: null });
    // And the same pending version again changes nothing.
    expect(await outcomes([invitationDelivery('organizationInvitation.created', invitationAt(other, 'pending', T))])).toEqual(['stale']);
  });

  it('accepted before or after the membership it made: both end up stored, the acceptor recorded', async () => {
    for (const acceptanceFirst of [true, false]) {
      const organization = newClerkOrganization({}, T);
      const user = newClerkUser({}, T);
      const invitation = newInvitation(organization, { email: user.email_addresses[0]!.email_address }, T);
      const accepted = acceptedDelivery(invitationAt(invitation, 'accepted', T + 10), user.id);
      const membership = membershipDelivery('organizationMembership.created', newMembership(organization, user, 'org:member', T + 10));
      const order = acceptanceFirst ? [accepted, membership] : [membership, accepted];
      expect(await outcomes([delivery('user.created', user), invitationDelivery('organizationInvitation.created', invitation), ...order])).toEqual(['applied', 'applied', 'applied', 'applied']);
      expect(await invitationRow(invitation.id)).toMatchObject({ status: 'accepted', acceptedClerkUserId: user.id, email: null });
      expect(await prisma().membership.count({ where: { organization: { clerkId: organization.id }, user: { clerkId: user.id } } })).toBe(1);
      // The acceptor's deliveries are erased with them.
      expect(await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: accepted.svixId } })).toMatchObject({ clerkUserId: user.id, clerkObjectId: invitation.id });
    }
  });

  it('arrives before its organization and goes with its deletion; a late event for a deleted organization stores nothing', async () => {
    const organization = newClerkOrganization({}, T);
    const invitation = newInvitation(organization, {}, T);
    const created = invitationDelivery('organizationInvitation.created', invitation);
    expect(await outcomes([created, organizationDelivery('organization.created', organization)])).toEqual(['applied', 'applied']);
    expect(await outcomes([organizationDeletedDelivery(organization, T + 20)])).toEqual(['applied']);
    expect(await invitationRow(invitation.id)).toBeNull();
    expect(await payloadOf(created.svixId)).toBeNull();
    expect(await outcomes([invitationDelivery('organizationInvitation.revoked', invitationAt(invitation, 'revoked', T + 30))])).toEqual(['stale']);
    expect(await invitationRow(invitation.id)).toBeNull();
  });

  it("loses the invited address when the invitee's account is deleted", async () => {
    const organization = newClerkOrganization({}, T);
    const user = newClerkUser({}, T);
    const invitation = newInvitation(organization, { email: user.email_addresses[0]!.email_address }, T);
    const created = invitationDelivery('organizationInvitation.created', invitation);
    await outcomes([delivery('user.created', user), created]);
    await syncUserDeletion(user.id, new Date(T + 50));
    expect(await invitationRow(invitation.id)).toMatchObject({ status: 'pending', email: null });
    expect(await payloadOf(created.svixId)).toBeNull();
  });

  it('refuses an invitation with a status Clerk does not have, recording it as rejected', async () => {
    const invitation = { ...newInvitation(newClerkOrganization({}, T), {}, T), status: 'snoozed' };
    const d = rawDelivery({ type: 'organizationInvitation.created', object: 'event', data: invitation, timestamp: T, instance_id: 'ins_test' });
    expect(() => verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET)).toThrow('malformed organizationInvitation.created payload');
  });
});

describe('roles and permissions', () => {
  const rolesRows = () =>
    prisma().organizationRole.findMany({ select: { clerkId: true, key: true, name: true, permissionIds: true }, orderBy: { key: 'asc' } });

  it('a role with its permissions, in any order with them; older versions stale; a deletion is final', async () => {
    const read = newPermission(`org:docs:read${T}`, T);
    const write = newPermission(`org:docs:write${T}`, T);
    const role = newRole(`org:writer${T}`, [read, write], T + 10);
    expect(await outcomes([roleDelivery('role.created', role), permissionDelivery('permission.created', read)])).toEqual(['applied', 'stale']);
    expect(await prisma().organizationRole.findUnique({ where: { clerkId: role.id } })).toMatchObject({ key: role.key, permissionIds: [read.id, write.id].sort() });
    expect(await prisma().organizationPermission.count({ where: { clerkId: { in: [read.id, write.id] } } })).toBe(2);

    const narrowed = { ...role, permissions: [read], updated_at: T + 20 };
    expect(await outcomes([roleDelivery('role.updated', narrowed), roleDelivery('role.updated', role)])).toEqual(['applied', 'stale']);
    expect(await prisma().organizationRole.findUnique({ where: { clerkId: role.id } })).toMatchObject({ permissionIds: [read.id] });

    expect(await outcomes([roleDelivery('role.deleted', narrowed, T + 30), roleDelivery('role.updated', { ...role, updated_at: T + 40 })])).toEqual(['applied', 'stale']);
    expect(await prisma().organizationRole.findUnique({ where: { clerkId: role.id } })).toBeNull();
    expect(await prisma().deletedClerkObject.findUnique({ where: { clerkId: role.id } })).toMatchObject({ kind: 'role' });
  });

  it('a key taken by a newer role or permission leaves the older one a placeholder', async () => {
    const key = `org:reviewer${T}`;
    const old = newRole(key, [], T);
    const replacement = newRole(key, [], T + 10);
    await outcomes([roleDelivery('role.created', old), roleDelivery('role.created', replacement)]);
    expect((await rolesRows()).filter((row) => row.clerkId === old.id || row.clerkId === replacement.id)).toEqual(
      [
        { clerkId: old.id, key: `~${old.id}`, name: old.name, permissionIds: [] },
        { clerkId: replacement.id, key, name: replacement.name, permissionIds: [] },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    const permission = newPermission(`org:notes:edit${T}`, T + 10);
    const earlier = newPermission(permission.key, T);
    await outcomes([permissionDelivery('permission.created', permission), permissionDelivery('permission.created', earlier)]);
    expect(await prisma().organizationPermission.findUnique({ where: { clerkId: earlier.id } })).toMatchObject({ key: `~${earlier.id}` });
    expect(await prisma().organizationPermission.findUnique({ where: { clerkId: permission.id } })).toMatchObject({ key: permission.key });
  });

  it("moves a role's memberships and invitations with its key; a key given up to a newer role grants nothing until the role's own next version", async () => {
    const organization = newClerkOrganization({}, T);
    const user = newClerkUser({}, T);
    const [k, k2] = [`org:scribe${T}`, `org:author${T}`];
    const a = newRole(k, [], T);
    const invitation = newInvitation(organization, { role: k }, T);
    await outcomes([delivery('user.created', user), roleDelivery('role.created', a), membershipDelivery('organizationMembership.created', newMembership(organization, user, k as 'org:member', T)), invitationDelivery('organizationInvitation.created', invitation)]);
    const roleOfMember = async () => (await prisma().membership.findFirstOrThrow({ where: { user: { clerkId: user.id } } })).role;
    // Another role takes the key (A was renamed in Clerk; its own version is late): A's members hold a placeholder.
    const b = newRole(k, [], T + 20);
    await outcomes([roleDelivery('role.created', b)]);
    expect(await roleOfMember()).toBe(`~${a.id}`);
    expect(await invitationRow(invitation.id)).toMatchObject({ role: `~${a.id}` });
    // A's rename lands: they follow it.
    await outcomes([roleDelivery('role.updated', { ...a, key: k2, updated_at: T + 10 })]);
    expect(await roleOfMember()).toBe(k2);
    expect(await invitationRow(invitation.id)).toMatchObject({ role: k2 });
  });

  it('decides clerk_member_has_permission: by the role our copy holds, its permissions by key, nothing for an unknown role', async () => {
    const organization = newClerkOrganization({}, T);
    const user = newClerkUser({}, T);
    const deleteAny = newPermission(`org:posts:purge${T}`, T);
    const role = newRole(`org:purger${T}`, [deleteAny], T);
    await outcomes([delivery('user.created', user), roleDelivery('role.created', role), membershipDelivery('organizationMembership.created', newMembership(organization, user, 'org:member', T))]);
    const [{ userId, organizationId }] = await prisma().$queryRaw<[{ userId: string; organizationId: string }]>`
      SELECT m."userId", m."organizationId" FROM "Membership" m JOIN "User" u ON u."id" = m."userId" WHERE u."clerkId" = ${user.id}`;
    const has = async (permission: string) =>
      (await prisma().$queryRaw<{ has: boolean }[]>`SELECT clerk_member_has_permission(${userId}, ${organizationId}, ${permission}) AS has`)[0]!.has;
    // org:member is not in this database's copy: it grants nothing.
    expect(await has(deleteAny.key)).toBe(false);
    await prisma().membership.updateMany({ where: { userId }, data: { role: role.key } });
    expect(await has(deleteAny.key)).toBe(true);
    expect(await has('org:sys_memberships:manage')).toBe(false);
    // The permission deleted: the role's list still names it, but it grants nothing.
    expect(await outcomes([permissionDelivery('permission.deleted', deleteAny, T + 10)])).toEqual(['applied']);
    expect(await has(deleteAny.key)).toBe(false);
    // Renamed: the new key is what is asked.
    const renamed = newPermission(`org:posts:erase${T}`, T);
    await outcomes([roleDelivery('role.updated', { ...role, permissions: [renamed], updated_at: T + 20 }), permissionDelivery('permission.updated', { ...renamed, key: `org:posts:wipe${T}`, updated_at: T + 30 })]);
    expect(await has(renamed.key)).toBe(false);
    expect(await has(`org:posts:wipe${T}`)).toBe(true);
  });
});
