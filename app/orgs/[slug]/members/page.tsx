import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { usageText } from '@/modules/billing/components/plan-badge';
import { billingPath } from '@/modules/billing/src/interfaces/billing.limits';
import { atMemberLimit, seatsTaken } from '@/modules/billing/src/services/organization-plan';
import { changeRoleAction, deleteOrganizationAction, inviteAction, leaveOrganizationAction, removeMemberAction, revokeInvitationAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { DeleteOrganizationForm, InviteForm, LeaveOrganizationForm, MemberControls, RevokeInvitationForm } from '@/modules/organizations/components/organization-forms';
import { OrganizationHeader } from '@/modules/organizations/components/organization-header';
import { DELETE_ORGANIZATION, roleLabel } from '@/modules/organizations/src/interfaces/organization.limits';
import { can, getOrganizationSpace, managesMembers } from '@/modules/organizations/src/services/organization-access.service';
import { listMembers, listPendingInvitations, listRoles } from '@/modules/organizations/src/services/organizations.service';

export const metadata: Metadata = { title: 'Members' };

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

/**
 * An organization's members and their roles, for its members. Who manages
 * members (`org:sys_memberships:manage`) also invites, sees and revokes
 * pending invitations, changes roles and removes; who may delete the
 * organization (`org:sys_profile:delete`) may delete it.
 */
export default async function MembersPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  const organizationId = space.organization.id;
  const manager = managesMembers(space);
  const [members, invitations, roles] = await Promise.all([
    listMembers(user.id, organizationId),
    manager ? listPendingInvitations(user.id, organizationId) : Promise.resolve([]),
    manager ? listRoles() : Promise.resolve([]),
  ]);
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OrganizationHeader space={space} current="members" />
      <div className="grid gap-8 lg:grid-cols-[1fr_22rem]">
        <div className="flex min-w-0 flex-col gap-8">
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
                      <p className="mt-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">{roleLabel(member.role, member.roleName)}</p>
                    </div>
                    {manager ? (
                      <MemberControls
                        roleAction={changeRoleAction}
                        removeAction={removeMemberAction}
                        organizationId={organizationId}
                        membershipId={member.id}
                        role={member.role}
                        roles={roles}
                        name={name}
                      />
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </section>
          {manager ? (
            <section aria-labelledby="invitations-heading" className="flex min-w-0 flex-col gap-3">
              <h2 id="invitations-heading" className="text-lg font-semibold">
                Pending invitations ({invitations.length})
              </h2>
              {invitations.length === 0 ? (
                <p className="text-sm text-slate-600">No invitation is waiting for an answer.</p>
              ) : (
                <ul className="flex flex-col gap-3" data-testid="invitation-list">
                  {invitations.map((invitation) => {
                    const label = invitation.email ?? 'an erased address';
                    return (
                      <li key={invitation.id} className="flex flex-wrap items-start justify-between gap-4 rounded-lg border border-dashed border-slate-300 bg-white p-4">
                        <div className="min-w-0">
                          <p className="font-medium break-all">{label}</p>
                          <p className="mt-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">{roleLabel(invitation.role, invitation.roleName)}</p>
                          {invitation.expiresAt ? <p className="mt-1 text-xs text-slate-600">Expires {dateFormat.format(invitation.expiresAt)}</p> : null}
                        </div>
                        <RevokeInvitationForm action={revokeInvitationAction} organizationId={organizationId} invitationId={invitation.id} label={label} />
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>
          ) : null}
        </div>
        <aside className="flex flex-col gap-6">
          {manager ? (
            <section aria-labelledby="invite-heading" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
              <h2 id="invite-heading" className="mb-3 text-lg font-semibold">
                Invite someone
              </h2>
              <p className="mb-3 text-sm text-slate-700" data-testid="seat-usage">
                {usageText(seatsTaken(space.plan), space.plan.memberLimit, 'members')} on {space.plan.name}, pending invitations included.
                {atMemberLimit(space.plan) ? (
                  <>
                    {' '}
                    <Link href={billingPath(space.organization.slug)} className="font-medium text-indigo-700 underline">
                      Upgrade to invite more
                    </Link>
                  </>
                ) : null}
              </p>
              <InviteForm action={inviteAction} organizationId={organizationId} roles={roles} />
            </section>
          ) : null}
          <section aria-labelledby="leave-heading" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="leave-heading" className="text-lg font-semibold">
              Leave
            </h2>
            <p className="mt-1 mb-3 text-sm text-slate-700">You lose access to its posts at once. Your posts here stay with the organization.</p>
            <LeaveOrganizationForm action={leaveOrganizationAction} organizationId={organizationId} />
          </section>
          {can(space, DELETE_ORGANIZATION) ? (
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
