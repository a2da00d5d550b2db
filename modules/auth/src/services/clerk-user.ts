/**
 * What our `User` row holds of a Clerk user. Pure: the one place that reads
 * Clerk's user JSON, shared by the webhook and just-in-time provisioning.
 */
import type { UserJSON } from '@clerk/backend';

export interface ClerkUserFields {
  clerkId: string;
  email: string;
  name: string | null;
}

export class UserWithoutEmailError extends Error {
  override name = 'UserWithoutEmailError';
  constructor(readonly clerkId: string) {
    super(`Clerk user ${clerkId} has no email address`);
  }
}

/** The primary email is the one `primary_email_address_id` names, never simply the first. */
export function primaryEmailOf(user: Pick<UserJSON, 'email_addresses' | 'primary_email_address_id'>): string | null {
  const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
  return primary?.email_address ?? null;
}

/** "First Last", either alone, or null: never "null" or stray spaces. */
export function displayNameOf(user: Pick<UserJSON, 'first_name' | 'last_name'>): string | null {
  const name = [user.first_name, user.last_name]
    .map((part) => part?.trim())
    .filter((part): part is string => Boolean(part))
    .join(' ');
  return name || null;
}

export function clerkUserFields(user: UserJSON): ClerkUserFields {
  const email = primaryEmailOf(user) ?? user.email_addresses[0]?.email_address ?? null;
  if (!email) throw new UserWithoutEmailError(user.id);
  return { clerkId: user.id, email: email.toLowerCase(), name: displayNameOf(user) };
}
