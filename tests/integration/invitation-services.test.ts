/**
 * Teams with consent, in this process (where mutation testing reaches it),
 * against real PostgreSQL and the emulator through the real `@clerk/backend`
 * client: people join by invitation only, an invitation says nothing about
 * who holds the address, permissions (not role names) decide who may do
 * what, and the last admin is never taken away, even by two admins at once.
 * The same over HTTP and in the browser: organizations.test.ts,
 * tests/e2e/invitations.e2e.ts.
 */
import { describe, expect, it } from 'vitest';
import { syncMembershipFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { syncRoleFromClerk, syncRolesFromClerk } from '@/modules/clerk-sync/src/objects/role-sync.service';
import { findOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import {
  changeRole,
  invite,
  leaveOrganization,
  listPendingInvitations,
  listRoles,
  NO_SUCH_INVITATION,
  NOT_A_MANAGER,
  removeMember,
  revokeInvitation,
} from '@/modules/organizations/src/services/organizations.service';
import { deleteOrganizationPost, PostNotFoundError } from '@/modules/posts/src/services/posts.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { onPro } from '../helpers/billing-events';
import { createPost } from '../helpers/factories';
import { organizationFixtures, rejection, suffix } from '../helpers/organization-services';
import { prisma } from '../helpers/prisma';

const emulated = emulatorAsAppsClerk();
const { person, team, joined } = organizationFixtures(emulated);

const membershipsInClerk = async (userClerkId: string) => (await emulated.clerk.users.getOrganizationMembershipList({ userId: userClerkId })).data.map((m) => m.organization.id);
const ourMemberships = (userId: string) => prisma().membership.findMany({ where: { userId }, select: { organizationId: true } });
/** The call log's routes since `mark`, without the ids. */
const routesSince = async (mark: number) => (await emulated.control.backendApiRequests(mark)).map((request) => request.route);

describe('invite', () => {
  it('answers the same for an address with an account and one without, reads nobody, and makes nobody a member', async () => {
    const admin = await person('Ada');
    const known = await person('Kim');
    const organization = await team(admin);
    // The instance's roles, as the first page visit fetches them.
    await syncRolesFromClerk();
    const answers = [];
    for (const email of [known.email, `nobody-${suffix()}@example.com`]) {
      const mark = await emulated.control.backendApiMark();
      answers.push(await invite(admin, organization.id, { email, role: 'org:member' }));
      // One call, the same one, whoever holds the address: no user list, no lookup.
      expect(await routesSince(mark)).toEqual(['POST /v1/organizations/:id/invitations']);
    }
    expect(answers).toEqual([undefined, undefined]);
    expect(await ourMemberships(known.id)).toEqual([]);
    expect(await membershipsInClerk(known.clerkId)).toEqual([]);
    const rows = await prisma().invitation.findMany({ where: { organizationClerkId: organization.clerkId }, select: { email: true, role: true, status: true, inviterClerkId: true }, orderBy: { email: 'asc' } });
    expect(rows.map((row) => ({ ...row, email: row.email === known.email ? 'known' : 'nobody' })).sort((a, b) => a.email.localeCompare(b.email))).toEqual([
      { email: 'known', role: 'org:member', status: 'pending', inviterClerkId: admin.clerkId },
      { email: 'nobody', role: 'org:member', status: 'pending', inviterClerkId: admin.clerkId },
    ]);
    // What Clerk emails, with a link that lands on our accept page.
    const [message] = await emulated.control.mailbox(known.email);
    expect(message).toMatchObject({ to: known.email });
  });

  it('adds nobody when another account holds the address unverified (the old add-by-email took them, as admin)', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const attacker = await person('Mallory');
    const target = `cto-${suffix()}@corp.example`;
    await emulated.clerk.emailAddresses.createEmailAddress({ userId: attacker.clerkId, emailAddress: target, verified: false });
    await invite(admin, organization.id, { email: target, role: 'org:admin' });
    expect(await membershipsInClerk(attacker.clerkId)).toEqual([]);
    expect(await ourMemberships(attacker.id)).toEqual([]);
    // Clerk does not offer them the invitation either: only verified addresses match.
    expect((await emulated.clerk.users.getOrganizationInvitationList({ userId: attacker.clerkId })).totalCount).toBe(0);
  });

  it('refuses a role the instance lacks beside the role field, and anyone who may not manage members', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    expect(await rejection(invite(admin, organization.id, { email: `x-${suffix()}@example.com`, role: 'org:owner' }))).toMatchObject({ field: 'role' });
    const member = await person('Mel');
    const editor = await person('Eddie');
    const outsider = await person('Sam');
    await joined(organization, member, 'org:member');
    await joined(organization, editor, 'org:editor');
    for (const [who, organizationId] of [[member, organization.id], [editor, organization.id], [outsider, organization.id], [admin, 'not a row id!'], [admin, 'c'.repeat(65)]] as const) {
      expect(await rejection(invite(who, organizationId, { email: `y-${suffix()}@example.com`, role: 'org:member' })), who.name ?? '').toEqual({ message: NOT_A_MANAGER, field: undefined });
    }
    expect(await prisma().invitation.count({ where: { organizationClerkId: organization.clerkId } })).toBe(0);
  });
});

