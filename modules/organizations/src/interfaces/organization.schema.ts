/**
 * What a person sends about organizations: one schema per form, shared by
 * the form and the server, with named limits and one write limit per action
 * (each is a Backend API call and a webhook). Ids come from hidden fields and
 * are only looked up together with the sender's own membership.
 */
import { z } from 'zod';
import { postIdSchema, postInputSchema, updatePostSchema } from '@/modules/posts/src/interfaces/post.schema';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { storable } from '@/modules/cores/validation/text';
import { ORGANIZATION_NAME_MAX, ORGANIZATION_ROLES, ORGANIZATION_SLUG_MAX, ORGANIZATION_SLUG_PATTERN } from './organization.limits';

export * from './organization.limits';

/** Row ids (cuids) from hidden fields; anything else matches no row. */
const rowId = z.string().trim().min(1).max(64);

export const organizationIdSchema = z.object({ organizationId: rowId });

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

const role = z.enum(ORGANIZATION_ROLES.map((known) => known.key) as [string, ...string[]], { error: 'Choose a role.' });

export const addMemberSchema = organizationIdSchema.extend({
  email: z.string({ error: 'Enter an email address.' }).trim().toLowerCase().pipe(z.email({ error: 'Enter an email address.' }).max(320)),
  role,
});

export const membershipTargetSchema = organizationIdSchema.extend({ membershipId: rowId });

export const changeRoleSchema = membershipTargetSchema.extend({ role });

export const deleteOrganizationSchema = organizationIdSchema.extend({ confirmation: z.string().trim().max(ORGANIZATION_SLUG_MAX + 1) });

export const organizationPostSchema = postInputSchema.extend(organizationIdSchema.shape);
export const updateOrganizationPostSchema = updatePostSchema.extend(organizationIdSchema.shape);
export const organizationPostIdSchema = postIdSchema.extend(organizationIdSchema.shape);

export const ORGANIZATION_CREATE_LIMIT: RateLimit = { action: 'organization.create', max: 5, windowSeconds: 60, message: 'You are creating organizations too fast.' };
export const MEMBERSHIP_CHANGE_LIMIT: RateLimit = { action: 'organization.members', max: 30, windowSeconds: 60, message: 'You are changing members too fast.' };
export const ORGANIZATION_LEAVE_LIMIT: RateLimit = { action: 'organization.leave', max: 10, windowSeconds: 60, message: 'Too many attempts to leave.' };
export const ORGANIZATION_DELETE_LIMIT: RateLimit = { action: 'organization.delete', max: 3, windowSeconds: 60, message: 'Too many attempts to delete an organization.' };
