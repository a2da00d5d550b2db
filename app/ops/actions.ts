'use server';

/**
 * The operator console's actions: operators only (anyone else gets a 404
 * and nothing runs, `operatorAction`), each through the action wrapper, and
 * each act audited once done (`ops.replay`, `ops.reconcile`; a refusal
 * performs nothing and records nothing, as every audited act).
 */
import { revalidatePath } from 'next/cache';
import type { User } from '@/generated/prisma/client';
import { auditActorOf, type AuditEntry, recordAudit } from '@/modules/audit/src/services/audit-log.service';
import { operatorAction } from '@/modules/auth/src/services/authed-action';
import { ActionError, success } from '@/modules/cores/actions/action-state';
import { ClerkInstanceRefusal } from '@/modules/clerk-sync/src/engine/clerk-instance.service';
import { ReconcileRefusal, type ReconcileSummary } from '@/modules/clerk-sync/src/reconcile/reconcile.service';
import type { ReplayReport } from '@/modules/clerk-sync/src/webhook/delivery-replay.service';
import { noInputSchema, OPS_RECONCILE_LIMIT, OPS_REPLAY_LIMIT, replayDeliverySchema } from '@/modules/ops/src/interfaces/ops.schema';
import { reconcileDryRun, replayFromConsole } from '@/modules/ops/src/services/ops-console.service';

/** A replay's outcome in words, audited; the guard's refusal as the form's error (nothing was replayed). */
async function replayed(user: User, target: AuditEntry['target'], run: () => Promise<ReplayReport>): Promise<string> {
  let report: ReplayReport;
  try {
    report = await run();
  } catch (error) {
    if (error instanceof ClerkInstanceRefusal) throw new ActionError(`${error.message} No delivery was replayed.`);
    throw error;
  } finally {
    revalidatePath('/ops', 'layout');
  }
  const count = (status: string) => report.results.filter((result) => result.status === status).length;
  await recordAudit({
    actor: await auditActorOf(user),
    action: 'ops.replay',
    target,
    details: { selection: target ? 'one' : 'failed', replayed: count('replayed'), failedAgain: count('failed-again'), nothingToReplay: count('nothing-to-replay'), missing: count('missing') },
  });
  const again = report.results.flatMap((result) => (result.status === 'failed-again' ? [`${result.svixId}: ${result.error}`] : []));
  const missing = count('missing');
  if (report.results.length === 0) return 'Nothing to replay.';
  return [
    `Replayed ${count('replayed')}, ${again.length} failed again${count('nothing-to-replay') ? `, ${count('nothing-to-replay')} had no payload to replay` : ''}${missing ? `, ${missing} not found` : ''}.`,
    ...again.slice(0, 5),
  ].join(' ');
}

export const replayDeliveryAction = operatorAction({ schema: replayDeliverySchema, limit: OPS_REPLAY_LIMIT }, async ({ user }, { svixId }) =>
  success(await replayed(user, { type: 'delivery', id: svixId }, () => replayFromConsole({ svixIds: [svixId] }))),
);

export const replayFailedAction = operatorAction({ schema: noInputSchema, limit: OPS_REPLAY_LIMIT }, async ({ user }) =>
  success(await replayed(user, null, () => replayFromConsole({ failed: true }))),
);

const describeKind = (what: string, s: ReconcileSummary) =>
  `${what}: ${s.seen} in Clerk, ${s.created} would be created, ${s.updated} updated, ${s.deleted} deleted, ${s.unchanged} unchanged, ${s.failed} failed.`;

export const reconcileDryRunAction = operatorAction({ schema: noInputSchema, limit: OPS_RECONCILE_LIMIT }, async ({ user }) => {
  try {
    const report = await reconcileDryRun();
    const changes = (s: ReconcileSummary) => s.created + s.updated + s.deleted;
    await recordAudit({
      actor: await auditActorOf(user),
      action: 'ops.reconcile',
      target: { type: 'reconcile', id: report.users.instanceId ?? 'unknown' },
      details: { dryRun: true, userChanges: changes(report.users), organizationChanges: changes(report.organizations), membershipChanges: changes(report.memberships) },
    });
    return success(
      [`Dry run against instance ${report.users.instanceId}: nothing written.`, describeKind('Users', report.users), describeKind('Organizations', report.organizations), describeKind('Memberships', report.memberships)].join(' '),
    );
  } catch (error) {
    if (error instanceof ReconcileRefusal || error instanceof ClerkInstanceRefusal) throw new ActionError(error.message);
    throw error;
  }
});
