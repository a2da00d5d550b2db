/**
 * Who may see an organization's space (docs/decisions/013). Our Membership
 * row decides, always: the session's organization claim only says which
 * space the session is in, and lags (a token lives about a minute). No row:
 * no access (a 404), whatever the claim says; a row: access, whatever the
 * claim says (the URL decides the space, and Clerk's handshake catches the
 * claim up).
 *
 * One exception, as for users (just-in-time provisioning): no row, but the
 * claim names this very organization, so Clerk says the person is a member
 * and the webhook has not landed. Then the membership is fetched once from
 * the Backend API and stored by the webhook's rules, and the row decides.
 * An ordinary render with a row makes no Backend API call.
 */
import { auth } from '@clerk/nextjs/server';
import { cache } from 'react';
import type { User } from '@/generated/prisma/client';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { clerkErrorCode } from '@/modules/cores/clerk/clerk-errors';
import { syncMembershipFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { getPrisma } from '@/modules/cores/db/prisma';
import { ADMIN_ROLE, ORGANIZATION_SLUG_MAX } from '../interfaces/organization.limits';

export interface OrganizationSpace {
  organization: { id: string; clerkId: string; name: string; slug: string };
  membership: { id: string; role: string };
  isAdmin: boolean;
}

/** A slug from a URL worth a query: Clerk's characters only (a placeholder slug of ours never matches a URL). */
const isSlug = (slug: string) => slug.length <= ORGANIZATION_SLUG_MAX && /^[a-z0-9-]+$/.test(slug);

async function membershipBySlug(userId: string, slug: string): Promise<OrganizationSpace | null> {
  const row = await getPrisma().membership.findFirst({
    where: { userId, organization: { slug } },
    select: { id: true, role: true, organization: { select: { id: true, clerkId: true, name: true, slug: true } } },
  });
  return row ? { organization: row.organization, membership: { id: row.id, role: row.role }, isAdmin: row.role === ADMIN_ROLE } : null;
}

/** Does the session's claim name the organization at `slug`? By its slug, or by its id when we hold the organization. */
async function claimNames(slug: string, claim: OrganizationClaim): Promise<boolean> {
  if (!claim.orgId) return false;
  // Stryker disable next-line ConditionalExpression: a shortcut only; without it the organization is looked up by slug and its id compared, with the same answer.
  if (claim.orgSlug === slug) return true;
  const organization = await getPrisma().organization.findUnique({ where: { slug }, select: { clerkId: true } });
  return organization?.clerkId === claim.orgId;
}

/** The user's membership of one organization, from the Backend API (one call), stored as the webhook would store it. */
async function provisionMembership(userClerkId: string, organizationClerkId: string): Promise<void> {
  let memberships;
  try {
    memberships = await getClerkClient().organizations.getOrganizationMembershipList({ organizationId: organizationClerkId, userId: [userClerkId], limit: 1 });
  } catch (error) {
    // The organization is gone from Clerk: no membership to store. Anything else is an outage, shown as one.
    if (clerkErrorCode(error) !== undefined) return;
    throw error;
  }
  // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator,OptionalChaining: defensive; Clerk (and the emulator) already filter by user_id, so no test can list another member here.
  const membership = memberships.data.find((candidate) => candidate.publicUserData?.userId === userClerkId);
  if (membership) await syncMembershipFromClerk(membership.raw);
}

/** What the session says of its active organization (`auth()`'s `orgId` and `orgSlug`). */
export interface OrganizationClaim {
  orgId?: string | null;
  orgSlug?: string | null;
}

/**
 * `user`'s space in the organization at `slug`, or null (not a member, no
 * such organization). The session's claim is read only when our rows have no
 * membership: `readClaim` is `auth()` in a request.
 */
export async function findOrganizationSpace(user: User, slug: string, readClaim: () => Promise<OrganizationClaim>): Promise<OrganizationSpace | null> {
  if (!isSlug(slug)) return null;
  const space = await membershipBySlug(user.id, slug);
  if (space) return space;
  const claim = await readClaim();
  if (!(await claimNames(slug, claim))) return null;
  await provisionMembership(user.clerkId, claim.orgId!);
  return membershipBySlug(user.id, slug);
}

/**
 * The signed-in `user`'s space in the organization at `slug`, or null (not a
 * member, no such organization): pages answer null with a 404. Once per
 * request.
 */
// Stryker disable next-line all: needs a Next.js request (the session); findOrganizationSpace is tested in-process, the pages over HTTP.
export const getOrganizationSpace = cache((user: User, slug: string): Promise<OrganizationSpace | null> => findOrganizationSpace(user, slug, () => auth()));

export interface SpaceLink {
  name: string;
  slug: string;
  role: string;
}

/**
 * The organizations the user is a member of, by name, for the header's space
 * switcher: one statement (a join; Prisma would read the relation in a second
 * one), no Backend API call.
 */
export function listSpaces(userId: string): Promise<SpaceLink[]> {
  return getPrisma().$queryRaw<SpaceLink[]>`
    SELECT o."name", o."slug", m."role" FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId"
    WHERE m."userId" = ${userId} ORDER BY o."name", o."slug"`;
}
