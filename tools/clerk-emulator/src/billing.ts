/**
 * Clerk Billing as an instance keeps it: the plan catalogue (an instance
 * setting, as the dashboard's "Plans" page), every payer's one subscription
 * and its items (one item per plan period: the default free plan's, paid
 * ones), payment attempts and the statements they are grouped in.
 *
 * A payer (an organization or a user) gets its subscription, on the default
 * plan, the first time it matters: a checkout, or a Backend API read of its
 * subscription (`subscription.created`). Tokens read a payer's plan without
 * making one (no event), so instances that never bill send no billing event.
 *
 * Time is the store's clock: `runDue()` plays every transition that has come
 * due (a free trial's warning and end, renewals, the end of a canceled
 * period) in time order, each at its own time, with its events. Payments are
 * fake (a test card the emulator holds for every payer); the control API
 * makes the next one fail (`failNext`) and settles a past-due payer (`pay`).
 *
 * Events as Clerk sends them (docs/clerk-emulator.md, Billing): an item's own
 * events carry its `payer` and `subscription_id`; a subscription's items carry
 * neither (`subscription_id: null`). Each change to items ends with one event
 * of the subscription: `subscription.pastDue` when it fell past due,
 * `subscription.active` when it came back, `subscription.updated` otherwise.
 */
import { createHash } from 'node:crypto';
import type {
  EventPayer,
  EventPaymentAttempt,
  EventSubscription,
  EventSubscriptionItem,
  Feature,
  LegacySubscriptionItem,
  Money,
  Payer,
  PaymentAttempt,
  Plan,
  Statement,
  Subscription,
  SubscriptionItem,
} from './contract/schemas';
import { ApiError, formError, notFound } from './errors';
import { clerkId } from './ids';

export type PayerType = 'org' | 'user';
export type PlanPeriod = 'month' | 'annual';
export type ItemStatus = SubscriptionItem['status'];

/** A plan as the instance settings describe it (`billing.plans`). Fees in cents. */
export interface PlanConfig {
  slug: string;
  name: string;
  payerType: PayerType;
  isDefault?: boolean;
  monthlyFee: number;
  annualFee: number;
  description?: string | null;
  /** Feature slugs; a feature's name is its slug unless `featureNames` names it. */
  features: string[];
  freeTrialDays?: number | null;
}

/** The Billing instance settings: the catalogue, and free trials by plan slug on top of it (`{ pro: 14 }`). */
export interface BillingSettings {
  plans?: PlanConfig[];
  freeTrialDays?: Record<string, number | null>;
}

