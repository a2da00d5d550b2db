/**
 * A Clerk webhook delivery, from verified event to our data, exactly once.
 *
 * Every delivery is recorded under its svix-id in the same transaction that
 * applies it (one call of the database function `clerk_process_delivery`,
 * docs/decisions/011): a repeated svix-id (Svix retries, a duplicate racing on another
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
import { type ClerkUserFields, clerkUserFields } from './clerk-user';
import { syncStatement, userVersionArguments } from './user-sync.service';
import type { VerifiedWebhook } from './webhook-verification';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  clerkUserId: string | null;
}

/** The Clerk user an event is about, if it is one we handle. */
const clerkUserIdOf = (event: HandledEvent | null): string | null => event?.data.id ?? null;

/** What the ledger keeps of an event: the reduced event, or nothing for a type we do not handle. */
const storedPayloadOf = (event: HandledEvent | null): string | null => (event ? JSON.stringify(event) : null);

/** What `clerk_process_delivery` is asked to do, and the user fields it needs for a version. */
function actionOf(event: HandledEvent | null): { action: 'version' | 'deletion' | 'ignore'; fields: ClerkUserFields | null } {
  if (event?.type === 'user.created' || event?.type === 'user.updated') return { action: 'version', fields: clerkUserFields(event.data) };
  if (event?.type === 'user.deleted' && event.data.id) return { action: 'deletion', fields: null };
  return { action: 'ignore', fields: null };
}

/**
 * Claim the svix-id, apply the event and record the outcome: one call of
 * `clerk_process_delivery`, one round trip, its own transaction. A copy
 * processed before costs one indexed lookup and answers `duplicate`.
 */
export async function processClerkWebhook(webhook: VerifiedWebhook, options: { force?: boolean } = {}): Promise<DeliveryResult> {
  const clerkUserId = clerkUserIdOf(webhook.event);
  const payload = storedPayloadOf(webhook.event);
  const { action, fields } = actionOf(webhook.event);
  const [email, name, firstName, lastName, version, rowId] = fields ? userVersionArguments(fields) : [null, null, null, null, null, null];
  let outcome: DeliveryOutcome;
  try {
    const [row] = await syncStatement(
      () => getPrisma().$queryRaw<{ outcome: DeliveryOutcome }[]>`
        SELECT clerk_process_delivery(${webhook.svixId}, ${webhook.type}, ${webhook.eventAt}::timestamp(3), ${clerkUserId}, ${payload}::jsonb,
          ${action}, ${options.force ?? false}, ${email}, ${name}, ${firstName}, ${lastName}, ${version}::timestamp(3), ${rowId}) AS outcome`,
    );
    outcome = row!.outcome;
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
