/**
 * What the operator console (/ops) shows and does, over the sync's own
 * tables and services (docs/decisions/025): the ledger's deliveries (ids,
 * types, outcomes, times, redacted errors: never payloads or emails), the
 * Clerk instance the data follows, our counts against Clerk's, the stored
 * reconcile reports; replay through the same service as
 * `npm run webhooks:replay` (its instance guard included) and a reconcile
 * dry run, both with the app's own Clerk client.
 */
import { getClerkClient, isClerkUnavailable } from '@/modules/cores/clerk/clerk-client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { recordedClerkInstance, type RecordedInstance } from '@/modules/clerk-sync/src/engine/clerk-instance.service';
import { reconcileOrganizations, reconcileUsers, type ReconcileSummary } from '@/modules/clerk-sync/src/reconcile/reconcile.service';
import { recentReconcileReports, type StoredReconcileReport } from '@/modules/clerk-sync/src/reconcile/reconcile-report.service';
import { replayDeliveries, type ReplayReport, type ReplaySelection } from '@/modules/clerk-sync/src/webhook/delivery-replay.service';

/** How many deliveries each list shows. */
export const DELIVERIES_SHOWN = 50;

export interface DeliveryRow {
  svixId: string;
  type: string;
  outcome: string;
  attempts: number;
  /** The Clerk user, or the organization, membership or invitation, the event is about. */
  clerkUserId: string | null;
  clerkObjectId: string | null;
  error: string | null;
  eventAt: Date | null;
  receivedAt: Date;
  processedAt: Date | null;
  /** processedAt − eventAt: how far behind Clerk the sync applied it. */
  lagMs: number | null;
}

export interface DeliveriesView {
  recent: DeliveryRow[];
  failed: DeliveryRow[];
  /** Every delivery failed and not processed since (the list shows the oldest DELIVERIES_SHOWN). */
  failedCount: number;
}

const DELIVERY_FIELDS = { svixId: true, type: true, outcome: true, attempts: true, clerkUserId: true, clerkObjectId: true, error: true, eventAt: true, receivedAt: true, processedAt: true } as const;

const withLag = (row: Omit<DeliveryRow, 'lagMs'>): DeliveryRow => ({ ...row, lagMs: row.processedAt && row.eventAt ? row.processedAt.getTime() - row.eventAt.getTime() : null });

/** The latest deliveries and the failed ones: three statements. */
export async function deliveriesView(): Promise<DeliveriesView> {
  const prisma = getPrisma();
  const failedWhere = { outcome: 'failed', processedAt: null };
  const [recent, failed, failedCount] = await Promise.all([
    prisma.webhookDelivery.findMany({ select: DELIVERY_FIELDS, orderBy: { receivedAt: 'desc' }, take: DELIVERIES_SHOWN }),
    prisma.webhookDelivery.findMany({ select: DELIVERY_FIELDS, where: failedWhere, orderBy: { receivedAt: 'asc' }, take: DELIVERIES_SHOWN }),
    prisma.webhookDelivery.count({ where: failedWhere }),
  ]);
  return { recent: recent.map(withLag), failed: failed.map(withLag), failedCount };
}

export interface SyncCounts {
  users: number;
  organizations: number;
  memberships: number;
  tombstones: { users: number; organizations: number; memberships: number };
}

/** Clerk's own totals; null when Clerk did not answer (the page still shows ours). */
export interface ClerkCounts {
  users: number;
  organizations: number;
  memberships: number;
}

export interface OverviewView {
  instance: RecordedInstance | null;
  ours: SyncCounts;
  clerk: ClerkCounts | null;
}

/** Our rows, one statement. */
async function ourCounts(): Promise<SyncCounts> {
  const [row] = await getPrisma().$queryRaw<[{ users: number; organizations: number; memberships: number; deletedUsers: number; deletedOrganizations: number; deletedMemberships: number }]>`
    SELECT (SELECT count(*) FROM "User")::int AS "users",
           (SELECT count(*) FROM "Organization")::int AS "organizations",
           (SELECT count(*) FROM "Membership")::int AS "memberships",
           (SELECT count(*) FROM "DeletedClerkUser")::int AS "deletedUsers",
           (SELECT count(*) FROM "DeletedClerkOrganization")::int AS "deletedOrganizations",
           (SELECT count(*) FROM "DeletedClerkMembership")::int AS "deletedMemberships"`;
  return {
    users: row.users,
    organizations: row.organizations,
    memberships: row.memberships,
    tombstones: { users: row.deletedUsers, organizations: row.deletedOrganizations, memberships: row.deletedMemberships },
  };
}

/**
 * Clerk's totals, three Backend API calls at once: the users' count, and the
 * `totalCount` of a one-item page of organizations and of the instance's
 * memberships.
 */
async function clerkCounts(): Promise<ClerkCounts | null> {
  const clerk = getClerkClient();
  try {
    const [users, organizations, memberships] = await Promise.all([
      clerk.users.getCount(),
      clerk.organizations.getOrganizationList({ limit: 1 }),
      clerk.organizations.getInstanceOrganizationMembershipList({ limit: 1 }),
    ]);
    return { users, organizations: organizations.totalCount, memberships: memberships.totalCount };
  } catch (error) {
    if (isClerkUnavailable(error)) return null;
    throw error;
  }
}

/** The instance, our counts and Clerk's: two statements and three Backend API calls, at once. */
export async function overviewView(): Promise<OverviewView> {
  const [instance, ours, clerk] = await Promise.all([recordedClerkInstance(), ourCounts(), clerkCounts()]);
  return { instance, ours, clerk };
}

/** The stored reports of the latest reconcile runs: one statement. */
export function reconcileRunsView(): Promise<StoredReconcileReport[]> {
  return recentReconcileReports();
}

/** Replay from the console: the script's service, with the app's Clerk client (and its instance guard). */
export function replayFromConsole(selection: ReplaySelection): Promise<ReplayReport> {
  return replayDeliveries(selection, {
    clerk: async () => getClerkClient(),
    switchAdvice: (instanceId) => `run \`npm run users:reconcile -- --switch-instance=${instanceId}\` (with the app's keys), then replay again.`,
  });
}

export interface DryRunReport {
  users: ReconcileSummary;
  organizations: ReconcileSummary;
  memberships: ReconcileSummary;
}

/** What `npm run users:reconcile -- --dry-run` would report for users, organizations and memberships; writes nothing. */
export async function reconcileDryRun(): Promise<DryRunReport> {
  const clerk = getClerkClient();
  const users = await reconcileUsers(clerk, { dryRun: true });
  const { organizations, memberships } = await reconcileOrganizations(clerk, { dryRun: true });
  return { users, organizations, memberships };
}
