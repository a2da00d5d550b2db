/**
 * Bring our User table back to Clerk's truth after missed webhooks, or fill it
 * for an existing Clerk instance: page through the Backend API, upsert every
 * user through the webhook's own sync function (ordering guards and
 * tombstones included), then remove rows whose Clerk user no longer exists.
 *
 * It must never wipe a database on the word of the wrong Clerk
 * (docs/decisions/009):
 * - before it writes anything, the instance the keys read (`GET /v1/instance`)
 *   must be the one our data came from (recorded by the first webhook or
 *   reconcile); with nothing recorded yet, a sample of our rows must exist
 *   in that instance;
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
import type { ClerkClient, UserJSON } from '@clerk/backend';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import type { ClerkUserData } from '../interfaces/clerk-user-data';
import { recordClerkInstance, recordedClerkInstance, switchClerkInstance } from './clerk-instance.service';
import { removeStaleReconcileRuns } from './data-retention.service';
import { syncStatement } from './sync-statement';
import { applyUserVersionOutcomes, checkedClerkUser, syncUserDeletion } from './user-sync.service';

export const RECONCILE_PAGE_SIZE = 500;

/** Removing more rows than this needs `allowMassDelete`: the larger of 5% of the rows and 100. */
export const massDeleteThreshold = (rows: number) => Math.max(Math.ceil(rows * 0.05), 100);

/** How many of our rows are looked up in Clerk when no instance is recorded yet (the Backend API's limit per call). */
const INSTANCE_SAMPLE = 100;
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
  phase: 'users' | 'missing';
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

/** The Clerk ids a run has seen: in the database (flat memory) or, for a dry run that writes nothing, in memory. */
interface SeenIds {
  add(ids: string[]): Promise<void>;
  /** Our rows after `afterId` (by primary key) that were not seen, and the last id looked at (null at the end). */
  unseen(afterId: string): Promise<{ rows: { id: string; clerkId: string }[]; lastId: string | null }>;
  countUnseen(): Promise<number>;
  close(): Promise<void>;
}

const SCAN_BATCH = 500;

