/**
 * Clerk Billing outside the webhook: the instance's plans (which have no
 * events: read from `/billing/plans` by reconcile, and once when an item
 * names a plan we lack), and a payer's subscription from the Backend API
 * (after a checkout, and by reconcile). Subscriptions go through
 * `clerk_apply_change`, the webhook's rules (docs/decisions/023).
 */
import type { ClerkClient } from '@clerk/backend';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { clerkErrorCode } from '@/modules/cores/clerk/clerk-errors';
import { getPrisma } from '@/modules/cores/db/prisma';
import { newRowId, syncStatement } from '../engine/sync-statement';
import { type ClerkPlanData, clerkPlanDataSchema, type ClerkSubscriptionData, clerkSubscriptionDataSchema } from './clerk-billing-data';
import { type ChangeOutcome, syncChange } from './organization-sync.service';
import { checkedClerkData } from './user-sync.service';

type SdkPlan = Awaited<ReturnType<ClerkClient['billing']['getPlanList']>>['data'][number];
type SdkSubscription = Awaited<ReturnType<ClerkClient['billing']['getOrganizationBillingSubscription']>>;

/** The SDK's plan (camelCase) as Clerk's JSON names what the sync reads. */
const planJsonOf = (plan: SdkPlan) => ({
  id: plan.id,
  slug: plan.slug,
  name: plan.name,
  for_payer_type: plan.forPayerType,
  is_default: plan.isDefault,
  features: plan.features.map((feature) => ({ slug: feature.slug })),
});

/**
 * The SDK's subscription as Clerk's webhook JSON names it, its payer the one
 * it was asked for (the Backend API's subscription names only a payer id).
 * An item without `updated_at` takes its subscription's.
 */
export const subscriptionJsonOf = (subscription: SdkSubscription, payer: { organization_id?: string; user_id?: string }) => ({
  id: subscription.id,
  status: subscription.status,
  created_at: subscription.createdAt,
  updated_at: subscription.updatedAt,
  past_due_at: subscription.pastDueAt,
  payer_id: subscription.payerId,
  payer,
  items: subscription.subscriptionItems.map((item) => ({
    id: item.id,
    status: item.status,
    is_free_trial: item.isFreeTrial,
    created_at: item.createdAt,
    updated_at: item.updatedAt ?? subscription.updatedAt,
    period_start: item.periodStart,
    period_end: item.periodEnd,
    plan_id: item.planId,
    plan: item.plan ? { id: item.plan.id, slug: item.plan.slug, name: item.plan.name } : null,
  })),
});

/** One plan, stored as Clerk has it now (plans have no version: the latest read wins). */
export async function storePlan(plan: unknown): Promise<void> {
  const data: ClerkPlanData = checkedClerkData(clerkPlanDataSchema, plan, 'billing plan');
  const features = data.features.map((feature) => feature.slug.trim());
  await syncStatement(
    () => getPrisma().$executeRaw`
      INSERT INTO "BillingPlan" ("id", "clerkId", "slug", "name", "payerType", "isDefault", "featureSlugs", "createdAt", "updatedAt")
      VALUES (${newRowId()}, ${data.id}, ${data.slug.trim()}, ${data.name.trim()}, ${data.for_payer_type}, ${data.is_default}, ${features}::text[],
        now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
      ON CONFLICT ("clerkId") DO UPDATE SET "slug" = EXCLUDED."slug", "name" = EXCLUDED."name", "payerType" = EXCLUDED."payerType",
        "isDefault" = EXCLUDED."isDefault", "featureSlugs" = EXCLUDED."featureSlugs", "updatedAt" = EXCLUDED."updatedAt"`,
  );
}

const PAGE = 100;

/** Every plan of the instance, for organizations and users, page by page, each stored; their Clerk ids. */
export async function syncPlansFromClerk(clerk: ClerkClient = getClerkClient()): Promise<string[]> {
  const seen: string[] = [];
  for (const payerType of ['org', 'user'] as const) {
    for (let offset = 0; ; offset += PAGE) {
      const page = await clerk.billing.getPlanList({ payerType, limit: PAGE, offset });
      for (const plan of page.data) {
        seen.push(plan.id);
        await storePlan(planJsonOf(plan));
      }
      if (page.data.length < PAGE) break;
    }
  }
  return seen;
}

