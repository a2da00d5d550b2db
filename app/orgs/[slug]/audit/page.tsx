import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { AuditLogList } from '@/modules/audit/components/audit-log-list';
import { listOrganizationAudit } from '@/modules/audit/src/services/organization-audit.service';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { OrganizationHeader } from '@/modules/organizations/components/organization-header';
import { getOrganizationSpace, managesMembers } from '@/modules/organizations/src/services/organization-access.service';

export const metadata: Metadata = { title: 'Audit log' };

/**
 * An organization's audit log (docs/decisions/024), newest first, for who
 * manages its members (`org:sys_memberships:manage`): everyone else gets a
 * 404, as for an organization they are not in. The statement reading the log
 * checks the permission again.
 */
export default async function AuditPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const [{ slug }, { cursor }] = await Promise.all([params, searchParams]);
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space || !managesMembers(space)) notFound();
  const events = await listOrganizationAudit(user.id, space.organization, cursor);
  const base = `/orgs/${space.organization.slug}/audit`;
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OrganizationHeader space={space} current="audit" />
      <section aria-labelledby="audit-heading" className="flex flex-col gap-3">
        <h2 id="audit-heading" className="text-lg font-semibold">
          Audit log
        </h2>
        <p className="text-sm text-slate-600">Invitations, role changes, removals and deletion, as this app made them in Clerk. Kept for a limited time.</p>
        <AuditLogList page={events} olderHref={(next) => `${base}?cursor=${next}`} />
      </section>
    </main>
  );
}
