/**
 * Team workspaces: creating an organization and managing its members, through
 * Clerk's Backend API (Clerk stays the source of truth), each answer applied
 * to our tables at once through the webhook's own sync functions
 * (organization-sync.service), so that a removal or a deletion takes effect
 * on the very next request, not when the webhook lands. The later webhook
 * then finds its change already there (ordering rules, tombstones).
 *
 * Who may ask is decided by our rows (docs/decisions/013, 022): an
 * organization is looked up only together with the asker's membership and
 * the permission their role grants (`org:sys_memberships:manage` to invite,
 * change roles and remove; `org:sys_profile:delete` to delete it), so
 * another organization's ids match nothing. People join by invitation only:
 * nobody is added without accepting. Clerk's refusals reach the form in
 * words a person can act on.
 *
 * Every administrative act is audited (docs/decisions/024) once Clerk has
 * accepted it, and only then: the entry is written after the act's
 * transaction (no second connection held meanwhile), whether or not our
 * local apply then succeeds (the webhook brings the change anyway). The
 * actor comes from the session (`sessionAuditActor()`, with its
 * impersonator); without one, the admin acting in person.
 */
import { hasRealEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import { syncInvitationFromClerk } from '@/modules/clerk-sync/src/objects/invitation-sync.service';
import {
  syncMembershipDeletion,
  syncMembershipEnd,
  syncMembershipFromClerk,
  syncOrganizationDeletion,
  syncOrganizationFromClerk,
} from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { actingAs, type AuditActor, type AuditEntry, recordAudit } from '@/modules/audit/src/services/audit-log.service';
import { ActionError } from '@/modules/cores/actions/action-state';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { clerkErrorCode, describeClerkFailure } from '@/modules/cores/clerk/clerk-errors';
import { getPrisma } from '@/modules/cores/db/prisma';
import type { Tx } from '@/modules/clerk-sync/src/engine/sync-statement';
import { getAppUrl } from '@/modules/cores/env/env';
import type { User } from '@/generated/prisma/client';
import { billingPath, FREE_MEMBER_LIMIT, UNLIMITED_MEMBERS } from '@/modules/billing/src/interfaces/billing.limits';
import { DELETE_ORGANIZATION, MANAGE_MEMBERS } from '../interfaces/organization.limits';
import { provisionUnknownRole } from './organization-access.service';

export const NOT_A_MANAGER = 'That organization does not exist, or you may not manage its members.';
export const NOT_ALLOWED_TO_DELETE = 'That organization does not exist, or you may not delete it.';
export const NOT_A_MEMBER = 'That organization does not exist, or you are not a member of it.';
export const NO_SUCH_MEMBER = 'That person is not a member of this organization.';
export const NO_SUCH_INVITATION = 'That invitation is no longer pending.';
export const MEMBER_LIMIT_REACHED = `This organization's plan has room for ${FREE_MEMBER_LIMIT} members, pending invitations included, and they are taken. Upgrade to invite more, or revoke a pending invitation.`;
export const LAST_ADMIN = 'An organization needs at least one admin: make someone else an admin first.';

/** Clerk no longer has the membership (removed elsewhere; our copy follows when its webhook lands). */
const GONE_IN_CLERK = { messages: { resource_not_found: 'That person is no longer a member in Clerk: reload the page in a moment.' } };

// Stryker disable next-line Regex: a guard against querying with junk; an id it would let through matches no row either.
const isRowId = (value: string) => /^[A-Za-z0-9_-]{1,64}$/.test(value);

interface OrganizationRef {
  id: string;
  clerkId: string;
  slug: string;
}

const permittedOrganization = (user: User, organizationId: string, permission: string) =>
  getPrisma().$queryRaw<OrganizationRef[]>`
    SELECT o."id", o."clerkId", o."slug" FROM "Organization" o
    WHERE o."id" = ${organizationId} AND clerk_member_has_permission(${user.id}, o."id", ${permission})`;

/**
 * The organization, if `user` holds `permission` in it (one statement: the
 * permission is part of the query). Refused, and the asker's role is one
 * our copy lacks: the roles are fetched once and it is asked again.
 */
async function asPermitted(user: User, organizationId: string, permission: string, refusal: string): Promise<OrganizationRef> {
  if (!isRowId(organizationId)) throw new ActionError(refusal);
  let [row] = await permittedOrganization(user, organizationId, permission);
  if (!row && (await provisionUnknownRole(user.id, organizationId))) [row] = await permittedOrganization(user, organizationId, permission);
  if (!row) throw new ActionError(refusal);
  return row;
}

/** Another membership of the same organization, with its user's Clerk id. */
async function memberOf(organizationId: string, membershipId: string) {
  const row = isRowId(membershipId)
    ? // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole user would serve as well.
      await getPrisma().membership.findFirst({ where: { id: membershipId, organizationId }, select: { id: true, clerkId: true, role: true, user: { select: { clerkId: true } } } })
    : null;
  if (!row) throw new ActionError(NO_SUCH_MEMBER);
  return row;
}

/**
 * One admin always: a change that could leave the organization with nobody
 * who manages its members (a demotion, a removal, leaving) runs under a lock
 * of the organization's, held across the count, the Clerk call and the
 * local apply. Two admins demoting each other at once: the second counts
 * after the first is applied, and is refused. "Admin" is a permission here
 * (`org:sys_memberships:manage`), whichever role grants it.
 */
async function keepingAnAdmin<T>(organization: OrganizationRef, change: { membershipId: string; newRole: string | null }, refusal: string, act: () => Promise<T>): Promise<T> {
  return getPrisma().$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`admins:${organization.clerkId}`}, 0))::text`;
      const [row] = await tx.$queryRaw<{ targetManages: boolean; newRoleManages: boolean; others: number }[]>`
        SELECT clerk_member_has_permission(t."userId", t."organizationId", ${MANAGE_MEMBERS}) AS "targetManages",
          EXISTS (SELECT 1 FROM "OrganizationRole" r JOIN "OrganizationPermission" p ON p."clerkId" = ANY (r."permissionIds")
                  WHERE r."key" = ${change.newRole} AND p."key" = ${MANAGE_MEMBERS}) AS "newRoleManages",
          (SELECT count(*)::int FROM "Membership" m WHERE m."organizationId" = t."organizationId" AND m."id" <> t."id"
             AND clerk_member_has_permission(m."userId", m."organizationId", ${MANAGE_MEMBERS})) AS "others"
        FROM "Membership" t WHERE t."id" = ${change.membershipId}`;
      if (row && row.targetManages && !row.newRoleManages && row.others === 0) throw new ActionError(refusal);
      return act();
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
}

/** A Backend API call; its refusal becomes a message for the form. */
async function clerk<T>(call: () => Promise<T>, options?: Parameters<typeof describeClerkFailure>[1]): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw describeClerkFailure(error, options);
  }
}

/**
 * Run `act`, which calls `accepted(entry)` as soon as Clerk has said yes; the
 * entry is recorded when `act` ends, successful or not. A refusal (ours or
 * Clerk's) never reaches `accepted`, and records nothing.
 */
async function auditedOnceAccepted<T>(act: (accepted: (entry: AuditEntry) => void) => Promise<T>): Promise<T> {
  const entries: AuditEntry[] = [];
  try {
    return await act((entry) => entries.push(entry));
  } finally {
    for (const entry of entries) await recordAudit(entry);
  }
}

/** A new organization with `user` as its admin (Clerk makes its creator one); stored at once; its slug. */
export async function createOrganization(user: User, input: { name: string; slug: string }): Promise<string> {
  const client = getClerkClient();
  const organization = await clerk(() => client.organizations.createOrganization({ name: input.name, slug: input.slug || undefined, createdBy: user.clerkId }), {
    fields: { name: 'name', slug: 'slug' },
  });
  await syncOrganizationFromClerk(organization.raw);
  // Stryker disable next-line ArrayDeclaration: a new organization has its creator as its only member, so the filter is not observable.
  const memberships = await clerk(() => client.organizations.getOrganizationMembershipList({ organizationId: organization.id, userId: [user.clerkId], limit: 1 }));
  for (const membership of memberships.data) await syncMembershipFromClerk(membership.raw);
  return organization.slug;
}

/** Where Clerk's invitation link lands: our page that signs the invitee up or in with the invitation's ticket. */
export const invitationAcceptUrl = (slug: string) => `${getAppUrl()}/invitations/accept?org=${encodeURIComponent(slug)}`;

/**
 * Invite an address, with or without an account, to join with `role`:
 * Clerk emails the invitation (the emulator's mailbox locally), and nobody
 * is a member until they accept through its link. The answer is the same
 * whoever holds the address; nothing about them is looked up or shown.
 */
export async function invite(admin: User, organizationId: string, input: { email: string; role: string }, actor: AuditActor = actingAs(admin.clerkId)): Promise<void> {
  const organization = await asPermitted(admin, organizationId, MANAGE_MEMBERS, NOT_A_MANAGER);
  const redirectUrl = invitationAcceptUrl(organization.slug);
  await auditedOnceAccepted((accepted) => holdingASeat(organization, async (tx) => {
    const invitation = await clerk(
      () =>
        getClerkClient().organizations.createOrganizationInvitation({
          organizationId: organization.clerkId,
          emailAddress: input.email,
          role: input.role,
          inviterUserId: admin.clerkId,
          redirectUrl,
        }),
      { fields: { email_address: 'email', role: 'role' } },
    );
    // The invitation's id names it; its address is never recorded.
    accepted({ actor, action: 'invitation.sent', organizationClerkId: organization.clerkId, target: { type: 'invitation', id: invitation.id }, details: { role: input.role } });
    await syncInvitationFromClerk(invitation.raw, tx);
  }));
}

/** The organization's seats are taken: the form says so, with where to upgrade. */
export class MemberLimitError extends ActionError {
  override name = 'MemberLimitError';
  constructor(upgradeHref: string) {
    super(MEMBER_LIMIT_REACHED, undefined, { href: upgradeHref, label: 'See plans and upgrade' });
  }
}

/**
 * Within the organization's plan (docs/decisions/023): a pending invitation
 * holds a seat, so that accepting it never passes the limit. The count and
 * the invitation run under the organization's seats lock, held across the
 * Clerk call and the stored invitation, so that parallel invitations cannot
 * take the last seat together.
 */
async function holdingASeat(organization: OrganizationRef, act: (tx: Tx) => Promise<void>): Promise<void> {
  await getPrisma().$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`seats:${organization.clerkId}`}, 0))::text`;
      const [seats] = await tx.$queryRaw<{ taken: number; unlimited: boolean }[]>`
        SELECT (SELECT count(*)::int FROM "Membership" m WHERE m."organizationId" = ${organization.id})
             + (SELECT count(*)::int FROM "Invitation" i WHERE i."organizationClerkId" = ${organization.clerkId} AND i."status" = 'pending'
                  AND (i."expiresAt" IS NULL OR i."expiresAt" > now() AT TIME ZONE 'UTC')) AS "taken",
          ${UNLIMITED_MEMBERS} = ANY (clerk_organization_features(${organization.clerkId})) AS "unlimited"`;
      if (!seats!.unlimited && seats!.taken >= FREE_MEMBER_LIMIT) {
        throw new MemberLimitError(billingPath(organization.slug));
      }
      await act(tx);
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
}

