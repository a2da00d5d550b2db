/**
 * The emulator's Clerk Billing as the real `@clerk/backend` client, Clerk's
 * webhook verification, a browser on the checkout and subscription pages, and
 * `auth().has({ plan, feature })` see it: the plan catalogue, the lazy
 * subscription on the default plan, checkout, renewals on the control clock,
 * a failed payment and its settling, cancel and resubscribe, a deleted
 * organization, the list's filters, Clerk's refusals, and the token claims.
 * Contract enforced: every answer and event is checked against Clerk's shapes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClerkClient } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import type { EmulatorWebhookEvent } from '../../tools/clerk-emulator/src/webhooks';
import { EmulatorControl, verifiedEvent, WebhookReceiver } from '../helpers/emulator-control';

const APP = 'http://localhost:3000';
const DAY = 24 * 3600 * 1000;

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: APP, webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20, contract: 'enforce' });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url, publishableKey: emulator.publishableKey });

afterEach(async () => {
  await control().reset();
  receiver.clear();
});

const BILLING = /^(subscription|subscriptionItem|paymentAttempt)\./;

/** How many events were sent so far: `eventsSince(mark)` gives the ones after. */
async function mark(): Promise<number> {
  return (await control().settleWebhooks()).length;
}

/** The events sent after `from`, in the order the emulator sent them, each verified as the app's endpoint would. */
async function eventsSince(from = 0): Promise<EmulatorWebhookEvent[]> {
  const deliveries = (await control().settleWebhooks()).slice(from);
  const byId = new Map(receiver.received.map((delivery) => [delivery.headers['svix-id'], delivery]));
  return Promise.all(deliveries.map((delivery) => verifiedEvent(byId.get(delivery.id)!, emulator.keys.webhookSecret)));
}

const typesOf = (events: EmulatorWebhookEvent[]) => events.map((event) => event.type);
const billingTypesSince = async (from = 0) => typesOf(await eventsSince(from)).filter((type) => BILLING.test(type));

/** An organization with its admin (its creator), and a member. */
async function organization(name = 'Acme') {
  const admin = await clerk().users.createUser({ emailAddress: [`admin-${name.toLowerCase()}@example.com`], firstName: 'Ada', lastName: 'Admin' });
  const member = await clerk().users.createUser({ emailAddress: [`member-${name.toLowerCase()}@example.com`], firstName: 'Max' });
  const org = await clerk().organizations.createOrganization({ name, createdBy: admin.id });
  await clerk().organizations.createOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:member' });
  return { admin, member, org };
}

