/** The organization plans side by side: what each allows, and what the viewer can do about it. */
import type { ReactNode } from 'react';
import { FEATURE_LABELS, FREE_LIMIT_LABELS } from '../src/interfaces/billing.limits';
import type { PlanSummary } from '../src/services/plans.service';

export function PlanCards({ plans, currentSlug, action }: { plans: PlanSummary[]; currentSlug?: string | null; action?: (plan: PlanSummary) => ReactNode }) {
  if (plans.length === 0) return <p className="text-sm text-slate-600">No plans are set up for this Clerk instance yet (see the README, “Billing”).</p>;
  return (
    <ul className="grid gap-4 sm:grid-cols-2" data-testid="plan-cards">
      {plans.map((plan) => {
        const lines = plan.features.length ? plan.features.map((feature) => FEATURE_LABELS[feature] ?? feature) : FREE_LIMIT_LABELS;
        const current = plan.slug === currentSlug;
        return (
          <li key={plan.clerkId} data-testid={`plan-${plan.slug}`} className={`flex flex-col gap-3 rounded-lg border bg-white p-5 shadow-sm ${current ? 'border-indigo-400' : 'border-slate-200'}`}>
            <div className="flex items-baseline justify-between gap-2">
              <h3 className="text-lg font-semibold">{plan.name}</h3>
              {current ? <span className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-semibold text-indigo-800">Current plan</span> : null}
            </div>
            <ul className="flex list-disc flex-col gap-1 pl-5 text-sm text-slate-700">
              {lines.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            {action ? <div className="mt-auto">{action(plan)}</div> : null}
          </li>
        );
      })}
    </ul>
  );
}
