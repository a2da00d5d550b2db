/**
 * A Clerk webhook delivery, from verified event to our data, exactly once.
 *
 * Every delivery is recorded under its svix-id in the same transaction that
 * applies it: a repeated svix-id (Svix retries, a duplicate racing on another
 * instance) finds the record and changes nothing. A failure rolls back
 * everything, is recorded as `failed` for `npm run webhooks:replay`, and
 * answers 5xx so that Svix retries.
 */
import type { WebhookEvent } from '@clerk/backend';
import type { Prisma } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import type { DeliveryOutcome } from '../interfaces/webhook';
import { applyUserDeletion, applyUserVersion, inSyncTransaction, type Tx } from './user-sync.service';
import type { VerifiedWebhook } from './webhook-verification';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  clerkUserId: string | null;
}

/** The Clerk user an event is about, if it is about one. */
function clerkUserIdOf(event: WebhookEvent): string | null {
  if (!event.type.startsWith('user.')) return null;
  const id = (event.data as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}

async function applyEvent(tx: Tx, event: WebhookEvent, eventAt: Date): Promise<DeliveryOutcome> {
  switch (event.type) {
    case 'user.created':
    case 'user.updated': {
      const { outcome } = await applyUserVersion(tx, event.data);
      return outcome === 'applied' ? 'applied' : 'stale';
    }
    case 'user.deleted': {
      if (!event.data.id) return 'ignored';
      return (await applyUserDeletion(tx, event.data.id, eventAt)).outcome === 'applied' ? 'applied' : 'stale';
    }
    default:
      // Answered 200 and recorded, so Svix stops sending what we do not handle.
      return 'ignored';
  }
}

/**
 * Claim the svix-id for this transaction. Returns false when the delivery was
 * already processed. A concurrent copy blocks here until the first commits
 * (then sees it processed) or rolls back (then processes it itself).
 */
async function claimDelivery(tx: Tx, webhook: VerifiedWebhook, clerkUserId: string | null, payload: string): Promise<boolean> {
  const claimed = await tx.$queryRaw<{ svixId: string }[]>`
    INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "eventAt", "outcome", "payload")
    VALUES (${webhook.svixId}, ${webhook.event.type}, ${clerkUserId}, ${webhook.eventAt}, 'processing', ${payload}::jsonb)
    ON CONFLICT ("svixId") DO UPDATE SET "attempts" = "WebhookDelivery"."attempts" + 1, "receivedAt" = now()
    WHERE "WebhookDelivery"."processedAt" IS NULL
    RETURNING "svixId"`;
  return claimed.length > 0;
}

export async function processClerkWebhook(webhook: VerifiedWebhook, options: { force?: boolean } = {}): Promise<DeliveryResult> {
  const clerkUserId = clerkUserIdOf(webhook.event);
  const payload = JSON.stringify(webhook.event);
  try {
    const outcome = await inSyncTransaction(async (tx) => {
      if (options.force) {
        await tx.webhookDelivery.updateMany({ where: { svixId: webhook.svixId }, data: { processedAt: null } });
      }
      if (!(await claimDelivery(tx, webhook, clerkUserId, payload))) return 'duplicate' as const;
      const applied = await applyEvent(tx, webhook.event, webhook.eventAt);
      await tx.$executeRaw`UPDATE "WebhookDelivery" SET "outcome" = ${applied}, "processedAt" = now(), "error" = NULL WHERE "svixId" = ${webhook.svixId}`;
      return applied;
    });
    return { outcome, clerkUserId };
  } catch (error) {
    await recordFailure(webhook, clerkUserId, payload, error);
    throw error;
  }
}

/** Best effort, outside the rolled-back transaction: with the database down, the log line remains. */
async function recordFailure(webhook: VerifiedWebhook, clerkUserId: string | null, payload: string, error: unknown): Promise<void> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  try {
    await getPrisma().webhookDelivery.upsert({
      where: { svixId: webhook.svixId },
      create: {
        svixId: webhook.svixId,
        type: webhook.event.type,
        clerkUserId,
        eventAt: webhook.eventAt,
        outcome: 'failed',
        error: message,
        payload: JSON.parse(payload) as Prisma.InputJsonValue,
      },
      update: { outcome: 'failed', error: message },
    });
  } catch {
    // The database is what failed; the caller logs and answers 5xx.
  }
}
