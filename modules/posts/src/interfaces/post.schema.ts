/**
 * A post as a person writes it: one schema for the form and the server, with
 * named limits (STYLE.md). Text is trimmed before it is measured; control
 * characters are refused beside their field, before anything is stored.
 */
import { z } from 'zod';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { organizationIdSchema } from '@/modules/cores/validation/ids';
import { storable } from '@/modules/cores/validation/text';
import { DELETE_ANY_POST, POST_CONTENT_MAX, POST_CONTENT_MIN, POST_TITLE_MAX, POST_TITLE_MIN } from './post.limits';

export { DELETE_ANY_POST, POST_CONTENT_MAX, POST_CONTENT_MIN, POST_TITLE_MAX, POST_TITLE_MIN };

export const postInputSchema = z.object({
  title: z
    .string({ error: 'Enter a title.' })
    .check(storable())
    .trim()
    .min(POST_TITLE_MIN, { error: 'Enter a title.' })
    .max(POST_TITLE_MAX, { error: `Keep the title to ${POST_TITLE_MAX} characters or fewer.` }),
  content: z
    .string({ error: 'Write something.' })
    .check(storable({ multiline: true }))
    .trim()
    .min(POST_CONTENT_MIN, { error: 'Write something.' })
    .max(POST_CONTENT_MAX, { error: `Keep the post to ${POST_CONTENT_MAX.toLocaleString('en-US')} characters or fewer.` }),
});

export type PostInput = z.infer<typeof postInputSchema>;

/** Post ids are Prisma cuids; anything else (from a URL or a tampered form) is "not found" and never queried. */
export const isPostId = (value: string) => /^[A-Za-z0-9_-]{1,64}$/.test(value);

export const postIdSchema = z.object({ postId: z.string().trim().min(1).max(64) });

export const updatePostSchema = postInputSchema.extend(postIdSchema.shape);

/** The same forms in an organization's space. */
export const organizationPostSchema = postInputSchema.extend(organizationIdSchema.shape);
export const updateOrganizationPostSchema = updatePostSchema.extend(organizationIdSchema.shape);
export const organizationPostIdSchema = postIdSchema.extend(organizationIdSchema.shape);

/** Every write has a limit per user, counted in the database (modules/cores/rate-limit). */
export const POST_CREATE_LIMIT: RateLimit = { action: 'post.create', max: 30, windowSeconds: 60, message: 'You are posting too fast.' };
export const POST_EDIT_LIMIT: RateLimit = { action: 'post.edit', max: 60, windowSeconds: 60, message: 'You are editing too fast.' };
export const POST_DELETE_LIMIT: RateLimit = { action: 'post.delete', max: 60, windowSeconds: 60, message: 'You are deleting too fast.' };
