/**
 * One sync engine for every Clerk object (docs/decisions/011, 012, 022): a change
 * is an object type (user, organization, membership, invitation, role,
 * permission, subscription, subscription item), an action (a new
 * version, or a deletion) and the object's fields, and every change goes
 * through the database function `clerk_apply_change`, which holds the rules
 * (svix-id ledger aside): per-object locks, ordering by Clerk's
 * `updated_at`, tombstones. Each object type contributes here only how it
 * maps Clerk's JSON to fields. Pure, but for `applyChange`.
 */
import { type ClerkSubscriptionData, type ClerkSubscriptionItemData, payerFields, subscriptionFields, subscriptionItemFields } from '../objects/clerk-billing-data';
import { type ClerkInvitationData, invitationFields } from '../objects/clerk-invitation-data';
import type { ClerkMembershipData, ClerkOrganizationData } from '../objects/clerk-organization-data';
import { type ClerkPermissionData, type ClerkRoleData, permissionFields, roleFields } from '../objects/clerk-role-data';
import type { ClerkUserData } from '../objects/clerk-user-data';
import type { HandledEvent } from '../webhook/webhook';
import { clerkUserFields } from '../objects/clerk-user';

export interface OrganizationFields {
  clerkId: string;
  name: string;
  slug: string;
  /** Clerk's `updated_at`. */
  version: Date;
}

export interface MembershipFields {
  clerkId: string;
  /** The organization as the membership embeds it: a version of it like any other. */
  organization: OrganizationFields;
  userClerkId: string;
  role: string;
  /** Clerk's `created_at`: of two memberships of one pair, the later one is live. */
  created: Date;
  version: Date;
}

export type ClerkChange =
  | { object: 'user'; action: 'version'; data: ClerkUserData }
  | { object: 'organization'; action: 'version'; data: ClerkOrganizationData }
  | { object: 'membership'; action: 'version' | 'deletion'; data: ClerkMembershipData }
  | { object: 'invitation'; action: 'version'; data: ClerkInvitationData }
  | { object: 'role'; action: 'version'; data: ClerkRoleData }
  | { object: 'permission'; action: 'version'; data: ClerkPermissionData }
  | { object: 'subscription'; action: 'version'; data: ClerkSubscriptionData }
  | { object: 'subscriptionItem'; action: 'version'; data: ClerkSubscriptionItemData }
  | { object: 'user' | 'organization' | 'role' | 'permission'; action: 'deletion'; clerkId: string };

export const organizationFields = (organization: ClerkOrganizationData): OrganizationFields => ({
  clerkId: organization.id,
  name: organization.name.trim(),
  slug: organization.slug.trim(),
  version: new Date(organization.updated_at),
});

export const membershipFields = (membership: ClerkMembershipData): MembershipFields => ({
  clerkId: membership.id,
  organization: organizationFields(membership.organization),
  userClerkId: membership.public_user_data.user_id,
  role: membership.role,
  created: new Date(membership.created_at),
  version: new Date(membership.updated_at),
});

/** The object a deletion event is about. */
const DELETED_OBJECT = { 'user.deleted': 'user', 'organization.deleted': 'organization', 'role.deleted': 'role', 'permission.deleted': 'permission' } as const;

/** The change an event asks for; null for an event that changes nothing (a deletion without an id). */
export function changeOfEvent(event: HandledEvent): ClerkChange | null {
  switch (event.type) {
    case 'user.created':
    case 'user.updated':
      return { object: 'user', action: 'version', data: event.data };
    case 'organization.created':
    case 'organization.updated':
      return { object: 'organization', action: 'version', data: event.data };
    case 'organizationMembership.created':
    case 'organizationMembership.updated':
      return { object: 'membership', action: 'version', data: event.data };
    case 'organizationMembership.deleted':
      return { object: 'membership', action: 'deletion', data: event.data };
    case 'organizationInvitation.created':
    case 'organizationInvitation.accepted':
    case 'organizationInvitation.revoked':
      return { object: 'invitation', action: 'version', data: event.data };
    case 'role.created':
    case 'role.updated':
      return { object: 'role', action: 'version', data: event.data };
    case 'permission.created':
    case 'permission.updated':
      return { object: 'permission', action: 'version', data: event.data };
    case 'subscription.created':
    case 'subscription.updated':
    case 'subscription.active':
    case 'subscription.pastDue':
      return { object: 'subscription', action: 'version', data: event.data };
    case 'subscriptionItem.created':
    case 'subscriptionItem.updated':
    case 'subscriptionItem.active':
    case 'subscriptionItem.canceled':
    case 'subscriptionItem.upcoming':
    case 'subscriptionItem.ended':
    case 'subscriptionItem.abandoned':
    case 'subscriptionItem.incomplete':
    case 'subscriptionItem.pastDue':
    case 'subscriptionItem.freeTrialEnding':
      return { object: 'subscriptionItem', action: 'version', data: event.data };
    case 'user.deleted':
    case 'organization.deleted':
    case 'role.deleted':
    case 'permission.deleted':
      return event.data.id ? { object: DELETED_OBJECT[event.type], action: 'deletion', clerkId: event.data.id } : null;
  }
}

/** The Clerk user whose personal data a change carries (the ledger erases it with them): the user, a membership's, an invitation's acceptor, a paying user. */
export function clerkUserIdOfChange(change: ClerkChange): string | null {
  if (change.object === 'user') return 'data' in change ? change.data.id : change.clerkId;
  if (change.object === 'membership') return change.data.public_user_data.user_id;
  if (change.object === 'invitation') return change.data.user_id ?? null;
  if (change.object === 'subscription' || change.object === 'subscriptionItem') return payerFields(change.data.payer).userClerkId;
  return null;
}

/** The Clerk id of the object a change is about. */
export const clerkIdOfChange = (change: ClerkChange): string => ('data' in change ? change.data.id : change.clerkId);

/**
 * The fields `clerk_apply_change` reads, as JSON, each new row's id chosen
 * here (`newRowId`): a user's mapped fields (clerk-user.ts), an
 * organization's, a membership's with its organization's.
 */
export function changeFields(change: ClerkChange, newRowId: () => string): Record<string, unknown> {
  if (!('data' in change)) return { clerkId: change.clerkId };
  switch (change.object) {
    case 'user': {
      const { clerkUpdatedAt, ...fields } = clerkUserFields(change.data);
      return { ...fields, version: clerkUpdatedAt, rowId: newRowId() };
    }
    case 'organization':
      return { ...organizationFields(change.data), rowId: newRowId() };
    case 'membership': {
      const fields = membershipFields(change.data);
      return { ...fields, rowId: newRowId(), organization: { ...fields.organization, rowId: newRowId() } };
    }
    case 'invitation':
      return { ...invitationFields(change.data), rowId: newRowId() };
    case 'role': {
      const fields = roleFields(change.data);
      return { ...fields, rowId: newRowId(), permissions: fields.permissions.map((permission) => ({ ...permission, rowId: newRowId() })) };
    }
    case 'permission':
      return { ...permissionFields(change.data), rowId: newRowId() };
    case 'subscription': {
      const fields = subscriptionFields(change.data);
      return { ...fields, rowId: newRowId(), items: fields.items.map((item) => ({ ...item, rowId: newRowId() })) };
    }
    case 'subscriptionItem':
      return { ...subscriptionItemFields(change.data), rowId: newRowId() };
  }
}
