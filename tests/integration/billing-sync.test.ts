/**
 * Clerk Billing through the webhook service on real PostgreSQL, payloads
 * signed and verified by the real library: subscriptions and their items by
 * the rules of every other Clerk object (docs/decisions/011, 012, 023):
 * order by each object's `updated_at`, duplicates, items that ended never
 * coming back, a payer's deletion ending its rows for good, a status or an
 * event this code does not know recorded and never a 500, and no payment
 * details kept.
 */
import { describe, expect, it } from 'vitest';
import { syncUserDeletion } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import {
  createDefaultPlans,
  FREE_ORG_PLAN,
  itemAt,
  itemDelivery,
  newItem,
  newSubscription,
  PRO_PLAN,
  subscriptionAt,
  subscriptionDelivery,
} from '../helpers/billing-events';
import { memoryLogger } from '../helpers/memory-logger';
import { newClerkOrganization, organizationDeletedDelivery, organizationDelivery } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

function receive(d: Delivery) {
  return processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
}
const outcomes = async (deliveries: Delivery[]) => {
  const answers = [];
  for (const d of deliveries) answers.push((await receive(d)).outcome);
  return answers;
};
const itemsOf = (organizationClerkId: string) =>
  prisma().billingSubscriptionItem.findMany({ where: { organizationClerkId }, select: { clerkId: true, planSlug: true, status: true }, orderBy: { clerkId: 'asc' } });
const featuresOf = async (organizationClerkId: string) =>
  (await prisma().$queryRaw<{ features: string[] }[]>`SELECT clerk_organization_features(${organizationClerkId}) AS features`)[0]!.features;

/** Every order of a few deliveries, each one also twice. */
function* orders<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const order of orders(rest)) yield [items[i]!, ...order];
  }
}

const logs = memoryLogger<{ level: number; msg?: string; svixId?: string; statuses?: string[] }>();
const now = Date.now();
const HOUR = 3_600_000;

