/** An organization's plan in a word or two, as its header shows it. */
import type { OrganizationPlan } from '../src/services/organization-plan';

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

export function planSummary(plan: OrganizationPlan): string {
  switch (plan.state) {
    case 'past_due':
      return 'Payment past due: Free limits apply';
    case 'canceling':
      return `${plan.name}, until ${plan.periodEnd ? dateFormat.format(plan.periodEnd) : 'the end of the period'}`;
    case 'trial':
      return `${plan.name} (free trial)`;
    default:
      return plan.name;
  }
}

export function PlanBadge({ plan }: { plan: OrganizationPlan }) {
  const tone = plan.state === 'past_due' ? 'bg-amber-100 text-amber-900' : plan.state === 'free' ? 'bg-slate-100 text-slate-800' : 'bg-indigo-50 text-indigo-800';
  return (
    <span data-testid="organization-plan" className={`rounded-full px-2.5 py-0.5 text-xs font-semibold ${tone}`}>
      {planSummary(plan)}
    </span>
  );
}

/** "2 of 3 members", or just the count when the plan has no limit. */
export const usageText = (used: number, limit: number | null, noun: string) => (limit === null ? `${used} ${noun}` : `${used} of ${limit} ${noun}`);
