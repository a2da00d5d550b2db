/**
 * Clerk's refusals in words a person can act on, for every form whose action
 * calls the Backend API (account, organizations): Clerk's own message for a
 * 4xx (beside the field it names, when the form has one), a wait for a 429,
 * "could not be reached" for the rest. Never a 500.
 */
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { ActionError } from '../actions/action-state';

/** Clerk did not do what we asked: `message` is for the person, `field` the form field it is about. */
export class ClerkRequestError extends ActionError {
  override name = 'ClerkRequestError';
}

export const CLERK_UNREACHABLE = 'Clerk could not be reached, so nothing changed. Try again in a moment.';

/** Clerk's error code for a 4xx (e.g. `form_identifier_exists`), else undefined. */
export function clerkErrorCode(error: unknown): string | undefined {
  return isClerkAPIResponseError(error) && error.status >= 400 && error.status < 500 ? error.errors[0]?.code : undefined;
}

/**
 * `fields` maps Clerk's parameter names (`first_name`) to the form's
 * (`firstName`); `messages` replaces Clerk's message for an error code.
 */
export function describeClerkFailure(error: unknown, options: { fields?: Record<string, string>; messages?: Record<string, string> } = {}): ClerkRequestError {
  if (isClerkAPIResponseError(error)) {
    if (error.status === 429) {
      return new ClerkRequestError(`Clerk is busy, so nothing changed. Try again in ${error.retryAfter ?? 'a few'} seconds.`);
    }
    if (error.status >= 400 && error.status < 500) {
      const [first] = error.errors;
      const message = (first && options.messages?.[first.code]) || first?.longMessage || first?.message || `Clerk refused the change (${error.status}).`;
      return new ClerkRequestError(message, first?.meta?.paramName ? options.fields?.[first.meta.paramName] : undefined);
    }
  }
  return new ClerkRequestError(CLERK_UNREACHABLE);
}
