/**
 * Reconcile's pass over roles and pending invitations, against the
 * emulator through the real `@clerk/backend` client: what Clerk has is
 * stored by the webhook's rules, and what we hold that Clerk no longer has
 * (a missed role.deleted, an invitation revoked or expired while the
 * webhook was down) follows Clerk.
 */
import { describe, expect, it } from 'vitest';
import { reconcileInvitations } from '@/modules/clerk-sync/src/objects/invitation-sync.service';
import { reconcileRoles, syncRolesFromClerk } from '@/modules/clerk-sync/src/objects/role-sync.service';
import { syncOrganizationFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { prisma } from '../helpers/prisma';

const emulated = emulatorAsAppsClerk();
const DAY = 86_400_000;

describe('reconcileRoles', () => {
  it("stores every role with its permissions, and deletes ours that Clerk no longer has", async () => {
    const first = await reconcileRoles(emulated.clerk);
    expect(first).toMatchObject({ deleted: 0 });
    const rows = await prisma().organizationRole.findMany({ select: { key: true, name: true }, orderBy: { key: 'asc' } });
    expect(rows.map((row) => row.key)).toEqual(expect.arrayContaining(['org:admin', 'org:editor', 'org:member']));
    expect(rows.length).toBe(first.seen);
    const editor = (await emulated.clerk.organizationRoles.getOrganizationRoleList({ query: 'org:editor' })).data.find((role) => role.key === 'org:editor')!;
    await emulated.clerk.organizationRoles.deleteOrganizationRole(editor.id);
    expect(await reconcileRoles(emulated.clerk)).toMatchObject({ seen: first.seen - 1, applied: 0, deleted: 1 });
    expect(await prisma().organizationRole.findUnique({ where: { key: 'org:editor' } })).toBeNull();
    expect(await prisma().deletedClerkObject.findUnique({ where: { clerkId: editor.id } })).toMatchObject({ kind: 'role' });
    // Run again: nothing to do.
    expect(await reconcileRoles(emulated.clerk)).toMatchObject({ applied: 0, deleted: 0 });
    expect((await syncRolesFromClerk(emulated.clerk)).applied).toBe(0);
  });
});

describe('reconcileInvitations', () => {
  it('stores the pending invitations of every organization, and brings ours that ended since to their state', async () => {
    const admin = await emulated.control.createUser({ email: 'ada@example.com', firstName: 'Ada' });
    const organizations = [];
    for (const name of ['Alpha', 'Beta']) {
      const organization = await emulated.clerk.organizations.createOrganization({ name, createdBy: admin.id });
      await syncOrganizationFromClerk(organization.raw);
      organizations.push(organization);
    }
    const invite = (organizationId: string, emailAddress: string) =>
      emulated.clerk.organizations.createOrganizationInvitation({ organizationId, emailAddress, role: 'org:member', inviterUserId: admin.id });
    const kept = await invite(organizations[0]!.id, 'kept@example.com');
    const revoked = await invite(organizations[0]!.id, 'revoked@example.com');
    const expiring = await invite(organizations[1]!.id, 'late@example.com');
    expect(await reconcileInvitations(emulated.clerk)).toEqual({ organizations: 2, seen: 3, applied: 3, ended: 0, failed: 0 });
    expect(await prisma().invitation.count({ where: { status: 'pending', email: { not: null } } })).toBe(3);

    await emulated.clerk.organizations.revokeOrganizationInvitation({ organizationId: organizations[0]!.id, invitationId: revoked.id, requestingUserId: admin.id });
    await emulated.control.advanceClock(31 * DAY);
    const fresh = await invite(organizations[1]!.id, 'fresh@example.com');
    expect(await reconcileInvitations(emulated.clerk)).toEqual({ organizations: 2, seen: 1, applied: 4, ended: 3, failed: 0 });
    const states = await prisma().invitation.findMany({ select: { clerkId: true, status: true, email: true } });
    const stateOf = (id: string) => states.find((row) => row.clerkId === id);
    expect(stateOf(kept.id)).toEqual({ clerkId: kept.id, status: 'expired', email: null });
    expect(stateOf(revoked.id)).toEqual({ clerkId: revoked.id, status: 'revoked', email: null });
    expect(stateOf(expiring.id)).toEqual({ clerkId: expiring.id, status: 'expired', email: null });
    expect(stateOf(fresh.id)).toEqual({ clerkId: fresh.id, status: 'pending', email: 'fresh@example.com' });
    expect(await reconcileInvitations(emulated.clerk)).toEqual({ organizations: 2, seen: 1, applied: 0, ended: 0, failed: 0 });
  });
});