/** Revoke a pending invitation: its link refuses from now on. */
export async function revokeInvitation(admin: User, organizationId: string, invitationId: string, actor: AuditActor = actingAs(admin.clerkId)): Promise<void> {
  const organization = await asPermitted(admin, organizationId, MANAGE_MEMBERS, NOT_A_MANAGER);
  const row = isRowId(invitationId)
    ? await getPrisma().invitation.findFirst({ where: { id: invitationId, organizationClerkId: organization.clerkId, status: 'pending' }, select: { clerkId: true } })
    : null;
  if (!row) throw new ActionError(NO_SUCH_INVITATION);
  await auditedOnceAccepted(async (accepted) => {
    const revoked = await clerk(
      () => getClerkClient().organizations.revokeOrganizationInvitation({ organizationId: organization.clerkId, invitationId: row.clerkId, requestingUserId: admin.clerkId }),
      { messages: { resource_not_found: NO_SUCH_INVITATION } },
    );
    accepted({ actor, action: 'invitation.revoked', organizationClerkId: organization.clerkId, target: { type: 'invitation', id: row.clerkId } });
    await syncInvitationFromClerk(revoked.raw);
  });
}

export async function changeRole(admin: User, organizationId: string, membershipId: string, role: string, actor: AuditActor = actingAs(admin.clerkId)): Promise<void> {
  const organization = await asPermitted(admin, organizationId, MANAGE_MEMBERS, NOT_A_MANAGER);
  const member = await memberOf(organization.id, membershipId);
  if (member.role === role) return;
  await auditedOnceAccepted((accepted) =>
    keepingAnAdmin(organization, { membershipId: member.id, newRole: role }, LAST_ADMIN, async () => {
      const membership = await clerk(
        () => getClerkClient().organizations.updateOrganizationMembership({ organizationId: organization.clerkId, userId: member.user.clerkId, role }),
        { ...GONE_IN_CLERK, fields: { role: 'role' } },
      );
      accepted({ actor, action: 'membership.role_changed', organizationClerkId: organization.clerkId, target: { type: 'user', id: member.user.clerkId }, details: { from: member.role, to: role } });
      await syncMembershipFromClerk(membership.raw);
    }),
  );
}

