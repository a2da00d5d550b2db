/**
 * A Clerk webhook delivery (a user, an organization or a membership), from
 * verified event to our data, exactly once.
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
import { getLogger } from '@/modules/cores/logger/logger';
import { utcNow } from '@/modules/cores/db/sql';
import { redactPersonalData } from '@/modules/cores/logger/redact';
import { appMetrics, inSpan } from '@/modules/cores/telemetry/telemetry';
import type { DeliveryOutcome, HandledEvent } from './webhook';
import { type ClerkChange, changeFields, changeOfEvent, clerkIdOfChange, clerkUserIdOfChange } from '../engine/clerk-changes';
import { rememberClerkInstance } from '../engine/clerk-instance.service';
import { newRowId, syncStatement } from '../engine/sync-statement';
import { unknownBillingStatuses } from '../objects/clerk-billing-data';
import { provisionMissingUser } from '../objects/user-sync.service';
import type { VerifiedWebhook } from './webhook-verification';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** The Clerk user the delivery is about (a user event's, a membership's), if any. */
  clerkUserId: string | null;
  /** The organization or membership the delivery is about, for one of theirs. */
  clerkObjectId?: string;
}

/**
 * What the ledger keeps of an event: the reduced event and the instance it
 * came from (replay checks it as the webhook did), or nothing for a type we
 * do not handle.
 */
function storedPayloadOf(webhook: VerifiedWebhook): string | null {
  if (!webhook.event) return null;
  const stored: HandledEvent & { instance_id?: string } = webhook.instanceId ? { ...webhook.event, instance_id: webhook.instanceId } : webhook.event;
  return JSON.stringify(stored);
}

/** The instance a stored payload came from, if it says (replay). */
export const instanceOfStoredPayload = (payload: unknown): string | null => {
  const instanceId = (payload as { instance_id?: unknown } | null)?.instance_id;
  return typeof instanceId === 'string' ? instanceId : null;
};

/**
 * Claim the svix-id, apply the change and record the outcome: one call of
 * `clerk_process_delivery`, one round trip, its own transaction. A copy
 * processed before costs one indexed lookup and answers `duplicate`.
 *
 * A membership whose user we do not hold yet (its `user.created` is late)
 * answers `missing_user` and changes nothing: the user is fetched once from
 * the Backend API and stored through the same rules, and the delivery
 * applied again (docs/decisions/012). Should Clerk answer 404, the user is
 * tombstoned only when the delivery, our data and our keys are of one
 * instance; else the delivery fails with `ClerkInstanceMismatch`, having
 * written nothing but its failure (docs/decisions/014).
 */
export function processClerkWebhook(webhook: VerifiedWebhook, options: { force?: boolean } = {}): Promise<DeliveryResult> {
  return inSpan('clerk.webhook.process', { 'clerk.svix_id': webhook.svixId, 'clerk.event_type': webhook.type }, async (span) => {
    const result = await processDelivery(webhook, options);
    span.setAttribute('clerk.webhook.outcome', result.outcome);
    // The sync's lag: from the event at Clerk to its change applied here (a replay's included).
    if (result.outcome === 'applied') appMetrics().lag.record(Math.max(0, Date.now() - webhook.eventAt.getTime()) / 1000, { type: webhook.type });
    return result;
  });
}

async function processDelivery(webhook: VerifiedWebhook, options: { force?: boolean }): Promise<DeliveryResult> {
  const change = webhook.event ? changeOfEvent(webhook.event) : null;
  const clerkUserId = change ? clerkUserIdOfChange(change) : null;
  const payload = storedPayloadOf(webhook);
  if (change?.object === 'subscription' || change?.object === 'subscriptionItem') warnOfUnknownStatuses(webhook, change.data);
  let outcome: DeliveryOutcome;
  try {
    let result = await deliver(webhook, change, clerkUserId, payload, options.force ?? false);
    if (result === 'missing_user') {
      await provisionMissingUser(clerkUserId!, { kind: 'delivery', instanceId: webhook.instanceId });
      result = await deliver(webhook, change, clerkUserId, payload, options.force ?? false);
      if (result === 'missing_user') throw new Error(`user ${clerkUserId} could not be provisioned`);
    }
    outcome = result;
  } catch (error) {
    await recordFailure(webhook, clerkUserId, payload, error);
    throw error;
  }
  if (webhook.instanceId) await rememberClerkInstance(webhook.instanceId, 'webhook');
  return change && change.object !== 'user' ? { outcome, clerkUserId, clerkObjectId: clerkIdOfChange(change) } : { outcome, clerkUserId };
}

/** Billing's statuses still move: one we do not know is stored as sent, grants nothing, and is said here. */
function warnOfUnknownStatuses(webhook: VerifiedWebhook, data: { status: string; items?: { status: string }[] }): void {
  const statuses = unknownBillingStatuses(data);
  if (statuses.length > 0) {
    getLogger().warn({ svixId: webhook.svixId, type: webhook.type, statuses }, 'Clerk Billing status this app does not know: stored as sent, it grants no plan');
  }
}

function deliver(webhook: VerifiedWebhook, change: ClerkChange | null, clerkUserId: string | null, payload: string | null, force: boolean) {
  return inSpan('clerk_process_delivery', {}, async (span) => {
    const outcome = await deliverOnce(webhook, change, clerkUserId, payload, force);
    span.setAttribute('clerk.webhook.outcome', outcome);
    return outcome;
  });
}

async function deliverOnce(webhook: VerifiedWebhook, change: ClerkChange | null, clerkUserId: string | null, payload: string | null, force: boolean) {
  const fields = change ? JSON.stringify(changeFields(change, newRowId)) : null;
  const objectId = change && change.object !== 'user' ? clerkIdOfChange(change) : null;
  const [row] = await syncStatement(
    () => getPrisma().$queryRaw<{ outcome: DeliveryOutcome | 'missing_user' }[]>`
      SELECT clerk_process_delivery(${webhook.svixId}, ${webhook.type}, ${webhook.eventAt}::timestamp(3), ${clerkUserId}, ${payload}::jsonb,
        ${change?.object ?? null}, ${change?.action ?? 'ignore'}, ${fields}::jsonb, ${force}, ${objectId}) AS outcome`,
  );
  return row!.outcome;
}

/**
 * Best effort, outside the rolled-back transaction: with the database down,
 * the log line remains. Never overwrites a delivery another copy has
 * processed meanwhile, and keeps neither payload nor error text once the user
 * is deleted, even by a deletion committed while this failure is recorded
 * (`clerk_record_delivery_failure` waits for the user's lock).
 */
async function recordFailure(webhook: VerifiedWebhook, clerkUserId: string | null, payload: string | null, error: unknown): Promise<void> {
  const message = redactPersonalData(error instanceof Error ? error.message : String(error)).slice(0, 2000);
  try {
    await getPrisma().$executeRaw`
      SELECT clerk_record_delivery_failure(${webhook.svixId}, ${webhook.type}, ${clerkUserId}, ${webhook.eventAt}::timestamp(3), ${message}, ${payload}::jsonb)`;
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
