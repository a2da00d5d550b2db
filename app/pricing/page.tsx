import type { Metadata } from 'next';
import Link from 'next/link';
import { PricingScreen } from '@/modules/auth/components/auth-ui';
import { listOrganizationPlans } from '@/modules/billing/src/services/plans.service';

export const metadata: Metadata = { title: 'Pricing' };

/** The organization plans, for anyone. A personal space is free. */
export default async function PricingPage() {
  const plans = await listOrganizationPlans();
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-6 px-6 py-10">
      <div className="flex flex-col gap-2">
        <h1 className="text-2xl font-bold tracking-tight">Pricing</h1>
        <p className="text-slate-700">
          Your personal space is free. An organization starts on Free and can move to Pro from its{' '}
          <Link href="/dashboard" className="font-medium text-indigo-700 underline">
            Billing page
          </Link>
          .
        </p>
      </div>
      <PricingScreen plans={plans} />
    </main>
  );
}
