/**
 * Clerk Billing over HTTP, on the store's Billing (billing.ts):
 *
 *   Backend API   `/v1/billing/plans`, `/v1/billing/subscription_items` (list, cancel,
 *                 `extend_free_trial`), a user's and an organization's
 *                 `/billing/subscription`, `/v1/billing/statements` and their payment
 *                 attempts (`@clerk/backend`'s BillingAPI)
 *   pages         `/billing/checkout` (Clerk's checkout: the plan and a Subscribe
 *                 button, no card) and `/billing/subscription` (the plan, its period
 *                 end and status, Cancel at period end, Resubscribe), for the browser's
 *                 signed-in user; an organization's need `org:sys_billing:manage`
 *   control       fail the next payment, settle a past-due payer, subscribe without
 *                 the browser, export every subscription
 *
 * Lists are newest first, paged by `limit`/`offset` as every list.
 */
import type { IncomingMessage } from 'node:http';
import { type Billing, type ItemRecord, MANAGE_BILLING, type PayerRecord, type PayerType, type PlanPeriod, planId, READ_BILLING } from '../billing';
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { ApiError, formError, notFound } from '../errors';
import { parseCookies, readParams, redirect, sendHtml, sendJson, stringParam } from '../http';
import { pageOf, paginated, sortBy } from '../listing';
import { billingRefusedPage, checkoutPage, subscriptionPage } from '../pages';
import { backend, route, type Route } from '../router';
import type { Store } from '../store';
import { COOKIES } from '../tokens';

export const CHECKOUT_PATH = '/billing/checkout';
export const SUBSCRIPTION_PATH = '/billing/subscription';
/** Pages whose forms change something: only our own pages may post them (server.ts's origin check). */
export const BILLING_FORMS = [CHECKOUT_PATH, `${SUBSCRIPTION_PATH}/cancel`, `${SUBSCRIPTION_PATH}/resubscribe`];

/** The subscription items list's `status` filter (`free_trial`: active on a trial). */
const ITEM_STATUS_FILTERS = ['active', 'ended', 'past_due', 'upcoming', 'free_trial'] as const;

function payerTypeParam(query: URLSearchParams): PayerType | undefined {
  const value = query.get('payer_type');
  if (value === null || value === '') return undefined;
  if (value !== 'user' && value !== 'org') throw formError('payer_type', 'form_param_value_invalid', 'is invalid', 'payer_type must be user or org.');
  return value;
}

function booleanParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  if (value !== 'true' && value !== 'false') throw formError(name, 'form_param_value_invalid', 'is invalid', `${name} must be true or false.`);
  return value === 'true';
}

function periodParam(value: unknown): PlanPeriod {
  if (value === undefined || value === null || value === '' || value === 'month') return 'month';
  if (value === 'annual') return 'annual';
  throw formError('period', 'form_param_value_invalid', 'is invalid', 'period must be month or annual.');
}

