/**
 * `npm run data:prune`: remove data that has outlived its purpose
 * (docs/decisions/008): webhook payloads and ledger rows past their retention
 * windows, ended rate-limit windows, the rows of killed reconcile runs, and
 * audit events past theirs (docs/decisions/024).
 * Each app instance also does this on a schedule; this command is for cron
 * jobs and serverless hosts (docs/deploy.md). Uses DATABASE_URL, or the
 * database of the running `npm run dev`, or the embedded one, and says which.
 */
import './lib/load-env';
import { getToolEnv } from '../modules/cores/env/env';
import { openLocalDatabase } from './lib/local-database';

const env = getToolEnv();
const database = await openLocalDatabase();
process.env.DATABASE_URL = database.url;
const { pruneExpiredData } = await import('@/modules/clerk-sync/src/engine/data-retention.service');
const { disconnectPrisma } = await import('../modules/cores/db/prisma');

let exitCode = 0;
try {
  const summary = await pruneExpiredData(env);
  console.log(
    `Pruned ${database.description}: ${summary.payloadsDropped} webhook payloads dropped (older than ${env.WEBHOOK_PAYLOAD_RETENTION_DAYS} days), ` +
      `${summary.deliveriesDeleted} webhook ledger rows deleted (older than ${env.WEBHOOK_LEDGER_RETENTION_DAYS} days), ` +
      `${summary.rateLimitWindowsDeleted} rate-limit windows, ${summary.invitationAddressesErased} addresses of expired invitations, ${summary.reconcileRunsDeleted} abandoned reconcile runs, ${summary.reconcileReportsDeleted} reconcile reports, ` +
      `${summary.auditEventsDeleted} audit events (older than ${env.AUDIT_LOG_RETENTION_DAYS} days).`,
  );
} catch (error) {
  console.error(`Prune failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await disconnectPrisma();
  await database.close();
}
process.exit(exitCode);