describe('pending invitations', () => {
  it('are listed for managers only, newest first, without the expired ones; revoked ones lose their address and their link', async () => {
    const admin = await person('Ada');
    const member = await person('Mel');
    const organization = await team(admin);
    // More invitations than Free's seats.
    await onPro(organization.clerkId);
    await joined(organization, member, 'org:member');
    const [first, second] = [`first-${suffix()}@example.com`, `second-${suffix()}@example.com`];
    await invite(admin, organization.id, { email: first, role: 'org:member' });
    await invite(admin, organization.id, { email: second, role: 'org:editor' });
    const pending = await listPendingInvitations(admin.id, organization.id);
    expect(pending.map((p) => [p.email, p.role, p.roleName])).toEqual([
      [second, 'org:editor', 'Editor'],
      [first, 'org:member', 'Member'],
    ]);
    expect(await listPendingInvitations(member.id, organization.id)).toEqual([]);

    await revokeInvitation(admin, organization.id, pending[0]!.id);
    expect(await prisma().invitation.findUniqueOrThrow({ where: { id: pending[0]!.id } })).toMatchObject({ status: 'revoked', email: null });
    expect((await listPendingInvitations(admin.id, organization.id)).map((p) => p.email)).toEqual([first]);
    const [revokedMail] = await emulated.control.mailbox(second);
    expect((await fetch(revokedMail!.acceptUrl, { redirect: 'manual' })).status).toBe(400);
    expect(await rejection(revokeInvitation(admin, organization.id, pending[0]!.id))).toEqual({ message: NO_SUCH_INVITATION, field: undefined });
    expect(await rejection(revokeInvitation(member, organization.id, pending[1]!.id))).toEqual({ message: NOT_A_MANAGER, field: undefined });

    // Past its expiry (Clerk sends no event): no longer listed.
    await prisma().invitation.update({ where: { id: pending[1]!.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await listPendingInvitations(admin.id, organization.id)).toEqual([]);
  });
});

describe('permissions, not role names', () => {
  it("lets an editor delete another's post but not manage members; a custom role made in Clerk works with no code change", async () => {
    const admin = await person('Ada');
    const editor = await person('Eddie');
    const member = await person('Mel');
    const organization = await team(admin);
    await joined(organization, editor, 'org:editor');
    await joined(organization, member, 'org:member');
    const othersPost = await createPost(member.id, { organizationId: organization.id });
    const editorsPost = await createPost(editor.id, { organizationId: organization.id });
    await expect(deleteOrganizationPost(member.id, organization.id, editorsPost.id)).rejects.toBeInstanceOf(PostNotFoundError);
    await deleteOrganizationPost(editor.id, organization.id, othersPost.id);
    expect(await prisma().post.count({ where: { id: othersPost.id } })).toBe(0);
    const memberRow = await prisma().membership.findFirstOrThrow({ where: { userId: member.id, organizationId: organization.id } });
    expect(await rejection(changeRole(editor, organization.id, memberRow.id, 'org:admin'))).toEqual({ message: NOT_A_MANAGER, field: undefined });
    expect(await rejection(removeMember(editor, organization.id, memberRow.id))).toEqual({ message: NOT_A_MANAGER, field: undefined });

    // A role made in Clerk's dashboard (here: its Backend API), before any webhook of it: fetched once, then it decides.
    const purge = await emulated.clerk.organizationPermissions.createOrganizationPermission({ name: 'Purge', key: `org:posts:purge${suffix().replace(/-/g, '')}`, description: 'Purge posts' });
    const deletePermission = (await emulated.clerk.organizationPermissions.getOrganizationPermissionList({ query: 'org:posts:delete' })).data.find((p) => p.key === 'org:posts:delete')!;
    const moderator = await emulated.clerk.organizationRoles.createOrganizationRole({ name: 'Moderator', key: `org:moderator${suffix().replace(/-/g, '')}`, description: 'Moderates', permissions: [purge.id, deletePermission.id] });
    const mod = await person('Moe');
    await syncMembershipFromClerk(await emulated.control.addMembership(organization.clerkId, mod.clerkId, moderator.key, false));
    const mark = await emulated.control.backendApiMark();
    const space = await findOrganizationSpace(mod, organization.slug, async () => ({}));
    expect(space).toMatchObject({ membership: { role: moderator.key, roleName: 'Moderator' } });
    expect(space!.permissions).toEqual(expect.arrayContaining(['org:posts:delete', purge.key]));
    expect(await routesSince(mark)).toEqual(['GET /v1/organization_roles']);
    expect((await listRoles()).map((role) => role.name)).toContain('Moderator');
    const another = await createPost(member.id, { organizationId: organization.id });
    await deleteOrganizationPost(mod.id, organization.id, another.id);

    // The permission taken from the role in Clerk: once its role.updated is applied, the editor may no longer.
    const editorRole = (await emulated.clerk.organizationRoles.getOrganizationRoleList({ query: 'org:editor' })).data.find((role) => role.key === 'org:editor')!;
    const narrowed = await emulated.clerk.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: editorRole.id, permissionId: deletePermission.id });
    await syncRoleFromClerk({ ...narrowed, updated_at: narrowed.updatedAt, permissions: narrowed.permissions.map((p) => ({ id: p.id, key: p.key, updated_at: p.updatedAt })) });
    const last = await createPost(member.id, { organizationId: organization.id });
    await expect(deleteOrganizationPost(editor.id, organization.id, last.id)).rejects.toBeInstanceOf(PostNotFoundError);
  });
});

