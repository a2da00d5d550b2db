/**
 * Bring our users, organizations and memberships back to Clerk's truth after
 * missed webhooks, or fill them for an existing Clerk instance: page through
 * the Backend API, apply every object through the webhook's own sync
 * functions (ordering guards and tombstones included), then remove rows whose
 * Clerk object no longer exists. Every kind of object goes through the same
 * pass (`reconcileKind`); each contributes only how to list, apply, look up
 * and remove its objects.
 *
 * It must never wipe a database on the word of the wrong Clerk
 * (docs/decisions/009):
 * - before it writes anything, the instance the keys read (`GET /v1/instance`)
 *   must be the one our data came from (recorded by the first webhook or
 *   reconcile); with nothing recorded yet, a sample of our rows must exist
 *   in that instance (`checkKeysInstance`, which replay shares);
 * - removing more rows than a threshold (more than 5% or more than 100,
 *   whichever is larger), or any row when Clerk lists no user at all, needs
 *   `allowMassDelete`; the count is known before the first removal;
 * - `dryRun` writes nothing at all.
 *
 * Memory stays flat: users are handled a page at a time, and the ids seen are
 * written to the database (ReconcileSeen, under a ReconcileRun that beats
 * while it runs, so that a killed run's rows are recognised and removed).
 * A dry run keeps them in memory instead. A row that was not seen is
 * confirmed missing with one getUser call before it is removed, because
 * offset paging can skip users when others are deleted meanwhile.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { ClerkClient, OrganizationJSON, OrganizationMembershipJSON, UserJSON } from '@clerk/backend';
import { Prisma } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import { clerkMembershipDataSchema, clerkOrganizationDataSchema } from '../objects/clerk-organization-data';
import type { ClerkUserData } from '../objects/clerk-user-data';
import type { ClerkChange } from '../engine/clerk-changes';
import { checkKeysInstance, ClerkInstanceRefusal } from '../engine/clerk-instance.service';
import { removeStaleReconcileRuns } from '../engine/data-retention.service';
import { syncStatement } from '../engine/sync-statement';
import { applyChangeOutcomes, type ChangeResult, syncChange, syncMembershipEnd, syncOrganizationDeletion } from '../objects/organization-sync.service';
import { applyUserVersionOutcomes, checkedClerkData, checkedClerkUser, provisionMissingUser, syncUserDeletion } from '../objects/user-sync.service';
import type { Span } from '@opentelemetry/api';
import { appMetrics, inSpan } from '@/modules/cores/telemetry/telemetry';

export const RECONCILE_PAGE_SIZE = 500;

/** Removing more rows than this needs `allowMassDelete`: the larger of 5% of the rows and 100. */
export const massDeleteThreshold = (rows: number) => Math.max(Math.ceil(rows * 0.05), 100);

const HEARTBEAT_MS = 15_000;

export interface ReconcileOptions {
  dryRun?: boolean;
  /** Report rows whose Clerk user is gone instead of removing them. */
  keepMissing?: boolean;
  /** Allow removing more rows than `massDeleteThreshold`, or every row. */
  allowMassDelete?: boolean;
  /** Follow this instance from now on: it must be the one the keys read (after moving to another Clerk instance). */
  switchInstance?: string;
  pageSize?: number;
  maxRetries?: number;
  onProgress?: (progress: ReconcileProgress) => void;
  /** Stops the run between two steps (Ctrl-C); it then cleans up and throws the signal's reason. */
  signal?: AbortSignal;
  /** For tests: how to wait (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileSummary {
  /** The Clerk instance the keys read. */
  instanceId: string | null;
  seen: number;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Rows whose Clerk user is gone, kept because of --keep-missing. */
  missing: number;
  failed: number;
  rateLimited: number;
  failures: string[];
}

export interface ReconcileProgress {
  /** The kind being listed, or 'missing': our rows Clerk did not list, being confirmed. */
  phase: 'users' | 'organizations' | 'memberships' | 'missing';
  done: number;
  total: number | null;
  summary: ReconcileSummary;
}

/** Reconcile would not do what it was asked, and changed nothing that it refused to change. */
export class ReconcileRefusal extends Error {
  override name = 'ReconcileRefusal';
  constructor(
    message: string,
    readonly reason: 'foreign-instance' | 'unverified-instance' | 'mass-delete' | 'switch-mismatch',
    readonly summary?: ReconcileSummary,
  ) {
    super(message);
  }
}