/** A subscription from Clerk's JSON (a webhook's shape), stored by the subscriptions' rules. */
export function syncSubscriptionFromClerk(subscription: unknown): Promise<ChangeOutcome> {
  const data: ClerkSubscriptionData = checkedClerkData(clerkSubscriptionDataSchema, subscription, 'subscription');
  return syncChange({ object: 'subscription', action: 'version', data });
}

/**
 * An organization's subscription as Clerk has it now, stored; 'none' when
 * Clerk has none (our rows of it, if any, go: Clerk is the truth).
 */
export async function syncOrganizationSubscriptionFromClerk(organizationClerkId: string, clerk: ClerkClient = getClerkClient()): Promise<ChangeOutcome | 'none'> {
  let subscription: SdkSubscription;
  try {
    subscription = await clerk.billing.getOrganizationBillingSubscription(organizationClerkId);
  } catch (error) {
    if (clerkErrorCode(error) !== 'resource_not_found') throw error;
    await forgetSubscriptionsOf({ organizationClerkId });
    return 'none';
  }
  return syncSubscriptionFromClerk(subscriptionJsonOf(subscription, { organization_id: organizationClerkId }));
}

/** A user's subscription as Clerk has it now, stored; 'none' when Clerk has none. */
export async function syncUserSubscriptionFromClerk(userClerkId: string, clerk: ClerkClient = getClerkClient()): Promise<ChangeOutcome | 'none'> {
  let subscription: SdkSubscription;
  try {
    subscription = await clerk.billing.getUserBillingSubscription(userClerkId);
  } catch (error) {
    if (clerkErrorCode(error) !== 'resource_not_found') throw error;
    await forgetSubscriptionsOf({ userClerkId });
    return 'none';
  }
  return syncSubscriptionFromClerk(subscriptionJsonOf(subscription, { user_id: userClerkId }));
}

async function forgetSubscriptionsOf(payer: { organizationClerkId: string } | { userClerkId: string }): Promise<void> {
  const prisma = getPrisma();
  await prisma.$transaction([prisma.billingSubscriptionItem.deleteMany({ where: payer }), prisma.billingSubscription.deleteMany({ where: payer })]);
}

/** What reconcile did to Billing. */
export interface BillingReconcileSummary {
  plans: number;
  plansRemoved: number;
  subscriptions: number;
  applied: number;
  /** Payers Clerk has no subscription for, whose rows went. */
  none: number;
  failed: number;
  /** Clerk refused the plan list (Billing not enabled on the instance): nothing else was asked. */
  billingOff: boolean;
}

/**
 * Plans and subscriptions against Clerk's: every plan stored (ours Clerk no
 * longer lists removed, unless Clerk listed none: an instance without plans
 * is a wrong answer or Billing off, not a fact to act on); then the
 * subscription of every organization we hold, and of every user we hold a
 * subscription for (a user without one has the default plan, with or
 * without a row).
 */
export async function reconcileBilling(clerk: ClerkClient): Promise<BillingReconcileSummary> {
  const summary: BillingReconcileSummary = { plans: 0, plansRemoved: 0, subscriptions: 0, applied: 0, none: 0, failed: 0, billingOff: false };
  let seen: string[];
  try {
    seen = await syncPlansFromClerk(clerk);
  } catch (error) {
    const status = (error as { status?: number }).status ?? 0;
    if (status < 400 || status >= 500 || status === 429) throw error;
    return { ...summary, billingOff: true };
  }
  summary.plans = seen.length;
  if (seen.length > 0) summary.plansRemoved = (await getPrisma().billingPlan.deleteMany({ where: { clerkId: { notIn: seen } } })).count;
  const count = (outcome: ChangeOutcome | 'none') => {
    summary.subscriptions++;
    if (outcome === 'applied') summary.applied++;
    if (outcome === 'none') summary.none++;
  };
  for (let after = ''; ; ) {
    const organizations = await getPrisma().organization.findMany({ where: { clerkId: { gt: after } }, orderBy: { clerkId: 'asc' }, take: 500, select: { clerkId: true } });
    if (organizations.length === 0) break;
    for (const { clerkId } of organizations) await syncOrganizationSubscriptionFromClerk(clerkId, clerk).then(count, () => summary.failed++);
    after = organizations.at(-1)!.clerkId;
  }
  const payingUsers = await getPrisma().billingSubscription.findMany({ where: { userClerkId: { not: null } }, select: { userClerkId: true } });
  for (const { userClerkId } of payingUsers) await syncUserSubscriptionFromClerk(userClerkId!, clerk).then(count, () => summary.failed++);
  return summary;
}
