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
import { syncMembershipFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { syncRolesFromClerk } from '@/modules/clerk-sync/src/objects/role-sync.service';
import { syncPlansFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { clerkErrorCode } from '@/modules/cores/clerk/clerk-errors';
import { getPrisma } from '@/modules/cores/db/prisma';
import { countProvisioning } from '@/modules/cores/telemetry/telemetry';
import { type OrganizationPlan, organizationPlanOf, type PlanColumns } from '@/modules/billing/src/services/organization-plan';
import { MANAGE_MEMBERS, ORGANIZATION_SLUG_MAX } from '../interfaces/organization.limits';

export interface OrganizationSpace {
  organization: { id: string; clerkId: string; name: string; slug: string };
  membership: { id: string; role: string; roleName: string | null };
  /** The permissions of the member's role, from our copy of Clerk's roles (docs/decisions/022). */
  permissions: string[];
  /** The organization's plan and its use, from our copy of Clerk Billing (docs/decisions/023). */
  plan: OrganizationPlan;
}

/** Whether the member of `space` holds `permission`: for what a page shows; every write checks again in its statement. */
export const can = (space: OrganizationSpace, permission: string): boolean => space.permissions.includes(permission);

/** Whether the member of `space` manages its members (invites, changes roles, removes). */
export const managesMembers = (space: OrganizationSpace): boolean => can(space, MANAGE_MEMBERS);

/** A slug from a URL worth a query: Clerk's characters only (a placeholder slug of ours never matches a URL). */
const isSlug = (slug: string) => slug.length <= ORGANIZATION_SLUG_MAX && /^[a-z0-9-]+$/.test(slug);

interface SpaceRow extends PlanColumns {
  membershipId: string;
  role: string;
  roleName: string | null;
  roleKnown: boolean;
  permissions: string[];
  id: string;
  clerkId: string;
  name: string;
  slug: string;
}

/** The membership, its organization, its role's permissions and the organization's plan and use: one statement. */
async function membershipRowBySlug(userId: string, slug: string): Promise<SpaceRow | null> {
  const [row] = await getPrisma().$queryRaw<SpaceRow[]>`
    SELECT m."id" AS "membershipId", m."role", r."name" AS "roleName", (r."id" IS NOT NULL) AS "roleKnown",
      ARRAY(SELECT p."key" FROM "OrganizationPermission" p WHERE p."clerkId" = ANY (r."permissionIds") ORDER BY p."key") AS "permissions",
      o."id", o."clerkId", o."name", o."slug",
      pl.name AS "planName", pl.slug AS "planSlug", pl.item_status AS "planItemStatus", pl.is_free_trial AS "planIsFreeTrial",
      pl.period_end AS "planPeriodEnd", pl.is_default AS "planIsDefault", pl.known AS "planKnown", pl.features AS "planFeatures",
      EXISTS (SELECT 1 FROM "BillingSubscriptionItem" i WHERE i."organizationClerkId" = o."clerkId" AND i."status" = 'past_due') AS "pastDue",
      (SELECT count(*)::int FROM "Membership" mm WHERE mm."organizationId" = o."id") AS "members",
      (SELECT count(*)::int FROM "Invitation" inv WHERE inv."organizationClerkId" = o."clerkId" AND inv."status" = 'pending'
         AND (inv."expiresAt" IS NULL OR inv."expiresAt" > now() AT TIME ZONE 'UTC')) AS "pendingInvitations",
      (SELECT count(*)::int FROM "Post" po WHERE po."organizationId" = o."id") AS "posts"
    FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId" LEFT JOIN "OrganizationRole" r ON r."key" = m."role"
      LEFT JOIN LATERAL clerk_organization_plan(o."clerkId") pl ON true
    WHERE m."userId" = ${userId} AND o."slug" = ${slug}`;
  return row ?? null;
}

const spaceOf = (row: SpaceRow): OrganizationSpace => ({
  organization: { id: row.id, clerkId: row.clerkId, name: row.name, slug: row.slug },
  membership: { id: row.membershipId, role: row.role, roleName: row.roleName },
  permissions: row.permissions,
  plan: organizationPlanOf(row),
});

/** A role Clerk's list lacked too (renamed or deleted, its webhook not here yet) is not asked for again this soon. */
const ROLE_RETRY_MS = 60_000;
const rolesClerkLacked = new Map<string, number>();

/** The instance's roles from the Backend API, stored; false (nothing asked) when Clerk lacked `roleKey` a moment ago. */
async function fetchRolesFor(roleKey: string): Promise<boolean> {
  const lackedAt = rolesClerkLacked.get(roleKey);
  if (lackedAt !== undefined && Date.now() - lackedAt < ROLE_RETRY_MS) return false;
  await countProvisioning('roles', () => syncRolesFromClerk());
  return true;
}

/** After a fetch: whether the role is one we hold now. */
function noteRole(roleKey: string, known: boolean): void {
  if (known) rolesClerkLacked.delete(roleKey);
  else rolesClerkLacked.set(roleKey, Date.now());
}

/**
 * Whether `userId` is a member of the organization (by row id) with a role
 * our copy does not hold, in which case the instance's roles are fetched
 * once from the Backend API and stored: what a permission check that found
 * nothing asks before it refuses. One statement when the role is known.
 */
export async function provisionUnknownRole(userId: string, organizationId: string): Promise<boolean> {
  const [row] = await getPrisma().$queryRaw<{ role: string; unknown: boolean }[]>`
    SELECT m."role", NOT EXISTS (SELECT 1 FROM "OrganizationRole" r WHERE r."key" = m."role") AS "unknown"
    FROM "Membership" m WHERE m."userId" = ${userId} AND m."organizationId" = ${organizationId}`;
  return row?.unknown === true && fetchRolesFor(row.role);
}

/**
 * The space, with its permissions. A role we do not hold (a fresh database,
 * or a role made in Clerk before its webhook): the instance's roles are
 * fetched once from the Backend API and stored, then read again; until a
 * role is known it grants nothing.
 */
async function membershipBySlug(userId: string, slug: string): Promise<OrganizationSpace | null> {
  const row = await membershipRowBySlug(userId, slug);
  if (!row || (row.roleKnown && row.planKnown !== false)) return row && spaceOf(row);
  const fetched = [!row.roleKnown && (await fetchRolesFor(row.role)), row.planKnown === false && (await fetchPlansFor(row.planSlug ?? ''))];
  if (!fetched.some(Boolean)) return spaceOf(row);
  const again = await membershipRowBySlug(userId, slug);
  if (again) {
    noteRole(again.role, again.roleKnown);
    notePlan(again.planSlug ?? '', again.planKnown !== false);
  }
  return again && spaceOf(again);
}

/** A plan Clerk's list lacked too is not asked for again this soon (as roles). */
const plansClerkLacked = new Map<string, number>();

/** The instance's plans from the Backend API, stored; false when Clerk lacked `planSlug` a moment ago. */
async function fetchPlansFor(planSlug: string): Promise<boolean> {
  const lackedAt = plansClerkLacked.get(planSlug);
  if (lackedAt !== undefined && Date.now() - lackedAt < ROLE_RETRY_MS) return false;
  await countProvisioning('plans', () => syncPlansFromClerk());
  return true;
}

function notePlan(planSlug: string, known: boolean): void {
  if (known) plansClerkLacked.delete(planSlug);
  else plansClerkLacked.set(planSlug, Date.now());
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
function provisionMembership(userClerkId: string, organizationClerkId: string): Promise<boolean> {
  return countProvisioning(
    'membership',
    async () => {
      let memberships;
      try {
        memberships = await getClerkClient().organizations.getOrganizationMembershipList({ organizationId: organizationClerkId, userId: [userClerkId], limit: 1 });
      } catch (error) {
        // The organization is gone from Clerk: no membership to store. Anything else is an outage, shown as one.
        if (clerkErrorCode(error) !== undefined) return false;
        throw error;
      }
      // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator,OptionalChaining: defensive; Clerk (and the emulator) already filter by user_id, so no test can list another member here.
      const membership = memberships.data.find((candidate) => candidate.publicUserData?.userId === userClerkId);
      if (membership) await syncMembershipFromClerk(membership.raw);
      return membership !== undefined;
    },
    (found) => found,
  );
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
