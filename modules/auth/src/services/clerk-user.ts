/**
 * What our `User` row holds of a Clerk user. Pure: the one place that reads
 * Clerk's user JSON, shared by the webhook and just-in-time provisioning.
 */
import type { UserJSON } from '@clerk/backend';

/**
 * Rows without a usable email get `<clerk id>@no-email.invalid`: users who
 * signed up with a phone number only, and rows whose email a newer user
 * took (docs/decisions/005). `.invalid` is reserved (RFC 2606): it can never
 * reach anyone, and the Clerk id keeps it unique.
 */
export const NO_EMAIL_DOMAIN = 'no-email.invalid';

export const placeholderEmail = (clerkId: string) => `${clerkId.toLowerCase()}@${NO_EMAIL_DOMAIN}`;

export const hasRealEmail = (email: string) => !email.endsWith(`@${NO_EMAIL_DOMAIN}`);

export interface ClerkUserFields {
  clerkId: string;
  email: string;
  name: string | null;
  /** Clerk's `updated_at`: the version of the user these fields come from. */
  clerkUpdatedAt: Date;
}

/** The primary email is the one `primary_email_address_id` names, never simply the first. */
export function primaryEmailOf(user: Pick<UserJSON, 'email_addresses' | 'primary_email_address_id'>): string | null {
  const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
  return primary?.email_address ?? null;
}

/** "First Last", either alone, or null: never "null", "undefined" or stray spaces. */
export function displayNameOf(user: Pick<UserJSON, 'first_name' | 'last_name' | 'username'>): string | null {
  const name = [user.first_name, user.last_name]
    .map((part) => (typeof part === 'string' ? part.trim() : ''))
    .filter((part) => part !== '' && part !== 'null' && part !== 'undefined')
    .join(' ');
  return name || user.username?.trim() || null;
}

export function clerkUserFields(user: UserJSON): ClerkUserFields {
  // No primary (phone-only sign-up, or an address being removed): any verified-or-not address beats none.
  const email = primaryEmailOf(user) ?? user.email_addresses[0]?.email_address ?? null;
  return {
    clerkId: user.id,
    email: email ? email.trim().toLowerCase() : placeholderEmail(user.id),
    name: displayNameOf(user),
    clerkUpdatedAt: new Date(user.updated_at),
  };
}
