/** The top of every page of an organization's space: its name and plan, your role, its sections (the audit log for who manages members). */
import Link from 'next/link';
import { PlanBadge } from '@/modules/billing/components/plan-badge';
import { roleLabel } from '../src/interfaces/organization.limits';
import { managesMembers, type OrganizationSpace } from '../src/services/organization-access.service';

export function OrganizationHeader({ space, current }: { space: OrganizationSpace; current: 'posts' | 'members' | 'billing' | 'audit' | null }) {
  const base = `/orgs/${space.organization.slug}`;
  const tab = (href: string, label: string, active: boolean) => (
    <Link
      href={href}
      aria-current={active ? 'page' : undefined}
      className={`rounded-md px-3 py-1.5 text-sm font-medium ${active ? 'bg-indigo-50 text-indigo-800' : 'text-slate-700 hover:bg-slate-100'}`}
    >
      {label}
    </Link>
  );
  return (
    <div className="flex flex-col gap-2">
      <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">Organization</p>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-bold tracking-tight break-words" data-testid="organization-name">
            {space.organization.name}
          </h1>
          <PlanBadge plan={space.plan} />
        </div>
        <p className="text-sm text-slate-600">
          Your role: <strong data-testid="organization-role">{roleLabel(space.membership.role, space.membership.roleName)}</strong>
        </p>
      </div>
      <nav aria-label="Organization" className="flex gap-2">
        {tab(base, 'Posts', current === 'posts')}
        {tab(`${base}/members`, 'Members', current === 'members')}
        {tab(`${base}/billing`, 'Billing', current === 'billing')}
        {managesMembers(space) ? tab(`${base}/audit`, 'Audit log', current === 'audit') : null}
      </nav>
    </div>
  );
}