/** The list's filters: status, payer type, plan, the default plans only when `include_free`, and `query` on the payer. */
function listedItems(billing: Billing, query: URLSearchParams): ItemRecord[] {
  const status = query.get('status');
  if (status && !(ITEM_STATUS_FILTERS as readonly string[]).includes(status)) {
    throw formError('status', 'form_param_value_invalid', 'is invalid', `status must be one of ${ITEM_STATUS_FILTERS.join(', ')}.`);
  }
  const payerType = payerTypeParam(query);
  const includeFree = booleanParam(query, 'include_free', false);
  const plan = query.get('plan_id');
  const text = query.get('query')?.trim().toLowerCase();
  const kept = billing.listItems().filter((item) => {
    if (!includeFree && billing.isDefaultItem(item)) return false;
    if (status === 'free_trial' ? !(item.status === 'active' && item.isFreeTrial) : status && item.status !== status) return false;
    const payer = billing.payerOfItem(item);
    if (payerType && payer.type !== payerType) return false;
    if (plan && planId(item.planSlug) !== plan) return false;
    if (text) {
      const json = billing.payerJSON(payer);
      const haystack = [payer.id, payer.ownerId, json.email, json.first_name, json.last_name, json.organization_name].filter(Boolean).join(' ').toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  });
  return sortBy(kept, '-created_at', { created_at: (item) => item.createdAt }, 'created_at');
}

/** The payer a control call names: `payer_id`, `organization_id` or `user_id`. */
function payerOf(store: Store, params: Record<string, unknown>): PayerRecord {
  const payerId = stringParam(params, 'payer_id');
  if (payerId) {
    const payer = store.billing.findPayer(payerId);
    if (!payer) throw notFound();
    return payer;
  }
  const [type, ownerId] = ownerOf(store, params);
  return store.billing.payerFor(type, ownerId);
}

function ownerOf(store: Store, params: Record<string, unknown>): [PayerType, string] {
  const organizationId = stringParam(params, 'organization_id');
  if (organizationId) return ['org', store.getOrganization(organizationId).id];
  const userId = stringParam(params, 'user_id');
  if (userId) return ['user', store.getUser(userId).id];
  throw formError('organization_id', 'form_param_missing', 'is missing', 'Name the payer: payer_id, organization_id or user_id.');
}

interface Refusal {
  status: number;
  title: string;
  explanation: string;
}

/** Whom a billing page is for, and whether the signed-in user may change its plan. */
interface PagePayer {
  type: PayerType;
  ownerId: string;
  name: string;
  canManage: boolean;
}

export function billingRoutes(context: EmulatorContext): Route[] {
  const { store } = context;
  const { billing } = store;
  const itemJSON = (item: ItemRecord) => billing.itemJSON(item);

  /** The browser's signed-in user, as the account portal knows it: its client cookie's active session. */
  function signedInUser(request: IncomingMessage) {
    const clientId = parseCookies(request)[COOKIES.client];
    const session = clientId ? store.activeSessionOfClient(clientId) : undefined;
    return session ? store.getUser(session.userId) : undefined;
  }

  /**
   * Whom a page bills and whether the signed-in user may see and manage it:
   * the organization (`organization_id`; a member with `org:sys_billing:*`) or
   * the user themself. A refusal is the page to send.
   */
  function payerForPage(request: IncomingMessage, organizationId: string | undefined): PagePayer | { refusal: Refusal } {
    const user = signedInUser(request);
    if (!user) return { refusal: { status: 401, title: 'Sign in first', explanation: 'Billing needs a signed-in user: sign in to the app, then come back.' } };
    if (!organizationId) return { type: 'user', ownerId: user.id, name: [user.first_name, user.last_name].filter(Boolean).join(' ') || user.id, canManage: true };
    const organization = store.findOrganization(organizationId);
    const membership = organization && store.listMemberships(organization.id).find((candidate) => candidate.userId === user.id);
    const permissions = membership ? store.membershipJSON(membership).permissions : [];
    if (!organization || !permissions.some((permission) => permission === MANAGE_BILLING || permission === READ_BILLING)) {
      return { refusal: { status: 403, title: 'Not allowed', explanation: "You are not a member of this organization allowed to see its billing (org:sys_billing:read or org:sys_billing:manage)." } };
    }
    return { type: 'org', ownerId: organization.id, name: organization.name, canManage: permissions.includes(MANAGE_BILLING) };
  }

  const refuse = (response: Parameters<typeof sendHtml>[0], refusal: Refusal) =>
    sendHtml(response, refusal.status, billingRefusedPage({ ...refusal, appUrl: context.appUrl }), context.appUrl);

  const notAManager = { status: 403, title: 'Not allowed', explanation: "Changing this organization's plan needs the org:sys_billing:manage permission." };

  /** The checkout page for these parameters (GET's query, or the form posted back with an error). */
  function checkout(response: Parameters<typeof sendHtml>[0], request: IncomingMessage, params: Record<string, unknown>, error?: ApiError) {
    const organizationId = stringParam(params, 'organization_id');
    const payer = payerForPage(request, organizationId);
    if ('refusal' in payer) return refuse(response, payer.refusal);
    if (!payer.canManage) return refuse(response, notAManager);
    const plan = billing.findPlan(stringParam(params, 'plan') ?? '', payer.type);
    if (!plan || plan.isDefault) return refuse(response, { status: 404, title: 'No such plan', explanation: `There is no paid ${payer.type === 'org' ? 'organization' : 'user'} plan "${stringParam(params, 'plan') ?? ''}".` });
    const period = stringParam(params, 'period') === 'annual' ? 'annual' : 'month';
    const existing = billing.findPayer(payer.ownerId);
    sendHtml(
      response,
      error ? error.status : 200,
      checkoutPage({
        payerName: payer.name,
        plan: { id: planId(plan.slug), name: plan.name, slug: plan.slug, monthlyFee: plan.monthlyFee, annualFee: plan.annualFee, features: plan.features, freeTrialDays: plan.freeTrialDays ?? null },
        period,
        trial: (plan.freeTrialDays ?? 0) > 0 && !existing?.trialUsed,
        fields: { plan: plan.slug, period, organization_id: organizationId, redirect_url: stringParam(params, 'redirect_url') },
        error: error?.errors[0]?.long_message,
      }),
      context.appUrl,
    );
  }

  function subscriptionView(response: Parameters<typeof sendHtml>[0], request: IncomingMessage, params: Record<string, unknown>) {
    const organizationId = stringParam(params, 'organization_id');
    const payer = payerForPage(request, organizationId);
    if ('refusal' in payer) return refuse(response, payer.refusal);
    billing.runDue();
    const record = billing.findPayer(payer.ownerId);
    const subscription = record && billing.subscriptionOfPayer(record);
    const items = subscription ? billing.itemsOf(subscription) : [];
    // The paid item that is the payer's plan, else the default plan's (shown without making a subscription).
    const paid = items.find((item) => ['active', 'canceled', 'past_due'].includes(item.status) && !billing.isDefaultItem(item));
    const current = paid ?? items.find((item) => item.status === 'active');
    const plan = current ? billing.findPlan(current.planSlug) : billing.defaultPlan(payer.type);
    sendHtml(
      response,
      200,
      subscriptionPage({
        payerName: payer.name,
        planName: plan?.name ?? '—',
        status: current ? current.status : 'active',
        periodEnd: current?.periodEnd ?? null,
        canManage: payer.canManage,
        canCancel: paid?.status === 'active',
        canResubscribe: paid?.status === 'canceled',
        fields: { organization_id: organizationId, redirect_url: stringParam(params, 'redirect_url') },
      }),
      context.appUrl,
    );
  }

  /** A subscription page's button: the signed-in manager's change, then back to the page. */
  async function subscriptionAction(request: IncomingMessage, response: Parameters<typeof sendHtml>[0], act: (type: PayerType, ownerId: string) => void) {
    const params = await readParams(request);
    const organizationId = stringParam(params, 'organization_id');
    const payer = payerForPage(request, organizationId);
    if ('refusal' in payer) return refuse(response, payer.refusal);
    if (!payer.canManage) return refuse(response, notAManager);
    act(payer.type, payer.ownerId);
    const back = new URLSearchParams();
    if (organizationId) back.set('organization_id', organizationId);
    const redirectUrl = stringParam(params, 'redirect_url');
    if (redirectUrl) back.set('redirect_url', redirectUrl);
    return redirect(response, `${SUBSCRIPTION_PATH}?${back.toString()}`, [], 303);
  }

  /** The paid item the payer's plan is (active, canceled or past due). */
  function paidItemOf(type: PayerType, ownerId: string): ItemRecord {
    const subscription = billing.ensureSubscription(type, ownerId);
    const item = billing.itemsOf(subscription).find((candidate) => ['active', 'canceled', 'past_due'].includes(candidate.status) && !billing.isDefaultItem(candidate));
    if (!item) throw new ApiError(400, [{ code: 'no_paid_plan', message: 'no paid plan', long_message: 'The payer is on the default plan.' }]);
    return item;
  }

  return [
    backend('GET', '/v1/billing/plans', schema.planList, ({ url }) => paginated(billing.listPlans(payerTypeParam(url.searchParams)), pageOf(url.searchParams), (plan) => billing.planJSON(plan))),
    backend('GET', '/v1/billing/subscription_items', schema.subscriptionItemList, ({ url }) => paginated(listedItems(billing, url.searchParams), pageOf(url.searchParams), itemJSON)),
    backend('DELETE', '/v1/billing/subscription_items/:id', schema.subscriptionItem, ({ url, params }) => itemJSON(billing.cancel(params.id!, booleanParam(url.searchParams, 'end_now', false)))),
    backend('POST', '/v1/billing/subscription_items/:id/extend_free_trial', schema.legacySubscriptionItem, async ({ request, params: { id } }) => {
      const params = await readParams(request);
      return billing.legacyItemJSON(billing.extendFreeTrial(id!, params.extend_to));
    }),
    backend('GET', '/v1/users/:id/billing/subscription', schema.subscription, ({ params }) => billing.subscriptionJSON(billing.ensureSubscription('user', store.getUser(params.id!).id))),
    backend('GET', '/v1/organizations/:id/billing/subscription', schema.subscription, ({ params }) =>
      billing.subscriptionJSON(billing.ensureSubscription('org', store.getOrganization(params.id!).id)),
    ),
    backend('GET', '/v1/billing/statements', schema.statementList, ({ url }) =>
      paginated(sortBy(billing.listStatements(), '-timestamp', { timestamp: (statement) => statement.timestamp }, 'timestamp'), pageOf(url.searchParams), (statement) => billing.statementJSON(statement)),
    ),
    backend('GET', '/v1/billing/statements/:id', schema.statement, ({ params }) => billing.statementJSON(billing.getStatement(params.id!))),
    backend('GET', '/v1/billing/statements/:id/payment_attempts', schema.paymentAttemptList, ({ url, params }) => {
      const attempts = billing.attemptsOf(billing.getStatement(params.id!));
      return paginated(sortBy(attempts, '-created_at', { created_at: (attempt) => attempt.createdAt }, 'created_at'), pageOf(url.searchParams), (attempt) => billing.attemptJSON(attempt));
    }),

    route('frontend', 'GET', CHECKOUT_PATH, ({ request, response, url }) => checkout(response, request, Object.fromEntries(url.searchParams))),
    route('frontend', 'POST', CHECKOUT_PATH, async ({ request, response }) => {
      const params = await readParams(request);
      const payer = payerForPage(request, stringParam(params, 'organization_id'));
      if ('refusal' in payer) return refuse(response, payer.refusal);
      if (!payer.canManage) return refuse(response, notAManager);
      try {
        const { paid } = billing.checkout(payer.type, payer.ownerId, stringParam(params, 'plan') ?? '', periodParam(stringParam(params, 'period')));
        if (!paid) throw new ApiError(402, [{ code: 'payment_failed', message: 'payment failed', long_message: 'The payment was declined: nothing changed. Try again.' }]);
      } catch (error) {
        if (error instanceof ApiError) return checkout(response, request, params, error);
        throw error;
      }
      return redirect(response, context.safeRedirect(stringParam(params, 'redirect_url')), [], 303);
    }),
    route('frontend', 'GET', SUBSCRIPTION_PATH, ({ request, response, url }) => subscriptionView(response, request, Object.fromEntries(url.searchParams))),
    route('frontend', 'POST', `${SUBSCRIPTION_PATH}/cancel`, ({ request, response }) => subscriptionAction(request, response, (type, ownerId) => void billing.cancel(paidItemOf(type, ownerId).id, false))),
    route('frontend', 'POST', `${SUBSCRIPTION_PATH}/resubscribe`, ({ request, response }) =>
      subscriptionAction(request, response, (type, ownerId) => {
        const item = paidItemOf(type, ownerId);
        billing.checkout(type, ownerId, item.planSlug, item.period);
      }),
    ),

    // The control token is checked before any control route (server.ts).
    route('control', 'POST', '/_control/billing/fail-next-payment', async ({ request, response }) => {
      const payer = payerOf(store, await readParams(request));
      billing.failNextPayment(payer);
      sendJson(response, 200, { payer_id: payer.id, fail_next_payment: true });
    }),
    route('control', 'POST', '/_control/billing/pay', async ({ request, response }) => {
      const payer = payerOf(store, await readParams(request));
      sendJson(response, 200, billing.subscriptionJSON(billing.pay(payer)));
    }),
    route('control', 'POST', '/_control/billing/subscribe', async ({ request, response }) => {
      const params = await readParams(request);
      const [type, ownerId] = ownerOf(store, params);
      const { subscription, paid } = billing.checkout(type, ownerId, stringParam(params, 'plan') ?? '', periodParam(params.period));
      sendJson(response, 200, { paid, subscription: billing.subscriptionJSON(subscription) });
    }),
    // Every subscription with its items (each with its payer), as the Backend API shows them, oldest first.
    route('control', 'GET', '/_control/billing/export', ({ response }) => {
      const subscriptions = billing.allSubscriptions().sort((a, b) => a.createdAt - b.createdAt);
      sendJson(response, 200, { data: subscriptions.map((subscription) => billing.subscriptionJSON(subscription)), total_count: subscriptions.length });
    }),
  ];
}
