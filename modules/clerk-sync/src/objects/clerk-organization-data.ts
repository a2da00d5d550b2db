/**
 * The fields of Clerk's organization and membership JSON that the sync
 * reads, and nothing else, checked before anything is written, as
 * `clerk-user-data.ts` does for users. Of the membership's embedded user the
 * sync keeps the id only: names and the identifier are the user's own
 * events' to write.
 */
import type { OrganizationJSON, OrganizationMembershipJSON } from '@clerk/backend';
import { z } from 'zod';
import { clerkIdSchema, storableText } from './clerk-user-data';

export const clerkOrganizationDataSchema = z.object({
  id: clerkIdSchema,
  name: storableText(256).refine((value) => value.trim() !== '', { error: 'is blank' }),
  slug: storableText(256).refine((value) => value.trim() !== '', { error: 'is blank' }),
  updated_at: z.number().finite(),
});

/** What the sync reads of a Clerk organization; a full `OrganizationJSON` is one too. */
export type ClerkOrganizationData = z.infer<typeof clerkOrganizationDataSchema>;

/** Clerk's role keys: `org:admin`, `org:member`, or a custom `org:<key>`. */
export const organizationRoleSchema = z.string().regex(/^org:[A-Za-z0-9_:-]{1,64}$/, { error: 'is not an organization role' });

export const clerkMembershipDataSchema = z.object({
  id: clerkIdSchema,
  role: organizationRoleSchema,
  created_at: z.number().finite(),
  updated_at: z.number().finite(),
  organization: clerkOrganizationDataSchema,
  public_user_data: z.object({ user_id: clerkIdSchema }),
});

/** What the sync reads of a Clerk organization membership; a full `OrganizationMembershipJSON` is one too. */
export type ClerkMembershipData = z.infer<typeof clerkMembershipDataSchema>;

// Full Clerk JSON must satisfy what the sync reads: a drift in Clerk's types fails typecheck here.
export type OrganizationJSONIsClerkOrganizationData = OrganizationJSON extends ClerkOrganizationData ? true : never;
export type MembershipJSONIsClerkMembershipData = OrganizationMembershipJSON extends ClerkMembershipData ? true : never;
const _organizationJsonFits: OrganizationJSONIsClerkOrganizationData = true;
const _membershipJsonFits: MembershipJSONIsClerkMembershipData = true;
void _organizationJsonFits;
void _membershipJsonFits;
