/**
 * What a person sends about organizations: one schema per form, shared by
 * the form and the server, with named limits and one write limit per action
 * (each is a Backend API call and a webhook). Ids come from hidden fields and
 * are only looked up together with the sender's own membership.
 */
import { z } from 'zod';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { organizationIdSchema, rowIdSchema } from '@/modules/cores/validation/ids';
import { storable } from '@/modules/cores/validation/text';
import { ORGANIZATION_NAME_MAX, ORGANIZATION_ROLE_PATTERN, ORGANIZATION_SLUG_MAX, ORGANIZATION_SLUG_PATTERN } from './organization.limits';

export * from './organization.limits';
export { organizationIdSchema };

const rowId = rowIdSchema;

export const createOrganizationSchema = z.object({
  name: z
    .string({ error: 'Enter a name.' })
    .check(storable())
    .trim()
    .min(1, { error: 'Enter a name.' })
    .max(ORGANIZATION_NAME_MAX, { error: `Keep the name to ${ORGANIZATION_NAME_MAX} characters or fewer.` }),
  slug: z
    .string()
    .trim()
    .max(ORGANIZATION_SLUG_MAX, { error: `Keep the address to ${ORGANIZATION_SLUG_MAX} characters or fewer.` })
    .refine((slug) => slug === '' || ORGANIZATION_SLUG_PATTERN.test(slug), { error: 'Use lowercase letters, digits and dashes, starting and ending with a letter or digit.' })
    .default(''),
});

const role = z.string({ error: 'Choose a role.' }).trim().regex(ORGANIZATION_ROLE_PATTERN, { error: 'Choose a role.' });

export const inviteSchema = organizationIdSchema.extend({
  email: z.string({ error: 'Enter an email address.' }).trim().toLowerCase().pipe(z.email({ error: 'Enter an email address.' }).max(320)),
  role,
});

export const invitationTargetSchema = organizationIdSchema.extend({ invitationId: rowId });

export const membershipTargetSchema = organizationIdSchema.extend({ membershipId: rowId });

export const changeRoleSchema = membershipTargetSchema.extend({ role });

export const deleteOrganizationSchema = organizationIdSchema.extend({ confirmation: z.string().trim().max(ORGANIZATION_SLUG_MAX + 1) });

export const ORGANIZATION_CREATE_LIMIT: RateLimit = { action: 'organization.create', max: 5, windowSeconds: 60, message: 'You are creating organizations too fast.' };
/** Each invitation is an email someone receives: fewer than other member changes. */
export const INVITATION_LIMIT: RateLimit = { action: 'organization.invite', max: 20, windowSeconds: 60, message: 'You are sending invitations too fast.' };
export const MEMBERSHIP_CHANGE_LIMIT: RateLimit = { action: 'organization.members', max: 30, windowSeconds: 60, message: 'You are changing members too fast.' };
export const ORGANIZATION_LEAVE_LIMIT: RateLimit = { action: 'organization.leave', max: 10, windowSeconds: 60, message: 'Too many attempts to leave.' };
export const ORGANIZATION_DELETE_LIMIT: RateLimit = { action: 'organization.delete', max: 3, windowSeconds: 60, message: 'Too many attempts to delete an organization.' };
