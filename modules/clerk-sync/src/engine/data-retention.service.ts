/**
 * Data that must not outlive its purpose (docs/decisions/008), removed by
 * `npm run data:prune` and by each app instance on a schedule
 * (DATA_PRUNE_INTERVAL_MINUTES):
 * - webhook payloads past their retention window (default 7 days);
 * - webhook ledger rows past theirs (default 30 days);
 * - rate-limit windows that have ended;
 * - the addresses of invitations past their expiry (Clerk sends no event when
 *   one expires; reconcile records the status);
 * - reconcile runs that stopped beating (killed), with the ids they saw;
 * - the reports of finished reconcile runs past theirs (default 30 days);
 * - audit events past their retention window (default 365 days, decision 024).
 * Each step deletes in batches, so a large backlog never holds long locks;
 * running it twice, or on several instances at once, is harmless.
 */
import os from 'node:os';
import { getPrisma } from '@/modules/cores/db/prisma';
import { isProcessAlive } from '@/modules/cores/process-alive';
import { utcNow } from '@/modules/cores/db/sql';
import type { RetentionSettings } from '@/modules/cores/env/env';
import { MAX_WINDOW_SECONDS } from '@/modules/cores/rate-limit/rate-limit';

/** A reconcile run beats every few seconds; one silent for this long is dead. */
export const RECONCILE_RUN_STALE_SECONDS = 120;

const BATCH = 5_000;

export interface PruneSummary {
  payloadsDropped: number;
  deliveriesDeleted: number;
  rateLimitWindowsDeleted: number;
  invitationAddressesErased: number;
  reconcileRunsDeleted: number;
  reconcileReportsDeleted: number;
  auditEventsDeleted: number;
}

/** Run one batched statement until it touches fewer rows than a batch. */
async function inBatches(statement: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await statement();
    total += count;
    if (count < BATCH) return total;
  }
}

export async function pruneExpiredData(settings: RetentionSettings): Promise<PruneSummary> {
  const prisma = getPrisma();
  const payloadDays = settings.WEBHOOK_PAYLOAD_RETENTION_DAYS;
  const ledgerDays = Math.max(settings.WEBHOOK_LEDGER_RETENTION_DAYS, payloadDays);
  const payloadsDropped = await inBatches(
    () => prisma.$executeRaw`
      UPDATE "WebhookDelivery" SET "payload" = NULL
      WHERE "svixId" IN (
        SELECT "svixId" FROM "WebhookDelivery"
        WHERE "receivedAt" < ${utcNow} - make_interval(days => ${payloadDays}::int) AND "payload" IS NOT NULL
        LIMIT ${BATCH}::int)`,
  );
  const deliveriesDeleted = await inBatches(
    () => prisma.$executeRaw`
      DELETE FROM "WebhookDelivery"
      WHERE "svixId" IN (SELECT "svixId" FROM "WebhookDelivery" WHERE "receivedAt" < ${utcNow} - make_interval(days => ${ledgerDays}::int) LIMIT ${BATCH}::int)`,
  );
  const rateLimitWindowsDeleted = await inBatches(
    () => prisma.$executeRaw`
      DELETE FROM "RateLimitWindow"
      WHERE ("key", "windowStart") IN (
        SELECT "key", "windowStart" FROM "RateLimitWindow" WHERE "windowStart" < ${utcNow} - make_interval(secs => ${MAX_WINDOW_SECONDS}::int) LIMIT ${BATCH}::int)`,
  );
  const invitationAddressesErased = await inBatches(
    () => prisma.$executeRaw`
      WITH expired AS (
        SELECT "id", "clerkId" FROM "Invitation" WHERE "expiresAt" < ${utcNow} AND "email" IS NOT NULL LIMIT ${BATCH}::int),
      ledger AS (
        UPDATE "WebhookDelivery" SET "payload" = NULL WHERE "clerkObjectId" IN (SELECT "clerkId" FROM expired) AND "payload" IS NOT NULL)
      UPDATE "Invitation" SET "email" = NULL, "updatedAt" = ${utcNow} WHERE "id" IN (SELECT "id" FROM expired)`,
  );
  const reconcileRunsDeleted = await removeStaleReconcileRuns();
  const reconcileReportsDeleted = await inBatches(
    () => prisma.$executeRaw`
      DELETE FROM "ReconcileReport"
      WHERE "id" IN (SELECT "id" FROM "ReconcileReport" WHERE "finishedAt" < ${utcNow} - make_interval(days => ${settings.RECONCILE_REPORT_RETENTION_DAYS}::int) LIMIT ${BATCH}::int)`,
  );
  const auditEventsDeleted = await inBatches(
    () => prisma.$executeRaw`
      DELETE FROM "AuditEvent"
      WHERE "id" IN (SELECT "id" FROM "AuditEvent" WHERE "createdAt" < ${utcNow} - make_interval(days => ${settings.AUDIT_LOG_RETENTION_DAYS}::int) LIMIT ${BATCH}::int)`,
  );
  return { payloadsDropped, deliveriesDeleted, rateLimitWindowsDeleted, invitationAddressesErased, reconcileRunsDeleted, reconcileReportsDeleted, auditEventsDeleted };
}

/**
 * Runs that were killed: on this host, those whose process is gone (at once);
 * anywhere, those that stopped beating. Removed with, by cascade, the ids
 * they saw.
 */
export async function removeStaleReconcileRuns(): Promise<number> {
  const prisma = getPrisma();
  const local = await prisma.reconcileRun.findMany({ where: { host: os.hostname() }, select: { id: true, pid: true } });
  const dead = local.filter((run) => run.pid !== process.pid && !isProcessAlive(run.pid)).map((run) => run.id);
  const { count } = dead.length > 0 ? await prisma.reconcileRun.deleteMany({ where: { id: { in: dead } } }) : { count: 0 };
  const silent = await prisma.$executeRaw`
    DELETE FROM "ReconcileRun" WHERE "heartbeatAt" < ${utcNow} - make_interval(secs => ${RECONCILE_RUN_STALE_SECONDS}::int)`;
  return count + silent;
}
