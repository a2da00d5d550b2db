/**
 * Users as Clerk's Backend API returns them. Every object is typed against
 * `@clerk/backend`'s `User` so that a shape drift fails typecheck.
 */
import type { EmailAddress, User, Verification } from './contract/schemas';
import { clerkId } from './ids';

export interface NewUser {
  emailAddresses?: string[];
  phoneNumbers?: string[];
  firstName?: string | null;
  lastName?: string | null;
  externalId?: string | null;
  createdAt?: number;
}

export const PLACEHOLDER_IMAGE = 'https://img.clerk.com/placeholder';

/** Clerk sends verifications without `object` and `id` (see its webhook examples). */
const adminVerification = (): Verification => ({ status: 'verified', strategy: 'admin', attempts: null, expire_at: null });
const unverified = (): Verification => ({ status: 'unverified', strategy: 'email_code', attempts: 0, expire_at: null });

function emailAddress(address: string, verified = true, now = Date.now()): EmailAddress {
  return {
    object: 'email_address',
    id: clerkId('idn'),
    email_address: address,
    reserved: false,
    verification: verified ? adminVerification() : unverified(),
    linked_to: [],
    created_at: now,
    updated_at: now,
  };
}

export function buildUser(input: NewUser, now = Date.now()): User {
  const createdAt = input.createdAt ?? now;
  const emails = (input.emailAddresses ?? []).map((address) => emailAddress(address, true, createdAt));
  const phones = (input.phoneNumbers ?? []).map((phone) => ({
    object: 'phone_number' as const,
    id: clerkId('idn'),
    phone_number: phone,
    reserved_for_second_factor: false,
    default_second_factor: false,
    reserved: false,
    verification: null,
    linked_to: [],
    backup_codes: [],
    created_at: createdAt,
    updated_at: createdAt,
  }));
  return {
    object: 'user',
    id: clerkId('user'),
    username: null,
    first_name: input.firstName ?? null,
    last_name: input.lastName ?? null,
    image_url: PLACEHOLDER_IMAGE,
    has_image: false,
    primary_email_address_id: emails[0]?.id ?? null,
    primary_phone_number_id: phones[0]?.id ?? null,
    primary_web3_wallet_id: null,
    password_enabled: false,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    email_addresses: emails,
    phone_numbers: phones,
    web3_wallets: [],
    passkeys: [],
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    password_last_updated_at: null,
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    external_id: input.externalId ?? null,
    last_sign_in_at: null,
    banned: false,
    locked: false,
    deprovisioned: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: 100,
    created_at: createdAt,
    updated_at: createdAt,
    last_active_at: null,
    create_organization_enabled: true,
    create_organizations_limit: null,
    delete_self_enabled: true,
    legal_accepted_at: null,
    locale: null,
  };
}

/**
 * A user kept by an older emulator (`state.json` of `npm run dev`) in
 * today's contract: the fields added since filled with Clerk's empty values,
 * the ones Clerk's contract lacks dropped.
 */
export function upgradeUser(stored: Record<string, unknown>): User {
  const { timezone: _timezone, organization_memberships: _memberships, ...user } = stored;
  const created = Number(user.created_at) || 0;
  const stamp = <T extends Record<string, unknown>>(item: T) => ({ created_at: created, updated_at: created, ...item });
  return {
    passkeys: [],
    saml_accounts: [],
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    ...user,
    email_addresses: ((user.email_addresses ?? []) as Record<string, unknown>[]).map((email) => stamp({ reserved: false, ...email })),
    phone_numbers: ((user.phone_numbers ?? []) as Record<string, unknown>[]).map(stamp),
  } as User;
}

export function primaryEmail(user: User): string | null {
  return user.email_addresses.find((email) => email.id === user.primary_email_address_id)?.email_address ?? null;
}

export interface UserChanges {
  firstName?: string | null;
  lastName?: string | null;
  /** Replaces the primary email address with a new one (the old one is kept, no longer primary). */
  primaryEmail?: string;
  externalId?: string | null;
}

/** Add an address to `user` (the Backend API's createEmailAddress), primary if asked or if the user has none. */
export function addEmailAddress(user: User, address: string, options: { verified: boolean; primary: boolean }, now = Date.now()): EmailAddress {
  const added = emailAddress(address, options.verified, now);
  user.email_addresses.push(added);
  if (options.primary || !user.primary_email_address_id) user.primary_email_address_id = added.id;
  user.updated_at = Math.max(now, user.updated_at + 1);
  return added;
}

/** Remove an address that is not the primary one (deleteEmailAddress). */
export function removeEmailAddress(user: User, addressId: string, now = Date.now()): void {
  user.email_addresses = user.email_addresses.filter((address) => address.id !== addressId);
  user.updated_at = Math.max(now, user.updated_at + 1);
}

/** Apply changes in place; `updated_at` always moves forward, even within one millisecond. */
export function applyUserChanges(user: User, changes: UserChanges, now = Date.now()): void {
  if (changes.firstName !== undefined) user.first_name = changes.firstName;
  if (changes.lastName !== undefined) user.last_name = changes.lastName;
  if (changes.externalId !== undefined) user.external_id = changes.externalId;
  if (changes.primaryEmail !== undefined && changes.primaryEmail !== primaryEmail(user)) {
    const existing = user.email_addresses.find((email) => email.email_address === changes.primaryEmail);
    const target = existing ?? emailAddress(changes.primaryEmail, true, now);
    if (!existing) user.email_addresses.push(target);
    user.primary_email_address_id = target.id;
  }
  user.updated_at = Math.max(now, user.updated_at + 1);
}

/** Clerk's `query` filter on users: part of the id, a name, the username or an email address, in any case. */
export function userMatches(user: User, query: string): boolean {
  const text = query.toLowerCase();
  return [user.id, user.first_name, user.last_name, user.username, ...user.email_addresses.map((e) => e.email_address)].some((v) => v?.toLowerCase().includes(text));
}

export const isValidEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 320;