/**
 * Clerk's deletion of a membership, applied at once. When Clerk no longer has
 * it (removed elsewhere, its webhook not here yet), it is gone all the same:
 * our row ends now too, which is what was asked.
 */
async function endMembership(organization: OrganizationRef, membership: { clerkId: string; userClerkId: string }, accepted?: () => void): Promise<void> {
  let removed;
  try {
    removed = await getClerkClient().organizations.deleteOrganizationMembership({ organizationId: organization.clerkId, userId: membership.userClerkId });
  } catch (error) {
    if (clerkErrorCode(error) !== 'resource_not_found') throw describeClerkFailure(error);
    await syncMembershipEnd(membership.clerkId, organization.clerkId, membership.userClerkId);
    return;
  }
  accepted?.();
  await syncMembershipDeletion(removed.raw);
}

/** Remove a member; Clerk no longer having them (removed elsewhere) ends our row too, and is not this admin's act to audit. */
export async function removeMember(admin: User, organizationId: string, membershipId: string, actor: AuditActor = actingAs(admin.clerkId)): Promise<void> {
  const organization = await asPermitted(admin, organizationId, MANAGE_MEMBERS, NOT_A_MANAGER);
  const member = await memberOf(organization.id, membershipId);
  const entry: AuditEntry = { actor, action: 'membership.removed', organizationClerkId: organization.clerkId, target: { type: 'user', id: member.user.clerkId }, details: { role: member.role } };
  await auditedOnceAccepted((accepted) =>
    keepingAnAdmin(organization, { membershipId: member.id, newRole: null }, LAST_ADMIN, () =>
      endMembership(organization, { clerkId: member.clerkId, userClerkId: member.user.clerkId }, () => accepted(entry)),
    ),
  );
}

