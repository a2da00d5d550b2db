/**
 * `npm run users:reconcile [-- --dry-run --keep-missing --allow-mass-delete --switch-instance=<ins_…>]`:
 * bring our User table back to Clerk's truth (missed webhooks, or a first
 * backfill). Uses DATABASE_URL and the Clerk keys in the environment; with
 * neither set, the database and the emulator of the running `npm run dev`
 * of this checkout, and says so.
 *
 * It refuses (exit code 2, nothing removed) to work against another Clerk
 * instance than the one the data came from, or to remove more than a few
 * percent of the rows without --allow-mass-delete (docs/decisions/009).
 * Exit codes: 0 done, 1 some users failed, 2 refused or misused, 130
 * interrupted (Ctrl-C; nothing is left behind). With an OTLP endpoint set
 * (OTEL_EXPORTER_OTLP_ENDPOINT), its spans and drift counts are exported as
 * the app's are (docs/decisions/026).
 */
import './lib/load-env';
import { parseArgs } from 'node:util';
import { createClerkClient } from '@clerk/backend';
import { ClerkKeysMissing, scriptClerkKeys } from './lib/clerk-keys';
import { describeFailure } from './lib/load-env';
import { openLocalDatabase } from './lib/local-database';

function usage(message: string): never {
  console.error(`${message}\nUsage: npm run users:reconcile [-- --dry-run --keep-missing --allow-mass-delete --switch-instance=<instance id>]`);
  process.exit(2);
}

let values: { 'dry-run': boolean; 'keep-missing': boolean; 'allow-mass-delete': boolean; 'switch-instance'?: string; 'page-size'?: string };
try {
  ({ values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      'keep-missing': { type: 'boolean', default: false },
      'allow-mass-delete': { type: 'boolean', default: false },
      'switch-instance': { type: 'string' },
      'page-size': { type: 'string' },
    },
  }));
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}

const config = await scriptClerkKeys('reconcile with').catch((error: unknown) => usage(error instanceof ClerkKeysMissing ? error.message : String(error)));
const database = await openLocalDatabase();
process.env.DATABASE_URL = database.url;
console.log(`Reconciling ${database.description} with ${config.description}.`);
// Before the services load: metrics are bound to the SDK at first use.
const telemetrySetting = (await import('@/modules/cores/env/telemetry')).telemetrySettings();
const telemetry = telemetrySetting ? (await import('@/modules/cores/telemetry/otel-sdk')).startTelemetry(telemetrySetting) : null;
const { reconcileOrganizations, reconcileUsers, ReconcileRefusal } = await import('@/modules/clerk-sync/src/reconcile/reconcile.service');
const { reconcileRoles } = await import('@/modules/clerk-sync/src/objects/role-sync.service');
const { reconcileInvitations } = await import('@/modules/clerk-sync/src/objects/invitation-sync.service');
const { reconcileBilling } = await import('@/modules/clerk-sync/src/objects/billing-sync.service');
const { recordReconcileReport, storedSummary } = await import('@/modules/clerk-sync/src/reconcile/reconcile-report.service');
type ReportBody = Parameters<typeof recordReconcileReport>[0]['report'];
type Summary = Awaited<ReturnType<typeof reconcileUsers>>;
const { disconnectPrisma } = await import('../modules/cores/db/prisma');

// Ctrl-C stops between two steps and cleans up; another one, a while later, stops at once. (A
// terminal's Ctrl-C reaches this process twice, directly and through npm: the same press.)
const interrupt = new AbortController();
let interruptedAt = 0;
const onInterrupt = () => {
  if (!interruptedAt) {
    interruptedAt = Date.now();
    console.error('\nInterrupted: stopping and cleaning up (Ctrl-C again to stop at once).');
    interrupt.abort(new Error('interrupted'));
  } else if (Date.now() - interruptedAt > 1_000) {
    process.exit(130);
  }
};
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);

