/** Limits, answers and event shapes of the Clerk webhook endpoint. */
import type { ClerkSubscriptionData, ClerkSubscriptionItemData } from '../objects/clerk-billing-data';
import type { ClerkInvitationData } from '../objects/clerk-invitation-data';
import type { ClerkMembershipData, ClerkOrganizationData } from '../objects/clerk-organization-data';
import type { ClerkPermissionData, ClerkRoleData } from '../objects/clerk-role-data';
import type { ClerkUserData } from '../objects/clerk-user-data';

/** Clerk's user and membership payloads are a few KiB; anything near this is not from Clerk. */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

/** Svix's own tolerance for the `svix-timestamp` header. */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** Outcomes a delivery answers with and the ledger records (`processing` and `rejected` are ledger-only). */
export type DeliveryOutcome = 'applied' | 'stale' | 'ignored' | 'duplicate' | 'failed';

/** A deleted object as Clerk sends it: the id, if any. */
export interface DeletedObjectData {
  id?: string;
  deleted?: boolean;
}

/** The events the sync handles, reduced to the fields it reads. */
export type HandledEvent =
  | { type: 'user.created' | 'user.updated'; data: ClerkUserData }
  | { type: 'user.deleted'; data: DeletedObjectData }
  | { type: 'organization.created' | 'organization.updated'; data: ClerkOrganizationData }
  | { type: 'organization.deleted'; data: DeletedObjectData }
  | { type: 'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted'; data: ClerkMembershipData }
  | { type: 'organizationInvitation.created' | 'organizationInvitation.accepted' | 'organizationInvitation.revoked'; data: ClerkInvitationData }
  | { type: 'role.created' | 'role.updated'; data: ClerkRoleData }
  | { type: 'permission.created' | 'permission.updated'; data: ClerkPermissionData }
  | { type: 'role.deleted' | 'permission.deleted'; data: DeletedObjectData }
  | { type: (typeof SUBSCRIPTION_EVENTS)[number]; data: ClerkSubscriptionData }
  | { type: (typeof SUBSCRIPTION_ITEM_EVENTS)[number]; data: ClerkSubscriptionItemData };

/** Clerk Billing's events the sync takes; `paymentAttempt.*` is recorded and ignored (no payment data is kept). */
export const SUBSCRIPTION_EVENTS = ['subscription.created', 'subscription.updated', 'subscription.active', 'subscription.pastDue'] as const;
export const SUBSCRIPTION_ITEM_EVENTS = [
  'subscriptionItem.created',
  'subscriptionItem.updated',
  'subscriptionItem.active',
  'subscriptionItem.canceled',
  'subscriptionItem.upcoming',
  'subscriptionItem.ended',
  'subscriptionItem.abandoned',
  'subscriptionItem.incomplete',
  'subscriptionItem.pastDue',
  'subscriptionItem.freeTrialEnding',
] as const;

/** A request we refuse: its status and a short reason; `signed` once the signature was verified. */
export class WebhookRejection extends Error {
  override name = 'WebhookRejection';
  constructor(
    readonly status: 400 | 413,
    readonly reason: string,
    /** Set for a delivery Clerk really sent (verified signature) that we still cannot take: it is recorded as rejected. */
    readonly signed?: { svixId: string; type: string },
  ) {
    super(reason);
  }
}
