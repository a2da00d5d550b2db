/**
 * The fields of Clerk Billing's JSON that the sync reads: subscriptions (one
 * per payer, an organization or a user), their items (a plan over a period,
 * with a status) and plans (with the features they grant). Nothing about
 * payment: no amounts, no payment sources, no payer's name or address (zod
 * drops them, so the ledger never keeps them either; docs/decisions/023).
 *
 * Billing's shapes still move (the SDK renamed `past_due` in event names to
 * `pastDue`, and once lacked `payer` on item events): a status we do not
 * know is kept as Clerk sent it, grants nothing, and is logged
 * (`unknownBillingStatuses`); a missing payer is taken from the
 * subscription.
 */
import type { BillingSubscriptionItemWebhookEvent, BillingSubscriptionWebhookEvent } from '@clerk/backend/webhooks';
import { z } from 'zod';
import { clerkIdSchema, storableText } from './clerk-user-data';

/** Clerk's statuses of subscriptions and their items, as the contract lists them. */
export const BILLING_STATUSES = ['active', 'canceled', 'ended', 'past_due', 'upcoming', 'incomplete', 'abandoned', 'expired'] as const;

/** Any short status word; `pastDue` (as event names spell it) is Clerk's `past_due`. */
const statusSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z_]{0,39}$/, { error: 'is not a status' })
  .transform((status) => (status === 'pastDue' ? 'past_due' : status));

const millis = z.number().finite();

/** An empty string is how Clerk's payer says "not this kind". */
const optionalClerkId = z
  .union([clerkIdSchema, z.literal('')])
  .nullish()
  .transform((id) => id || null);

const payerSchema = z.object({
  id: clerkIdSchema.optional(),
  user_id: optionalClerkId,
  organization_id: optionalClerkId,
});

export const clerkSubscriptionItemDataSchema = z.object({
  id: clerkIdSchema,
  status: statusSchema,
  is_free_trial: z.boolean().optional(),
  created_at: millis,
  updated_at: millis,
  period_start: millis,
  period_end: millis.nullable(),
  plan_id: clerkIdSchema.nullish(),
  plan: z.object({ id: clerkIdSchema, slug: storableText(128), name: storableText(256) }).nullish(),
  /** Set on an item sent on its own; null or absent inside its subscription. */
  payer: payerSchema.nullish(),
  subscription_id: clerkIdSchema.nullish(),
});

export type ClerkSubscriptionItemData = z.infer<typeof clerkSubscriptionItemDataSchema>;

export const clerkSubscriptionDataSchema = z.object({
  id: clerkIdSchema,
  status: statusSchema,
  created_at: millis,
  updated_at: millis,
  past_due_at: millis.nullish(),
  payer_id: clerkIdSchema,
  payer: payerSchema,
  items: z.array(clerkSubscriptionItemDataSchema).max(200),
});

export type ClerkSubscriptionData = z.infer<typeof clerkSubscriptionDataSchema>;

export const clerkPlanDataSchema = z.object({
  id: clerkIdSchema,
  slug: storableText(128),
  name: storableText(256),
  for_payer_type: z.enum(['org', 'user']),
  is_default: z.boolean(),
  features: z.array(z.object({ slug: storableText(128) })).max(500),
});

export type ClerkPlanData = z.infer<typeof clerkPlanDataSchema>;

/** The payer's Clerk ids: an organization's, or else a user's. */
export interface PayerFields {
  organizationClerkId: string | null;
  userClerkId: string | null;
}

export interface SubscriptionItemFields extends PayerFields {
  clerkId: string;
  subscriptionClerkId: string | null;
  planClerkId: string | null;
  planSlug: string | null;
  planName: string | null;
  status: string;
  isFreeTrial: boolean;
  periodStart: Date;
  periodEnd: Date | null;
  created: Date;
  version: Date;
}

export interface SubscriptionFields extends PayerFields {
  clerkId: string;
  payerClerkId: string;
  status: string;
  pastDueAt: Date | null;
  created: Date;
  version: Date;
  items: SubscriptionItemFields[];
}

export const payerFields = (payer: { user_id: string | null; organization_id: string | null } | null | undefined): PayerFields => ({
  organizationClerkId: payer?.organization_id ?? null,
  userClerkId: payer?.organization_id ? null : (payer?.user_id ?? null),
});

export const subscriptionItemFields = (item: ClerkSubscriptionItemData): SubscriptionItemFields => ({
  clerkId: item.id,
  subscriptionClerkId: item.subscription_id ?? null,
  ...payerFields(item.payer),
  planClerkId: item.plan?.id ?? item.plan_id ?? null,
  planSlug: item.plan?.slug.trim() ?? null,
  planName: item.plan?.name.trim() ?? null,
  status: item.status,
  isFreeTrial: item.is_free_trial ?? false,
  periodStart: new Date(item.period_start),
  periodEnd: item.period_end === null ? null : new Date(item.period_end),
  created: new Date(item.created_at),
  version: new Date(item.updated_at),
});

export const subscriptionFields = (subscription: ClerkSubscriptionData): SubscriptionFields => ({
  clerkId: subscription.id,
  payerClerkId: subscription.payer_id,
  ...payerFields(subscription.payer),
  status: subscription.status,
  pastDueAt: subscription.past_due_at == null ? null : new Date(subscription.past_due_at),
  created: new Date(subscription.created_at),
  version: new Date(subscription.updated_at),
  items: subscription.items.map((item) => ({ ...subscriptionItemFields(item), subscriptionClerkId: subscription.id })),
});

/** The statuses a subscription or its items carry that this code does not know (they grant nothing). */
export function unknownBillingStatuses(data: { status: string; items?: { status: string }[] }): string[] {
  const statuses = [data.status, ...(data.items ?? []).map((item) => item.status)];
  return [...new Set(statuses.filter((status) => !(BILLING_STATUSES as readonly string[]).includes(status)))];
}

// Clerk's webhook JSON (the SDK's types) must carry what the sync reads; the
// SDK's item type lacks `created_at`/`updated_at`, which the contract requires,
// so those two are checked against the contract (tests) rather than the types.
type SdkSubscription = BillingSubscriptionWebhookEvent['data'];
type SdkItem = BillingSubscriptionItemWebhookEvent['data'];
export type SubscriptionJSONFits = Pick<SdkSubscription, 'id' | 'payer_id' | 'created_at' | 'updated_at'> extends Pick<ClerkSubscriptionData, 'id' | 'payer_id' | 'created_at' | 'updated_at'> ? true : never;
export type ItemJSONFits = Pick<SdkItem, 'id' | 'period_start' | 'period_end'> extends Pick<ClerkSubscriptionItemData, 'id' | 'period_start' | 'period_end'> ? true : never;
const _subscriptionFits: SubscriptionJSONFits = true;
const _itemFits: ItemJSONFits = true;
void _subscriptionFits;
void _itemFits;