// Stryker disable next-line ArrowFunction: the real pause: every test passes its own sleep, so as not to wait out backoffs; what is waited is asserted through it.
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ApiErrorLike {
  status?: number;
  retryAfter?: number;
}

type Retry = Required<Pick<ReconcileOptions, 'maxRetries' | 'sleep'>>;

/** Call the Backend API, honouring 429 Retry-After and retrying transient failures with backoff. */
async function withRetries<T>(call: () => Promise<T>, options: Retry, summary: ReconcileSummary): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const { status, retryAfter } = (error ?? {}) as ApiErrorLike;
      const transient = status === 429 || status === undefined || status >= 500;
      if (!transient || attempt >= options.maxRetries) throw error;
      if (status === 429) summary.rateLimited++;
      const wait = status === 429 && retryAfter ? retryAfter * 1000 : Math.min(30_000, 250 * 2 ** attempt);
      await options.sleep(wait);
    }
  }
}

/** One of our rows, by primary key, with the Clerk ids that look it up (a membership's: its organization's and user's). */
interface OurRow {
  id: string;
  clerkId: string;
  organizationClerkId?: string;
  userClerkId?: string;
}

/** The Clerk ids a run has seen: in the database (flat memory) or, for a dry run that writes nothing, in memory. */
interface SeenIds {
  add(ids: string[]): Promise<void>;
  /** Our rows after `afterId` (by primary key) that were not seen, and the last id looked at (null at the end). */
  unseen(afterId: string): Promise<{ rows: OurRow[]; lastId: string | null }>;
  countUnseen(): Promise<number>;
  close(): Promise<void>;
}

const SCAN_BATCH = 500;

/** A run's record: its heartbeat, and (for a real run) the ids it has seen. */
interface ReconcileRunRecord {
  id: string;
  close(): Promise<void>;
}