export async function leaveOrganization(user: User, organizationId: string): Promise<void> {
  const row = isRowId(organizationId)
    ? // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole organization would serve as well.
      await getPrisma().membership.findFirst({ where: { userId: user.id, organizationId }, select: { id: true, clerkId: true, organization: { select: { id: true, clerkId: true, slug: true } } } })
    : null;
  if (!row) throw new ActionError(NOT_A_MEMBER);
  await keepingAnAdmin(row.organization, { membershipId: row.id, newRole: null }, 'You are its only admin: make someone else an admin before you leave, or delete the organization.', () =>
    endMembership(row.organization, { clerkId: row.clerkId, userClerkId: user.clerkId }),
  );
}

/** Delete the organization in Clerk and here, with its memberships and posts; `confirmation` must be its slug. */
/**
 * Delete the organization in Clerk and here, with its memberships and posts;
 * `confirmation` must be its slug. Its audit log stays, until pruned
 * (docs/decisions/024): it says who deleted it.
 */
export async function deleteOrganization(admin: User, organizationId: string, confirmation: string, actor: AuditActor = actingAs(admin.clerkId)): Promise<void> {
  const organization = await asPermitted(admin, organizationId, DELETE_ORGANIZATION, NOT_ALLOWED_TO_DELETE);
  if (confirmation !== organization.slug) throw new ActionError(`Type "${organization.slug}" to confirm.`, 'confirmation');
  await auditedOnceAccepted(async (accepted) => {
    try {
      await getClerkClient().organizations.deleteOrganization(organization.clerkId);
      accepted({ actor, action: 'organization.deleted', organizationClerkId: organization.clerkId, target: { type: 'organization', id: organization.clerkId } });
    } catch (error) {
      // Already gone from Clerk (deleted elsewhere, not by this admin): then it goes from here too.
      if (clerkErrorCode(error) !== 'resource_not_found') throw describeClerkFailure(error);
    }
    await syncOrganizationDeletion(organization.clerkId);
  });
}