const tty = process.stdout.isTTY;
let lastLine = 0;
const started = Date.now();
let exitCode = 0;
// What the run did, kept for the operator console (a dry run writes nothing, this included).
const report: ReportBody = { kinds: {} };
let result: 'completed' | 'refused' | 'failed' | 'interrupted' = 'completed';
let instanceId: string | null = null;
try {
  const clerk = createClerkClient({ secretKey: config.secretKey, apiUrl: config.apiUrl });
  const options = {
    dryRun: values['dry-run'],
    keepMissing: values['keep-missing'],
    allowMassDelete: values['allow-mass-delete'],
    switchInstance: values['switch-instance'],
    pageSize: values['page-size'] ? Number(values['page-size']) : undefined,
    signal: interrupt.signal,
    onProgress({ phase, done, total, summary: s }: { phase: string; done: number; total: number | null; summary: Summary }) {
      const text = phase === 'missing' ? `checking rows not in Clerk: ${done}` : `${phase} ${done}${total ? `/${total}` : ''}`;
      if (tty) {
        const width = 30;
        const filled = total ? Math.round((Math.min(done, total) / total) * width) : 0;
        process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}  created ${s.created} updated ${s.updated} unchanged ${s.unchanged}   `);
      } else if (Date.now() - lastLine > 2000 || (total !== null && done >= total)) {
        lastLine = Date.now();
        console.log(`${text} (created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged})`);
      }
    },
  };
  const verb = values['dry-run'] ? 'would be ' : '';
  const say = (what: string, summary: Summary, since: number) => {
    if (tty) process.stdout.write('\n');
    console.log(
      `${values['dry-run'] ? 'Dry run: nothing written. ' : ''}Reconciled ${summary.seen} ${what} of Clerk instance ${summary.instanceId} in ${((Date.now() - since) / 1000).toFixed(1)} s: ` +
        `${summary.created} ${verb}created, ${summary.updated} ${verb}updated, ${summary.deleted} ${verb}deleted, ${summary.unchanged} unchanged, ` +
        `${summary.failed} failed${summary.missing ? `, ${summary.missing} missing from Clerk (kept)` : ''}${summary.rateLimited ? `; waited out ${summary.rateLimited} rate limits` : ''}.`,
    );
    for (const failure of summary.failures.slice(0, 20)) console.error(`  failed: ${failure}`);
    report.kinds[what] = storedSummary(summary);
    instanceId ??= summary.instanceId;
    if (summary.failed > 0) exitCode = 1;
  };
  // Users first: memberships name them.
  say('users', await reconcileUsers(clerk, options), started);
  const organizationsStarted = Date.now();
  const { organizations, memberships } = await reconcileOrganizations(clerk, options);
  say('organizations', organizations, organizationsStarted);
  say('memberships', memberships, organizationsStarted);
  if (!values['dry-run']) {
    // Roles (what authorizes every act in an organization) and pending invitations: small, written as read.
    const rolesStarted = Date.now();
    const roles = await reconcileRoles(clerk);
    report.kinds.roles = { ...roles };
    console.log(`Reconciled ${roles.seen} organization roles in ${((Date.now() - rolesStarted) / 1000).toFixed(1)} s: ${roles.applied} updated, ${roles.deleted} deleted.`);
    const invitationsStarted = Date.now();
    const invitations = await reconcileInvitations(clerk);
    console.log(
      `Reconciled the pending invitations of ${invitations.organizations} organizations in ${((Date.now() - invitationsStarted) / 1000).toFixed(1)} s: ` +
        `${invitations.seen} pending, ${invitations.applied} updated, ${invitations.ended} ended since, ${invitations.failed} failed.`,
    );
    report.kinds.invitations = { ...invitations };
    if (invitations.failed > 0) exitCode = 1;
    // Billing's plans, and every organization's subscription (and every paying user's) as Clerk has it now.
    const billingStarted = Date.now();
    const billing = await reconcileBilling(clerk);
    if (billing.billingOff) console.log('Billing: Clerk refused the plan list (is Billing enabled for this instance?); subscriptions not reconciled.');
    else console.log(
      `Reconciled ${billing.plans} billing plans (${billing.plansRemoved} removed) and ${billing.subscriptions} subscriptions in ${((Date.now() - billingStarted) / 1000).toFixed(1)} s: ` +
        `${billing.applied} updated, ${billing.none} without one in Clerk, ${billing.failed} failed.`,
    );
    report.kinds.billing = { ...billing };
    if (billing.failed > 0) exitCode = 1;
  }
} catch (error) {
  if (tty) process.stdout.write('\n');
  if (error instanceof ReconcileRefusal) {
    console.error(error.message);
    exitCode = 2;
    result = 'refused';
    report.message = error.message;
    instanceId ??= error.summary?.instanceId ?? null;
  } else if (interrupt.signal.aborted) {
    console.error('Reconcile interrupted: nothing left behind; run it again to finish.');
    exitCode = 130;
    result = 'interrupted';
  } else {
    const status = (error as { status?: number }).status;
    report.message = `${describeFailure(error)}${status ? ` (Clerk answered ${status})` : ''}`;
    console.error(`Reconcile failed: ${report.message}`);
    exitCode = 1;
    result = 'failed';
  }
}
try {
  if (!values['dry-run']) await recordReconcileReport({ startedAt: new Date(started), result, instanceId, report });
} catch (error) {
  console.error(`The run's report could not be stored for the operator console: ${describeFailure(error)}`);
} finally {
  await disconnectPrisma();
  await database.close();
  // What is still buffered goes to the collector before the process ends.
  await telemetry?.shutdown().catch((error: unknown) => console.error(`Exporting telemetry failed: ${describeFailure(error)}`));
}
process.exit(exitCode);
