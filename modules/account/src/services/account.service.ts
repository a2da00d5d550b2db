/**
 * Changes to the account go to Clerk, the source of truth, through its
 * Backend API. Once Clerk has confirmed a change, it is applied to our copy
 * in the same request, through the very sync functions the webhook uses (its
 * ordering rules make the later webhook a no-op): the new name shows at once,
 * and a deleted account is gone at once, posts and personal data included,
 * whether or not the webhook ever lands.
 *
 * A deletion Clerk performed is audited (docs/decisions/024) in the
 * transaction of its erasure, before it: the erasure then replaces the ids
 * the entry names (the person's; an impersonator's stays).
 */
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { CLERK_UNREACHABLE, ClerkRequestError, describeClerkFailure as describe } from '@/modules/cores/clerk/clerk-errors';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { inSyncTransaction } from '@/modules/clerk-sync/src/engine/sync-statement';
import { actingAs, type AuditActor, recordAudit } from '@/modules/audit/src/services/audit-log.service';
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

export async function deleteAccount(clerkId: string, actor: AuditActor = actingAs(clerkId)): Promise<void> {
  let deletedByClerk = true;
  try {
    await getClerkClient().users.deleteUser(clerkId);
  } catch (error) {
    // Already gone from Clerk: then it is gone from here too (not this session's act to audit).
    if (!(isClerkAPIResponseError(error) && error.status === 404)) throw describe(error, { fields: FIELDS });
    deletedByClerk = false;
  }
  await inSyncTransaction(async (tx) => {
    if (deletedByClerk) await recordAudit({ actor, action: 'account.deleted', target: { type: 'user', id: clerkId } }, tx);
    return applyUserDeletion(tx, clerkId, new Date());
  });
}
