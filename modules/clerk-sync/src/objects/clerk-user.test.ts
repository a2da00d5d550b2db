/** The mapping from Clerk's user JSON to our row, as literals. */
import { describe, expect, it } from 'vitest';
import { clerkUserDataSchema, type ClerkUserData } from './clerk-user-data';
import { clerkUserFields, displayNameOf, hasRealEmail, placeholderEmail, primaryEmailOf } from './clerk-user';

const address = (id: string, email: string, status: string | null = 'verified') => ({ id, email_address: email, verification: status === null ? null : { status } });

function user(overrides: Partial<ClerkUserData> = {}): ClerkUserData {
  return { id: 'user_2Abc', updated_at: 1_700_000_000_123, primary_email_address_id: 'idn_2', email_addresses: [address('idn_1', 'first@example.com'), address('idn_2', ' Ada@Example.COM ')], first_name: 'Ada', last_name: 'Lovelace', username: null, ...overrides };
}

describe('clerkUserFields', () => {
  it('maps a user to our row', () => {
    expect(clerkUserFields(user())).toEqual({ clerkId: 'user_2Abc', email: 'ada@example.com', name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', clerkUpdatedAt: new Date(1_700_000_000_123) });
  });

  it('gives a user without a verified primary email a placeholder no one can receive, in lower case', () => {
    expect(clerkUserFields(user({ primary_email_address_id: null })).email).toBe('user_2abc@no-email.invalid');
    expect(placeholderEmail('user_2Abc')).toBe('user_2abc@no-email.invalid');
  });
});

describe('primaryEmailOf', () => {
  it('takes the address the primary id names, trimmed and lower-cased', () => {
    expect(primaryEmailOf(user())).toBe('ada@example.com');
  });

  it('takes no address that is not verified, or has no verification, or is blank', () => {
    expect(primaryEmailOf(user({ email_addresses: [address('idn_2', 'ada@example.com', 'unverified')] }))).toBeNull();
    expect(primaryEmailOf(user({ email_addresses: [address('idn_2', 'ada@example.com', null)] }))).toBeNull();
    expect(primaryEmailOf(user({ email_addresses: [{ id: 'idn_2', email_address: 'ada@example.com' }] }))).toBeNull();
    expect(primaryEmailOf(user({ email_addresses: [address('idn_2', '   ')] }))).toBeNull();
    expect(primaryEmailOf(user({ primary_email_address_id: 'idn_9' }))).toBeNull();
  });
});

describe('displayNameOf', () => {
  it.each([
    [{ first_name: ' Mary Ann ', last_name: 'Smith' }, 'Mary Ann Smith'],
    [{ first_name: 'Ada', last_name: null }, 'Ada'],
    [{ first_name: null, last_name: 'Lovelace' }, 'Lovelace'],
    [{ first_name: 'null', last_name: 'undefined', username: 'ada' }, 'ada'],
    [{ first_name: '  ', last_name: '', username: ' ' }, null],
    [{ first_name: undefined, last_name: undefined, username: 'undefined' }, null],
  ])('%j is %j', (names, expected) => {
    expect(displayNameOf(names)).toBe(expected);
  });

  it('keeps "null" and "undefined" out of the first and last name too', () => {
    expect(clerkUserFields(user({ first_name: 'null', last_name: 'undefined' }))).toMatchObject({ firstName: null, lastName: null, name: null });
  });
});

describe('hasRealEmail', () => {
  it('is false only for the placeholder domain at the end', () => {
    expect(hasRealEmail('ada@example.com')).toBe(true);
    expect(hasRealEmail(placeholderEmail('user_1'))).toBe(false);
    expect(hasRealEmail('@no-email.invalid.example.com')).toBe(true);
  });
});

describe('clerkUserDataSchema', () => {
  it('refuses control characters in names and emails, and ids that are not Clerk ids', () => {
    const issues = (data: unknown) => {
      const parsed = clerkUserDataSchema.safeParse(data);
      return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    };
    expect(issues(user({ first_name: 'Ada\u0000' }))).toEqual(['first_name contains control characters']);
    expect(issues(user({ last_name: 'Love\u0007lace' }))).toEqual(['last_name contains control characters']);
    expect(issues(user({ username: 'a\u001b[31m' }))).toEqual(['username contains control characters']);
    expect(issues(user({ email_addresses: [address('idn_2', 'ada\u0000@example.com')] }))).toEqual(['email_addresses.0.email_address contains control characters']);
    for (const id of ['user 1', 'user_1\n', '/user_1', 'user_1/', '', 'x'.repeat(129)]) expect(issues(user({ id })), id).toEqual(['id is not a Clerk id']);
    expect(issues(user({ id: 'user_2Abc-x_Y' }))).toEqual([]);
  });
});
