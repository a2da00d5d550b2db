/**
 * Changes to the account go to Clerk, the source of truth, through its
 * Backend API. Once Clerk has confirmed a change, it is applied to our copy
 * in the same request, through the very sync functions the webhook uses (its
 * ordering rules make the later webhook a no-op): the new name shows at once,
 * and a deleted account is gone at once, posts and personal data included,
 * whether or not the webhook ever lands.
 */
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { getClerkClient } from '@/modules/auth/src/services/clerk-client';
import { inSyncTransaction } from '@/modules/auth/src/services/sync-statement';
import { applyUserDeletion, syncUserFromClerk } from '@/modules/auth/src/services/user-sync.service';

/** Clerk did not do what we asked: `message` is for the person, `field` the form field it is about. */
export class ClerkRequestError extends Error {
  override name = 'ClerkRequestError';
  constructor(
    message: string,
    readonly field?: 'firstName' | 'lastName',
  ) {
    super(message);
  }
}

const FIELDS: Record<string, 'firstName' | 'lastName'> = { first_name: 'firstName', last_name: 'lastName' };

export const CLERK_UNREACHABLE = 'Clerk could not be reached, so nothing changed. Try again in a moment.';

/** Clerk's answer in words a person can act on: its own 4xx message, a wait for a 429, or "could not be reached". */
function describeClerkFailure(error: unknown): ClerkRequestError {
  if (isClerkAPIResponseError(error)) {
    if (error.status === 429) {
      return new ClerkRequestError(`Clerk is busy, so nothing changed. Try again in ${error.retryAfter ?? 'a few'} seconds.`);
    }
    if (error.status >= 400 && error.status < 500) {
      const [first] = error.errors;
      const message = first?.longMessage || first?.message || `Clerk refused the change (${error.status}).`;
      return new ClerkRequestError(message, first?.meta?.paramName ? FIELDS[first.meta.paramName] : undefined);
    }
  }
  return new ClerkRequestError(CLERK_UNREACHABLE);
}

export async function changeName(clerkId: string, name: { firstName: string; lastName: string }): Promise<void> {
  let updated;
  try {
    updated = await getClerkClient().users.updateUser(clerkId, { firstName: name.firstName, lastName: name.lastName });
  } catch (error) {
    throw describeClerkFailure(error);
  }
  // Clerk's answer is the new version of the user: store it now, as the webhook would.
  if (updated.raw) await syncUserFromClerk(updated.raw);
}

export async function deleteAccount(clerkId: string): Promise<void> {
  try {
    await getClerkClient().users.deleteUser(clerkId);
  } catch (error) {
    // Already gone from Clerk: then it is gone from here too.
    if (!(isClerkAPIResponseError(error) && error.status === 404)) throw describeClerkFailure(error);
  }
  await inSyncTransaction((tx) => applyUserDeletion(tx, clerkId, new Date()));
}