export const DEFAULT_PLANS: PlanConfig[] = [
  { slug: 'free_org', name: 'Free', payerType: 'org', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
  { slug: 'pro', name: 'Pro', payerType: 'org', monthlyFee: 2000, annualFee: 20000, description: 'Unlimited members and posts, and long posts.', features: ['unlimited_members', 'unlimited_posts', 'long_posts'], freeTrialDays: null },
  { slug: 'free_user', name: 'Free', payerType: 'user', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
];

const DAY_MS = 24 * 3600 * 1000;
/** Clerk warns of a free trial's end this long before it (`subscriptionItem.freeTrialEnding`). */
export const TRIAL_ENDING_NOTICE_MS = 3 * DAY_MS;
const MAX_TRIAL_EXTENSION_MS = 365 * DAY_MS;
/** The most transitions one clock advance plays (ten years of monthly renewals for a few hundred payers). */
const MAX_TRANSITIONS = 50_000;

/** The permission a member needs to change the organization's plan. */
export const MANAGE_BILLING = 'org:sys_billing:manage';
export const READ_BILLING = 'org:sys_billing:read';

/** Ids that stay the same from run to run: a hash of what they name, in Clerk's 27 base62 characters. */
function stableId(prefix: string, name: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = createHash('sha256').update(`${prefix}:${name}`).digest();
  let out = '';
  for (let i = 0; i < 27; i++) out += alphabet[bytes[i]! % alphabet.length];
  return `${prefix}_${out}`;
}

export const planId = (slug: string) => stableId('cplan', slug);
export const featureId = (slug: string) => stableId('feat', slug);

export function money(cents: number): Money {
  return { amount: cents, amount_formatted: (cents / 100).toFixed(2), currency: 'USD', currency_symbol: '$' };
}

/** The end of a period that starts at `start`: a calendar month or year later (UTC), as a card is billed. */
export function periodEnd(start: number, period: PlanPeriod): number {
  const date = new Date(start);
  if (period === 'annual') date.setUTCFullYear(date.getUTCFullYear() + 1);
  else date.setUTCMonth(date.getUTCMonth() + 1);
  return date.getTime();
}

export interface PayerRecord {
  id: string;
  type: PayerType;
  /** The organization or user. */
  ownerId: string;
  /** Its public details, as last seen (kept for the events after its deletion). */
  details: PayerDetails;
  trialUsed: boolean;
  failNext: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface PayerDetails {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  organizationName: string | null;
  imageUrl: string;
}

export interface SubscriptionRecord {
  id: string;
  payerId: string;
  status: Subscription['status'];
  itemIds: string[];
  activeAt: number | null;
  pastDueAt: number | null;
  canceledAt: number | null;
  endedAt: number | null;
  latestPaymentId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ItemRecord {
  id: string;
  subscriptionId: string;
  payerId: string;
  planSlug: string;
  period: PlanPeriod;
  status: ItemStatus;
  isFreeTrial: boolean;
  trialEndingSent: boolean;
  periodStart: number;
  periodEnd: number | null;
  canceledAt: number | null;
  pastDueAt: number | null;
  endedAt: number | null;
  lifetimePaid: number;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  id: string;
  paymentId: string;
  statementId: string;
  payerId: string;
  itemIds: string[];
  amount: number;
  chargeType: 'checkout' | 'recurring';
  status: 'pending' | 'paid' | 'failed';
  billingDate: number;
  paidAt: number | null;
  failedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface StatementRecord {
  id: string;
  payerId: string;
  /** Its month, `2026-12`: a payer's attempts are grouped by the month they bill. */
  month: string;
  timestamp: number;
  attemptIds: string[];
}

export type BillingEvent =
  | { type: 'subscription.created' | 'subscription.updated' | 'subscription.active' | 'subscription.pastDue'; subscription: EventSubscription; at: number }
  | {
      type:
        | 'subscriptionItem.updated'
        | 'subscriptionItem.active'
        | 'subscriptionItem.canceled'
        | 'subscriptionItem.upcoming'
        | 'subscriptionItem.ended'
        | 'subscriptionItem.abandoned'
        | 'subscriptionItem.incomplete'
        | 'subscriptionItem.pastDue'
        | 'subscriptionItem.freeTrialEnding';
      item: EventSubscriptionItem;
      at: number;
    }
  | { type: 'paymentAttempt.created' | 'paymentAttempt.updated'; paymentAttempt: EventPaymentAttempt; at: number };

type ItemEventType = Extract<BillingEvent, { item: EventSubscriptionItem }>['type'];

export interface BillingSnapshot {
  payers: PayerRecord[];
  subscriptions: SubscriptionRecord[];
  items: ItemRecord[];
  attempts: AttemptRecord[];
  statements: StatementRecord[];
}

export interface BillingHost {
  now(): number;
  emit(event: BillingEvent): void;
  changed(): void;
  /** The organization's or user's public details now; undefined once it is gone. */
  payerDetails(type: PayerType, ownerId: string): PayerDetails | undefined;
}

/** Statuses of an item that still counts: it is, or will be, the payer's plan. */
const LIVE: readonly ItemStatus[] = ['active', 'canceled', 'past_due', 'upcoming', 'incomplete'];

const refused = (code: string, message: string, long: string) => new ApiError(400, [{ code, message, long_message: long }]);

/** The fake card every payer holds: no card data, no payment network. */
const PAYMENT_SOURCE = { gateway: 'clerk-emulator', last4: '4242', cardType: 'visa' };

export class Billing {
  /** The instance id the objects carry (server.ts sets it). */
  instanceId = 'ins_emulator';
  private plans: PlanConfig[] = DEFAULT_PLANS;
  private payers = new Map<string, PayerRecord>();
  /** Organization or user id → payer id. */
  private payerOf = new Map<string, string>();
  private subscriptions = new Map<string, SubscriptionRecord>();
  private items = new Map<string, ItemRecord>();
  private attempts = new Map<string, AttemptRecord>();
  private statements = new Map<string, StatementRecord>();

  constructor(private readonly host: BillingHost) {}

  // Catalogue ---------------------------------------------------------------

  configure(settings: BillingSettings | undefined): void {
    const plans = (settings?.plans ?? DEFAULT_PLANS).map((plan) => ({ ...plan }));
    for (const [slug, days] of Object.entries(settings?.freeTrialDays ?? {})) {
      const plan = plans.find((candidate) => candidate.slug === slug);
      if (plan) plan.freeTrialDays = days;
    }
    this.plans = plans;
  }

  listPlans(payerType?: PayerType): PlanConfig[] {
    return this.plans.filter((plan) => !payerType || plan.payerType === payerType);
  }

  /** By slug or id, of this payer type when given. */
  findPlan(slugOrId: string, payerType?: PayerType): PlanConfig | undefined {
    return this.plans.find((plan) => (plan.slug === slugOrId || planId(plan.slug) === slugOrId) && (!payerType || plan.payerType === payerType));
  }

  defaultPlan(payerType: PayerType): PlanConfig {
    const plan = this.plans.find((candidate) => candidate.payerType === payerType && candidate.isDefault);
    if (!plan) throw new Error(`The billing catalogue has no default plan for ${payerType} payers.`);
    return plan;
  }

  private planBySlug(slug: string): PlanConfig | undefined {
    return this.plans.find((plan) => plan.slug === slug);
  }

  private feeOf(plan: PlanConfig | undefined, period: PlanPeriod): number {
    if (!plan) return 0;
    return period === 'annual' ? plan.annualFee : plan.monthlyFee;
  }

  planJSON(plan: PlanConfig): Plan {
    const trialDays = plan.freeTrialDays ?? null;
    return {
      object: 'commerce_plan',
      id: planId(plan.slug),
      name: plan.name,
      fee: money(plan.monthlyFee),
      annual_monthly_fee: money(Math.round(plan.annualFee / 12)),
      annual_fee: money(plan.annualFee),
      description: plan.description ?? null,
      product_id: stableId('prod', plan.payerType),
      is_default: plan.isDefault === true,
      is_recurring: plan.monthlyFee > 0 || plan.annualFee > 0,
      publicly_visible: true,
      has_base_fee: plan.monthlyFee > 0 || plan.annualFee > 0,
      for_payer_type: plan.payerType,
      slug: plan.slug,
      avatar_url: null,
      features: plan.features.map((slug) => featureJSON(slug)),
      free_trial_enabled: trialDays !== null && trialDays > 0,
      free_trial_days: trialDays,
    };
  }

  // Payers ------------------------------------------------------------------

  /** The payer record of an organization or user (made on first need; no event: Clerk has none for payers). */
  payerFor(type: PayerType, ownerId: string): PayerRecord {
    const known = this.payerOf.get(ownerId);
    if (known) return this.payers.get(known)!;
    const details = this.host.payerDetails(type, ownerId);
    if (!details) throw notFound();
    const at = this.host.now();
    const payer: PayerRecord = { id: clerkId('cpayer'), type, ownerId, details, trialUsed: false, failNext: false, createdAt: at, updatedAt: at };
    this.payers.set(payer.id, payer);
    this.payerOf.set(ownerId, payer.id);
    this.host.changed();
    return payer;
  }

  findPayer(payerIdOrOwnerId: string): PayerRecord | undefined {
    return this.payers.get(payerIdOrOwnerId) ?? this.payers.get(this.payerOf.get(payerIdOrOwnerId) ?? '');
  }

  private detailsOf(payer: PayerRecord): PayerDetails {
    const current = this.host.payerDetails(payer.type, payer.ownerId);
    if (current) payer.details = current;
    return payer.details;
  }

  payerJSON(payer: PayerRecord): Payer {
    const details = this.detailsOf(payer);
    const user = payer.type === 'user';
    return {
      object: 'commerce_payer',
      id: payer.id,
      instance_id: this.instanceId,
      user_id: user ? payer.ownerId : null,
      first_name: user ? details.firstName : null,
      last_name: user ? details.lastName : null,
      email: details.email,
      organization_id: user ? null : payer.ownerId,
      organization_name: user ? null : details.organizationName,
      image_url: details.imageUrl,
      created_at: payer.createdAt,
      updated_at: payer.updatedAt,
    };
  }

  private eventPayerJSON(payer: PayerRecord): EventPayer {
    const details = this.detailsOf(payer);
    const user = payer.type === 'user';
    return {
      object: 'commerce_payer',
      id: payer.id,
      user_id: user ? payer.ownerId : '',
      first_name: user ? (details.firstName ?? '') : '',
      last_name: user ? (details.lastName ?? '') : '',
      email: details.email ?? '',
      organization_id: user ? '' : payer.ownerId,
      organization_name: user ? '' : (details.organizationName ?? ''),
      image_url: details.imageUrl,
      created_at: payer.createdAt,
      updated_at: payer.updatedAt,
    };
  }

  /** The next payment attempt of this payer fails (once). */
  failNextPayment(payer: PayerRecord): void {
    payer.failNext = true;
    this.host.changed();
  }

  // Reading -----------------------------------------------------------------

  subscriptionOfPayer(payer: PayerRecord): SubscriptionRecord | undefined {
    return [...this.subscriptions.values()].find((subscription) => subscription.payerId === payer.id);
  }

  /** The payer's subscription, made on the default plan if it has none yet (`subscription.created`). */
  ensureSubscription(type: PayerType, ownerId: string): SubscriptionRecord {
    this.runDue();
    const payer = this.payerFor(type, ownerId);
    const existing = this.subscriptionOfPayer(payer);
    if (existing) return existing;
    const at = this.host.now();
    const subscription: SubscriptionRecord = {
      id: clerkId('csub'),
      payerId: payer.id,
      status: 'active',
      itemIds: [],
      activeAt: at,
      pastDueAt: null,
      canceledAt: null,
      endedAt: null,
      latestPaymentId: null,
      createdAt: at,
      updatedAt: at,
    };
    this.subscriptions.set(subscription.id, subscription);
    this.addItem(subscription, this.defaultPlan(type).slug, 'month', 'active', at, null);
    this.host.emit({ type: 'subscription.created', subscription: this.eventSubscriptionJSON(subscription), at });
    this.host.changed();
    return subscription;
  }

  itemsOf(subscription: SubscriptionRecord): ItemRecord[] {
    return subscription.itemIds.map((id) => this.items.get(id)!);
  }

  listItems(): ItemRecord[] {
    this.runDue();
    return [...this.items.values()];
  }

  getItem(id: string): ItemRecord {
    const item = this.items.get(id);
    if (!item) throw notFound();
    return item;
  }

  payerOfItem(item: ItemRecord): PayerRecord {
    return this.payers.get(item.payerId)!;
  }

  allSubscriptions(): SubscriptionRecord[] {
    this.runDue();
    return [...this.subscriptions.values()];
  }

  listStatements(): StatementRecord[] {
    this.runDue();
    return [...this.statements.values()];
  }

  getStatement(id: string): StatementRecord {
    this.runDue();
    const statement = this.statements.get(id);
    if (!statement) throw notFound();
    return statement;
  }

  attemptsOf(statement: StatementRecord): AttemptRecord[] {
    return statement.attemptIds.map((id) => this.attempts.get(id)!);
  }

  isDefaultItem(item: ItemRecord): boolean {
    return this.planBySlug(item.planSlug)?.isDefault === true;
  }

  /**
   * The plan a token names for this payer: its paid plan while that is active
   * or canceled but not yet over, else the default one. Past due is no plan
   * (payment is owed; assumed, docs/clerk-emulator.md). Makes nothing.
   */
  currentPlan(type: PayerType, ownerId: string): PlanConfig | undefined {
    const payerId = this.payerOf.get(ownerId);
    const subscription = payerId ? [...this.subscriptions.values()].find((candidate) => candidate.payerId === payerId) : undefined;
    if (!subscription) return this.plans.find((plan) => plan.payerType === type && plan.isDefault);
    const items = this.itemsOf(subscription);
    if (items.some((item) => item.status === 'past_due')) return undefined;
    const current = items.find((item) => item.status === 'active' || item.status === 'canceled');
    return current ? this.planBySlug(current.planSlug) : undefined;
  }

  // JSON --------------------------------------------------------------------

  itemJSON(item: ItemRecord): SubscriptionItem {
    const plan = this.planBySlug(item.planSlug);
    const renews = item.status === 'active' && item.periodEnd !== null && plan !== undefined && !plan.isDefault;
    return {
      object: 'commerce_subscription_item',
      id: item.id,
      instance_id: this.instanceId,
      status: item.status,
      plan_id: planId(item.planSlug),
      plan: plan ? this.planJSON(plan) : null,
      plan_period: item.period,
      lifetime_paid: money(item.lifetimePaid),
      next_payment: renews ? { amount: money(this.feeOf(plan, item.period)), date: item.periodEnd } : null,
      payer_id: item.payerId,
      payer: this.payerJSON(this.payerOfItem(item)),
      is_free_trial: item.isFreeTrial,
      period_start: item.periodStart,
      period_end: item.periodEnd,
      canceled_at: item.canceledAt,
      past_due_at: item.pastDueAt,
      ended_at: item.endedAt,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
    };
  }

  /** The other shape the spec gives `extend_free_trial`'s answer (schemas.ts, legacySubscriptionItem). */
  legacyItemJSON(item: ItemRecord): LegacySubscriptionItem {
    const plan = this.planBySlug(item.planSlug);
    const json = this.planJSON(plan ?? this.defaultPlan(this.payerOfItem(item).type));
    const { features, avatar_url: _avatar, description, ...planFields } = json;
    const status = item.status === 'canceled' || item.status === 'expired' ? 'active' : item.status;
    return {
      object: 'commerce_subscription_item',
      id: item.id,
      instance_id: this.instanceId,
      status,
      plan_id: planId(item.planSlug),
      plan: {
        ...planFields,
        amount: json.fee?.amount ?? 0,
        amount_formatted: json.fee?.amount_formatted ?? '0.00',
        annual_monthly_amount: json.annual_monthly_fee?.amount ?? 0,
        annual_monthly_amount_formatted: json.annual_monthly_fee?.amount_formatted ?? '0.00',
        annual_amount: json.annual_fee?.amount ?? 0,
        annual_amount_formatted: json.annual_fee?.amount_formatted ?? '0.00',
        currency_symbol: '$',
        currency: 'USD',
        description: description ?? '',
        payer_type: [json.for_payer_type],
        avatar_url: '',
        features: (features ?? []).map((feature) => ({ ...feature, description: feature.description ?? '', avatar_url: '' })),
      },
      plan_period: item.period,
      payment_source_id: paymentSourceId(item.payerId),
      lifetime_paid: money(item.lifetimePaid),
      payer_id: item.payerId,
      is_free_trial: item.isFreeTrial,
      period_start: item.periodStart,
      period_end: item.periodEnd,
      proration_date: new Date(item.periodStart).toISOString().slice(0, 10),
      canceled_at: item.canceledAt,
      past_due_at: item.pastDueAt,
      ended_at: item.endedAt,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
    };
  }

  subscriptionJSON(subscription: SubscriptionRecord): Subscription {
    const items = this.itemsOf(subscription);
    const next = items.find((item) => item.status === 'active' && item.periodEnd !== null && !this.isDefaultItem(item));
    return {
      object: 'commerce_subscription',
      id: subscription.id,
      instance_id: this.instanceId,
      status: subscription.status,
      payer_id: subscription.payerId,
      created_at: subscription.createdAt,
      updated_at: subscription.updatedAt,
      active_at: subscription.activeAt,
      past_due_at: subscription.pastDueAt,
      subscription_items: items.map((item) => this.itemJSON(item)),
      ...(next ? { next_payment: { date: next.periodEnd!, amount: money(this.feeOf(this.planBySlug(next.planSlug), next.period)) } } : {}),
      eligible_for_free_trial: !this.payers.get(subscription.payerId)!.trialUsed,
    };
  }

  private eventPlanJSON(item: ItemRecord) {
    const plan = this.planBySlug(item.planSlug);
    return plan ? { id: planId(plan.slug), slug: plan.slug, name: plan.name, is_recurring: plan.monthlyFee > 0 || plan.annualFee > 0, amount: this.feeOf(plan, item.period), currency: 'USD' } : null;
  }

  /** An item as its own events carry it (`standalone`: with payer and subscription id) or inside a subscription's. */
  private eventItemJSON(item: ItemRecord, standalone: boolean): EventSubscriptionItem {
    return {
      object: 'commerce_subscription_item',
      id: item.id,
      status: item.status,
      is_free_trial: item.isFreeTrial,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
      period_start: item.periodStart,
      period_end: item.periodEnd,
      interval: item.period,
      plan_id: planId(item.planSlug),
      plan: this.eventPlanJSON(item),
      ...(standalone ? { payer: this.eventPayerJSON(this.payerOfItem(item)) } : {}),
      subscription_id: standalone ? item.subscriptionId : null,
    };
  }

  private eventSubscriptionJSON(subscription: SubscriptionRecord): EventSubscription {
    const payer = this.payers.get(subscription.payerId)!;
    const paid = [...this.attempts.values()].some((attempt) => attempt.payerId === payer.id);
    return {
      object: 'commerce_subscription',
      id: subscription.id,
      status: subscription.status,
      active_at: subscription.activeAt,
      canceled_at: subscription.canceledAt,
      created_at: subscription.createdAt,
      ended_at: subscription.endedAt,
      past_due_at: subscription.pastDueAt,
      updated_at: subscription.updatedAt,
      latest_payment_id: subscription.latestPaymentId,
      payer_id: payer.id,
      payer: this.eventPayerJSON(payer),
      payment_source_id: paid ? paymentSourceId(payer.id) : null,
      items: this.itemsOf(subscription).map((item) => this.eventItemJSON(item, false)),
    };
  }

  attemptJSON(attempt: AttemptRecord): PaymentAttempt {
    const payer = this.payers.get(attempt.payerId)!;
    return {
      object: 'commerce_payment',
      id: attempt.id,
      payment_id: attempt.paymentId,
      instance_id: this.instanceId,
      charge_type: attempt.chargeType,
      payee_id: PAYEE.id,
      payee: { ...PAYEE },
      payer_id: payer.id,
      payer: this.payerJSON(payer),
      ...(attempt.itemIds[0] ? { subscription_item_id: attempt.itemIds[0] } : {}),
      amount: money(attempt.amount),
      payment_method_id: paymentSourceId(payer.id),
      payment_method: {
        object: 'commerce_payment_method',
        id: paymentSourceId(payer.id),
        payer_id: payer.id,
        payment_type: 'card',
        is_default: true,
        gateway: PAYMENT_SOURCE.gateway,
        gateway_external_id: `pm_emulator_${payer.id.slice(-8)}`,
        gateway_external_account_id: null,
        last4: PAYMENT_SOURCE.last4,
        status: 'active',
        card_type: PAYMENT_SOURCE.cardType,
        created_at: payer.createdAt,
        updated_at: payer.createdAt,
      },
      statement_id: attempt.statementId,
      gateway_external_id: `pi_emulator_${attempt.id.slice(-12)}`,
      gateway_external_url: null,
      status: attempt.status,
      paid_at: attempt.paidAt,
      failed_at: attempt.failedAt,
      created_at: attempt.createdAt,
      updated_at: attempt.updatedAt,
    };
  }

  private eventAttemptJSON(attempt: AttemptRecord): EventPaymentAttempt {
    const payer = this.payers.get(attempt.payerId)!;
    const amount = money(attempt.amount);
    return {
      id: attempt.id,
      instance_id: this.instanceId,
      payment_id: attempt.paymentId,
      invoice_id: attempt.statementId,
      statement_id: attempt.statementId,
      gateway_external_id: `pi_emulator_${attempt.id.slice(-12)}`,
      status: attempt.status,
      created_at: attempt.createdAt,
      updated_at: attempt.updatedAt,
      paid_at: attempt.paidAt,
      failed_at: attempt.failedAt,
      failed_reason: attempt.status === 'failed' ? { code: 'card_declined', decline_code: 'generic_decline' } : null,
      billing_date: attempt.billingDate,
      charge_type: attempt.chargeType,
      payee: { id: PAYEE.id, gateway_type: PAYEE.gateway_type, gateway_external_id: PAYEE.gateway_external_id, gateway_status: PAYEE.gateway_status },
      payer: this.eventPayerJSON(payer),
      totals: { subtotal: amount, tax_total: money(0), grand_total: amount },
      payment_source: {
        id: paymentSourceId(payer.id),
        gateway: PAYMENT_SOURCE.gateway,
        gateway_external_id: `pm_emulator_${payer.id.slice(-8)}`,
        gateway_external_account_id: null,
        payment_method: 'card',
        status: 'active',
        card_type: PAYMENT_SOURCE.cardType,
        last4: PAYMENT_SOURCE.last4,
      },
      subscription_items: attempt.itemIds.map((id) => {
        const item = this.items.get(id)!;
        return {
          id: item.id,
          object: 'commerce_subscription_item' as const,
          status: item.status,
          created_at: item.createdAt,
          updated_at: item.updatedAt,
          period_start: item.periodStart,
          period_end: item.periodEnd ?? item.periodStart,
          interval: item.period,
          plan_id: planId(item.planSlug),
          plan: this.eventPlanJSON(item),
          subscription_id: item.subscriptionId,
        };
      }),
    };
  }

  statementJSON(statement: StatementRecord): Statement {
    const attempts = this.attemptsOf(statement);
    const paid = attempts.filter((attempt) => attempt.status === 'paid').reduce((sum, attempt) => sum + attempt.amount, 0);
    const byDate = new Map<number, AttemptRecord[]>();
    for (const attempt of attempts) byDate.set(attempt.billingDate, [...(byDate.get(attempt.billingDate) ?? []), attempt]);
    const monthOver = monthStart(statement.month, 1) <= this.host.now();
    return {
      object: 'commerce_statement',
      id: statement.id,
      instance_id: this.instanceId,
      timestamp: statement.timestamp,
      payer: this.payerJSON(this.payers.get(statement.payerId)!),
      status: monthOver ? 'closed' : 'open',
      totals: { grand_total: money(paid), subtotal: money(paid), base_fee: money(paid), tax_total: money(0) },
      groups: [...byDate.entries()].map(([timestamp, group]) => ({ object: 'commerce_statement_group' as const, timestamp, items: group.map((attempt) => this.attemptJSON(attempt)) })),
    };
  }

  // Changes -----------------------------------------------------------------

  /** A change's time for this object: `at`, or just after its previous change. */
  private touch(record: { updatedAt: number }, at: number): number {
    record.updatedAt = Math.max(at, record.updatedAt + 1);
    return record.updatedAt;
  }

  private addItem(subscription: SubscriptionRecord, planSlug: string, period: PlanPeriod, status: ItemStatus, start: number, end: number | null): ItemRecord {
    const item: ItemRecord = {
      id: clerkId('csub_item'),
      subscriptionId: subscription.id,
      payerId: subscription.payerId,
      planSlug,
      period,
      status,
      isFreeTrial: false,
      trialEndingSent: false,
      periodStart: start,
      periodEnd: end,
      canceledAt: null,
      pastDueAt: null,
      endedAt: null,
      lifetimePaid: 0,
      createdAt: Math.min(start, this.host.now()),
      updatedAt: Math.min(start, this.host.now()),
    };
    this.items.set(item.id, item);
    subscription.itemIds.push(item.id);
    return item;
  }

  private itemEvent(type: ItemEventType, item: ItemRecord, at: number): void {
    this.host.emit({ type, item: this.eventItemJSON(item, true), at: Math.max(at, item.updatedAt) });
  }

  private setItem(item: ItemRecord, changes: Partial<ItemRecord>, at: number, event: ItemEventType): void {
    Object.assign(item, changes);
    this.touch(item, at);
    this.itemEvent(event, item, item.updatedAt);
  }

  /** The subscription's status from its items, and its one event for the change just made. */
  private subscriptionChanged(subscription: SubscriptionRecord, at: number): void {
    const items = this.itemsOf(subscription);
    const before = subscription.status;
    const status: Subscription['status'] = items.some((item) => item.status === 'past_due')
      ? 'past_due'
      : items.some((item) => item.status === 'active' || item.status === 'canceled')
        ? 'active'
        : 'ended';
    subscription.status = status;
    if (status === 'past_due' && before !== 'past_due') subscription.pastDueAt = at;
    if (status !== 'past_due') subscription.pastDueAt = null;
    if (status === 'ended') subscription.endedAt ??= at;
    this.touch(subscription, at);
    const type = status === 'past_due' && before !== 'past_due' ? 'subscription.pastDue' : status === 'active' && before === 'past_due' ? 'subscription.active' : 'subscription.updated';
    this.host.emit({ type, subscription: this.eventSubscriptionJSON(subscription), at: subscription.updatedAt });
    this.host.changed();
  }

  private statementFor(payer: PayerRecord, billingDate: number): StatementRecord {
    const month = new Date(billingDate).toISOString().slice(0, 7);
    const found = [...this.statements.values()].find((statement) => statement.payerId === payer.id && statement.month === month);
    if (found) return found;
    const statement: StatementRecord = { id: clerkId('stmt'), payerId: payer.id, month, timestamp: billingDate, attemptIds: [] };
    this.statements.set(statement.id, statement);
    return statement;
  }

  /**
   * Charge the payer's fake card: `paymentAttempt.created` (pending), then
   * `paymentAttempt.updated` (paid, or failed when the control API asked).
   */
  private charge(subscription: SubscriptionRecord, items: ItemRecord[], chargeType: AttemptRecord['chargeType'], amount: number, billingDate: number, at: number, paymentId?: string): AttemptRecord {
    const payer = this.payers.get(subscription.payerId)!;
    const statement = this.statementFor(payer, billingDate);
    const attempt: AttemptRecord = {
      id: clerkId('pa'),
      paymentId: paymentId ?? clerkId('cpa'),
      statementId: statement.id,
      payerId: payer.id,
      itemIds: items.map((item) => item.id),
      amount,
      chargeType,
      status: 'pending',
      billingDate,
      paidAt: null,
      failedAt: null,
      createdAt: at,
      updatedAt: at,
    };
    this.attempts.set(attempt.id, attempt);
    statement.attemptIds.push(attempt.id);
    subscription.latestPaymentId = attempt.paymentId;
    this.host.emit({ type: 'paymentAttempt.created', paymentAttempt: this.eventAttemptJSON(attempt), at });
    const failed = payer.failNext;
    payer.failNext = false;
    const settledAt = this.touch(attempt, at + 1);
    attempt.status = failed ? 'failed' : 'paid';
    if (failed) attempt.failedAt = settledAt;
    else attempt.paidAt = settledAt;
    if (!failed) for (const item of items) item.lifetimePaid += amount;
    this.host.emit({ type: 'paymentAttempt.updated', paymentAttempt: this.eventAttemptJSON(attempt), at: settledAt });
    return attempt;
  }

  /**
   * Subscribe the payer to a paid plan: its free item ends and the paid one
   * starts (after a payment, or on a free trial the payer has not had yet).
   * A canceled item of the same plan still in its period is taken up again
   * instead (the upcoming free item is abandoned). A failed payment leaves the
   * new item `incomplete` and the payer where it was.
   */
  checkout(type: PayerType, ownerId: string, planRef: string, period: PlanPeriod = 'month'): { subscription: SubscriptionRecord; item: ItemRecord; paid: boolean } {
    const plan = this.findPlan(planRef, type);
    if (!plan) throw formError('plan', 'form_param_value_invalid', 'is invalid', `No ${type === 'org' ? 'organization' : 'user'} plan ${planRef}.`);
    if (plan.isDefault) throw refused('checkout_default_plan', 'already on the default plan', `${plan.name} is the default plan: cancel the paid plan to return to it.`);
    const subscription = this.ensureSubscription(type, ownerId);
    const payer = this.payers.get(subscription.payerId)!;
    const items = this.itemsOf(subscription);
    const paid = items.find((item) => (item.status === 'active' || item.status === 'canceled' || item.status === 'past_due') && !this.isDefaultItem(item));
    const at = this.after(subscription);
    if (paid) {
      if (paid.planSlug !== plan.slug || paid.status !== 'canceled') {
        throw refused('checkout_already_subscribed', 'already subscribed', `The payer is on ${this.planBySlug(paid.planSlug)?.name ?? paid.planSlug} (${paid.status}): plan changes other than resubscribing are not emulated.`);
      }
      for (const upcoming of items.filter((item) => item.status === 'upcoming')) this.setItem(upcoming, { status: 'abandoned' }, at, 'subscriptionItem.abandoned');
      this.setItem(paid, { status: 'active', canceledAt: null }, at, 'subscriptionItem.active');
      this.subscriptionChanged(subscription, at);
      return { subscription, item: paid, paid: true };
    }
    const trialDays = plan.freeTrialDays ?? 0;
    const trial = trialDays > 0 && !payer.trialUsed;
    const item = this.addItem(subscription, plan.slug, period, 'incomplete', at, trial ? at + trialDays * DAY_MS : periodEnd(at, period));
    if (trial) {
      item.isFreeTrial = true;
      payer.trialUsed = true;
    } else {
      const attempt = this.charge(subscription, [item], 'checkout', this.feeOf(plan, period), at, at);
      if (attempt.status === 'failed') {
        this.itemEvent('subscriptionItem.incomplete', item, attempt.updatedAt);
        this.subscriptionChanged(subscription, attempt.updatedAt);
        return { subscription, item, paid: false };
      }
    }
    const switchedAt = Math.max(at, item.updatedAt);
    for (const free of items.filter((candidate) => candidate.status === 'active' && this.isDefaultItem(candidate))) {
      this.setItem(free, { status: 'ended', endedAt: switchedAt }, switchedAt, 'subscriptionItem.ended');
    }
    this.setItem(item, { status: 'active' }, switchedAt, 'subscriptionItem.active');
    this.subscriptionChanged(subscription, switchedAt);
    return { subscription, item, paid: true };
  }

  /** Just after the subscription's last change, and not before now. */
  private after(subscription: SubscriptionRecord): number {
    return Math.max(this.host.now(), subscription.updatedAt + 1);
  }

  /**
   * Cancel a paid item: `canceled` until its period ends, with the default
   * plan's item `upcoming` from then; `endNow` (or an item past due, which
   * has no paid period left) ends it at once and the default plan starts now.
   */
  cancel(itemId: string, endNow: boolean): ItemRecord {
    this.runDue();
    const item = this.getItem(itemId);
    const subscription = this.subscriptions.get(item.subscriptionId)!;
    if (this.isDefaultItem(item)) throw refused('subscription_item_not_cancelable', 'cannot cancel the default plan', 'The default plan cannot be canceled: it is what a payer has without a paid plan.');
    if (!['active', 'canceled', 'past_due'].includes(item.status)) throw refused('subscription_item_not_cancelable', 'not cancelable', `This subscription item is ${item.status}.`);
    const at = this.after(subscription);
    const items = this.itemsOf(subscription);
    if (endNow || item.status === 'past_due') {
      this.setItem(item, { status: 'ended', canceledAt: item.canceledAt ?? at, endedAt: at, periodEnd: item.periodEnd === null ? null : Math.min(item.periodEnd, at) }, at, 'subscriptionItem.ended');
      const upcoming = items.find((candidate) => candidate.status === 'upcoming');
      if (upcoming) this.setItem(upcoming, { status: 'active', periodStart: at }, at, 'subscriptionItem.active');
      else this.itemEvent('subscriptionItem.active', this.addItem(subscription, this.defaultPlan(this.payerOfItem(item).type).slug, 'month', 'active', at, null), at);
    } else if (item.status === 'active') {
      this.setItem(item, { status: 'canceled', canceledAt: at }, at, 'subscriptionItem.canceled');
      const upcoming = this.addItem(subscription, this.defaultPlan(this.payerOfItem(item).type).slug, 'month', 'upcoming', item.periodEnd ?? at, null);
      upcoming.createdAt = upcoming.updatedAt = at;
      this.itemEvent('subscriptionItem.upcoming', upcoming, at);
    } else {
      return item;
    }
    this.subscriptionChanged(subscription, at);
    return item;
  }

  /** Settle a past-due payer: a paid attempt for the owed period, which starts anew from now. */
  pay(payer: PayerRecord): SubscriptionRecord {
    this.runDue();
    const subscription = this.subscriptionOfPayer(payer);
    const item = subscription && this.itemsOf(subscription).find((candidate) => candidate.status === 'past_due');
    if (!subscription || !item) throw refused('no_payment_due', 'nothing is past due', 'This payer has no past-due subscription item.');
    const at = this.after(subscription);
    payer.failNext = false;
    const attempt = this.charge(subscription, [item], 'recurring', this.feeOf(this.planBySlug(item.planSlug), item.period), item.periodEnd ?? at, at, this.lastFailedPaymentId(payer));
    const activeAt = attempt.updatedAt;
    this.setItem(item, { status: 'active', pastDueAt: null, isFreeTrial: false, periodStart: activeAt, periodEnd: periodEnd(activeAt, item.period) }, activeAt, 'subscriptionItem.active');
    this.subscriptionChanged(subscription, activeAt);
    return subscription;
  }

  private lastFailedPaymentId(payer: PayerRecord): string | undefined {
    return [...this.attempts.values()].filter((attempt) => attempt.payerId === payer.id && attempt.status === 'failed').at(-1)?.paymentId;
  }

  /** Move a free trial's end (the Backend API's `extend_free_trial`): later than now and its current end, within a year. */
  extendFreeTrial(itemId: string, extendTo: unknown): ItemRecord {
    this.runDue();
    const item = this.getItem(itemId);
    const to = typeof extendTo === 'string' ? Date.parse(extendTo) : Number.NaN;
    if (!Number.isFinite(to)) throw formError('extend_to', 'form_param_format_invalid', 'is invalid', 'extend_to must be an RFC 3339 date-time.');
    if (!item.isFreeTrial || item.status !== 'active') throw refused('subscription_item_not_in_free_trial', 'not in a free trial', `This subscription item is ${item.status}${item.isFreeTrial ? '' : ', not on a free trial'}.`);
    const now = this.host.now();
    if (to <= now || to <= (item.periodEnd ?? 0) || to > now + MAX_TRIAL_EXTENSION_MS) {
      throw formError('extend_to', 'form_param_value_invalid', 'is invalid', 'extend_to must be in the future, after the trial’s current end, and at most 365 days from now.');
    }
    const subscription = this.subscriptions.get(item.subscriptionId)!;
    const at = this.after(subscription);
    this.setItem(item, { periodEnd: to, trialEndingSent: to - TRIAL_ENDING_NOTICE_MS <= now ? item.trialEndingSent : false }, at, 'subscriptionItem.updated');
    this.subscriptionChanged(subscription, at);
    return item;
  }

  /** An organization or user deleted: its live items end (an upcoming one is abandoned), then its subscription. */
  endPayer(ownerId: string): void {
    this.runDue();
    const payerId = this.payerOf.get(ownerId);
    const payer = payerId ? this.payers.get(payerId) : undefined;
    const subscription = payer && this.subscriptionOfPayer(payer);
    if (!payer || !subscription) return;
    this.detailsOf(payer);
    const at = this.after(subscription);
    for (const item of this.itemsOf(subscription)) {
      if (!LIVE.includes(item.status)) continue;
      if (item.status === 'upcoming' || item.status === 'incomplete') this.setItem(item, { status: 'abandoned' }, at, 'subscriptionItem.abandoned');
      else this.setItem(item, { status: 'ended', endedAt: at }, at, 'subscriptionItem.ended');
    }
    subscription.endedAt = at;
    this.subscriptionChanged(subscription, at);
    payer.failNext = false;
    this.payerOf.delete(ownerId);
  }

  // The clock ---------------------------------------------------------------

  /** The earliest transition due by `now`: a trial's warning, a renewal (or a trial's first payment), a canceled period's end. */
  private nextDue(now: number): { at: number; item: ItemRecord; kind: 'trialEnding' | 'renew' | 'end' } | undefined {
    let next: { at: number; item: ItemRecord; kind: 'trialEnding' | 'renew' | 'end' } | undefined;
    const consider = (at: number, item: ItemRecord, kind: 'trialEnding' | 'renew' | 'end') => {
      if (at <= now && (!next || at < next.at)) next = { at, item, kind };
    };
    for (const item of this.items.values()) {
      if (item.periodEnd === null || this.isDefaultItem(item)) continue;
      if (item.status === 'active') {
        if (item.isFreeTrial && !item.trialEndingSent) consider(Math.max(item.periodStart, item.periodEnd - TRIAL_ENDING_NOTICE_MS), item, 'trialEnding');
        consider(item.periodEnd, item, 'renew');
      } else if (item.status === 'canceled') {
        consider(item.periodEnd, item, 'end');
      }
    }
    return next;
  }

  /** Play every transition that has come due, oldest first, each at its own time. */
  runDue(): void {
    const now = this.host.now();
    for (let i = 0; i < MAX_TRANSITIONS; i++) {
      const due = this.nextDue(now);
      if (!due) return;
      const { item, at } = due;
      const subscription = this.subscriptions.get(item.subscriptionId)!;
      const when = Math.max(at, subscription.updatedAt + 1);
      if (due.kind === 'trialEnding') {
        item.trialEndingSent = true;
        this.touch(item, when);
        this.itemEvent('subscriptionItem.freeTrialEnding', item, item.updatedAt);
        this.host.changed();
      } else if (due.kind === 'renew') {
        this.renew(subscription, item, when);
      } else {
        this.setItem(item, { status: 'ended', endedAt: item.periodEnd }, when, 'subscriptionItem.ended');
        const upcoming = this.itemsOf(subscription).find((candidate) => candidate.status === 'upcoming');
        if (upcoming) this.setItem(upcoming, { status: 'active' }, when, 'subscriptionItem.active');
        this.subscriptionChanged(subscription, when);
      }
    }
  }

  /** A period's end: its payment; paid, the next period (a trial becomes a paid period); failed, past due. */
  private renew(subscription: SubscriptionRecord, item: ItemRecord, at: number): void {
    const end = item.periodEnd!;
    const attempt = this.charge(subscription, [item], 'recurring', this.feeOf(this.planBySlug(item.planSlug), item.period), end, at);
    const settled = attempt.updatedAt;
    if (attempt.status === 'paid') {
      this.setItem(item, { isFreeTrial: false, periodStart: end, periodEnd: periodEnd(end, item.period) }, settled, 'subscriptionItem.updated');
    } else {
      this.setItem(item, { status: 'past_due', pastDueAt: settled }, settled, 'subscriptionItem.pastDue');
    }
    this.subscriptionChanged(subscription, settled);
  }

  // State -------------------------------------------------------------------

  snapshot(): BillingSnapshot {
    return {
      payers: [...this.payers.values()],
      subscriptions: [...this.subscriptions.values()],
      items: [...this.items.values()],
      attempts: [...this.attempts.values()],
      statements: [...this.statements.values()],
    };
  }

  restore(snapshot: BillingSnapshot): void {
    this.reset();
    for (const payer of snapshot.payers) {
      this.payers.set(payer.id, payer);
      if (!this.subscriptionEnded(snapshot, payer.id)) this.payerOf.set(payer.ownerId, payer.id);
    }
    for (const subscription of snapshot.subscriptions) this.subscriptions.set(subscription.id, subscription);
    for (const item of snapshot.items) this.items.set(item.id, item);
    for (const attempt of snapshot.attempts) this.attempts.set(attempt.id, attempt);
    for (const statement of snapshot.statements) this.statements.set(statement.id, statement);
  }

  private subscriptionEnded(snapshot: BillingSnapshot, payerId: string): boolean {
    return snapshot.subscriptions.some((subscription) => subscription.payerId === payerId && subscription.endedAt !== null && subscription.status === 'ended');
  }

  reset(): void {
    this.payers.clear();
    this.payerOf.clear();
    this.subscriptions.clear();
    this.items.clear();
    this.attempts.clear();
    this.statements.clear();
  }
}

const PAYEE = { id: stableId('cpayee', 'emulator'), gateway_type: 'clerk-emulator', gateway_external_id: 'acct_emulator', gateway_status: 'active' };

const paymentSourceId = (payerId: string) => stableId('cps', payerId);

function featureJSON(slug: string): Feature {
  return { object: 'feature', id: featureId(slug), name: slug.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()), description: null, slug, avatar_url: null };
}

/** The first instant of `month` (`2026-12`), or of a month `offset` later. */
function monthStart(month: string, offset = 0): number {
  const [year, number] = month.split('-').map(Number);
  return Date.UTC(year!, number! - 1 + offset, 1);
}
