/**
 * What a verified Clerk webhook event does to our data. Minimal for now: the
 * production-grade version (ordering, idempotency, audit) is issue 4's.
 */
import type { WebhookEvent } from '@clerk/backend';
import { UserWithoutEmailError } from './clerk-user';
import { deleteUserFromClerk, syncUserFromClerk } from './user-sync.service';

export type WebhookOutcome = 'applied' | 'ignored';

export async function handleClerkEvent(event: WebhookEvent): Promise<WebhookOutcome> {
  switch (event.type) {
    case 'user.created':
    case 'user.updated':
      try {
        await syncUserFromClerk(event.data);
      } catch (error) {
        if (error instanceof UserWithoutEmailError) return 'ignored';
        throw error;
      }
      return 'applied';
    case 'user.deleted':
      if (event.data.id) await deleteUserFromClerk(event.data.id);
      return 'applied';
    default:
      return 'ignored';
  }
}
