import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { addMemberAction, changeRoleAction, deleteOrganizationAction, leaveOrganizationAction, removeMemberAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { AddMemberForm, DeleteOrganizationForm, LeaveOrganizationForm, MemberControls } from '@/modules/organizations/components/organization-forms';
import { OrganizationHeader } from '@/modules/organizations/components/organization-header';
import { roleLabel } from '@/modules/organizations/src/interfaces/organization.limits';
import { getOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { listMembers } from '@/modules/organizations/src/services/organizations.service';

export const metadata: Metadata = { title: 'Members' };

/** An organization's members and their roles; its admins add, change and remove members and may delete it. Members only. */
export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  const members = await listMembers(user.id, space.organization.id);
  const organizationId = space.organization.id;
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OrganizationHeader space={space} current="members" />
      <div className="grid gap-8 lg:grid-cols-[1fr_22rem]">
        <section aria-labelledby="members-heading" className="flex min-w-0 flex-col gap-3">
          <h2 id="members-heading" className="text-lg font-semibold">
            Members ({members.length})
          </h2>
          <ul className="flex flex-col gap-3" data-testid="member-list">
            {members.map((member) => {
              const name = member.name ?? member.email ?? 'Someone';
              return (
                <li key={member.id} className="flex flex-wrap items-start justify-between gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                  <div className="min-w-0">
                    <p className="font-medium break-words">
                      {name}
                      {member.isYou ? <span className="ml-2 text-xs font-normal text-slate-600">(you)</span> : null}
                    </p>
                    {member.email ? <p className="text-sm break-all text-slate-600">{member.email}</p> : null}
                    <p className="mt-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">{roleLabel(member.role)}</p>
                  </div>
                  {space.isAdmin ? (
                    <MemberControls
                      roleAction={changeRoleAction}
                      removeAction={removeMemberAction}
                      organizationId={organizationId}
                      membershipId={member.id}
                      role={member.role}
                      name={name}
                    />
                  ) : null}
                </li>
              );
            })}
          </ul>
        </section>
        <aside className="flex flex-col gap-6">
          {space.isAdmin ? (
            <section aria-labelledby="add-member" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
              <h2 id="add-member" className="mb-3 text-lg font-semibold">
                Add a member
              </h2>
              <AddMemberForm action={addMemberAction} organizationId={organizationId} />
            </section>
          ) : null}
          <section aria-labelledby="leave-heading" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="leave-heading" className="text-lg font-semibold">
              Leave
            </h2>
            <p className="mt-1 mb-3 text-sm text-slate-700">You lose access to its posts at once. Your posts here stay with the organization.</p>
            <LeaveOrganizationForm action={leaveOrganizationAction} organizationId={organizationId} />
          </section>
          {space.isAdmin ? (
            <section aria-labelledby="delete-heading" className="rounded-lg border border-red-200 bg-white p-5 shadow-sm">
              <h2 id="delete-heading" className="text-lg font-semibold text-red-800">
                Delete the organization
              </h2>
              <p className="mt-1 mb-3 text-sm text-slate-700">Its members lose access at once, and every post in it is deleted. It cannot be undone.</p>
              <DeleteOrganizationForm action={deleteOrganizationAction} organizationId={organizationId} slug={space.organization.slug} />
            </section>
          ) : null}
        </aside>
      </div>
    </main>
  );
}
