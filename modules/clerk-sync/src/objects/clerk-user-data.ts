/**
 * The fields of Clerk's user JSON that the sync reads, and nothing else:
 * checked before anything is written (a signed but malformed event is
 * refused, never a crash or a half-written row), and the only part of an
 * event the delivery ledger keeps (docs/decisions/008). Zod drops every other
 * field: phone numbers, metadata, external accounts, client IPs.
 */
import type { UserJSON } from '@clerk/backend';
import { z } from 'zod';
import { isStorableText } from '@/modules/cores/validation/text';

/** Text we can store and show: at most `max` characters, no control characters. */
// Stryker disable next-line ArrowFunction: breaks every schema at import, which fails test collection, and Stryker's vitest runner does not count a file that fails to load as a failed test.
export const storableText = (max: number) => z.string().max(max).refine((value) => isStorableText(value), { error: 'contains control characters' });

/** Clerk ids (`user_2abc…`, `idn_…`): letters, digits, underscores. */
export const clerkIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'is not a Clerk id' });

export const clerkUserDataSchema = z.object({
  id: clerkIdSchema,
  updated_at: z.number().finite(),
  primary_email_address_id: z.string().max(128).nullable(),
  email_addresses: z
    .array(
      z.object({
        id: z.string().max(128),
        email_address: storableText(320),
        verification: z.object({ status: z.string().max(64) }).nullable().optional(),
      }),
    )
    .max(100),
  first_name: storableText(256).nullable().optional(),
  last_name: storableText(256).nullable().optional(),
  username: storableText(256).nullable().optional(),
});

/** What the sync reads of a Clerk user; a full `UserJSON` is one too. */
export type ClerkUserData = z.infer<typeof clerkUserDataSchema>;

/** Clerk's deleted-object JSON (`user.deleted`, `organization.deleted`): the id, if any. */
export const deletedObjectDataSchema = z.object({ id: clerkIdSchema.optional(), deleted: z.boolean().optional() });

// A full UserJSON must satisfy what the sync reads: a drift in Clerk's types fails typecheck here.
export type UserJSONIsClerkUserData = UserJSON extends ClerkUserData ? true : never;
const _userJsonFits: UserJSONIsClerkUserData = true;
void _userJsonFits;