async function backend<T>(method: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${emulator.url}${path}`, { method, headers: { authorization: `Bearer ${emulator.keys.secretKey}` } });
  return { status: response.status, body: (await response.json()) as T };
}

const itemsOf = async (organizationId: string) => (await clerk().billing.getOrganizationBillingSubscription(organizationId)).subscriptionItems;
const statusesOf = async (organizationId: string) => (await itemsOf(organizationId)).map((item) => [item.plan?.slug, item.status]);

/** A browser's request to the emulator's own pages, with the cookies of a signed-in session. */
function page(path: string, cookies: string[], form?: Record<string, string>) {
  const cookie = cookies.map((directive) => directive.split(';')[0]).join('; ');
  return fetch(`${emulator.url}${path}`, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { cookie, ...(form ? { origin: emulator.url, 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
}

/** What `auth()` returns for a browser holding these cookies, through the SDK's own request authentication. */
async function authOf(cookies: string[]) {
  const cookie = cookies.map((directive) => directive.split(';')[0]).join('; ');
  const request = new Request(`${APP}/dashboard`, { headers: { cookie, 'sec-fetch-dest': 'document', accept: 'text/html' } });
  const state = await clerk().authenticateRequest(request, { jwtKey: emulator.keys.publicKeyPem, authorizedParties: [APP], proxyUrl: emulator.url });
  expect(state.status).toBe('signed-in');
  const auth = state.toAuth();
  if (!auth || !('has' in auth) || !auth.userId) throw new Error('not signed in');
  return auth;
}

describe('the plan catalogue', () => {
  it('lists the instance plans by payer type, with stable ids, fees and features', async () => {
    const org = await clerk().billing.getPlanList({ payerType: 'org' });
    expect(org.data.map((plan) => plan.slug)).toEqual(['free_org', 'pro']);
    const [free, pro] = org.data;
    expect(free).toMatchObject({ name: 'Free', isDefault: true, fee: { amount: 0 }, features: [], forPayerType: 'org' });
    expect(pro).toMatchObject({ name: 'Pro', isDefault: false, fee: { amount: 2000, currency: 'USD' }, annualFee: { amount: 20000 }, freeTrialEnabled: false, freeTrialDays: null });
    expect(pro!.features.map((feature) => feature.slug)).toEqual(['unlimited_members', 'unlimited_posts', 'long_posts']);
    expect(pro!.id).toMatch(/^cplan_/);
    expect(pro!.features[0]!.id).toMatch(/^feat_/);
    const user = await clerk().billing.getPlanList({ payerType: 'user' });
    expect(user.data.map((plan) => [plan.slug, plan.isDefault])).toEqual([['free_user', true]]);
    expect((await clerk().billing.getPlanList()).totalCount).toBe(3);
    // Same ids after a reset: they name the plan, not the run.
    await control().reset();
    expect((await clerk().billing.getPlanList({ payerType: 'org' })).data[1]!.id).toBe(pro!.id);
    expect((await backend('GET', '/v1/billing/plans?payer_type=team')).status).toBe(422);
  });

  it('takes a free trial from the instance settings', async () => {
    await control().configureInstance({ billing: { freeTrialDays: { pro: 14 } } });
    const { data } = await clerk().billing.getPlanList({ payerType: 'org' });
    expect(data[1]).toMatchObject({ slug: 'pro', freeTrialEnabled: true, freeTrialDays: 14 });
  });
});

describe('subscriptions', () => {
  it('makes a payer its subscription on the default plan when first read, once, and never for a token', async () => {
    const { admin, org } = await organization();
    const from = await mark();
    await control().signIn(admin.id, { organizationId: org.id });
    expect(await billingTypesSince(from)).toEqual([]);
    const subscription = await clerk().billing.getOrganizationBillingSubscription(org.id);
    expect(subscription).toMatchObject({ status: 'active', activeAt: expect.any(Number), pastDueAt: null, nextPayment: null, eligibleForFreeTrial: true });
    expect(subscription.id).toMatch(/^csub_/);
    expect(subscription.subscriptionItems.map((item) => [item.plan?.slug, item.status, item.periodEnd])).toEqual([['free_org', 'active', null]]);
    expect(subscription.subscriptionItems[0]!.id).toMatch(/^csub_item_/);
    await clerk().billing.getOrganizationBillingSubscription(org.id);
    const events = await eventsSince(from);
    expect(typesOf(events)).toEqual(['subscription.created']);
    expect(events[0]!.data).toMatchObject({ id: subscription.id, payer: { organization_id: org.id, organization_name: 'Acme', user_id: '' }, items: [{ status: 'active', subscription_id: null, period_end: null }] });
    expect(events[0]!.data).not.toHaveProperty('items.0.payer');

    const user = await clerk().billing.getUserBillingSubscription(admin.id);
    expect(user.subscriptionItems.map((item) => item.plan?.slug)).toEqual(['free_user']);
  });

  it('checks out a paid plan: a paid attempt, the free item ended, the paid one active for a month, in that order', async () => {
    const { org } = await organization();
    const from = await mark();
    const { now } = await control().clock();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const events = await eventsSince(from);
    expect(typesOf(events)).toEqual(['subscription.created', 'paymentAttempt.created', 'paymentAttempt.updated', 'subscriptionItem.ended', 'subscriptionItem.active', 'subscription.updated']);
    const subscription = await clerk().billing.getOrganizationBillingSubscription(org.id);
    const pro = subscription.subscriptionItems.find((item) => item.plan?.slug === 'pro')!;
    expect(pro).toMatchObject({ status: 'active', planPeriod: 'month', isFreeTrial: false, canceledAt: null, lifetimePaid: { amount: 2000 } });
    const start = new Date(pro.periodStart);
    expect(pro.periodStart).toBeGreaterThanOrEqual(now);
    expect(pro.periodEnd).toBe(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate(), start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), start.getUTCMilliseconds()));
    expect(subscription.nextPayment).toMatchObject({ date: pro.periodEnd, amount: { amount: 2000 } });
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'active']]);

    const [created, paid, ended, active, updated] = events.slice(1);
    expect(created!.data).toMatchObject({ status: 'pending', charge_type: 'checkout', paid_at: null, payer: { organization_id: org.id }, totals: { grand_total: { amount: 2000 } }, payment_source: { payment_method: 'card', last4: '4242' } });
    expect(paid!.data).toMatchObject({ status: 'paid', paid_at: expect.any(Number), failed_reason: null, subscription_items: [{ id: pro.id, plan: { slug: 'pro', amount: 2000 } }] });
    expect(ended!.data).toMatchObject({ status: 'ended', plan: { slug: 'free_org' }, subscription_id: subscription.id, payer: { organization_id: org.id } });
    expect(active!.data).toMatchObject({ id: pro.id, status: 'active', interval: 'month', subscription_id: subscription.id, payer: { organization_id: org.id, user_id: '' } });
    expect(updated!.data).toMatchObject({ status: 'active', latest_payment_id: expect.stringMatching(/^cpa_/), items: [{ status: 'ended', subscription_id: null }, { status: 'active', subscription_id: null }] });
  });

  it('renews at the period end, and a failed renewal makes the item and subscription past due until paid', async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, first] = await itemsOf(org.id);
    let from = await mark();
    await control().advanceClock(first!.periodEnd! - (await control().clock()).now + 1000);
    expect(await billingTypesSince(from)).toEqual(['paymentAttempt.created', 'paymentAttempt.updated', 'subscriptionItem.updated', 'subscription.updated']);
    const [, renewed] = await itemsOf(org.id);
    expect(renewed).toMatchObject({ id: first!.id, status: 'active', periodStart: first!.periodEnd, lifetimePaid: { amount: 4000 } });

    await control().failNextPayment({ organizationId: org.id });
    from = await mark();
    await control().advanceClock(renewed!.periodEnd! - (await control().clock()).now + 1000);
    const failed = await eventsSince(from);
    expect(typesOf(failed)).toEqual(['paymentAttempt.created', 'paymentAttempt.updated', 'subscriptionItem.pastDue', 'subscription.pastDue']);
    expect(failed[1]!.data).toMatchObject({ status: 'failed', failed_at: expect.any(Number), charge_type: 'recurring', failed_reason: { code: 'card_declined' } });
    const pastDue = await clerk().billing.getOrganizationBillingSubscription(org.id);
    expect(pastDue).toMatchObject({ status: 'past_due', pastDueAt: expect.any(Number) });
    expect(pastDue.subscriptionItems[1]).toMatchObject({ status: 'past_due', pastDueAt: expect.any(Number) });
    // Nothing renews while past due.
    from = await mark();
    await control().advanceClock(40 * DAY);
    expect(await billingTypesSince(from)).toEqual([]);

    await control().pay({ organizationId: org.id });
    expect(await billingTypesSince(from)).toEqual(['paymentAttempt.created', 'paymentAttempt.updated', 'subscriptionItem.active', 'subscription.active']);
    const settled = await clerk().billing.getOrganizationBillingSubscription(org.id);
    expect(settled).toMatchObject({ status: 'active', pastDueAt: null });
    expect(settled.subscriptionItems[1]).toMatchObject({ status: 'active', pastDueAt: null });
    expect(settled.subscriptionItems[1]!.periodEnd! - settled.subscriptionItems[1]!.periodStart).toBeGreaterThanOrEqual(28 * DAY);
  });

  it('cancels at the period end: canceled, the free plan upcoming; then ended and free active, and nothing more', async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro', period: 'annual' });
    const [, pro] = await itemsOf(org.id);
    let from = await mark();
    const canceled = await clerk().billing.cancelSubscriptionItem(pro!.id);
    expect(canceled).toMatchObject({ id: pro!.id, status: 'canceled', canceledAt: expect.any(Number), periodEnd: pro!.periodEnd, planPeriod: 'annual' });
    expect(await billingTypesSince(from)).toEqual(['subscriptionItem.canceled', 'subscriptionItem.upcoming', 'subscription.updated']);
    const upcoming = (await itemsOf(org.id))[2]!;
    expect(upcoming).toMatchObject({ status: 'upcoming', periodStart: pro!.periodEnd, periodEnd: null, plan: { slug: 'free_org' } });
    // A canceled item is still the plan until its period ends.
    expect((await clerk().billing.getOrganizationBillingSubscription(org.id)).status).toBe('active');

    from = await mark();
    await control().advanceClock(pro!.periodEnd! - (await control().clock()).now + 1000);
    const ended = await eventsSince(from);
    expect(typesOf(ended)).toEqual(['subscriptionItem.ended', 'subscriptionItem.active', 'subscription.updated']);
    expect(ended[0]!.data).toMatchObject({ id: pro!.id, status: 'ended' });
    expect(ended[1]!.data).toMatchObject({ id: upcoming.id, status: 'active', plan: { slug: 'free_org' } });
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'ended'], ['free_org', 'active']]);
    from = await mark();
    await control().advanceClock(400 * DAY);
    expect(await billingTypesSince(from)).toEqual([]);
  });

  it('resubscribing before the period end abandons the upcoming free item and keeps the paid one, unpaid again', async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, pro] = await itemsOf(org.id);
    await clerk().billing.cancelSubscriptionItem(pro!.id);
    const from = await mark();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    expect(await billingTypesSince(from)).toEqual(['subscriptionItem.abandoned', 'subscriptionItem.active', 'subscription.updated']);
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'active'], ['free_org', 'abandoned']]);
    expect((await itemsOf(org.id))[1]).toMatchObject({ id: pro!.id, canceledAt: null, lifetimePaid: { amount: 2000 } });
  });

  it('ends at once with end_now, the free plan active from now', async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, pro] = await itemsOf(org.id);
    const from = await mark();
    const ended = await clerk().billing.cancelSubscriptionItem(pro!.id, { endNow: true });
    expect(ended).toMatchObject({ status: 'ended', endedAt: expect.any(Number) });
    expect(await billingTypesSince(from)).toEqual(['subscriptionItem.ended', 'subscriptionItem.active', 'subscription.updated']);
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'ended'], ['free_org', 'active']]);
  });

  it('gives a free trial: no payment at checkout, a warning 3 days before its end, the first payment at its end', async () => {
    await control().configureInstance({ billing: { freeTrialDays: { pro: 14 } } });
    const { org } = await organization();
    let from = await mark();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    expect(await billingTypesSince(from)).toEqual(['subscription.created', 'subscriptionItem.ended', 'subscriptionItem.active', 'subscription.updated']);
    const [, trial] = await itemsOf(org.id);
    expect(trial).toMatchObject({ isFreeTrial: true, status: 'active' });
    expect(trial!.periodEnd! - trial!.periodStart).toBe(14 * DAY);
    expect((await clerk().billing.getOrganizationBillingSubscription(org.id)).eligibleForFreeTrial).toBe(false);

    from = await mark();
    await control().advanceClock(11 * DAY + 1000);
    expect(await billingTypesSince(from)).toEqual(['subscriptionItem.freeTrialEnding']);

    const extendTo = new Date(trial!.periodEnd! + 7 * DAY);
    const extended = await clerk().billing.extendSubscriptionItemFreeTrial(trial!.id, { extendTo });
    expect(extended).toMatchObject({ id: trial!.id, isFreeTrial: true, periodEnd: extendTo.getTime() });
    await expect(clerk().billing.extendSubscriptionItemFreeTrial(trial!.id, { extendTo: new Date(Date.now() - DAY) })).rejects.toMatchObject({ status: 422 });

    from = await mark();
    await control().advanceClock(extendTo.getTime() - (await control().clock()).now + 1000);
    expect(await billingTypesSince(from)).toEqual(['subscriptionItem.freeTrialEnding', 'paymentAttempt.created', 'paymentAttempt.updated', 'subscriptionItem.updated', 'subscription.updated']);
    expect((await itemsOf(org.id))[1]).toMatchObject({ isFreeTrial: false, periodStart: extendTo.getTime(), lifetimePaid: { amount: 2000 } });
  });

  it("ends a deleted organization's live items before its organization.deleted", async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, pro] = await itemsOf(org.id);
    await clerk().billing.cancelSubscriptionItem(pro!.id);
    const from = await mark();
    await clerk().organizations.deleteOrganization(org.id);
    const events = await eventsSince(from);
    expect(typesOf(events)).toEqual(['subscriptionItem.ended', 'subscriptionItem.abandoned', 'subscription.updated', 'organizationMembership.deleted', 'organizationMembership.deleted', 'organization.deleted']);
    expect(events[2]!.data).toMatchObject({ status: 'ended', ended_at: expect.any(Number), payer: { organization_id: org.id, organization_name: 'Acme' } });
    const [exported] = (await control().exportBilling()).data;
    expect(exported!.subscription_items.map((item) => item.status)).toEqual(['ended', 'ended', 'abandoned']);
    await expect(clerk().billing.getOrganizationBillingSubscription(org.id)).rejects.toMatchObject({ status: 404 });
    // The clock moving on past the period changes nothing more.
    const after = await mark();
    await control().advanceClock(60 * DAY);
    expect(await billingTypesSince(after)).toEqual([]);
  });

  it("ends a deleted user's subscription before its user.deleted, and its payer reads as it was", async () => {
    await control().configureInstance({
      billing: {
        plans: [
          { slug: 'free_user', name: 'Free', payerType: 'user', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
          { slug: 'plus', name: 'Plus', payerType: 'user', monthlyFee: 500, annualFee: 5000, features: ['extra_drafts'] },
          { slug: 'free_org', name: 'Free', payerType: 'org', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
        ],
      },
    });
    const user = await clerk().users.createUser({ emailAddress: ['solo@example.com'], firstName: 'Solo', lastName: 'Payer' });
    await control().subscribe({ userId: user.id, plan: 'plus' });
    const from = await mark();
    await clerk().users.deleteUser(user.id);
    const events = await eventsSince(from);
    expect(typesOf(events)).toEqual(['subscriptionItem.ended', 'subscription.updated', 'user.deleted']);
    expect(events[1]!.data).toMatchObject({ status: 'ended', payer: { user_id: user.id, first_name: 'Solo', last_name: 'Payer', email: 'solo@example.com', organization_id: '' } });
    await expect(clerk().billing.getUserBillingSubscription(user.id)).rejects.toMatchObject({ status: 404 });
  });

  it('keeps subscriptions, their items and the clock in the state file across restarts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'clerk-emulator-billing-'));
    try {
      const first = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      const firstControl = new EmulatorControl(first.url, first.keys.secretKey, first.controlToken);
      const ada = await firstControl.createUser({ email: 'ada@example.com' });
      const acme = await firstControl.createOrganization({ name: 'Acme', createdBy: ada.id });
      await firstControl.subscribe({ organizationId: acme.id, plan: 'pro' });
      const before = await firstControl.exportBilling();
      await first.close();

      const second = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      try {
        const secondControl = new EmulatorControl(second.url, second.keys.secretKey, second.controlToken);
        expect(await secondControl.exportBilling()).toEqual(before);
        // And the renewal still comes due on the restored clock.
        const pro = before.data[0]!.subscription_items[1]!;
        await secondControl.advanceClock(pro.period_end! - (await secondControl.clock()).now + 1000);
        expect((await secondControl.exportBilling()).data[0]!.subscription_items[1]).toMatchObject({ id: pro.id, period_start: pro.period_end, lifetime_paid: { amount: 4000 } });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("keeps every object's updated_at strictly increasing across its events", async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, pro] = await itemsOf(org.id);
    await control().advanceClock(pro!.periodEnd! - (await control().clock()).now + 1000);
    await clerk().billing.cancelSubscriptionItem(pro!.id);
    await clerk().billing.cancelSubscriptionItem(pro!.id, { endNow: true });
    const last = new Map<string, number>();
    for (const event of (await eventsSince()).filter((candidate) => BILLING.test(candidate.type))) {
      const data = event.data as { id: string; updated_at: number };
      if (last.has(data.id)) expect(data.updated_at, `${event.type} ${data.id}`).toBeGreaterThan(last.get(data.id)!);
      last.set(data.id, data.updated_at);
    }
    expect(last.size).toBeGreaterThan(4);
  });
});

describe('the Backend API lists and refusals', () => {
  it('lists subscription items without the free plans by default, by status, payer type and plan, in pages', async () => {
    const { org } = await organization();
    const { org: other } = await organization('Other');
    const person = await clerk().users.createUser({ emailAddress: ['solo@example.com'] });
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    await control().subscribe({ organizationId: other.id, plan: 'pro', period: 'annual' });
    await clerk().billing.getUserBillingSubscription(person.id);
    type List = { data: { id: string; status: string; plan: { slug: string }; payer: { organization_id: string | null } }[]; total_count: number };
    const paid = await backend<List>('GET', '/v1/billing/subscription_items');
    expect(paid.body.data.map((item) => [item.plan.slug, item.payer.organization_id])).toEqual([['pro', other.id], ['pro', org.id]]);
    const all = await backend<List>('GET', '/v1/billing/subscription_items?include_free=true');
    expect(all.body.total_count).toBe(5);
    expect((await backend<List>('GET', '/v1/billing/subscription_items?include_free=true&status=ended')).body.data.map((item) => item.plan.slug)).toEqual(['free_org', 'free_org']);
    expect((await backend<List>('GET', '/v1/billing/subscription_items?include_free=true&payer_type=user')).body.data.map((item) => item.plan.slug)).toEqual(['free_user']);
    const [, proId] = (await clerk().billing.getPlanList({ payerType: 'org' })).data.map((plan) => plan.id);
    expect((await backend<List>(`GET`, `/v1/billing/subscription_items?include_free=true&plan_id=${proId}&limit=1&offset=1`)).body).toMatchObject({ total_count: 2, data: [{ payer: { organization_id: org.id } }] });
    expect((await backend<List>('GET', '/v1/billing/subscription_items?query=other')).body.total_count).toBe(1);
    expect((await backend('GET', '/v1/billing/subscription_items?status=gone')).status).toBe(422);
    expect((await backend('GET', '/v1/billing/subscription_items?include_free=maybe')).status).toBe(422);
  });

  it('lists statements with their payment attempts', async () => {
    const { org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    type Statements = { data: { id: string; status: string; payer: { organization_id: string }; totals: { grand_total: { amount: number } }; groups: { items: { status: string }[] }[] }[]; total_count: number };
    const { body } = await backend<Statements>('GET', '/v1/billing/statements');
    expect(body).toMatchObject({ total_count: 1, data: [{ status: 'open', payer: { organization_id: org.id }, totals: { grand_total: { amount: 2000 } }, groups: [{ items: [{ status: 'paid' }] }] }] });
    const one = await backend<{ id: string }>('GET', `/v1/billing/statements/${body.data[0]!.id}`);
    expect(one.body.id).toBe(body.data[0]!.id);
    const attempts = await backend<{ data: { object: string; amount: { amount: number } }[] }>('GET', `/v1/billing/statements/${body.data[0]!.id}/payment_attempts`);
    expect(attempts.body.data).toMatchObject([{ object: 'commerce_payment', amount: { amount: 2000 } }]);
  });

  it("answers Clerk's 404 for unknown payers, items and statements, and refuses to cancel the free plan", async () => {
    const notFound = { status: 404, errors: [{ code: 'resource_not_found' }] };
    await expect(clerk().billing.getOrganizationBillingSubscription('org_missing')).rejects.toMatchObject(notFound);
    await expect(clerk().billing.getUserBillingSubscription('user_missing')).rejects.toMatchObject(notFound);
    await expect(clerk().billing.cancelSubscriptionItem('csub_item_missing')).rejects.toMatchObject(notFound);
    await expect(clerk().billing.extendSubscriptionItemFreeTrial('csub_item_missing', { extendTo: new Date(Date.now() + DAY) })).rejects.toMatchObject(notFound);
    expect((await backend('GET', '/v1/billing/statements/stmt_missing')).status).toBe(404);
    expect((await backend('GET', '/v1/billing/statements/stmt_missing/payment_attempts')).status).toBe(404);
    const { org } = await organization();
    const [free] = await itemsOf(org.id);
    await expect(clerk().billing.cancelSubscriptionItem(free!.id)).rejects.toMatchObject({ status: 400 });
    expect((await backend(`DELETE`, `/v1/billing/subscription_items/${free!.id}?end_now=soon`)).status).toBe(422);
  });
});

describe('the checkout and subscription pages', () => {
  it('subscribes an organization from its billing manager, and refuses a member and a stranger', async () => {
    const { admin, member, org } = await organization();
    const query = `plan=pro&organization_id=${org.id}&period=month&redirect_url=${encodeURIComponent(`${APP}/settings/billing`)}`;
    const adminCookies = (await control().signIn(admin.id, { organizationId: org.id })).cookies;
    const shown = await page(`/billing/checkout?${query}`, adminCookies);
    expect(shown.status).toBe(200);
    const html = await shown.text();
    expect(html).toContain('data-testid="checkout-subscribe"');
    expect(html).toContain('$20.00 a month');

    const memberCookies = (await control().signIn(member.id, { organizationId: org.id })).cookies;
    const refused = await page(`/billing/checkout?${query}`, memberCookies);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('data-testid="billing-refused"');
    expect((await page('/billing/checkout', memberCookies, { plan: 'pro', organization_id: org.id })).status).toBe(403);
    expect((await page(`/billing/checkout?${query}`, [])).status).toBe(401);

    const done = await page('/billing/checkout', adminCookies, { plan: 'pro', organization_id: org.id, period: 'month', redirect_url: `${APP}/settings/billing` });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${APP}/settings/billing`);
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'active']]);
    // A declined card: the page again, saying so, and nothing changed.
    const { org: other } = await organization('Other');
    const otherAdmin = (await control().signIn((await clerk().users.getUserList({ emailAddress: ['admin-other@example.com'] })).data[0]!.id, { organizationId: other.id })).cookies;
    await control().failNextPayment({ organizationId: other.id });
    const declined = await page('/billing/checkout', otherAdmin, { plan: 'pro', organization_id: other.id, redirect_url: `${APP}/` });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('data-testid="checkout-error"');
    expect(await statusesOf(other.id)).toEqual([['free_org', 'active'], ['pro', 'incomplete']]);
    // Posted from another site: refused.
    const forged = await fetch(`${emulator.url}/billing/checkout`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'plan=pro' });
    expect(forged.status).toBe(403);
  });

  it('shows the plan, cancels at period end and resubscribes', async () => {
    const { admin, member, org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const cookies = (await control().signIn(admin.id, { organizationId: org.id })).cookies;
    const path = `/billing/subscription?organization_id=${org.id}`;
    let html = await (await page(path, cookies)).text();
    expect(html).toMatch(/data-testid="subscription-plan">Pro</);
    expect(html).toMatch(/data-testid="subscription-status">active</);
    expect(html).toContain('data-testid="subscription-cancel"');
    const cancel = await page('/billing/subscription/cancel', cookies, { organization_id: org.id });
    expect(cancel.status).toBe(303);
    html = await (await page(path, cookies)).text();
    expect(html).toMatch(/data-testid="subscription-status">canceled</);
    expect(html).toContain('data-testid="subscription-resubscribe"');
    expect(await page('/billing/subscription/resubscribe', cookies, { organization_id: org.id })).toMatchObject({ status: 303 });
    expect(await statusesOf(org.id)).toEqual([['free_org', 'ended'], ['pro', 'active'], ['free_org', 'abandoned']]);
    // A member sees the plan (org:sys_billing:read) but has no buttons, and may not post them.
    const memberCookies = (await control().signIn(member.id, { organizationId: org.id })).cookies;
    html = await (await page(path, memberCookies)).text();
    expect(html).toMatch(/data-testid="subscription-plan">Pro</);
    expect(html).not.toContain('data-testid="subscription-cancel"');
    expect((await page('/billing/subscription/cancel', memberCookies, { organization_id: org.id })).status).toBe(403);
  });

  it('subscribes the signed-in user without organization_id', async () => {
    await control().configureInstance({
      allowPersonalAccounts: true,
      billing: {
        plans: [
          { slug: 'free_user', name: 'Free', payerType: 'user', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
          { slug: 'plus', name: 'Plus', payerType: 'user', monthlyFee: 500, annualFee: 5000, features: ['extra_drafts'] },
          { slug: 'free_org', name: 'Free', payerType: 'org', isDefault: true, monthlyFee: 0, annualFee: 0, features: [] },
        ],
      },
    });
    const user = await clerk().users.createUser({ emailAddress: ['solo@example.com'], firstName: 'Solo' });
    const { cookies } = await control().signIn(user.id, { organizationId: null });
    const done = await page('/billing/checkout', cookies, { plan: 'plus', period: 'annual', redirect_url: `${APP}/` });
    expect(done.status).toBe(303);
    const subscription = await clerk().billing.getUserBillingSubscription(user.id);
    expect(subscription.subscriptionItems.map((item) => [item.plan?.slug, item.status, item.planPeriod])).toEqual([['free_user', 'ended', 'month'], ['plus', 'active', 'annual']]);
    const auth = await authOf((await control().signIn(user.id, { organizationId: null })).cookies);
    expect(auth.has({ plan: 'u:plus' })).toBe(true);
    expect(auth.has({ feature: 'extra_drafts' })).toBe(true);
  });
});

