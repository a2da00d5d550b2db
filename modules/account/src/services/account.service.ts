/**
 * Changes to the account go to Clerk, the source of truth, through its
 * Backend API. Once Clerk has confirmed a change, it is applied to our copy
 * in the same request, through the very sync functions the webhook uses (its
 * ordering rules make the later webhook a no-op): the new name shows at once,
 * and a deleted account is gone at once, posts and personal data included,
 * whether or not the webhook ever lands.
 */
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { CLERK_UNREACHABLE, ClerkRequestError, describeClerkFailure as describe } from '@/modules/cores/clerk/clerk-errors';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { inSyncTransaction } from '@/modules/clerk-sync/src/engine/sync-statement';
import { applyUserDeletion, syncUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';

const FIELDS: Record<string, 'firstName' | 'lastName'> = { first_name: 'firstName', last_name: 'lastName' };

export { CLERK_UNREACHABLE, ClerkRequestError };

export async function changeName(clerkId: string, name: { firstName: string; lastName: string }): Promise<void> {
  let updated;
  try {
    updated = await getClerkClient().users.updateUser(clerkId, { firstName: name.firstName, lastName: name.lastName });
  } catch (error) {
    throw describe(error, { fields: FIELDS });
  }
  // Clerk's answer is the new version of the user: store it now, as the webhook would.
  if (updated.raw) await syncUserFromClerk(updated.raw);
}

export async function deleteAccount(clerkId: string): Promise<void> {
  try {
    await getClerkClient().users.deleteUser(clerkId);
  } catch (error) {
    // Already gone from Clerk: then it is gone from here too.
    if (!(isClerkAPIResponseError(error) && error.status === 404)) throw describe(error, { fields: FIELDS });
  }
  await inSyncTransaction((tx) => applyUserDeletion(tx, clerkId, new Date()));
}
