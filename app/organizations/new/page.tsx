import type { Metadata } from 'next';
import { createOrganizationAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { CreateOrganizationForm } from '@/modules/organizations/components/organization-forms';

export const metadata: Metadata = { title: 'New organization' };

/** Not under /orgs/: that pattern asks Clerk to activate the organization its slug names. */
export default async function NewOrganizationPage() {
  await requireUser();
  return (
    <main className="mx-auto flex max-w-xl flex-col gap-4 px-6 py-10">
      <h1 className="text-2xl font-bold tracking-tight">New organization</h1>
      <p className="text-slate-700">A shared space for a team: its posts are visible to its members only. You will be its admin.</p>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <CreateOrganizationForm action={createOrganizationAction} />
      </div>
    </main>
  );
}
