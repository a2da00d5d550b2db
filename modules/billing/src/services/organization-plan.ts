/**
 * An organization's plan as our copy has it, and what it allows, for pages
 * to show (the limits are enforced inside the statements that write:
 * posts.service, organizations.service). Read in the statement that reads
 * the organization's space (organization-access.service), so showing it
 * costs no statement of its own.
 */
import { FREE_MEMBER_LIMIT, FREE_POST_CONTENT_MAX, FREE_POST_LIMIT, LONG_POSTS, UNLIMITED_MEMBERS, UNLIMITED_POSTS } from '../interfaces/billing.limits';

/**
 * - `free`: the default plan (never subscribed, or back on it);
 * - `active`, `trial`: a paid plan, paid or in its free trial;
 * - `canceling`: canceled, the paid plan holds until `periodEnd`;
 * - `past_due`: a payment failed: the default plan's limits apply until it is paid.
 */
export type PlanState = 'free' | 'active' | 'trial' | 'canceling' | 'past_due';

export interface OrganizationPlan {
  /** The plan's name (Clerk's), or "Free" when we hold no plan at all. */
  name: string;
  slug: string | null;
  state: PlanState;
  periodEnd: Date | null;
  features: string[];
  usage: { members: number; pendingInvitations: number; posts: number };
  /** null: unlimited. */
  memberLimit: number | null;
  postLimit: number | null;
  /** null: as long as any post may be. */
  postContentMax: number | null;
}

/** The columns organization-access.service reads beside the space (clerk_organization_plan and the counts). */
export interface PlanColumns {
  planName: string | null;
  planSlug: string | null;
  planItemStatus: string | null;
  planIsFreeTrial: boolean | null;
  planPeriodEnd: Date | null;
  planIsDefault: boolean | null;
  planKnown: boolean | null;
  planFeatures: string[] | null;
  pastDue: boolean;
  members: number;
  pendingInvitations: number;
  posts: number;
}

function stateOf(columns: PlanColumns): PlanState {
  if (columns.pastDue && (columns.planIsDefault ?? true)) return 'past_due';
  if (columns.planItemStatus === null || columns.planIsDefault) return 'free';
  if (columns.planItemStatus === 'canceled') return 'canceling';
  return columns.planIsFreeTrial ? 'trial' : 'active';
}

export function organizationPlanOf(columns: PlanColumns): OrganizationPlan {
  const features = columns.planFeatures ?? [];
  return {
    name: columns.planName ?? 'Free',
    slug: columns.planSlug,
    state: stateOf(columns),
    periodEnd: columns.planPeriodEnd,
    features,
    usage: { members: columns.members, pendingInvitations: columns.pendingInvitations, posts: columns.posts },
    memberLimit: features.includes(UNLIMITED_MEMBERS) ? null : FREE_MEMBER_LIMIT,
    postLimit: features.includes(UNLIMITED_POSTS) ? null : FREE_POST_LIMIT,
    postContentMax: features.includes(LONG_POSTS) ? null : FREE_POST_CONTENT_MAX,
  };
}

/** Seats a plan counts: members and pending invitations. */
export const seatsTaken = (plan: OrganizationPlan): number => plan.usage.members + plan.usage.pendingInvitations;

export const atMemberLimit = (plan: OrganizationPlan): boolean => plan.memberLimit !== null && seatsTaken(plan) >= plan.memberLimit;
export const atPostLimit = (plan: OrganizationPlan): boolean => plan.postLimit !== null && plan.usage.posts >= plan.postLimit;
