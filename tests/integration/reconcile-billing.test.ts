/**
 * Reconcile's pass over Clerk Billing, in this process against real
 * PostgreSQL and the emulator through the real `@clerk/backend` client (no
 * webhooks delivered: what reconcile alone makes of Clerk's state): every
 * plan stored with its features, every organization's subscription as
 * Clerk has it, rows of a payer Clerk no longer has removed, and a plan
 * Clerk no longer lists removed.
 */
import { describe, expect, it } from 'vitest';
import { reconcileBilling, syncOrganizationSubscriptionFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { syncOrganizationFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { findOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { organizationFixtures } from '../helpers/organization-services';
import { prisma } from '../helpers/prisma';

const emulated = emulatorAsAppsClerk();
const { person, team } = organizationFixtures(emulated);

const byClerkId = (a: { clerkId: string }, b: { clerkId: string }) => (a.clerkId < b.clerkId ? -1 : 1);
const ourItems = async (organizationClerkId: string) =>
  (await prisma().billingSubscriptionItem.findMany({ where: { organizationClerkId }, select: { clerkId: true, status: true, planClerkId: true, periodEnd: true } })).sort(byClerkId);

async function clerkItems(organizationClerkId: string) {
  const subscription = await emulated.clerk.billing.getOrganizationBillingSubscription(organizationClerkId);
  return subscription.subscriptionItems
    .map((item) => ({ clerkId: item.id, status: item.status as string, planClerkId: item.planId, periodEnd: item.periodEnd === null ? null : new Date(item.periodEnd) }))
    .sort(byClerkId);
}

describe('reconcile over Billing', () => {
  it("stores the plans and every organization's subscription as Clerk has them; the plan then decides the limits", async () => {
    const admin = await person('Ada');
    const [onPro, onFree, canceled] = [await team(admin), await team(admin), await team(admin)];
    await emulated.control.subscribe({ organizationId: onPro.clerkId, plan: 'pro' });
    await emulated.control.subscribe({ organizationId: canceled.clerkId, plan: 'pro', period: 'annual' });
    const proItem = (await emulated.clerk.billing.getOrganizationBillingSubscription(canceled.clerkId)).subscriptionItems.find((item) => item.status === 'active' && item.plan?.slug === 'pro')!;
    await emulated.clerk.billing.cancelSubscriptionItem(proItem.id);

    const summary = await reconcileBilling(emulated.clerk);
    expect(summary).toMatchObject({ plans: 3, plansRemoved: 0, subscriptions: 3, applied: 3, none: 0, failed: 0, billingOff: false });
    expect(await prisma().billingPlan.findMany({ select: { slug: true, payerType: true, isDefault: true, featureSlugs: true }, orderBy: { slug: 'asc' } })).toEqual([
      { slug: 'free_org', payerType: 'org', isDefault: true, featureSlugs: [] },
      { slug: 'free_user', payerType: 'user', isDefault: true, featureSlugs: [] },
      { slug: 'pro', payerType: 'org', isDefault: false, featureSlugs: ['unlimited_members', 'unlimited_posts', 'long_posts'] },
    ]);
    for (const organization of [onPro, onFree, canceled]) expect(await ourItems(organization.clerkId)).toEqual(await clerkItems(organization.clerkId));
    const planOf = async (slug: string) => (await findOrganizationSpace(admin, slug, async () => ({})))!.plan;
    expect(await planOf(onPro.slug)).toMatchObject({ name: 'Pro', state: 'active', memberLimit: null });
    expect(await planOf(onFree.slug)).toMatchObject({ name: 'Free', state: 'free', memberLimit: 3 });
    expect(await planOf(canceled.slug)).toMatchObject({ name: 'Pro', state: 'canceling' });

    // Again: nothing new.
    expect(await reconcileBilling(emulated.clerk)).toMatchObject({ subscriptions: 3, applied: 0, failed: 0 });
  });

  it('removes the rows of an organization Clerk no longer has, and a plan Clerk no longer lists', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    await emulated.control.subscribe({ organizationId: organization.clerkId, plan: 'pro' });
    await syncOrganizationSubscriptionFromClerk(organization.clerkId);
    expect((await ourItems(organization.clerkId)).length).toBeGreaterThan(0);
    await prisma().billingPlan.create({ data: { clerkId: 'cplan_gone', slug: 'legacy', name: 'Legacy', payerType: 'org', isDefault: false, featureSlugs: [] } });

    // Deleted in Clerk; its organization.deleted not here (no webhooks in this test): our organization row stays, its subscription is gone in Clerk.
    await emulated.clerk.organizations.deleteOrganization(organization.clerkId);
    const summary = await reconcileBilling(emulated.clerk);
    // (Organizations of the test before are gone from the reset emulator too.)
    expect(summary).toMatchObject({ plansRemoved: 1, failed: 0 });
    expect(summary.none).toBeGreaterThanOrEqual(1);
    expect(await ourItems(organization.clerkId)).toEqual([]);
    expect(await prisma().billingSubscription.count({ where: { organizationClerkId: organization.clerkId } })).toBe(0);
    expect(await prisma().billingPlan.count({ where: { clerkId: 'cplan_gone' } })).toBe(0);
  });

  it('skips Billing, saying so, when Clerk refuses the plan list (Billing off), and leaves our rows alone', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    await syncOrganizationFromClerk((await emulated.clerk.organizations.getOrganization({ organizationId: organization.clerkId })).raw);
    await emulated.control.subscribe({ organizationId: organization.clerkId, plan: 'pro' });
    await syncOrganizationSubscriptionFromClerk(organization.clerkId);
    const before = await ourItems(organization.clerkId);
    await emulated.control.serverErrors(1, 403, 'GET /v1/billing/plans');
    expect(await reconcileBilling(emulated.clerk)).toMatchObject({ billingOff: true, subscriptions: 0 });
    expect(await ourItems(organization.clerkId)).toEqual(before);
  });
});
