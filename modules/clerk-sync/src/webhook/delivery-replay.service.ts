/**
 * Replay of stored webhook deliveries through the same code as the
 * endpoint, for operators after a fix: `npm run webhooks:replay` and the
 * operator console (/ops) both call `replayDeliveries`. Stored payloads were
 * verified when received, and are checked again. Named deliveries are
 * re-applied even if processed (the ordering rules keep that safe); `failed`
 * takes every delivery whose processing failed. A delivery whose payload is
 * gone (an ignored type, a deleted user, or past the retention window) has
 * nothing to replay.
 *
 * Replaying may fetch users from Clerk (a membership whose user we do not
 * hold), so before it processes anything it checks, as reconcile does, that
 * the Clerk keys read the instance the data came from (docs/decisions/009,
 * 014), and throws `ClerkInstanceRefusal` having processed nothing.
 */
import type { ClerkClient } from '@clerk/backend';
import { getPrisma } from '@/modules/cores/db/prisma';
import { redactPersonalData } from '@/modules/cores/logger/redact';
import { checkKeysInstance } from '../engine/clerk-instance.service';
import type { DeliveryOutcome } from './webhook';
import { instanceOfStoredPayload, processClerkWebhook } from './clerk-webhook.service';
import { parseHandledEvent } from './webhook-verification';

/** Which deliveries: every failed one not processed since, or these svix-ids. */
export type ReplaySelection = { failed: true } | { svixIds: string[] };

export type ReplayResult =
  | { svixId: string; type: string; status: 'replayed'; outcome: DeliveryOutcome }
  | { svixId: string; type: string; status: 'nothing-to-replay' }
  | { svixId: string; type: string; status: 'failed-again'; error: string }
  | { svixId: string; type: null; status: 'missing' };

export interface ReplayReport {
  results: ReplayResult[];
  /** Deliveries that failed again, or named ones that do not exist. */
  failures: number;
}

export interface ReplayOptions {
  /**
   * The Clerk client to check and replay with, asked for only when there is a payload to
   * replay (an empty ledger needs no keys); it must also be the one the sync uses.
   */
  clerk(): Promise<ClerkClient>;
  /** The last words of an instance refusal: how to follow the keys' instance for real. */
  switchAdvice(instanceId: string): string;
}

export async function replayDeliveries(selection: ReplaySelection, options: ReplayOptions): Promise<ReplayReport> {
  const failed = 'failed' in selection;
  const deliveries = await getPrisma().webhookDelivery.findMany({
    where: failed ? { outcome: 'failed', processedAt: null } : { svixId: { in: selection.svixIds } },
    orderBy: { receivedAt: 'asc' },
  });
  const results: ReplayResult[] = failed ? [] : selection.svixIds.filter((id) => !deliveries.some((d) => d.svixId === id)).map((svixId) => ({ svixId, type: null, status: 'missing' as const }));
  if (deliveries.some((stored) => stored.payload !== null)) {
    await checkKeysInstance(await options.clerk(), { recordAs: 'replay', switchAdvice: options.switchAdvice });
  }
  for (const stored of deliveries) {
    const { svixId, type } = stored;
    if (stored.payload === null) {
      results.push({ svixId, type, status: 'nothing-to-replay' });
      continue;
    }
    try {
      const event = parseHandledEvent(type, (stored.payload as { data?: unknown }).data);
      const { outcome } = await processClerkWebhook(
        { svixId, type, event, eventAt: stored.eventAt ?? stored.receivedAt, instanceId: instanceOfStoredPayload(stored.payload) },
        { force: !failed },
      );
      results.push({ svixId, type, status: 'replayed', outcome });
    } catch (error) {
      results.push({ svixId, type, status: 'failed-again', error: redactPersonalData(error instanceof Error ? error.message : String(error)) });
    }
  }
  return { results, failures: results.filter((result) => result.status === 'failed-again' || result.status === 'missing').length };
}