describe('one admin always', () => {
  it('two admins demoting each other at once: one succeeds, one is refused, one admin is left, in Clerk and here', async () => {
    const ada = await person('Ada');
    const bob = await person('Bob');
    const organization = await team(ada);
    const bobs = await joined(organization, bob, 'org:admin');
    const adas = await prisma().membership.findFirstOrThrow({ where: { userId: ada.id, organizationId: organization.id } });
    // Slow Clerk calls: without the lock, both would count two admins before either is applied.
    await emulated.control.backendApiLatency(150);
    const results = await Promise.allSettled([changeRole(ada, organization.id, bobs.id, 'org:member'), changeRole(bob, organization.id, adas.id, 'org:member')]);
    await emulated.control.backendApiLatency(0);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ message: 'An organization needs at least one admin: make someone else an admin first.' });
    const roles = await prisma().membership.findMany({ where: { organizationId: organization.id }, select: { role: true } });
    expect(roles.map((row) => row.role).sort()).toEqual(['org:admin', 'org:member']);
    const inClerk = await emulated.clerk.organizations.getOrganizationMembershipList({ organizationId: organization.clerkId });
    expect(inClerk.data.map((m) => m.role).sort()).toEqual(['org:admin', 'org:member']);
  });

  it('two admins removing each other, or leaving, at once: one admin is left', async () => {
    for (const act of ['remove', 'leave'] as const) {
      const ada = await person('Ada');
      const bob = await person('Bob');
      const organization = await team(ada);
      const bobs = await joined(organization, bob, 'org:admin');
      const adas = await prisma().membership.findFirstOrThrow({ where: { userId: ada.id, organizationId: organization.id } });
      await emulated.control.backendApiLatency(150);
      const results = await Promise.allSettled(
        act === 'remove'
          ? [removeMember(ada, organization.id, bobs.id), removeMember(bob, organization.id, adas.id)]
          : [leaveOrganization(ada, organization.id), leaveOrganization(bob, organization.id)],
      );
      await emulated.control.backendApiLatency(0);
      expect(results.map((result) => result.status).sort(), act).toEqual(['fulfilled', 'rejected']);
      const left = await prisma().membership.findMany({ where: { organizationId: organization.id }, select: { role: true } });
      expect(left, act).toEqual([{ role: 'org:admin' }]);
    }
  });
});
