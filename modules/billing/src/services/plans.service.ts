/**
 * The instance's organization plans as our copy holds them, for the pricing
 * cards. Plans have no events: a database that holds none (a fresh one)
 * reads them once from the Backend API, and not again for a minute if
 * Clerk has none either (Billing off).
 */
import { syncPlansFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { getPrisma } from '@/modules/cores/db/prisma';

export interface PlanSummary {
  clerkId: string;
  slug: string;
  name: string;
  isDefault: boolean;
  features: string[];
}

const RETRY_MS = 60_000;
let lastEmptyFetch = 0;

const orgPlans = () =>
  getPrisma().billingPlan.findMany({
    where: { payerType: 'org' },
    orderBy: [{ isDefault: 'desc' }, { name: 'asc' }],
    select: { clerkId: true, slug: true, name: true, isDefault: true, featureSlugs: true },
  });

export async function listOrganizationPlans(): Promise<PlanSummary[]> {
  let plans = await orgPlans();
  if (plans.length === 0 && Date.now() - lastEmptyFetch > RETRY_MS) {
    await syncPlansFromClerk().catch(() => undefined);
    plans = await orgPlans();
    if (plans.length === 0) lastEmptyFetch = Date.now();
  }
  return plans.map(({ featureSlugs, ...plan }) => ({ ...plan, features: featureSlugs }));
}
