import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { auth } from '@clerk/nextjs/server';
import { OrganizationPlanPicker } from '@/modules/auth/components/auth-ui';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { planSummary, usageText } from '@/modules/billing/components/plan-badge';
import { billingPath, MANAGE_BILLING } from '@/modules/billing/src/interfaces/billing.limits';
import { seatsTaken } from '@/modules/billing/src/services/organization-plan';
import { listOrganizationPlans } from '@/modules/billing/src/services/plans.service';
import { syncOrganizationSubscriptionFromClerk } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { getLogger } from '@/modules/cores/logger/logger';
import { Notice } from '@/modules/cores/ui/notice';
import { OrganizationHeader } from '@/modules/organizations/components/organization-header';
import { can, findOrganizationSpace, getOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';

export const metadata: Metadata = { title: 'Billing' };

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

/**
 * An organization's plan, what it allows and how much of it is used, for its
 * members; who may manage its billing (`org:sys_billing:manage`) changes the
 * plan here. Back from a checkout (`?checkout=1`), the subscription is read
 * once from Clerk, so that the new plan shows before its webhook lands; our
 * row decides, as always.
 */
export default async function BillingPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ checkout?: string }> }) {
  const [{ slug }, { checkout }] = await Promise.all([params, searchParams]);
  const user = await requireUser();
  let space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  if (checkout) {
    try {
      await syncOrganizationSubscriptionFromClerk(space.organization.clerkId);
      space = (await findOrganizationSpace(user, slug, () => auth())) ?? space;
    } catch (error) {
      getLogger().warn({ err: error, organization: space.organization.clerkId }, 'subscription not read from Clerk after checkout; its webhook will bring it');
    }
  }
  const { plan } = space;
  const manager = can(space, MANAGE_BILLING);
  const plans = manager ? await listOrganizationPlans() : [];
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OrganizationHeader space={space} current="billing" />
      {checkout ? <Notice>Back from checkout. The plan below is the one Clerk has now.</Notice> : null}
      <section aria-labelledby="plan-heading" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 id="plan-heading" className="text-lg font-semibold">
          Plan: <span data-testid="billing-plan">{planSummary(plan)}</span>
        </h2>
        {plan.state === 'past_due' ? (
          <p className="text-sm text-amber-900" data-testid="billing-past-due">
            A payment failed. Until it is paid, the Free plan&apos;s limits apply: nothing is deleted, but members, posts and long posts over those limits
            are refused.
          </p>
        ) : null}
        {plan.state === 'canceling' && plan.periodEnd ? (
          <p className="text-sm text-slate-700">Canceled: {plan.name} holds until {dateFormat.format(plan.periodEnd)}, then the organization is on Free (nothing is deleted).</p>
        ) : null}
        <ul className="flex flex-col gap-1 text-sm text-slate-700" data-testid="billing-usage">
          <li>{usageText(seatsTaken(plan), plan.memberLimit, 'members')} (pending invitations included)</li>
          <li>{usageText(plan.usage.posts, plan.postLimit, 'posts')}</li>
          <li>{plan.postContentMax === null ? 'Long posts' : `Posts up to ${plan.postContentMax.toLocaleString('en-US')} characters`}</li>
        </ul>
      </section>
      {manager ? (
        <section aria-labelledby="plans-heading" className="flex flex-col gap-3">
          <h2 id="plans-heading" className="text-lg font-semibold">
            Change the plan
          </h2>
          <OrganizationPlanPicker organizationClerkId={space.organization.clerkId} plans={plans} currentSlug={plan.slug} pastDue={plan.state === 'past_due'} returnUrl={`${billingPath(space.organization.slug)}?checkout=1`} />
        </section>
      ) : (
        <p className="text-sm text-slate-600">Ask an admin of {space.organization.name} to change its plan.</p>
      )}
    </main>
  );
}
