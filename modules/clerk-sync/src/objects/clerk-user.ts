/**
 * What our `User` row holds of a Clerk user. Pure: the one place that reads
 * Clerk's user JSON, shared by the webhook, just-in-time provisioning and
 * reconcile.
 */
import type { ClerkUserData } from './clerk-user-data';

/**
 * Rows without a usable email get `<clerk id>@no-email.invalid`: users who
 * signed up with a phone number only, users whose primary address is not
 * verified, and rows whose email a newer user took (docs/decisions/005).
 * `.invalid` is reserved (RFC 2606): it can never reach anyone, and the Clerk
 * id keeps it unique.
 */
export const NO_EMAIL_DOMAIN = 'no-email.invalid';

export const placeholderEmail = (clerkId: string) => `${clerkId.toLowerCase()}@${NO_EMAIL_DOMAIN}`;

export const hasRealEmail = (email: string) => !email.endsWith(`@${NO_EMAIL_DOMAIN}`);

export interface ClerkUserFields {
  clerkId: string;
  email: string;
  /** The display name. */
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Clerk's `updated_at`: the version of the user these fields come from. */
  clerkUpdatedAt: Date;
}

/**
 * The primary email, the one `primary_email_address_id` names (never simply
 * the first), and only once it is verified: an unverified address proves
 * nothing about who owns it, so it must never become a user's email or take
 * one from another user.
 */
export function primaryEmailOf(user: Pick<ClerkUserData, 'email_addresses' | 'primary_email_address_id'>): string | null {
  const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
  if (!primary || primary.verification?.status !== 'verified') return null;
  return primary.email_address.trim().toLowerCase() || null;
}

/** A name part as Clerk keeps it, trimmed; never "null", "undefined" or blank. */
function namePart(part: string | null | undefined): string | null {
  const trimmed = typeof part === 'string' ? part.trim() : '';
  return trimmed === '' || trimmed === 'null' || trimmed === 'undefined' ? null : trimmed;
}

/** "First Last", either alone, or the username, or null. */
export function displayNameOf(user: Pick<ClerkUserData, 'first_name' | 'last_name' | 'username'>): string | null {
  const name = [namePart(user.first_name), namePart(user.last_name)].filter(Boolean).join(' ');
  return name || namePart(user.username);
}

export function clerkUserFields(user: ClerkUserData): ClerkUserFields {
  return {
    clerkId: user.id,
    email: primaryEmailOf(user) ?? placeholderEmail(user.id),
    name: displayNameOf(user),
    firstName: namePart(user.first_name),
    lastName: namePart(user.last_name),
    clerkUpdatedAt: new Date(user.updated_at),
  };
}
