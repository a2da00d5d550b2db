/**
 * The reports of finished reconcile runs (`npm run users:reconcile`), kept
 * for the operator console: what each run did, per kind of object, and why
 * it stopped if it did. Counts and ids only (the failures' texts are
 * redacted); deleted after RECONCILE_REPORT_RETENTION_DAYS by the prune
 * (docs/decisions/008, 025). A dry run writes nothing, its report included.
 */
import { randomUUID } from 'node:crypto';
import { getPrisma } from '@/modules/cores/db/prisma';
import { redactPersonalData } from '@/modules/cores/logger/redact';
import type { ReconcileSummary } from './reconcile.service';

export type ReconcileResult = 'completed' | 'refused' | 'failed' | 'interrupted';

/** Kept of each summary's failures: enough to see what failed, not a log. */
const FAILURES_KEPT = 20;

/** A kind's counts as the report keeps them. */
export type StoredSummary = Omit<ReconcileSummary, 'instanceId' | 'failures'> & { failures: string[] };

export interface ReconcileReportBody {
  /** Users, organizations and memberships: the full counts; roles, invitations, billing: theirs. */
  kinds: Record<string, StoredSummary | Record<string, number | boolean>>;
  /** Why the run stopped, when it did not complete. */
  message?: string;
}

export interface StoredReconcileReport {
  id: string;
  startedAt: Date;
  finishedAt: Date;
  result: ReconcileResult;
  instanceId: string | null;
  report: ReconcileReportBody;
}

/** A summary as the report keeps it: the instance once for the run, failures redacted and few. */
export function storedSummary({ instanceId: _instance, failures, ...counts }: ReconcileSummary): StoredSummary {
  return { ...counts, failures: failures.slice(0, FAILURES_KEPT).map(redactPersonalData) };
}

export async function recordReconcileReport(run: { startedAt: Date; result: ReconcileResult; instanceId: string | null; report: ReconcileReportBody }): Promise<void> {
  const report = run.report.message ? { ...run.report, message: redactPersonalData(run.report.message) } : run.report;
  await getPrisma().reconcileReport.create({ data: { id: randomUUID(), startedAt: run.startedAt, finishedAt: new Date(), result: run.result, instanceId: run.instanceId, report: report as object } });
}

/** The latest runs' reports, newest first. */
export async function recentReconcileReports(limit = 20): Promise<StoredReconcileReport[]> {
  const rows = await getPrisma().reconcileReport.findMany({ orderBy: { finishedAt: 'desc' }, take: limit });
  return rows.map((row) => ({ ...row, result: row.result as ReconcileResult, report: row.report as unknown as ReconcileReportBody }));
}
