/**
 * The fields of Clerk's organization invitation JSON that the sync reads,
 * checked before anything is written (as clerk-user-data.ts does for
 * users). The invited address is personal data of someone who may never
 * have agreed to anything: it is kept while the invitation is pending and
 * erased when it ends (docs/decisions/022).
 */
import type { OrganizationInvitationJSON } from '@clerk/backend';
import { z } from 'zod';
import { organizationRoleSchema } from './clerk-organization-data';
import { clerkIdSchema, storableText } from './clerk-user-data';

/** Clerk's statuses; anything else is refused as malformed (a new status is a decision, not a guess). */
export const INVITATION_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;

export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const clerkInvitationDataSchema = z.object({
  id: clerkIdSchema,
  organization_id: clerkIdSchema,
  email_address: storableText(320),
  role: organizationRoleSchema,
  status: z.enum(INVITATION_STATUSES),
  expires_at: z.number().finite().nullable(),
  inviter_id: clerkIdSchema.nullable().optional(),
  /** Who accepted it: `organizationInvitation.accepted` carries it. */
  user_id: clerkIdSchema.nullable().optional(),
  created_at: z.number().finite(),
  updated_at: z.number().finite(),
});

/** What the sync reads of a Clerk organization invitation. */
export type ClerkInvitationData = z.infer<typeof clerkInvitationDataSchema>;

/** The fields `clerk_apply_invitation_version` reads. */
export interface InvitationFields {
  clerkId: string;
  organizationClerkId: string;
  email: string;
  role: string;
  status: InvitationStatus;
  expiresAt: Date | null;
  inviterClerkId: string | null;
  acceptedClerkUserId: string | null;
  created: Date;
  version: Date;
}

export const invitationFields = (invitation: ClerkInvitationData): InvitationFields => ({
  clerkId: invitation.id,
  organizationClerkId: invitation.organization_id,
  email: invitation.email_address.trim().toLowerCase(),
  role: invitation.role,
  status: invitation.status,
  expiresAt: invitation.expires_at === null ? null : new Date(invitation.expires_at),
  inviterClerkId: invitation.inviter_id ?? null,
  acceptedClerkUserId: invitation.user_id ?? null,
  created: new Date(invitation.created_at),
  version: new Date(invitation.updated_at),
});

// Full Clerk JSON must satisfy what the sync reads (but for `status`, optional in the SDK's type and always sent).
export type InvitationJSONFits = Omit<OrganizationInvitationJSON, 'status'> extends Omit<ClerkInvitationData, 'status' | 'inviter_id' | 'user_id'> ? true : never;
const _invitationJsonFits: InvitationJSONFits = true;
void _invitationJsonFits;
