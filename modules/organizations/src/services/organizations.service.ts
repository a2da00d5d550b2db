/**
 * Team workspaces: creating an organization and managing its members, through
 * Clerk's Backend API (Clerk stays the source of truth), each answer applied
 * to our tables at once through the webhook's own sync functions
 * (organization-sync.service), so that a removal or a deletion takes effect
 * on the very next request, not when the webhook lands. The later webhook
 * then finds its change already there (ordering rules, tombstones).
 *
 * Who may ask is decided by our Membership rows (docs/decisions/013): an
 * organization is looked up only together with the asker's own membership
 * (and admin role), so another organization's ids match nothing. Clerk's
 * refusals reach the form in words a person can act on.
 */
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { clerkErrorCode, describeClerkFailure } from '@/modules/cores/clerk/clerk-errors';
import { hasRealEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import {
  syncMembershipDeletion,
  syncMembershipEnd,
  syncMembershipFromClerk,
  syncOrganizationDeletion,
  syncOrganizationFromClerk,
} from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { ActionError } from '@/modules/cores/actions/action-state';
import { getPrisma } from '@/modules/cores/db/prisma';
import type { User } from '@/generated/prisma/client';
import { ADMIN_ROLE, type OrganizationRole } from '../interfaces/organization.limits';

export const NOT_AN_ADMIN = 'That organization does not exist, or you are not its admin.';
export const NOT_A_MEMBER = 'That organization does not exist, or you are not a member of it.';
export const NO_SUCH_MEMBER = 'That person is not a member of this organization.';
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

const organizationRef = { id: true, clerkId: true, slug: true } as const;

/** The organization, if `user` is its admin (one query: the organization through the asker's admin membership). */
async function asAdmin(user: User, organizationId: string): Promise<OrganizationRef> {
  const row = isRowId(organizationId)
    ? // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole organization would serve as well.
      await getPrisma().membership.findFirst({ where: { userId: user.id, organizationId, role: ADMIN_ROLE }, select: { organization: { select: organizationRef } } })
    : null;
  if (!row) throw new ActionError(NOT_AN_ADMIN);
  return row.organization;
}

/** Another membership of the same organization, with its user's Clerk id. */
async function memberOf(organizationId: string, membershipId: string) {
  const row = isRowId(membershipId)
    ? // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole user would serve as well.
      await getPrisma().membership.findFirst({ where: { id: membershipId, organizationId }, select: { clerkId: true, role: true, user: { select: { clerkId: true } } } })
    : null;
  if (!row) throw new ActionError(NO_SUCH_MEMBER);
  return row;
}

/** Refuse to take away the organization's last admin (Clerk's own components refuse it too). */
async function keepAnAdmin(organizationId: string, role: string, message = LAST_ADMIN): Promise<void> {
  if (role !== ADMIN_ROLE) return;
  const admins = await getPrisma().membership.count({ where: { organizationId, role: ADMIN_ROLE } });
  if (admins <= 1) throw new ActionError(message);
}

/** A Backend API call; its refusal becomes a message for the form. */
async function clerk<T>(call: () => Promise<T>, options?: Parameters<typeof describeClerkFailure>[1]): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw describeClerkFailure(error, options);
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

/** Add the person with this email address (our copy first, else Clerk's user list). */
export async function addMember(admin: User, organizationId: string, input: { email: string; role: OrganizationRole }): Promise<void> {
  const organization = await asAdmin(admin, organizationId);
  const client = getClerkClient();
  let userClerkId = (await getPrisma().user.findUnique({ where: { email: input.email }, select: { clerkId: true } }))?.clerkId;
  if (!userClerkId) {
    const found = await clerk(() => client.users.getUserList({ emailAddress: [input.email], limit: 1 }));
    userClerkId = found.data[0]?.id;
  }
  if (!userClerkId) throw new ActionError(`Nobody has an account with ${input.email}. Ask them to sign up first, then add them.`, 'email');
  const membership = await clerk(() => client.organizations.createOrganizationMembership({ organizationId: organization.clerkId, userId: userClerkId, role: input.role }), {
    messages: { already_a_member_in_organization: `${input.email} is already a member.` },
    // Stryker disable next-line StringLiteral: no refusal of Clerk's that we can provoke names user_id (an unknown user is a 404).
    fields: { user_id: 'email', role: 'role' },
  });
  await syncMembershipFromClerk(membership.raw);
}

export async function changeRole(admin: User, organizationId: string, membershipId: string, role: OrganizationRole): Promise<void> {
  const organization = await asAdmin(admin, organizationId);
  const member = await memberOf(organization.id, membershipId);
  if (member.role === role) return;
  await keepAnAdmin(organization.id, member.role);
  const membership = await clerk(
    () => getClerkClient().organizations.updateOrganizationMembership({ organizationId: organization.clerkId, userId: member.user.clerkId, role }),
    GONE_IN_CLERK,
  );
  await syncMembershipFromClerk(membership.raw);
}

/**
 * Clerk's deletion of a membership, applied at once. When Clerk no longer has
 * it (removed elsewhere, its webhook not here yet), it is gone all the same:
 * our row ends now too, which is what was asked.
 */
async function endMembership(organization: OrganizationRef, membership: { clerkId: string; userClerkId: string }): Promise<void> {
  let removed;
  try {
    removed = await getClerkClient().organizations.deleteOrganizationMembership({ organizationId: organization.clerkId, userId: membership.userClerkId });
  } catch (error) {
    if (clerkErrorCode(error) !== 'resource_not_found') throw describeClerkFailure(error);
    await syncMembershipEnd(membership.clerkId, organization.clerkId, membership.userClerkId);
    return;
  }
  await syncMembershipDeletion(removed.raw);
}

export async function removeMember(admin: User, organizationId: string, membershipId: string): Promise<void> {
  const organization = await asAdmin(admin, organizationId);
  const member = await memberOf(organization.id, membershipId);
  await keepAnAdmin(organization.id, member.role);
  await endMembership(organization, { clerkId: member.clerkId, userClerkId: member.user.clerkId });
}

export async function leaveOrganization(user: User, organizationId: string): Promise<void> {
  const row = isRowId(organizationId)
    ? // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole organization would serve as well.
      await getPrisma().membership.findFirst({ where: { userId: user.id, organizationId }, select: { clerkId: true, role: true, organization: { select: organizationRef } } })
    : null;
  if (!row) throw new ActionError(NOT_A_MEMBER);
  await keepAnAdmin(row.organization.id, row.role, 'You are its only admin: make someone else an admin before you leave, or delete the organization.');
  await endMembership(row.organization, { clerkId: row.clerkId, userClerkId: user.clerkId });
}

/** Delete the organization in Clerk and here, with its memberships and posts; `confirmation` must be its slug. */
export async function deleteOrganization(admin: User, organizationId: string, confirmation: string): Promise<void> {
  const organization = await asAdmin(admin, organizationId);
  if (confirmation !== organization.slug) throw new ActionError(`Type "${organization.slug}" to confirm.`, 'confirmation');
  try {
    await getClerkClient().organizations.deleteOrganization(organization.clerkId);
  } catch (error) {
    // Already gone from Clerk: then it goes from here too.
    if (clerkErrorCode(error) !== 'resource_not_found') throw describeClerkFailure(error);
  }
  await syncOrganizationDeletion(organization.clerkId);
}

export interface Member {
  id: string;
  role: string;
  name: string | null;
  email: string | null;
  isYou: boolean;
}

/** An organization's members, admins first, for a member of it (the asker's membership is part of the query). */
export async function listMembers(userId: string, organizationId: string): Promise<Member[]> {
  const rows = await getPrisma().membership.findMany({
    where: { organizationId, organization: { memberships: { some: { userId } } } },
    // Stryker disable next-line ObjectLiteral: reads fewer columns; the whole user would serve as well.
    select: { id: true, role: true, userId: true, user: { select: { name: true, email: true } } },
    orderBy: [{ role: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map((row) => ({ id: row.id, role: row.role, name: row.user.name, email: hasRealEmail(row.user.email) ? row.user.email : null, isYou: row.userId === userId }));
}