describe('subscriptions', () => {
  it('an upgrade told by its events in every order, each twice: the newest version of each item wins, and the plan is Pro', async () => {
    await createDefaultPlans();
    let round = 0;
    const upgrade = (organizationId: string) => {
      const free = newItem(FREE_ORG_PLAN, 'active', now - 2 * HOUR);
      const created = newSubscription({ organizationId }, [free], now - 2 * HOUR);
      const pro = newItem(PRO_PLAN, 'active', now - HOUR);
      const ended = itemAt(free, 'ended', now - HOUR);
      const updated = subscriptionAt(created, 'active', [ended, pro], now - HOUR);
      return {
        free,
        pro,
        deliveries: [
          subscriptionDelivery('subscription.created', created),
          subscriptionDelivery('subscription.updated', updated),
          itemDelivery('subscriptionItem.active', pro, created),
          itemDelivery('subscriptionItem.ended', ended, created),
        ],
      };
    };
    for (const order of orders([0, 1, 2, 3])) {
      const organization = newClerkOrganization({}, now - 3 * HOUR);
      const { free, pro, deliveries } = upgrade(organization.id);
      const sent = order.map((i) => deliveries[i]!);
      await outcomes([...sent, ...sent]);
      expect(await itemsOf(organization.id), `order ${order.join(',')}`).toEqual(
        [
          { clerkId: free.id, planSlug: 'free_org', status: 'ended' },
          { clerkId: pro.id, planSlug: 'pro', status: 'active' },
        ].sort((a, b) => a.clerkId.localeCompare(b.clerkId)),
      );
      expect(await featuresOf(organization.id)).toEqual(['unlimited_members', 'unlimited_posts', 'long_posts']);
      round++;
    }
    expect(round).toBe(24);
  });

  it('never brings back an item that ended, even at a later version; an ending at the same version still applies', async () => {
    const organization = newClerkOrganization({}, now);
    const pro = newItem(PRO_PLAN, 'active', now - HOUR);
    const subscription = newSubscription({ organizationId: organization.id }, [pro], now - HOUR);
    await receive(subscriptionDelivery('subscription.created', subscription));
    expect(await outcomes([itemDelivery('subscriptionItem.ended', itemAt(pro, 'ended', now - HOUR + 10), subscription)])).toEqual(['applied']);
    expect(await outcomes([itemDelivery('subscriptionItem.active', itemAt(pro, 'active', now - HOUR + 20), subscription)])).toEqual(['stale']);
    expect(await itemsOf(organization.id)).toEqual([{ clerkId: pro.id, planSlug: 'pro', status: 'ended' }]);

    const other = newItem(PRO_PLAN, 'active', now - HOUR);
    await receive(itemDelivery('subscriptionItem.active', other, subscription));
    expect(await outcomes([itemDelivery('subscriptionItem.abandoned', itemAt(other, 'abandoned', now - HOUR), subscription)])).toEqual(['applied']);
    expect(await outcomes([itemDelivery('subscriptionItem.active', itemAt(other, 'active', now - HOUR), subscription)])).toEqual(['stale']);
  });

  it('takes an item sent on its own without its payer (as an SDK version did): it grants its plan once its subscription names the payer', async () => {
    await createDefaultPlans();
    const organization = newClerkOrganization({}, now);
    const pro = newItem(PRO_PLAN, 'active', now - HOUR);
    const subscription = newSubscription({ organizationId: organization.id }, [], now - 2 * HOUR);
    expect(await outcomes([itemDelivery('subscriptionItem.active', pro, subscription, { withPayer: false })])).toEqual(['applied']);
    expect(await featuresOf(organization.id)).toEqual([]);
    expect(await outcomes([subscriptionDelivery('subscription.created', subscription)])).toEqual(['applied']);
    expect(await itemsOf(organization.id)).toEqual([{ clerkId: pro.id, planSlug: 'pro', status: 'active' }]);
    expect(await featuresOf(organization.id)).toContain('unlimited_posts');
  });

  it("goes with its organization's deletion, and a late event of it stores nothing", async () => {
    const organization = newClerkOrganization({}, now - 3 * HOUR);
    const pro = newItem(PRO_PLAN, 'active', now - 2 * HOUR);
    const subscription = newSubscription({ organizationId: organization.id }, [pro], now - 2 * HOUR);
    await outcomes([organizationDelivery('organization.created', organization), subscriptionDelivery('subscription.created', subscription)]);
    expect(await prisma().billingSubscription.count({ where: { organizationClerkId: organization.id } })).toBe(1);
    await receive(organizationDeletedDelivery(organization, now - HOUR));
    expect(await prisma().billingSubscription.count({ where: { organizationClerkId: organization.id } })).toBe(0);
    expect(await itemsOf(organization.id)).toEqual([]);
    const late = [
      subscriptionDelivery('subscription.updated', subscriptionAt(subscription, 'active', [itemAt(pro, 'canceled', now)], now)),
      itemDelivery('subscriptionItem.canceled', itemAt(pro, 'canceled', now), subscription),
    ];
    expect(await outcomes(late)).toEqual(['stale', 'stale']);
    expect(await prisma().billingSubscriptionItem.count({ where: { clerkId: pro.id } })).toBe(0);
    for (const d of late) expect((await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: d.svixId } })).payload).toBeNull();
  });

  it("of a user: goes with the user's deletion, with the ledger's payloads of it; no payer's name or address is ever kept", async () => {
    const user = newClerkUser({}, now - 3 * HOUR);
    const free = newItem({ id: 'cplan_test_free_user', slug: 'free_user', name: 'Free' }, 'active', now - 2 * HOUR, { periodEnd: null });
    const subscription = newSubscription({ userId: user.id }, [free], now - 2 * HOUR);
    const created = subscriptionDelivery('subscription.created', subscription);
    await outcomes([delivery('user.created', user), created]);
    const stored = await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: created.svixId } });
    expect(stored).toMatchObject({ clerkUserId: user.id, clerkObjectId: subscription.id });
    expect(JSON.stringify(stored.payload)).not.toMatch(/payer@example\.com|"first_name"|"last_name"|image_url|payment_source/);
    expect(await prisma().billingSubscription.findUniqueOrThrow({ where: { clerkId: subscription.id } })).toMatchObject({ userClerkId: user.id, organizationClerkId: null });

    await syncUserDeletion(user.id, new Date(now - HOUR));
    expect(await prisma().billingSubscription.count({ where: { userClerkId: user.id } })).toBe(0);
    expect(await prisma().billingSubscriptionItem.count({ where: { userClerkId: user.id } })).toBe(0);
    expect((await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: created.svixId } })).payload).toBeNull();
    expect(await outcomes([subscriptionDelivery('subscription.updated', subscriptionAt(subscription, 'active', [free], now))])).toEqual(['stale']);
    expect(await prisma().billingSubscription.count({ where: { userClerkId: user.id } })).toBe(0);
  });

  it('records a status it does not know, grants nothing for it, and says so in the log; `pastDue` is `past_due`', async () => {
    await createDefaultPlans();
    const organization = newClerkOrganization({}, now);
    const pro = newItem(PRO_PLAN, 'paused_for_review', now - HOUR);
    const subscription = newSubscription({ organizationId: organization.id }, [pro], now - HOUR, 'on_hold');
    const sent = subscriptionDelivery('subscription.updated', subscription);
    expect(await outcomes([sent])).toEqual(['applied']);
    expect(logs.lines().find((line) => line.msg?.includes('Clerk Billing status'))).toMatchObject({ level: 40, svixId: sent.svixId, statuses: ['on_hold', 'paused_for_review'] });
    expect(await itemsOf(organization.id)).toEqual([{ clerkId: pro.id, planSlug: 'pro', status: 'paused_for_review' }]);
    expect(await featuresOf(organization.id)).toEqual([]);

    await receive(itemDelivery('subscriptionItem.pastDue', itemAt(pro, 'pastDue', now), subscription));
    expect(await itemsOf(organization.id)).toEqual([{ clerkId: pro.id, planSlug: 'pro', status: 'past_due' }]);
  });

  it('records a payment attempt as ignored, keeping none of it', async () => {
    const attempt = rawDelivery({
      object: 'event',
      type: 'paymentAttempt.updated',
      timestamp: now,
      instance_id: 'ins_test',
      data: { id: 'cpa_test', status: 'failed', payer: { email: 'payer@example.com' }, payment_source: { last4: '4242' } },
    });
    expect(await outcomes([attempt, attempt])).toEqual(['ignored', 'duplicate']);
    expect(await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: attempt.svixId } })).toMatchObject({ outcome: 'ignored', payload: null });
  });

  it('refuses a subscription event that is not one, as malformed, and stores nothing', async () => {
    const broken = rawDelivery({ object: 'event', type: 'subscription.updated', timestamp: now, data: { id: 'csub_x', status: 'active', items: 'no' } });
    expect(() => verifyClerkWebhook(broken.body, new Headers(signedHeaders(broken)), TEST_SIGNING_SECRET)).toThrow('malformed subscription.updated payload');
    expect(await prisma().billingSubscription.count({ where: { clerkId: 'csub_x' } })).toBe(0);
  });
});
