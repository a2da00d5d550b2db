'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { auditActorOf } from '@/modules/audit/src/services/audit-log.service';
import { authedAction } from '@/modules/auth/src/services/authed-action';
import { homeAfterLeaving } from '@/modules/auth/src/services/require-user';
import { ActionError, success } from '@/modules/cores/actions/action-state';
import { getPrisma } from '@/modules/cores/db/prisma';
import {
  changeRoleSchema,
  createOrganizationSchema,
  deleteOrganizationSchema,
  INVITATION_LIMIT,
  invitationTargetSchema,
  inviteSchema,
  MEMBERSHIP_CHANGE_LIMIT,
  membershipTargetSchema,
  ORGANIZATION_CREATE_LIMIT,
  ORGANIZATION_DELETE_LIMIT,
  ORGANIZATION_LEAVE_LIMIT,
  organizationIdSchema,
} from '@/modules/organizations/src/interfaces/organization.schema';
import { changeRole, createOrganization, deleteOrganization, invite, leaveOrganization, MemberLimitError, removeMember, revokeInvitation } from '@/modules/organizations/src/services/organizations.service';
import {
  organizationPostIdSchema,
  organizationPostSchema,
  POST_CREATE_LIMIT,
  POST_DELETE_LIMIT,
  POST_EDIT_LIMIT,
  updateOrganizationPostSchema,
} from '@/modules/posts/src/interfaces/post.schema';
import { createOrganizationPost, deleteOrganizationPost, PostLimitError, PostNotFoundError, updateOrganizationPost } from '@/modules/posts/src/services/posts.service';
import { FREE_POST_CONTENT_MAX, FREE_POST_LIMIT, LONG_POSTS, UNLIMITED_MEMBERS, UNLIMITED_POSTS } from '@/modules/billing/src/interfaces/billing.limits';
import { withPlanFromClerk } from '@/modules/billing/src/services/plan-claims';

const NOT_YOURS = 'That post does not exist, or it is not yours.';
const NOT_A_MEMBER = 'You are not a member of this organization.';
const POST_LIMIT_REACHED = `This organization's plan allows ${FREE_POST_LIMIT} posts, and it has them all. Upgrade to post more (nothing is deleted).`;
const POST_TOO_LONG_FOR_PLAN = `On this organization's plan a post is at most ${FREE_POST_CONTENT_MAX.toLocaleString('en-US')} characters. Upgrade for longer posts.`;

/** Every page the organizations and their members show on (the header lists them too). */
function revalidateSpaces() {
  revalidatePath('/', 'layout');
}

/** Where an organization's pages are; the organization was just checked through the asker's membership. */
async function organizationPath(organizationId: string): Promise<string> {
  const organization = await getPrisma().organization.findUnique({ where: { id: organizationId }, select: { slug: true } });
  return organization ? `/orgs/${organization.slug}` : '/dashboard';
}

/** The feature that would have let a refused post through. */
const featureOfPostRefusal = (error: unknown) => (error instanceof PostLimitError ? (error.limit === 'posts' ? UNLIMITED_POSTS : LONG_POSTS) : null);

/** A post's permission failure, or its organization's plan's refusal (with where to upgrade), as the form shows it. */
async function asPostError<T>(write: () => Promise<T>, message: string, organizationId: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof PostNotFoundError) throw new ActionError(message);
    if (error instanceof PostLimitError) {
      const upgrade = { href: `${await organizationPath(organizationId)}/billing`, label: 'See plans and upgrade' };
      if (error.limit === 'posts') throw new ActionError(POST_LIMIT_REACHED, undefined, upgrade);
      throw new ActionError(POST_TOO_LONG_FOR_PLAN, 'content', upgrade);
    }
    throw error;
  }
}

export const createOrganizationAction = authedAction({ schema: createOrganizationSchema, limit: ORGANIZATION_CREATE_LIMIT }, async ({ user }, input) => {
  const slug = await createOrganization(user, input);
  revalidateSpaces();
  redirect(`/orgs/${slug}?created=1`);
});

/** The same answer whoever holds the address (or nobody does): nothing about them is revealed. */
export const inviteAction = authedAction({ schema: inviteSchema, limit: INVITATION_LIMIT }, async ({ user }, { organizationId, email, role }) => {
  const actor = await auditActorOf(user);
  await withPlanFromClerk(organizationId, () => invite(user, organizationId, { email, role }, actor), (error) => (error instanceof MemberLimitError ? UNLIMITED_MEMBERS : null));
  revalidateSpaces();
  return success(`Invitation sent to ${email}. They join when they accept it.`);
});

export const revokeInvitationAction = authedAction({ schema: invitationTargetSchema, limit: MEMBERSHIP_CHANGE_LIMIT }, async ({ user }, { organizationId, invitationId }) => {
  await revokeInvitation(user, organizationId, invitationId, await auditActorOf(user));
  revalidateSpaces();
  return success('Invitation revoked.');
});

export const changeRoleAction = authedAction({ schema: changeRoleSchema, limit: MEMBERSHIP_CHANGE_LIMIT }, async ({ user }, { organizationId, membershipId, role }) => {
  await changeRole(user, organizationId, membershipId, role, await auditActorOf(user));
  revalidateSpaces();
  return success('Role changed.');
});

export const removeMemberAction = authedAction({ schema: membershipTargetSchema, limit: MEMBERSHIP_CHANGE_LIMIT }, async ({ user }, { organizationId, membershipId }) => {
  await removeMember(user, organizationId, membershipId, await auditActorOf(user));
  revalidateSpaces();
  return success('Removed.');
});

export const leaveOrganizationAction = authedAction({ schema: organizationIdSchema, limit: ORGANIZATION_LEAVE_LIMIT }, async ({ user }, { organizationId }) => {
  await leaveOrganization(user, organizationId);
  revalidateSpaces();
  redirect(homeAfterLeaving('left=1'));
});

export const deleteOrganizationAction = authedAction({ schema: deleteOrganizationSchema, limit: ORGANIZATION_DELETE_LIMIT }, async ({ user }, { organizationId, confirmation }) => {
  await deleteOrganization(user, organizationId, confirmation, await auditActorOf(user));
  revalidateSpaces();
  redirect(homeAfterLeaving('organization=deleted'));
});

export const createOrganizationPostAction = authedAction({ schema: organizationPostSchema, limit: POST_CREATE_LIMIT }, async ({ user }, { organizationId, ...input }) => {
  await asPostError(() => withPlanFromClerk(organizationId, () => createOrganizationPost(user.id, organizationId, input), featureOfPostRefusal), NOT_A_MEMBER, organizationId);
  revalidatePath(await organizationPath(organizationId));
  return success('Post published.');
});

export const updateOrganizationPostAction = authedAction({ schema: updateOrganizationPostSchema, limit: POST_EDIT_LIMIT }, async ({ user }, { organizationId, postId, ...input }) => {
  await asPostError(() => withPlanFromClerk(organizationId, () => updateOrganizationPost(user.id, organizationId, postId, input), featureOfPostRefusal), NOT_YOURS, organizationId);
  const path = await organizationPath(organizationId);
  revalidatePath(path, 'layout');
  redirect(`${path}/posts/${postId}?saved=1`);
});

export const deleteOrganizationPostAction = authedAction({ schema: organizationPostIdSchema, limit: POST_DELETE_LIMIT }, async ({ user }, { organizationId, postId }) => {
  await asPostError(() => deleteOrganizationPost(user.id, organizationId, postId), NOT_YOURS, organizationId);
  const path = await organizationPath(organizationId);
  revalidatePath(path, 'layout');
  redirect(`${path}?deleted=1`);
});
