/**
 * Bring our User table back to Clerk's truth after missed webhooks, or fill it
 * for an existing Clerk instance: page through the Backend API, upsert every
 * user through the webhook's own sync function (ordering guards and
 * tombstones included), then remove rows whose Clerk user no longer exists.
 *
 * Memory stays flat: users are handled a page at a time, and the ids seen are
 * written to the database (ReconcileSeen), not kept in memory. A row that was
 * not seen is confirmed missing with one getUser call before it is removed,
 * because offset paging can skip users when others are deleted meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type { ClerkClient, UserJSON } from '@clerk/backend';
import { getPrisma } from '@/modules/cores/db/prisma';
import { applyUserDeletion, applyUserVersion, applyUserVersions, inSyncTransaction } from './user-sync.service';

export const RECONCILE_PAGE_SIZE = 500;

export interface ReconcileOptions {
  dryRun?: boolean;
  /** Report rows whose Clerk user is gone instead of removing them. */
  keepMissing?: boolean;
  pageSize?: number;
  maxRetries?: number;
  onProgress?: (progress: ReconcileProgress) => void;
  /** For tests: how to wait (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileSummary {
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ApiErrorLike {
  status?: number;
  retryAfter?: number;
}

/** Call the Backend API, honouring 429 Retry-After and retrying transient failures with backoff. */
async function withRetries<T>(call: () => Promise<T>, options: Required<Pick<ReconcileOptions, 'maxRetries' | 'sleep'>>, summary: ReconcileSummary): Promise<T> {
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

export async function reconcileUsers(clerk: ClerkClient, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const prisma = getPrisma();
  const pageSize = options.pageSize ?? RECONCILE_PAGE_SIZE;
  const retry = { maxRetries: options.maxRetries ?? 8, sleep: options.sleep ?? defaultSleep };
  const summary: ReconcileSummary = { seen: 0, created: 0, updated: 0, deleted: 0, unchanged: 0, missing: 0, failed: 0, rateLimited: 0, failures: [] };
  const runId = randomUUID();
  const report = (phase: ReconcileProgress['phase'], done: number, total: number | null) => options.onProgress?.({ phase, done, total, summary });

  try {
    let total: number | null = null;
    for (let offset = 0; ; offset += pageSize) {
      const page = await withRetries(() => clerk.users.getUserList({ limit: pageSize, offset, orderBy: '+created_at' }), retry, summary);
      total = page.totalCount;
      const users = page.data.map((user) => user.raw).filter((raw): raw is UserJSON => raw !== null);
      if (users.length === 0) break;
      await prisma.reconcileSeen.createMany({ data: users.map((user) => ({ runId, clerkId: user.id })), skipDuplicates: true });
      await applyPage(users, summary, options.dryRun ?? false);
      summary.seen += users.length;
      report('users', summary.seen, total);
      if (users.length < pageSize) break;
    }
    await removeMissing(clerk, runId, summary, options, retry, report);
  } finally {
    await prisma.reconcileSeen.deleteMany({ where: { runId } });
  }
  return summary;
}

/** One page: rows already at this version are counted without a transaction; the rest are written together. */
async function applyPage(users: UserJSON[], summary: ReconcileSummary, dryRun: boolean): Promise<void> {
  const prisma = getPrisma();
  const [existing, tombstones] = await Promise.all([
    prisma.user.findMany({ where: { clerkId: { in: users.map((user) => user.id) } }, select: { clerkId: true, clerkUpdatedAt: true } }),
    prisma.deletedClerkUser.findMany({ where: { clerkId: { in: users.map((user) => user.id) } }, select: { clerkId: true } }),
  ]);
  const held = new Map(existing.map((row) => [row.clerkId, row.clerkUpdatedAt?.getTime() ?? -1]));
  const tombstoned = new Set(tombstones.map((row) => row.clerkId));
  const pending = users.filter((user) => {
    if (tombstoned.has(user.id)) {
      // Listed by Clerk but deleted by our records: a deletion is final (docs/decisions/006).
      summary.unchanged++;
      return false;
    }
    const version = held.get(user.id);
    if (version !== undefined && version >= user.updated_at) {
      summary.unchanged++;
      return false;
    }
    return true;
  });
  if (dryRun) {
    for (const user of pending) {
      if (held.has(user.id)) summary.updated++;
      else summary.created++;
    }
    return;
  }
  if (pending.length === 0) return;
  try {
    const results = await inSyncTransaction((tx) => applyUserVersions(tx, pending));
    for (const result of results) {
      if (result.outcome !== 'applied') summary.unchanged++;
      else if (result.created) summary.created++;
      else summary.updated++;
    }
  } catch {
    // One bad user must not sink the page: retry them one by one to find it.
    for (const user of pending) {
      try {
        const result = await inSyncTransaction((tx) => applyUserVersion(tx, user));
        if (result.outcome !== 'applied') summary.unchanged++;
        else if (result.created) summary.created++;
        else summary.updated++;
      } catch (error) {
        summary.failed++;
        summary.failures.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

async function removeMissing(
  clerk: ClerkClient,
  runId: string,
  summary: ReconcileSummary,
  options: ReconcileOptions,
  retry: Required<Pick<ReconcileOptions, 'maxRetries' | 'sleep'>>,
  report: (phase: ReconcileProgress['phase'], done: number, total: number | null) => void,
): Promise<void> {
  const prisma = getPrisma();
  let checked = 0;
  let afterId = '';
  for (;;) {
    // Rows not seen in this run, in batches, by primary key.
    const batch = await prisma.$queryRaw<{ id: string; clerkId: string }[]>`
      SELECT u."id", u."clerkId" FROM "User" u
      WHERE u."id" > ${afterId}
        AND NOT EXISTS (SELECT 1 FROM "ReconcileSeen" s WHERE s."runId" = ${runId} AND s."clerkId" = u."clerkId")
      ORDER BY u."id" LIMIT 500`;
    if (batch.length === 0) break;
    afterId = batch[batch.length - 1]!.id;
    for (const row of batch) {
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
      if (stillThere === undefined) continue;
      if (stillThere) {
        // Skipped by paging (others were deleted meanwhile): sync it now.
        await applyPage([stillThere], summary, options.dryRun ?? false);
        continue;
      }
      if (options.keepMissing) {
        summary.missing++;
      } else if (options.dryRun) {
        summary.deleted++;
      } else {
        await inSyncTransaction((tx) => applyUserDeletion(tx, row.clerkId, new Date()));
        summary.deleted++;
      }
    }
    report('missing', checked, null);
  }
}
