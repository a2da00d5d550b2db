/**
 * A Clerk webhook delivery, from verified event to our data, exactly once.
 *
 * Every delivery is recorded under its svix-id in the same transaction that
 * applies it: a repeated svix-id (Svix retries, a duplicate racing on another
 * instance) finds the record and changes nothing. A failure rolls back
 * everything, is recorded as `failed` for `npm run webhooks:replay`, and
 * answers 5xx so that Svix retries. A signed delivery we cannot take is
 * recorded as `rejected`, so that it is seen rather than lost.
 *
 * The ledger keeps personal data only as long as it must (docs/decisions/008):
 * the payload is the event reduced to the fields the sync reads, none for
 * types we ignore or for a user already deleted, and error texts are redacted.
 */
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import { redactPersonalData } from '@/modules/cores/logger/redact';
import type { DeliveryOutcome, HandledEvent } from '../interfaces/webhook';
import { rememberClerkInstance } from './clerk-instance.service';
import { applyUserDeletion, applyUserVersion, inSyncTransaction, type Tx } from './user-sync.service';
import type { VerifiedWebhook } from './webhook-verification';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  clerkUserId: string | null;
}

/** The Clerk user an event is about, if it is one we handle. */
const clerkUserIdOf = (event: HandledEvent | null): string | null => event?.data.id ?? null;

/** What the ledger keeps of an event: the reduced event, or nothing for a type we do not handle. */
const storedPayloadOf = (event: HandledEvent | null): string | null => (event ? JSON.stringify(event) : null);

interface Applied {
  outcome: DeliveryOutcome;
  /** False when the user is deleted: a late event for them keeps no data. */
  keepPayload: boolean;
}

async function applyEvent(tx: Tx, event: HandledEvent | null, eventAt: Date): Promise<Applied> {
  if (!event) return { outcome: 'ignored', keepPayload: false }; // answered 200, so Svix stops sending what we do not handle
  switch (event.type) {
    case 'user.created':
    case 'user.updated': {
      const { outcome } = await applyUserVersion(tx, event.data);
      return { outcome: outcome === 'applied' ? 'applied' : 'stale', keepPayload: outcome !== 'deleted' };
    }
    case 'user.deleted': {
      if (!event.data.id) return { outcome: 'ignored', keepPayload: false };
      const { outcome } = await applyUserDeletion(tx, event.data.id, eventAt);
      return { outcome: outcome === 'applied' ? 'applied' : 'stale', keepPayload: true };
    }
  }
}

/**
 * Claim the svix-id for this transaction. Returns false when the delivery was
 * already processed. A concurrent copy blocks here until the first commits
 * (then sees it processed) or rolls back (then processes it itself).
 */
async function claimDelivery(tx: Tx, webhook: VerifiedWebhook, clerkUserId: string | null, payload: string | null): Promise<boolean> {
  const claimed = await tx.$queryRaw<{ svixId: string }[]>`
    INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "eventAt", "receivedAt", "outcome", "payload")
    VALUES (${webhook.svixId}, ${webhook.type}, ${clerkUserId}, ${webhook.eventAt}, ${utcNow}, 'processing', ${payload}::jsonb)
    ON CONFLICT ("svixId") DO UPDATE SET "attempts" = "WebhookDelivery"."attempts" + 1, "receivedAt" = EXCLUDED."receivedAt"
    WHERE "WebhookDelivery"."processedAt" IS NULL
    RETURNING "svixId"`;
  return claimed.length > 0;
}

export async function processClerkWebhook(webhook: VerifiedWebhook, options: { force?: boolean } = {}): Promise<DeliveryResult> {
  const clerkUserId = clerkUserIdOf(webhook.event);
  const payload = storedPayloadOf(webhook.event);
  let outcome: DeliveryOutcome;
  try {
    outcome = await inSyncTransaction(async (tx) => {
      if (options.force) {
        await tx.webhookDelivery.updateMany({ where: { svixId: webhook.svixId }, data: { processedAt: null } });
      }
      if (!(await claimDelivery(tx, webhook, clerkUserId, payload))) return 'duplicate' as const;
      const applied = await applyEvent(tx, webhook.event, webhook.eventAt);
      await tx.$executeRaw`
        UPDATE "WebhookDelivery"
        SET "outcome" = ${applied.outcome}, "processedAt" = ${utcNow}, "error" = NULL,
            "payload" = CASE WHEN ${applied.keepPayload} THEN "payload" ELSE NULL END
        WHERE "svixId" = ${webhook.svixId}`;
      return applied.outcome;
    });
  } catch (error) {
    await recordFailure(webhook, clerkUserId, payload, error);
    throw error;
  }
  if (webhook.instanceId) await rememberClerkInstance(webhook.instanceId, 'webhook');
  return { outcome, clerkUserId };
}

/**
 * Best effort, outside the rolled-back transaction: with the database down,
 * the log line remains. Never overwrites a delivery another copy has
 * processed meanwhile.
 */
async function recordFailure(webhook: VerifiedWebhook, clerkUserId: string | null, payload: string | null, error: unknown): Promise<void> {
  const message = redactPersonalData(error instanceof Error ? error.message : String(error)).slice(0, 2000);
  try {
    await getPrisma().$executeRaw`
      INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "eventAt", "receivedAt", "outcome", "error", "payload")
      VALUES (${webhook.svixId}, ${webhook.type}, ${clerkUserId}, ${webhook.eventAt}, ${utcNow}, 'failed', ${message}, ${payload}::jsonb)
      ON CONFLICT ("svixId") DO UPDATE SET "outcome" = 'failed', "error" = EXCLUDED."error"
      WHERE "WebhookDelivery"."processedAt" IS NULL`;
  } catch {
    // The database is what failed; the caller logs and answers 5xx.
  }
}

/**
 * A delivery Clerk signed that we still refuse (malformed, or not storable):
 * recorded once as `rejected` with its reason and no payload, processed, so
 * that it shows in the ledger and replay leaves it alone. Best effort.
 */
export async function recordRejection(rejected: { svixId: string; type: string }, reason: string): Promise<void> {
  try {
    await getPrisma().$executeRaw`
      INSERT INTO "WebhookDelivery" ("svixId", "type", "receivedAt", "processedAt", "outcome", "error")
      VALUES (${rejected.svixId}, ${rejected.type}, ${utcNow}, ${utcNow}, 'rejected', ${reason})
      ON CONFLICT ("svixId") DO UPDATE SET "attempts" = "WebhookDelivery"."attempts" + 1
      WHERE "WebhookDelivery"."outcome" = 'rejected'`;
  } catch {
    // The answer (400) does not depend on it.
  }
}
