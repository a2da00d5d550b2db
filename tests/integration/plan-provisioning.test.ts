/**
 * A space whose live subscription item names a plan our copy lacks (a fresh
 * database, or a plan made in Clerk's dashboard since reconcile): the
 * instance's plans are read once from the Backend API, then our rows decide;
 * a plan Clerk lacks too grants nothing and is not asked for again within a
 * minute. In this process, against real PostgreSQL and the emulator through
 * the real `@clerk/backend` client.
 */
import { describe, expect, it } from 'vitest';
import { syncOrganizationSubscriptionFromClerk, syncSubscriptionFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { findOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { newItem, newSubscription } from '../helpers/billing-events';
import { organizationFixtures } from '../helpers/organization-services';
import { prisma } from '../helpers/prisma';

const emulated = emulatorAsAppsClerk();
const { person, team } = organizationFixtures(emulated);
const HOUR = 3_600_000;

const planReads = async (mark: number) => (await emulated.control.backendApiRequests(mark)).filter((request) => request.route === 'GET /v1/billing/plans').length;

describe('plans read when a space names one we lack', () => {
  it('reads the plans once, then the plan decides; the next render asks nothing', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    await emulated.control.subscribe({ organizationId: organization.clerkId, plan: 'pro' });
    await syncOrganizationSubscriptionFromClerk(organization.clerkId);
    await prisma().billingPlan.deleteMany();

    const mark = await emulated.control.backendApiMark();
    expect((await findOrganizationSpace(admin, organization.slug, async () => ({})))!.plan).toMatchObject({ name: 'Pro', state: 'active', memberLimit: null, postLimit: null });
    // Organizations' plans and users': one list each.
    expect(await planReads(mark)).toBe(2);
    const again = await emulated.control.backendApiMark();
    await findOrganizationSpace(admin, organization.slug, async () => ({}));
    expect(await planReads(again)).toBe(0);
  });

  it('a plan Clerk lacks too grants nothing and is not read again within a minute', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const legacy = newItem({ id: 'cplan_legacy_gone', slug: 'legacy', name: 'Legacy' }, 'active', Date.now() - HOUR);
    await syncSubscriptionFromClerk(newSubscription({ organizationId: organization.clerkId }, [legacy], Date.now() - HOUR));

    const mark = await emulated.control.backendApiMark();
    expect((await findOrganizationSpace(admin, organization.slug, async () => ({})))!.plan).toMatchObject({ name: 'Legacy', features: [], memberLimit: 3, postLimit: 50 });
    expect(await planReads(mark)).toBe(2);
    const again = await emulated.control.backendApiMark();
    expect((await findOrganizationSpace(admin, organization.slug, async () => ({})))!.plan).toMatchObject({ name: 'Legacy', memberLimit: 3 });
    expect(await planReads(again)).toBe(0);
  });
});