async function databaseSeenIds(): Promise<SeenIds> {
  const prisma = getPrisma();
  const runId = randomUUID();
  await removeStaleReconcileRuns();
  await prisma.$executeRaw`
    INSERT INTO "ReconcileRun" ("id", "host", "pid", "startedAt", "heartbeatAt") VALUES (${runId}, ${os.hostname()}, ${process.pid}, ${utcNow}, ${utcNow})`;
  const heartbeat = setInterval(() => {
    prisma.$executeRaw`UPDATE "ReconcileRun" SET "heartbeatAt" = ${utcNow} WHERE "id" = ${runId}`.catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async add(ids) {
      await prisma.$executeRaw`
        INSERT INTO "ReconcileSeen" ("runId", "clerkId") SELECT ${runId}, unnest(${ids}::text[])
        ON CONFLICT DO NOTHING`;
    },
    async unseen(afterId) {
      const rows = await prisma.$queryRaw<{ id: string; clerkId: string }[]>`
        SELECT u."id", u."clerkId" FROM "User" u
        WHERE u."id" > ${afterId}
          AND NOT EXISTS (SELECT 1 FROM "ReconcileSeen" s WHERE s."runId" = ${runId} AND s."clerkId" = u."clerkId")
        ORDER BY u."id" LIMIT ${SCAN_BATCH}::int`;
      return { rows, lastId: rows.length > 0 ? rows[rows.length - 1]!.id : null };
    },
    async countUnseen() {
      const [row] = await prisma.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS "count" FROM "User" u
        WHERE NOT EXISTS (SELECT 1 FROM "ReconcileSeen" s WHERE s."runId" = ${runId} AND s."clerkId" = u."clerkId")`;
      return row?.count ?? 0;
    },
    async close() {
      clearInterval(heartbeat);
      await prisma.reconcileRun.deleteMany({ where: { id: runId } });
    },
  };
}

function memorySeenIds(): SeenIds {
  const prisma = getPrisma();
  const seen = new Set<string>();
  return {
    async add(ids) {
      for (const id of ids) seen.add(id);
    },
    async unseen(afterId) {
      const batch = await prisma.user.findMany({ where: { id: { gt: afterId } }, orderBy: { id: 'asc' }, take: SCAN_BATCH, select: { id: true, clerkId: true } });
      return { rows: batch.filter((row) => !seen.has(row.clerkId)), lastId: batch.length > 0 ? batch[batch.length - 1]!.id : null };
    },
    async countUnseen() {
      let count = 0;
      for (let afterId = ''; ; ) {
        const { rows, lastId } = await this.unseen(afterId);
        count += rows.length;
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

/**
 * The instance the keys read must be the one our data follows. Records it
 * when nothing is recorded yet and our rows agree (unless `dryRun`).
 */
async function checkInstance(clerk: ClerkClient, options: ReconcileOptions, retry: Retry, summary: ReconcileSummary): Promise<void> {
  const instance = await withRetries(() => clerk.instance.get(), retry, summary);
  summary.instanceId = instance.id;
  const recorded = await recordedClerkInstance();
  if (options.switchInstance !== undefined) {
    if (options.switchInstance !== instance.id) {
      throw new ReconcileRefusal(
        `Refusing: --switch-instance names ${options.switchInstance}, but these Clerk keys read instance ${instance.id}. Nothing was changed.`,
        'switch-mismatch',
      );
    }
    if (!options.dryRun && recorded?.instanceId !== instance.id) await switchClerkInstance(instance.id);
    return;
  }
  if (recorded) {
    if (recorded.instanceId === instance.id) return;
    throw new ReconcileRefusal(
      `Refusing: these Clerk keys read instance ${instance.id}, but this database follows instance ${recorded.instanceId} ` +
        `(recorded by the first ${recorded.recordedBy} on ${recorded.recordedAt.toISOString()}). Nothing was changed. ` +
        'Check CLERK_SECRET_KEY (and CLERK_API_URL) against DATABASE_URL. If this database really should follow the other instance from now on, ' +
        `run again with --switch-instance=${instance.id}.`,
      'foreign-instance',
    );
  }
  const sample = await getPrisma().$queryRaw<{ clerkId: string }[]>`SELECT "clerkId" FROM "User" ORDER BY random() LIMIT ${INSTANCE_SAMPLE}::int`;
  if (sample.length > 0) {
    const found = await withRetries(() => clerk.users.getUserList({ userId: sample.map((row) => row.clerkId), limit: INSTANCE_SAMPLE }), retry, summary);
    if (found.data.length === 0) {
      throw new ReconcileRefusal(
        `Refusing: no Clerk instance is recorded for this database yet, and none of ${sample.length} of its users exist in instance ${instance.id}, ` +
          'which these keys read: it looks like another instance than the one the data came from. Nothing was changed. ' +
          'Check CLERK_SECRET_KEY (and CLERK_API_URL) against DATABASE_URL. If this database really should follow this instance, ' +
          `run again with --switch-instance=${instance.id}.`,
        'unverified-instance',
      );
    }
  }
  if (!options.dryRun) await recordClerkInstance(instance.id, 'reconcile');
}

export async function reconcileUsers(clerk: ClerkClient, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const prisma = getPrisma();
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? RECONCILE_PAGE_SIZE;
  const retry: Retry = { maxRetries: options.maxRetries ?? 8, sleep: options.sleep ?? defaultSleep };
  const summary: ReconcileSummary = { instanceId: null, seen: 0, created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0, failed: 0, rateLimited: 0, failures: [] };
  const report = (phase: ReconcileProgress['phase'], done: number, total: number | null) => options.onProgress?.({ phase, done, total, summary });

  await checkInstance(clerk, options, retry, summary);
  const rowsAtStart = await prisma.user.count();
  const seen = dryRun ? memorySeenIds() : await databaseSeenIds();
  // The next page is on its way while this one is written.
  const fetchPage = (offset: number) => {
    const page = withRetries(() => clerk.users.getUserList({ limit: pageSize, offset, orderBy: '+created_at' }), retry, summary).then((list) => ({
      total: list.totalCount,
      users: list.data.map((user) => user.raw).filter((raw): raw is UserJSON => raw !== null),
    }));
    page.catch(() => {}); // awaited below, or abandoned when the run stops first
    return page;
  };
  try {
    let next = fetchPage(0);
    for (let offset = 0; ; offset += pageSize) {
      throwIfAborted(options.signal);
      const { total, users } = await next;
      if (users.length === 0) break;
      const last = users.length < pageSize;
      if (!last) next = fetchPage(offset + pageSize);
      await seen.add(users.map((user) => user.id));
      await applyPage(users, summary, dryRun);
      summary.seen += users.length;
      report('users', summary.seen, total);
      if (last) break;
    }
    if (!options.keepMissing) await guardMassDeletion(seen, rowsAtStart, summary, options);
    await removeMissing(clerk, seen, summary, options, retry, report);
  } finally {
    await seen.close();
  }
  return summary;
}

/** Before the first removal: refuse to remove more than the threshold, or everything, unless allowed. */
async function guardMassDeletion(seen: SeenIds, rows: number, summary: ReconcileSummary, options: ReconcileOptions): Promise<void> {
  if (options.allowMassDelete) return;
  const candidates = await seen.countUnseen();
  const threshold = massDeleteThreshold(rows);
  const emptyInstance = summary.seen === 0 && candidates > 0;
  if (candidates <= threshold && !emptyInstance) return;
  const why = emptyInstance
    ? `Clerk instance ${summary.instanceId} lists no users at all, so every one of our ${candidates} rows would be removed`
    : `${candidates} of our ${rows} rows are not in Clerk instance ${summary.instanceId} (more than the threshold of ${threshold})`;
  throw new ReconcileRefusal(
    `Refusing to remove users: ${why}. None was removed${options.dryRun ? '' : ` (users Clerk lists were brought up to date: ${summary.created} created, ${summary.updated} updated)`}. ` +
      'Check that these are the right Clerk keys for this database; if those users really are gone from Clerk, run again with --allow-mass-delete ' +
      '(or --keep-missing to keep them).',
    'mass-delete',
    summary,
  );
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
      summary.failed++;
      summary.failures.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
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
        summary.failed++;
        summary.failures.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
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

/** How many rows are confirmed with Clerk at once: the Backend API is a network call away. */
const CONFIRM_CONCURRENCY = 8;

async function removeMissing(
  clerk: ClerkClient,
  seen: SeenIds,
  summary: ReconcileSummary,
  options: ReconcileOptions,
  retry: Retry,
  report: (phase: ReconcileProgress['phase'], done: number, total: number | null) => void,
): Promise<void> {
  let checked = 0;
  const confirm = async (row: { clerkId: string }) => {
    throwIfAborted(options.signal);
    checked++;
    const stillThere = await withRetries(
      () => clerk.users.getUser(row.clerkId).then((user) => user.raw, (error: ApiErrorLike) => (error?.status === 404 ? null : Promise.reject(error))),
      retry,
      summary,
    ).catch((error: unknown) => {
      summary.failed++;
      summary.failures.push(`${row.clerkId}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    if (stillThere === undefined) return;
    if (stillThere) {
      // Skipped by paging (others were deleted meanwhile): sync it now.
      await applyPage([stillThere], summary, options.dryRun ?? false);
    } else if (options.keepMissing) {
      summary.missing++;
    } else if (options.dryRun) {
      summary.deleted++;
    } else {
      await syncUserDeletion(row.clerkId, new Date());
      summary.deleted++;
    }
  };
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
