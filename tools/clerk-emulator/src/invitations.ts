/**
 * Organization invitations as Clerk's Backend API returns them, and the
 * email Clerk would send with each. The store keeps invitations as plain
 * records and composes their JSON when asked, so that the status (`expired`
 * once `expires_at` has passed: Clerk reports it, and sends no event for it),
 * the inviter's public data and the accept link are the current ones.
 *
 * An invitation carries a ticket: a random opaque token, the only thing its
 * accept link (`/v1/tickets/accept?ticket=…`) holds, as Clerk's links hold
 * theirs. Whoever has the link may accept it, and the address it was sent to
 * counts as verified by it (the account portal's sign-up, routes/account-portal.ts).
 */
import type {
  Organization,
  OrganizationInvitation as InvitationJSON,
  OrganizationInvitationPublicOrganizationData,
  OrganizationInvitationPublicUserData,
  User,
} from './contract/schemas';
import { ApiError, formError } from './errors';
import { randomToken } from './ids';
import { PLACEHOLDER_IMAGE, primaryEmail } from './users';

export type { InvitationJSON };

/** What an invitation is kept as; `expired` is never stored, only read (statusAt). */
export type StoredInvitationStatus = 'pending' | 'accepted' | 'revoked';
export type InvitationStatus = StoredInvitationStatus | 'expired';
export const INVITATION_STATUSES: readonly InvitationStatus[] = ['pending', 'accepted', 'revoked', 'expired'];

export interface Invitation {
  id: string;
  organizationId: string;
  /** Lower-cased, as Clerk keeps identifiers. */
  emailAddress: string;
  role: string;
  inviterId: string | null;
  status: StoredInvitationStatus;
  publicMetadata: Record<string, unknown>;
  privateMetadata: Record<string, unknown>;
  /** Where the accept link sends the invitee (the app's origin only, checked when followed); none: our own sign-up or sign-in page. */
  redirectUrl: string | null;
  ticket: string;
  /** The user who accepted it. */
  acceptedBy: string | null;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface NewInvitation {
  emailAddress: unknown;
  role: unknown;
  inviterUserId?: string | null;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  redirectUrl?: string | null;
  expiresInDays?: unknown;
  /** false: no email (Clerk's `notify`); the invitation and its event are made all the same. */
  notify?: boolean;
}

/** The email Clerk would send; the emulator keeps it in its mailbox (`GET /mailbox`). */
export interface MailboxMessage {
  id: string;
  to: string;
  subject: string;
  /** The accept link: the emulator's `/v1/tickets/accept?ticket=…`. */
  acceptUrl: string;
  invitationId: string;
  organizationId: string;
  organizationName: string;
  sentAt: number;
}

/** Clerk's default lifetime and the bounds of `expires_in_days` (spec `CreateOrganizationInvitation`). */
export const EXPIRES_IN_DAYS_DEFAULT = 30;
export const EXPIRES_IN_DAYS_MIN = 1;
export const EXPIRES_IN_DAYS_MAX = 365;
const DAY_MS = 24 * 3600 * 1000;

/** At most this many invitations per bulk call (spec `CreateOrganizationInvitationBulk`: `maxItems`). */
export const BULK_MAX = 10;

/** The permission that lets a member invite and revoke: Clerk's default admin role has it. */
export const MANAGE_MEMBERSHIPS = 'org:sys_memberships:manage';

export const ACCEPT_PATH = '/v1/tickets/accept';
export const acceptUrl = (base: string, ticket: string) => `${base}${ACCEPT_PATH}?ticket=${encodeURIComponent(ticket)}`;

export const newTicket = () => randomToken(32);

export function expiresInDays(value: unknown): number {
  if (value === undefined || value === null) return EXPIRES_IN_DAYS_DEFAULT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < EXPIRES_IN_DAYS_MIN || value > EXPIRES_IN_DAYS_MAX) {
    throw formError('expires_in_days', 'form_param_value_invalid', 'is invalid', `expires_in_days must be a whole number from ${EXPIRES_IN_DAYS_MIN} to ${EXPIRES_IN_DAYS_MAX}.`);
  }
  return value;
}

export const expiryFrom = (createdAt: number, days: number) => createdAt + days * DAY_MS;

/** `expired` once `expires_at` has passed while it was still pending; the stored status otherwise. */
export function statusAt(invitation: Invitation, now: number): InvitationStatus {
  return invitation.status === 'pending' && invitation.expiresAt <= now ? 'expired' : invitation.status;
}

/** What refuses a ticket or a revocation: anything but a pending invitation. */
export function notPending(status: InvitationStatus): ApiError {
  return new ApiError(400, [
    {
      code: 'organization_invitation_not_pending',
      message: 'invitation is not pending',
      long_message: `This invitation is ${status}: only a pending invitation can be accepted or revoked.`,
    },
  ]);
}

export const duplicateInvitation = (email: string) =>
  new ApiError(400, [
    {
      code: 'duplicate_record',
      message: 'duplicate invitation',
      long_message: `There is already a pending invitation for ${email} in this organization.`,
      meta: { param_name: 'email_address' },
    },
  ]);

export const alreadyMember = (email: string) =>
  new ApiError(400, [
    { code: 'already_a_member_in_organization', message: 'already a member', long_message: `${email} is already a member of the organization.`, meta: { param_name: 'email_address' } },
  ]);

/** An inviter or revoker who is not a member allowed to manage memberships (spec: "must be an administrator"). */
export const notAnAdmin = (userId: string) =>
  new ApiError(403, [
    { code: 'authorization_invalid', message: 'not allowed', long_message: `User ${userId} is not a member of this organization allowed to manage its invitations.` },
  ]);

export function publicInviterData(user: User): OrganizationInvitationPublicUserData {
  return {
    user_id: user.id,
    first_name: user.first_name,
    last_name: user.last_name,
    image_url: user.image_url ?? PLACEHOLDER_IMAGE,
    has_image: user.has_image,
    identifier: primaryEmail(user) ?? user.username ?? '',
  };
}

export function publicOrganizationData(organization: Organization): OrganizationInvitationPublicOrganizationData {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    image_url: organization.image_url ?? PLACEHOLDER_IMAGE,
    has_image: organization.has_image,
  };
}

export function invitationJSON(
  invitation: Invitation,
  current: { now: number; roleName: string; inviter: User | undefined; acceptUrlBase: string },
): InvitationJSON {
  return {
    object: 'organization_invitation',
    id: invitation.id,
    email_address: invitation.emailAddress,
    role: invitation.role,
    role_name: current.roleName,
    organization_id: invitation.organizationId,
    inviter_id: invitation.inviterId,
    // Null once the inviter is gone (or when the Backend API invited on no one's behalf).
    public_inviter_data: current.inviter ? publicInviterData(current.inviter) : null,
    status: statusAt(invitation, current.now),
    public_metadata: invitation.publicMetadata,
    private_metadata: invitation.privateMetadata,
    url: acceptUrl(current.acceptUrlBase, invitation.ticket),
    expires_at: invitation.expiresAt,
    created_at: invitation.createdAt,
    updated_at: invitation.updatedAt,
  };
}