describe('session tokens', () => {
  it("carry the payer plans in pla and their features in fea, which has() reads, as of the token's issue", async () => {
    await control().configureInstance({ allowPersonalAccounts: true });
    const { admin, org } = await organization();
    const before = await control().signIn(admin.id, { organizationId: org.id });
    // The free plan has no features: `fea` holds the seeded role's permission feature only.
    expect(decodeJwt(before.token)).toMatchObject({ pla: 'u:free_user,o:free_org', fea: 'o:posts' });
    await control().subscribe({ organizationId: org.id, plan: 'pro' });

    // The token issued before the change still says free: it lags, as Clerk's do, until the next one.
    const stale = await authOf(before.cookies);
    expect(stale.has({ plan: 'pro' })).toBe(false);
    expect(stale.has({ plan: 'free_org' })).toBe(true);

    const after = await control().signIn(admin.id, { organizationId: org.id });
    expect(decodeJwt(after.token)).toMatchObject({ pla: 'u:free_user,o:pro', fea: 'o:long_posts,o:posts,o:unlimited_members,o:unlimited_posts' });
    const auth = await authOf(after.cookies);
    expect(auth.has({ plan: 'pro' })).toBe(true);
    expect(auth.has({ plan: 'o:pro' })).toBe(true);
    expect(auth.has({ plan: 'u:pro' })).toBe(false);
    expect(auth.has({ plan: 'u:free_user' })).toBe(true);
    expect(auth.has({ feature: 'unlimited_posts' })).toBe(true);
    expect(auth.has({ feature: 'o:long_posts' })).toBe(true);
    expect(auth.has({ feature: 'u:long_posts' })).toBe(false);
    expect(auth.has({ feature: 'reports' })).toBe(false);

    // The personal account: the user's plan only.
    const personal = await authOf((await control().signIn(admin.id, { organizationId: null })).cookies);
    expect(personal.has({ plan: 'pro' })).toBe(false);
    expect(personal.has({ plan: 'free_user' })).toBe(true);
  });

  it('keeps custom permissions right beside plan features (fpm has a mask per o: feature)', async () => {
    await control().configureInstance({ customRolePermissions: { 'org:admin': ['org:posts:delete'] } });
    const { admin, org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const { token, cookies } = await control().signIn(admin.id, { organizationId: org.id });
    expect(decodeJwt(token)).toMatchObject({ fea: 'o:long_posts,o:posts,o:unlimited_members,o:unlimited_posts', o: { per: 'delete', fpm: '0,1,0,0' } });
    const auth = await authOf(cookies);
    expect(auth.orgPermissions).toEqual(['org:posts:delete']);
    expect(auth.has({ permission: 'org:posts:delete' })).toBe(true);
    expect(auth.has({ feature: 'posts' })).toBe(true);
    expect(auth.has({ plan: 'pro' })).toBe(true);
  });

  it('names no paid plan while the payer is past due', async () => {
    const { admin, org } = await organization();
    await control().subscribe({ organizationId: org.id, plan: 'pro' });
    const [, pro] = await itemsOf(org.id);
    await control().failNextPayment({ organizationId: org.id });
    await control().advanceClock(pro!.periodEnd! - (await control().clock()).now + 1000);
    const auth = await authOf((await control().signIn(admin.id, { organizationId: org.id })).cookies);
    expect(auth.has({ plan: 'pro' })).toBe(false);
    expect(auth.has({ feature: 'unlimited_posts' })).toBe(false);
  });
});