export interface Member {
  id: string;
  role: string;
  roleName: string | null;
  name: string | null;
  email: string | null;
  isYou: boolean;
}

/** An organization's members, by role and then by when they joined, for a member of it (the asker's membership is part of the statement). */
export async function listMembers(userId: string, organizationId: string): Promise<Member[]> {
  const rows = await getPrisma().$queryRaw<{ id: string; role: string; roleName: string | null; userId: string; name: string | null; email: string }[]>`
    SELECT m."id", m."role", r."name" AS "roleName", m."userId", u."name", u."email"
    FROM "Membership" m JOIN "User" u ON u."id" = m."userId" LEFT JOIN "OrganizationRole" r ON r."key" = m."role"
    WHERE m."organizationId" = ${organizationId}
      AND EXISTS (SELECT 1 FROM "Membership" me WHERE me."organizationId" = m."organizationId" AND me."userId" = ${userId})
    ORDER BY m."role", m."createdAt"`;
  return rows.map((row) => ({ id: row.id, role: row.role, roleName: row.roleName, name: row.name, email: hasRealEmail(row.email) ? row.email : null, isYou: row.userId === userId }));
}

export interface PendingInvitation {
  id: string;
  email: string | null;
  role: string;
  roleName: string | null;
  expiresAt: Date | null;
}

/** An organization's pending invitations (not expired), newest first, for a member who manages its members; none for anyone else. */
export function listPendingInvitations(userId: string, organizationId: string): Promise<PendingInvitation[]> {
  return getPrisma().$queryRaw<PendingInvitation[]>`
    SELECT i."id", i."email", i."role", r."name" AS "roleName", i."expiresAt"
    FROM "Invitation" i JOIN "Organization" o ON o."clerkId" = i."organizationClerkId" LEFT JOIN "OrganizationRole" r ON r."key" = i."role"
    WHERE o."id" = ${organizationId} AND i."status" = 'pending' AND (i."expiresAt" IS NULL OR i."expiresAt" > (now() AT TIME ZONE 'UTC'))
      AND clerk_member_has_permission(${userId}, o."id", ${MANAGE_MEMBERS})
    ORDER BY i."clerkCreatedAt" DESC, i."id"`;
}

export interface RoleChoice {
  key: string;
  name: string;
}

/** The instance's roles, as a person chooses one (our copy; a placeholder key is never offered). */
export function listRoles(): Promise<RoleChoice[]> {
  return getPrisma().organizationRole.findMany({ where: { NOT: { key: { startsWith: '~' } } }, select: { key: true, name: true }, orderBy: [{ name: 'asc' }, { key: 'asc' }] });
}
