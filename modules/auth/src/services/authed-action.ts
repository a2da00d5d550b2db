/**
 * The one wrapper every server action goes through (STYLE.md #1): the
 * session and our user row (`requireUser()`, which sends the signed-out to
 * sign-in), then the zod schema shared with the form, then the action's rate
 * limit (every write has one, counted in the database), then the service.
 * Known failures become a typed state the form shows; anything else reaches
 * the error boundary. Each run is a span named for its limit's action, with
 * how it ended (docs/decisions/026).
 */
import type { z } from 'zod';
import type { User } from '@/generated/prisma/client';
import { ActionError, type ActionState, type FieldErrors } from '@/modules/cores/actions/action-state';
import { consumeRateLimit, type RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { inSpan } from '@/modules/cores/telemetry/telemetry';
import { requireOperator } from './require-operator';
import { requireUser } from './require-user';

function formValues(formData: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of formData) if (typeof value === 'string' && !key.startsWith('$ACTION')) values[key] = value;
  return values;
}

type ActionHandler<S extends z.ZodType<Record<string, unknown>>> = (context: { user: User }, input: z.infer<S>) => Promise<ActionState>;

export function authedAction<S extends z.ZodType<Record<string, unknown>>>(spec: { schema: S; limit: RateLimit }, handler: ActionHandler<S>) {
  // Stryker disable next-line all: needs a Next.js request (the session); the browser journeys cover it (tests/e2e/product.e2e.ts).
  return async (_previous: ActionState, formData: FormData): Promise<ActionState> => runAuthedAction(spec, handler, await requireUser(), formData);
}

/** The same, for the operator console: anyone but an operator gets a 404 before anything runs (docs/decisions/025). */
export function operatorAction<S extends z.ZodType<Record<string, unknown>>>(spec: { schema: S; limit: RateLimit }, handler: ActionHandler<S>) {
  // Stryker disable next-line all: needs a Next.js request (the session); tests/integration/ops-console.test.ts covers it over HTTP.
  return async (_previous: ActionState, formData: FormData): Promise<ActionState> => runAuthedAction(spec, handler, await requireOperator(), formData);
}

/** Everything after the session check, for the signed-in `user`: validation, rate limit, handler, typed failures. */
export function runAuthedAction<S extends z.ZodType<Record<string, unknown>>>(
  spec: { schema: S; limit: RateLimit },
  handler: ActionHandler<S>,
  user: User,
  formData: FormData,
): Promise<ActionState> {
  return inSpan(`server action ${spec.limit.action}`, { 'app.action': spec.limit.action }, async (span) => {
    const state = await runValidated(spec, handler, user, formData);
    span.setAttribute('app.action.outcome', state.status === 'error' ? (state.fieldErrors ? 'invalid' : 'refused') : state.status);
    return state;
  });
}

async function runValidated<S extends z.ZodType<Record<string, unknown>>>(
  { schema, limit }: { schema: S; limit: RateLimit },
  handler: ActionHandler<S>,
  user: User,
  formData: FormData,
): Promise<ActionState> {
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
  const verdict = await consumeRateLimit(user.clerkId, limit);
  if (!verdict.allowed) {
    return { status: 'error', formError: `${limit.message} Try again in ${verdict.retryAfterSeconds} seconds.`, values };
  }
  try {
    return await handler({ user }, parsed.data);
  } catch (error) {
    if (!(error instanceof ActionError)) throw error;
    const link = error.link ? { formErrorLink: error.link } : {};
    // A message beside its field keeps its link (a plan's limit: where to upgrade), shown above the form.
    if (error.field) return { status: 'error', fieldErrors: { [error.field]: [error.message] }, ...link, values };
    return { status: 'error', formError: error.message, ...link, values };
  }
}
