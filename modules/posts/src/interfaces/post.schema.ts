/**
 * A post as a person writes it: one schema for the form and the server, with
 * named limits (STYLE.md). Text is trimmed before it is measured.
 */
import { z } from 'zod';

export const POST_TITLE_MIN = 1;
export const POST_TITLE_MAX = 200;
export const POST_CONTENT_MIN = 1;
export const POST_CONTENT_MAX = 20_000;

/** Post creations per user per minute. */
export const POST_CREATE_LIMIT_PER_MINUTE = 30;

export const postInputSchema = z.object({
  title: z
    .string({ error: 'Enter a title.' })
    .trim()
    .min(POST_TITLE_MIN, { error: 'Enter a title.' })
    .max(POST_TITLE_MAX, { error: `Keep the title to ${POST_TITLE_MAX} characters or fewer.` }),
  content: z
    .string({ error: 'Write something.' })
    .trim()
    .min(POST_CONTENT_MIN, { error: 'Write something.' })
    .max(POST_CONTENT_MAX, { error: `Keep the post to ${POST_CONTENT_MAX.toLocaleString('en-US')} characters or fewer.` }),
});

export type PostInput = z.infer<typeof postInputSchema>;

export const postIdSchema = z.object({ postId: z.string().trim().min(1).max(64) });

export const updatePostSchema = postInputSchema.extend(postIdSchema.shape);
