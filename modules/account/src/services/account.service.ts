/**
 * Changes to the account go to Clerk, the source of truth, through its
 * Backend API; our copy follows through the webhook (user.updated,
 * user.deleted), never by writing it directly here.
 */
import { getClerkClient } from '@/modules/auth/src/services/clerk-client';

export class ClerkUnavailableError extends Error {
  override name = 'ClerkUnavailableError';
}

async function callClerk<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ClerkUnavailableError(error instanceof Error ? error.message : String(error));
  }
}

export function requestNameChange(clerkId: string, name: { firstName: string; lastName: string }): Promise<unknown> {
  return callClerk(() => getClerkClient().users.updateUser(clerkId, { firstName: name.firstName, lastName: name.lastName }));
}

export function requestAccountDeletion(clerkId: string): Promise<unknown> {
  return callClerk(() => getClerkClient().users.deleteUser(clerkId));
}
