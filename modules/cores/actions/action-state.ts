/**
 * The one wrapper every server action goes through (STYLE.md #1):
 * session and our user row (`requireUser()`, which redirects the signed-out),
 * then the zod schema shared with the form, then the service. Known failures
 * become a typed state the form shows; anything else reaches the error boundary.
 */
import type { z } from 'zod';
import type { User } from '@/generated/prisma/client';
import { requireUser } from '@/modules/auth/src/services/require-user';

export type FieldErrors = Record<string, string[] | undefined>;

export type ActionState =
  | { status: 'idle' }
  | { status: 'success'; message: string; at: number }
  | { status: 'error'; formError?: string; fieldErrors?: FieldErrors; values?: Record<string, string> };

export const IDLE: ActionState = { status: 'idle' };

/** A failure the person can act on: shown above the form, not thrown to the error boundary. */
export class ActionError extends Error {
  override name = 'ActionError';
}

export const success = (message: string): ActionState => ({ status: 'success', message, at: Date.now() });

function formValues(formData: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of formData) if (typeof value === 'string' && !key.startsWith('$ACTION')) values[key] = value;
  return values;
}

export function authedAction<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  handler: (context: { user: User }, input: z.infer<S>) => Promise<ActionState>,
) {
  return async (_previous: ActionState, formData: FormData): Promise<ActionState> => {
    const user = await requireUser();
    const values = formValues(formData);
    const parsed = schema.safeParse(values);
    if (!parsed.success) {
      const fieldErrors: FieldErrors = {};
      for (const issue of parsed.error.issues) {
        const key = String(issue.path[0] ?? '_form');
        (fieldErrors[key] ??= []).push(issue.message);
      }
      return { status: 'error', fieldErrors, values };
    }
    try {
      return await handler({ user }, parsed.data);
    } catch (error) {
      if (error instanceof ActionError) return { status: 'error', formError: error.message, values };
      throw error;
    }
  };
}