async function startRun(): Promise<ReconcileRunRecord> {
  const prisma = getPrisma();
  const runId = randomUUID();
  await removeStaleReconcileRuns();
  await prisma.$executeRaw`
    INSERT INTO "ReconcileRun" ("id", "host", "pid", "startedAt", "heartbeatAt") VALUES (${runId}, ${os.hostname()}, ${process.pid}, ${utcNow}, ${utcNow})`;
  // Stryker disable next-line BlockStatement: beats every 15 s, longer than any test run; that a run with no recent beat is cleared and a live one left alone is tested (reconcile.test.ts).
  const heartbeat = setInterval(() => {
    // Stryker disable next-line StringLiteral: beats every 15 s, longer than any test run.
    prisma.$executeRaw`UPDATE "ReconcileRun" SET "heartbeatAt" = ${utcNow} WHERE "id" = ${runId}`.catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    id: runId,
    async close() {
      clearInterval(heartbeat);
      await prisma.reconcileRun.deleteMany({ where: { id: runId } });
    },
  };
}

/** Seen ids in the run's ReconcileSeen rows (Clerk ids of every kind differ by prefix, so one run serves them all). */
function databaseSeenIds(run: ReconcileRunRecord, rows: Prisma.Sql): SeenIds {
  const prisma = getPrisma();
  return {
    async add(ids) {
      await prisma.$executeRaw`
        INSERT INTO "ReconcileSeen" ("runId", "clerkId") SELECT ${run.id}, unnest(${ids}::text[])
        ON CONFLICT DO NOTHING`;
    },
    async unseen(afterId) {
      const found = await prisma.$queryRaw<OurRow[]>`
        SELECT r.* FROM (${rows}) AS r
        WHERE r."id" > ${afterId}
          AND NOT EXISTS (SELECT 1 FROM "ReconcileSeen" s WHERE s."runId" = ${run.id} AND s."clerkId" = r."clerkId")
        ORDER BY r."id" LIMIT ${SCAN_BATCH}::int`;
      return { rows: found, lastId: found.length > 0 ? found[found.length - 1]!.id : null };
    },
    async countUnseen() {
      const [row] = await prisma.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS "count" FROM (${rows}) AS r
        WHERE NOT EXISTS (SELECT 1 FROM "ReconcileSeen" s WHERE s."runId" = ${run.id} AND s."clerkId" = r."clerkId")`;
      // Stryker disable next-line OptionalChaining: equivalent: a count(*) always answers one row.
      return row?.count ?? 0;
    },
    async close() {},
  };
}

function memorySeenIds(rows: Prisma.Sql): SeenIds {
  const prisma = getPrisma();
  const seen = new Set<string>();
  return {
    async add(ids) {
      for (const id of ids) seen.add(id);
    },
    async unseen(afterId) {
      const batch = await prisma.$queryRaw<OurRow[]>`SELECT r.* FROM (${rows}) AS r WHERE r."id" > ${afterId} ORDER BY r."id" LIMIT ${SCAN_BATCH}::int`;
      return { rows: batch.filter((row) => !seen.has(row.clerkId)), lastId: batch.length > 0 ? batch[batch.length - 1]!.id : null };
    },
    async countUnseen() {
      let count = 0;
      // Stryker disable next-line StringLiteral: equivalent: Clerk ids begin with a lower-case prefix (user_, org_, orgmem_), after any such start, so the scan from either reads every row.
      for (let afterId = ''; ; ) {
        const { rows: unseen, lastId } = await this.unseen(afterId);
        count += unseen.length;
        if (lastId === null) return count;
        afterId = lastId;
      }
    },
    async close() {},
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('reconcile interrupted');
}

/** The instance the keys read must be the one our data follows (recorded when nothing is yet and our rows agree, unless `dryRun`). */
async function checkInstance(clerk: ClerkClient, options: ReconcileOptions, retry: Retry, summary: ReconcileSummary): Promise<void> {
  try {
    summary.instanceId = await checkKeysInstance(clerk, {
      dryRun: options.dryRun,
      switchInstance: options.switchInstance,
      recordAs: 'reconcile',
      switchAdvice: (instanceId) => `run again with --switch-instance=${instanceId}.`,
      call: (fn) => withRetries(fn, retry, summary),
    });
  } catch (error) {
    if (error instanceof ClerkInstanceRefusal) throw new ReconcileRefusal(error.message, error.reason);
    throw error;
  }
}

/**
 * One kind of Clerk object, as reconcile sees it: how to list it, apply a
 * page of it, look one up, and remove one of our rows.
 */
interface ReconcileKind<T extends { id: string }> {
  name: 'users' | 'organizations' | 'memberships';
  /** Our rows of this kind: `id`, `clerkId` (and what `find` needs). */
  rows: Prisma.Sql;
  list(clerk: ClerkClient, offset: number, limit: number): Promise<{ total: number; items: T[] }>;
  apply(items: T[], summary: ReconcileSummary, dryRun: boolean): Promise<void>;
  /** The object as Clerk has it now; null when Clerk no longer has it. */
  find(clerk: ClerkClient, row: OurRow): Promise<T | null>;
  remove(row: OurRow): Promise<unknown>;
}

const newSummary = (): ReconcileSummary => ({ instanceId: null, seen: 0, created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0, failed: 0, rateLimited: 0, failures: [] });

const retryOf = (options: ReconcileOptions): Retry => ({ maxRetries: options.maxRetries ?? 8, sleep: options.sleep ?? defaultSleep });

/** Clerk answered 404: the object is gone. */
// Stryker disable next-line OptionalChaining: equivalent: the SDK rejects with an error object, never with null.
const goneOn404 = <T>(call: Promise<T>): Promise<T | null> => call.catch((error: ApiErrorLike) => (error?.status === 404 ? null : Promise.reject(error)));

const USERS: ReconcileKind<UserJSON> = {
  name: 'users',
  rows: Prisma.sql`SELECT "id", "clerkId" FROM "User"`,
  list: (clerk, offset, limit) =>
    clerk.users.getUserList({ limit, offset, orderBy: '+created_at' }).then((list) => ({
      total: list.totalCount,
      // Stryker disable next-line MethodExpression: defensive: the SDK sets raw on every object it builds from Clerk's JSON.
      items: list.data.map((user) => user.raw).filter((raw): raw is UserJSON => raw !== null),
    })),
  apply: applyPage,
  find: (clerk, row) => goneOn404(clerk.users.getUser(row.clerkId).then((user) => user.raw)),
  remove: (row) => syncUserDeletion(row.clerkId, new Date()),
};

export function reconcileUsers(clerk: ClerkClient, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  return inSpan('reconcile users', { 'app.reconcile.dry_run': options.dryRun ?? false }, async (span) => {
    const summary = await reconcileUsersOnce(clerk, options);
    countDrift('users', summary, options, span);
    return summary;
  });
}

/**
 * What a run found different from Clerk, and fixed (nothing in a dry run;
 * rows kept by --keep-missing never), as metrics and on the run's span.
 */
function countDrift(kind: ReconcileKind<{ id: string }>['name'], summary: ReconcileSummary, options: ReconcileOptions, span: Span): void {
  const { driftFound, driftFixed } = appMetrics();
  for (const change of ['created', 'updated', 'deleted', 'missing'] as const) {
    const count = summary[change];
    span.setAttribute(`app.reconcile.${kind}.${change}`, count);
    if (count === 0) continue;
    driftFound.add(count, { kind, change });
    if (!options.dryRun && change !== 'missing') driftFixed.add(count, { kind, change });
  }
  span.setAttribute(`app.reconcile.${kind}.failed`, summary.failed);
}

async function reconcileUsersOnce(clerk: ClerkClient, options: ReconcileOptions): Promise<ReconcileSummary> {
  const retry = retryOf(options);
  const summary = newSummary();
  await checkInstance(clerk, options, retry, summary);
  const run = options.dryRun ? null : await startRun();
  try {
    await reconcileKind(USERS, clerk, run, options, retry, summary);
  } finally {
    await run?.close();
  }
  return summary;
}

/**
 * One kind through the same steps: every page listed (the next one fetched
 * while this one is written) and applied, the ids seen recorded, then our
 * rows Clerk did not list confirmed one by one and removed, after the
 * mass-deletion guard.
 */
async function reconcileKind<T extends { id: string }>(
  kind: ReconcileKind<T>,
  clerk: ClerkClient,
  run: ReconcileRunRecord | null,
  options: ReconcileOptions,
  retry: Retry,
  summary: ReconcileSummary,
): Promise<void> {
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? RECONCILE_PAGE_SIZE;
  const report = (phase: ReconcileProgress['phase'], done: number, total: number | null) => options.onProgress?.({ phase, done, total, summary });
  const [{ count: rowsAtStart }] = await getPrisma().$queryRaw<[{ count: number }]>`SELECT count(*)::int AS "count" FROM (${kind.rows}) AS r`;
  const seen = run ? databaseSeenIds(run, kind.rows) : memorySeenIds(kind.rows);
  const fetchPage = (offset: number) => {
    const page = withRetries(() => kind.list(clerk, offset, pageSize), retry, summary);
    page.catch(() => {}); // awaited below, or abandoned when the run stops first
    return page;
  };
  let next = fetchPage(0);
  for (let offset = 0; ; offset += pageSize) {
    throwIfAborted(options.signal);
    const { total, items } = await next;
    if (items.length === 0) break;
    const last = items.length < pageSize;
    if (!last) next = fetchPage(offset + pageSize);
    await seen.add(items.map((item) => item.id));
    await kind.apply(items, summary, dryRun);
    summary.seen += items.length;
    report(kind.name, summary.seen, total);
    if (last) break;
  }
  if (!options.keepMissing) await guardMassDeletion(kind.name, seen, rowsAtStart, summary, options);
  await removeMissing(kind, clerk, seen, summary, options, retry, report);
}

/** What reconcile did to organizations and to memberships. */
export interface OrganizationsReconcileSummary {
  organizations: ReconcileSummary;
  memberships: ReconcileSummary;
}

/** A page of organizations or memberships from Clerk, checked, each through `clerk_apply_change`, in one statement. */
function applyChangePage<T extends { id: string }>(toChange: (item: T) => ClerkChange, table: 'Organization' | 'Membership', tombstones: 'DeletedClerkOrganization' | 'DeletedClerkMembership') {
  return async (items: T[], summary: ReconcileSummary, dryRun: boolean): Promise<void> => {
    const changes: ClerkChange[] = [];
    for (const item of items) {
      try {
        changes.push(toChange(item));
      } catch (error) {
        countFailure(summary, item.id, error);
      }
    }
    if (changes.length === 0) return;
    if (dryRun) return planChanges(changes, table, tombstones, summary);
    const results = await syncStatement(() => applyChangeOutcomes(getPrisma(), changes));
    for (const [i, result] of results.entries()) {
      // A membership whose user we do not hold: the user once from the Backend API, then the membership again.
      const change = changes[i]!;
      const final: ChangeResult =
        result.outcome === 'missing_user' && change.object === 'membership' && 'data' in change
          // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent: the instance check tells only a 'delivery' source apart; any other kind is the Backend API's.
          ? await provisionMissingUser(change.data.public_user_data.user_id, { kind: 'backend-api' }).then(async () => ({ outcome: await syncChange(change), created: true }))
          : result;
      if (final.outcome === 'missing_user') countFailure(summary, changes[i]!.object, new Error('its user could not be provisioned'));
      else countResult(final, summary);
    }
  };
}

const organizationChange = (item: OrganizationJSON): ClerkChange => ({ object: 'organization', action: 'version', data: checkedClerkData(clerkOrganizationDataSchema, item, 'organization') });
const membershipChange = (item: OrganizationMembershipJSON): ClerkChange => ({ object: 'membership', action: 'version', data: checkedClerkData(clerkMembershipDataSchema, item, 'membership') });

const ORGANIZATIONS: ReconcileKind<OrganizationJSON> = {
  name: 'organizations',
  rows: Prisma.sql`SELECT "id", "clerkId" FROM "Organization"`,
  list: (clerk, offset, limit) =>
    clerk.organizations.getOrganizationList({ limit, offset, orderBy: '+created_at' }).then((list) => ({
      total: list.totalCount,
      // Stryker disable next-line MethodExpression: defensive: the SDK sets raw on every object it builds from Clerk's JSON.
      items: list.data.map((organization) => organization.raw).filter((raw): raw is OrganizationJSON => raw !== null),
    })),
  apply: applyChangePage(organizationChange, 'Organization', 'DeletedClerkOrganization'),
  find: (clerk, row) => goneOn404(clerk.organizations.getOrganization({ organizationId: row.clerkId }).then((organization) => organization.raw)),
  remove: (row) => syncOrganizationDeletion(row.clerkId),
};

const MEMBERSHIPS: ReconcileKind<OrganizationMembershipJSON> = {
  name: 'memberships',
  rows: Prisma.sql`
    SELECT m."id", m."clerkId", o."clerkId" AS "organizationClerkId", u."clerkId" AS "userClerkId"
    FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId" JOIN "User" u ON u."id" = m."userId"`,
  list: (clerk, offset, limit) =>
    clerk.organizations.getInstanceOrganizationMembershipList({ limit, offset, orderBy: '+created_at' }).then((list) => ({
      total: list.totalCount,
      // Stryker disable next-line MethodExpression: defensive: the SDK sets raw on every object it builds from Clerk's JSON.
      items: list.data.map((membership) => membership.raw).filter((raw): raw is OrganizationMembershipJSON => raw !== null),
    })),
  apply: applyChangePage(membershipChange, 'Membership', 'DeletedClerkMembership'),
  // No Backend API call reads one membership by id: the pair's, which is this one or its successor.
  find: (clerk, row) =>
    goneOn404(clerk.organizations.getOrganizationMembershipList({ organizationId: row.organizationClerkId!, userId: [row.userClerkId!] })).then(
      (list) => list?.data.find((membership) => membership.id === row.clerkId)?.raw ?? null,
    ),
  remove: (row) => syncMembershipEnd(row.clerkId, row.organizationClerkId!, row.userClerkId!),
};

/**
 * Organizations, then memberships, with the guards, retries and flat memory
 * of users'. Run it after `reconcileUsers`: memberships name users, and one
 * whose user we do not hold fetches that user first.
 */
export function reconcileOrganizations(clerk: ClerkClient, options: ReconcileOptions = {}): Promise<OrganizationsReconcileSummary> {
  return inSpan('reconcile organizations', { 'app.reconcile.dry_run': options.dryRun ?? false }, async (span) => {
    const result = await reconcileOrganizationsOnce(clerk, options);
    countDrift('organizations', result.organizations, options, span);
    countDrift('memberships', result.memberships, options, span);
    return result;
  });
}

async function reconcileOrganizationsOnce(clerk: ClerkClient, options: ReconcileOptions): Promise<OrganizationsReconcileSummary> {
  const retry = retryOf(options);
  const result = { organizations: newSummary(), memberships: newSummary() };
  await checkInstance(clerk, options, retry, result.organizations);
  result.memberships.instanceId = result.organizations.instanceId;
  const run = options.dryRun ? null : await startRun();
  try {
    await reconcileKind(ORGANIZATIONS, clerk, run, options, retry, result.organizations);
    await reconcileKind(MEMBERSHIPS, clerk, run, options, retry, result.memberships);
  } finally {
    await run?.close();
  }
  return result;
}

/** Before the first removal: refuse to remove more than the threshold, or everything, unless allowed. */
async function guardMassDeletion(kind: ReconcileKind<{ id: string }>['name'], seen: SeenIds, rows: number, summary: ReconcileSummary, options: ReconcileOptions): Promise<void> {
  if (options.allowMassDelete) return;
  const candidates = await seen.countUnseen();
  const threshold = massDeleteThreshold(rows);
  const emptyInstance = summary.seen === 0 && candidates > 0;
  if (candidates <= threshold && !emptyInstance) return;
  const why = emptyInstance
    ? `Clerk instance ${summary.instanceId} lists no ${kind} at all, so every one of our ${candidates} rows would be removed`
    : `${candidates} of our ${rows} rows are not in Clerk instance ${summary.instanceId} (more than the threshold of ${threshold})`;
  throw new ReconcileRefusal(
    `Refusing to remove ${kind}: ${why}. None was removed${options.dryRun ? '' : ` (${kind} Clerk lists were brought up to date: ${summary.created} created, ${summary.updated} updated)`}. ` +
      `Check that these are the right Clerk keys for this database; if those ${kind} really are gone from Clerk, run again with --allow-mass-delete ` +
      '(or --keep-missing to keep them).',
    'mass-delete',
    summary,
  );
}

function countFailure(summary: ReconcileSummary, id: string, error: unknown): void {
  summary.failed++;
  summary.failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
}

function countResult(result: { outcome: string; created?: boolean }, summary: ReconcileSummary): void {
  if (result.outcome !== 'applied') summary.unchanged++;
  else if (result.created) summary.created++;
  else summary.updated++;
}

/**
 * One page. For real: every storable user through the sync function, the
 * whole page in one statement (a row at this version, or tombstoned, comes
 * back unchanged). Should that statement fail, one by one, so that one bad
 * user does not sink the page. Under --dry-run: what it would do, from our
 * rows' versions and tombstones, writing nothing.
 */
async function applyPage(users: UserJSON[], summary: ReconcileSummary, dryRun: boolean): Promise<void> {
  const valid: ClerkUserData[] = [];
  for (const user of users) {
    try {
      valid.push(checkedClerkUser(user));
    } catch (error) {
      countFailure(summary, user.id, error);
    }
  }
  if (valid.length === 0) return;
  if (dryRun) return planPage(valid, summary);
  try {
    const outcomes = await syncStatement(() => applyUserVersionOutcomes(getPrisma(), valid));
    for (const outcome of outcomes) countResult(outcome, summary);
  } catch {
    for (const user of valid) {
      try {
        countResult((await syncStatement(() => applyUserVersionOutcomes(getPrisma(), [user])))[0]!, summary);
      } catch (error) {
        countFailure(summary, user.id, error);
      }
    }
  }
}

/** --dry-run: count what the page would create and update, as the sync function would decide it. */
async function planPage(users: ClerkUserData[], summary: ReconcileSummary): Promise<void> {
  const prisma = getPrisma();
  const ids = users.map((user) => user.id);
  const [existing, tombstones] = await Promise.all([
    prisma.user.findMany({ where: { clerkId: { in: ids } }, select: { clerkId: true, clerkUpdatedAt: true } }),
    prisma.deletedClerkUser.findMany({ where: { clerkId: { in: ids } }, select: { clerkId: true } }),
  ]);
  // Stryker disable next-line UnaryOperator: equivalent: any version before Clerk's first updated_at, -1 or 1, is older than every version Clerk lists.
  const held = new Map(existing.map((row) => [row.clerkId, row.clerkUpdatedAt?.getTime() ?? -1]));
  const tombstoned = new Set(tombstones.map((row) => row.clerkId));
  for (const user of users) {
    const version = held.get(user.id);
    // Listed by Clerk but deleted by our records: a deletion is final (docs/decisions/006).
    if (tombstoned.has(user.id) || (version !== undefined && version >= user.updated_at)) summary.unchanged++;
    else if (version !== undefined) summary.updated++;
    else summary.created++;
  }
}

/** --dry-run of organizations or memberships: what the page would create and update, from our versions and tombstones. */
async function planChanges(changes: ClerkChange[], table: 'Organization' | 'Membership', tombstones: 'DeletedClerkOrganization' | 'DeletedClerkMembership', summary: ReconcileSummary): Promise<void> {
  // Stryker disable next-line MethodExpression: equivalent: every change of a page is a version, which carries its data, so nothing is filtered out.
  const versions = changes.map((change) => ('data' in change ? { id: change.data.id, version: change.data.updated_at } : null)).filter((item) => item !== null);
  const ids = versions.map((item) => item.id);
  const [held, gone] = await Promise.all([
    getPrisma().$queryRaw<{ clerkId: string; version: Date }[]>`SELECT "clerkId", "clerkUpdatedAt" AS "version" FROM ${Prisma.raw(`"${table}"`)} WHERE "clerkId" = ANY(${ids}::text[])`,
    getPrisma().$queryRaw<{ clerkId: string }[]>`SELECT "clerkId" FROM ${Prisma.raw(`"${tombstones}"`)} WHERE "clerkId" = ANY(${ids}::text[])`,
  ]);
  const heldVersion = new Map(held.map((row) => [row.clerkId, row.version.getTime()]));
  const tombstoned = new Set(gone.map((row) => row.clerkId));
  for (const { id, version } of versions) {
    const ours = heldVersion.get(id);
    if (tombstoned.has(id) || (ours !== undefined && ours >= version)) summary.unchanged++;
    else if (ours !== undefined) summary.updated++;
    else summary.created++;
  }
}

/** How many rows are confirmed with Clerk at once: the Backend API is a network call away. */
const CONFIRM_CONCURRENCY = 8;

async function removeMissing<T extends { id: string }>(
  kind: ReconcileKind<T>,
  clerk: ClerkClient,
  seen: SeenIds,
  summary: ReconcileSummary,
  options: ReconcileOptions,
  retry: Retry,
  report: (phase: ReconcileProgress['phase'], done: number, total: number | null) => void,
): Promise<void> {
  let checked = 0;
  const confirm = async (row: OurRow) => {
    throwIfAborted(options.signal);
    checked++;
    const stillThere = await withRetries(() => kind.find(clerk, row), retry, summary).catch((error: unknown) => {
      countFailure(summary, row.clerkId, error);
      return undefined;
    });
    if (stillThere === undefined) return;
    if (stillThere) {
      // Skipped by paging (others were deleted meanwhile): sync it now.
      await kind.apply([stillThere], summary, options.dryRun ?? false);
    } else if (options.keepMissing) {
      summary.missing++;
    } else if (options.dryRun) {
      summary.deleted++;
    } else {
      await kind.remove(row);
      summary.deleted++;
    }
  };
  // Stryker disable next-line StringLiteral: equivalent: Clerk ids begin with a lower-case prefix (user_, org_, orgmem_), after any such start, so the scan from either reads every row.
  for (let afterId = ''; ; ) {
    throwIfAborted(options.signal);
    const { rows, lastId } = await seen.unseen(afterId);
    if (lastId === null) break;
    afterId = lastId;
    // A few at a time; the first error (or Ctrl-C) stops them all before it is thrown, leaving nothing running.
    let next = 0;
    const stopped: { error?: unknown } = {};
    await Promise.all(
      Array.from({ length: Math.min(CONFIRM_CONCURRENCY, rows.length) }, async () => {
        while (!('error' in stopped) && next < rows.length) {
          await confirm(rows[next++]!).catch((error: unknown) => {
            if (!('error' in stopped)) stopped.error = error;
          });
        }
      }),
    );
    if ('error' in stopped) throw stopped.error;
    report('missing', checked, null);
  }
}
