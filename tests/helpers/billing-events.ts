/**
 * Clerk Billing events for tests, in the shapes of Clerk's webhook contract
 * (`webhooks/2025-04-15.yml`: SubscriptionEventPayload,
 * BillingSubscriptionItemEventPayload), signed like every other delivery;
 * and a plan catalogue as the sync stores it.
 */
import { randomBytes } from 'node:crypto';
import { storePlan, syncSubscriptionFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { type Delivery, rawDelivery } from './webhooks';

const MONTH = 30 * 86_400_000;

const clerkId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export interface PlanRef {
  id: string;
  slug: string;
  name: string;
}

export const FREE_ORG_PLAN: PlanRef = { id: 'cplan_test_free_org', slug: 'free_org', name: 'Free' };
export const PRO_PLAN: PlanRef = { id: 'cplan_test_pro', slug: 'pro', name: 'Pro' };

/** The README's plans, stored as reconcile stores them. */
export async function createDefaultPlans(): Promise<void> {
  await storePlan({ id: FREE_ORG_PLAN.id, slug: FREE_ORG_PLAN.slug, name: FREE_ORG_PLAN.name, for_payer_type: 'org', is_default: true, features: [] });
  await storePlan({
    id: PRO_PLAN.id,
    slug: PRO_PLAN.slug,
    name: PRO_PLAN.name,
    for_payer_type: 'org',
    is_default: false,
    features: [{ slug: 'unlimited_members' }, { slug: 'unlimited_posts' }, { slug: 'long_posts' }],
  });
  await storePlan({ id: 'cplan_test_free_user', slug: 'free_user', name: 'Free', for_payer_type: 'user', is_default: true, features: [] });
}

export interface Payer {
  organizationId?: string;
  userId?: string;
}

export interface ItemJSON {
  object: 'commerce_subscription_item';
  id: string;
  status: string;
  is_free_trial: boolean;
  created_at: number;
  updated_at: number;
  period_start: number;
  period_end: number | null;
  interval: string;
  plan_id: string | null;
  plan: { id: string; slug: string; name: string; is_recurring: boolean; amount: number; currency: string } | null;
  payer?: ReturnType<typeof payerJson> | null;
  subscription_id: string | null;
}

export interface SubscriptionJSON {
  object: 'commerce_subscription';
  id: string;
  status: string;
  active_at: number | null;
  canceled_at: number | null;
  created_at: number;
  ended_at: number | null;
  past_due_at: number | null;
  updated_at: number;
  latest_payment_id: string | null;
  payer_id: string;
  payer: ReturnType<typeof payerJson>;
  payment_source_id: string | null;
  items: ItemJSON[];
}

const payerJson = (payer: Payer, payerId: string) => ({
  object: 'commerce_payer' as const,
  id: payerId,
  user_id: payer.userId ?? '',
  first_name: payer.userId ? 'Test' : '',
  last_name: payer.userId ? 'Payer' : '',
  email: 'payer@example.com',
  organization_id: payer.organizationId ?? '',
  organization_name: payer.organizationId ? 'Acme' : '',
  image_url: 'https://img.clerk.com/test',
  created_at: 0,
  updated_at: 0,
});

/** An item of `plan`, `status`, its period starting at `at` (a paid plan's lasts a month; the default's has no end). */
export function newItem(plan: PlanRef, status: string, at: number, options: { periodEnd?: number | null; freeTrial?: boolean } = {}): ItemJSON {
  const paid = plan.slug !== FREE_ORG_PLAN.slug;
  return {
    object: 'commerce_subscription_item',
    id: clerkId('csub_item'),
    status,
    is_free_trial: options.freeTrial ?? false,
    created_at: at,
    updated_at: at,
    period_start: at,
    period_end: options.periodEnd !== undefined ? options.periodEnd : paid ? at + MONTH : null,
    interval: 'month',
    plan_id: plan.id,
    plan: { id: plan.id, slug: plan.slug, name: plan.name, is_recurring: paid, amount: paid ? 2000 : 0, currency: 'USD' },
    subscription_id: null,
  };
}

export const itemAt = (item: ItemJSON, status: string, at: number, changes: Partial<ItemJSON> = {}): ItemJSON => ({ ...item, status, updated_at: at, ...changes });

/** A payer's subscription holding `items`, at `at`. */
export function newSubscription(payer: Payer, items: ItemJSON[], at: number, status = 'active'): SubscriptionJSON {
  const payerId = clerkId('cpayer');
  return {
    object: 'commerce_subscription',
    id: clerkId('csub'),
    status,
    active_at: at,
    canceled_at: null,
    created_at: at,
    ended_at: null,
    past_due_at: status === 'past_due' ? at : null,
    updated_at: at,
    latest_payment_id: null,
    payer_id: payerId,
    payer: payerJson(payer, payerId),
    payment_source_id: null,
    items: items.map((item) => ({ ...item, payer: null, subscription_id: null })),
  };
}

export const subscriptionAt = (subscription: SubscriptionJSON, status: string, items: ItemJSON[], at: number): SubscriptionJSON => ({
  ...subscription,
  status,
  updated_at: at,
  past_due_at: status === 'past_due' ? at : null,
  items: items.map((item) => ({ ...item, payer: null, subscription_id: null })),
});

const envelope = (type: string, data: object, at: number) => rawDelivery({ object: 'event', type, data, timestamp: at, instance_id: 'ins_test' });

export const subscriptionDelivery = (type: 'subscription.created' | 'subscription.updated' | 'subscription.active' | 'subscription.pastDue', subscription: SubscriptionJSON): Delivery =>
  envelope(type, subscription, subscription.updated_at);

/** An item sent on its own: with its payer and its subscription's id (`withPayer: false` as SDK versions once sent it). */
export function itemDelivery(type: string, item: ItemJSON, subscription: SubscriptionJSON, options: { withPayer?: boolean } = {}): Delivery {
  const data = { ...item, subscription_id: subscription.id, payer: options.withPayer === false ? undefined : subscription.payer };
  return envelope(type, data, item.updated_at);
}

/**
 * The organization on Pro since an hour ago, for a month, as Clerk's
 * subscription says after a checkout (the plans stored too): for tests whose
 * subject is not the plan but that need more than Free's seats or posts.
 */
export async function onPro(organizationClerkId: string): Promise<{ subscription: SubscriptionJSON; pro: ItemJSON }> {
  await createDefaultPlans();
  const at = Date.now() - 3_600_000;
  const pro = newItem(PRO_PLAN, 'active', at, { periodEnd: at + MONTH });
  const subscription = newSubscription({ organizationId: organizationClerkId }, [itemAt(newItem(FREE_ORG_PLAN, 'ended', at - 3_600_000), 'ended', at), pro], at);
  await syncSubscriptionFromClerk(subscription);
  return { subscription, pro };
}
