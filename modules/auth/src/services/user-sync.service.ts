/**
 * Our copy of Clerk users: the one write path, shared by the webhook handler,
 * just-in-time provisioning and the reconcile command.
 *
 * Correct under retries, reordering and concurrent app instances through the
 * database alone:
 * - each change runs in a transaction holding a transaction-scoped advisory
 *   lock on the Clerk user id, so two instances never interleave one user;
 * - a row remembers Clerk's `updated_at` of the version it holds, and an
 *   older version changes nothing;
 * - a deletion leaves a tombstone, and a tombstoned user is never written
 *   again (Clerk never reuses a user id);
 * - an email held by another row goes to whichever user's data is newer
 *   (docs/decisions/005); conflicts between transactions are retried;
 * - a deletion erases the person's data from every table, the delivery
 *   ledger included (docs/decisions/008).
 */
import { randomBytes } from 'node:crypto';
import type { Prisma, User } from '@/generated/prisma/client';
import { isRetryableConflict } from '@/modules/cores/db/errors';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';
import { type ClerkUserData, clerkUserDataSchema } from '../interfaces/clerk-user-data';
import { clerkUserFields, placeholderEmail } from './clerk-user';

export type Tx = Prisma.TransactionClient;

/** applied: the row changed; stale: we already hold this version or a newer one; deleted: the user is tombstoned. */
export type SyncOutcome = 'applied' | 'stale' | 'deleted';

const MAX_ATTEMPTS = 5;

/** Run `fn` in a transaction, again from the start when it loses a race to another one. */
export async function inSyncTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getPrisma().$transaction(fn, { maxWait: 10_000, timeout: 20_000 });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}

/** Serialise every change to one Clerk user across all app instances, until the transaction ends. */
async function lockClerkUser(tx: Tx, clerkId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${clerkId}, 0))`;
}

/** Insert or update the row for this version of a Clerk user, inside `tx`. */
export interface VersionResult {
  outcome: SyncOutcome;
  user: User | null;
  /** True when this version created the row. */
  created?: boolean;
}

export async function applyUserVersion(tx: Tx, user: ClerkUserData): Promise<VersionResult> {
  const fields = clerkUserFields(user);
  await lockClerkUser(tx, fields.clerkId);
  // Hot path (every webhook): plain SQL, one read for all three questions.
  const [state] = await tx.$queryRaw<UserVersionState[]>`
    SELECT EXISTS (SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = ${fields.clerkId}) AS "tombstoned",
           e."clerkUpdatedAt" AS "existingVersion", e."id" IS NOT NULL AS "exists",
           h."id" AS "holderId"
    FROM (SELECT 1) AS one
    LEFT JOIN "User" e ON e."clerkId" = ${fields.clerkId}
    LEFT JOIN "User" h ON h."email" = ${fields.email} AND h."clerkId" <> ${fields.clerkId}`;
  if (!state || state.tombstoned) return { outcome: 'deleted', user: null };
  if (state.exists && state.existingVersion && new Date(state.existingVersion) >= fields.clerkUpdatedAt) {
    return { outcome: 'stale', user: await tx.user.findUnique({ where: { clerkId: fields.clerkId } }) };
  }

  let email = fields.email;
  if (state.holderId) {
    const holder = await tx.user.findUnique({ where: { id: state.holderId } });
    if (holder) await lockClerkUser(tx, holder.clerkId);
    // Re-read under the holder's lock: it may have moved on meanwhile.
    const current = holder && (await tx.user.findUnique({ where: { id: holder.id } }));
    if (current && current.email === email) {
      // Clerk keeps emails unique among live users: of two rows claiming one, the older data is stale.
      if ((current.clerkUpdatedAt?.getTime() ?? 0) <= fields.clerkUpdatedAt.getTime()) {
        await tx.user.update({ where: { id: current.id }, data: { email: placeholderEmail(current.clerkId) } });
      } else {
        email = placeholderEmail(fields.clerkId);
      }
    }
  }

  const [row] = await tx.$queryRaw<(User & { created: boolean })[]>`
    INSERT INTO "User" ("id", "clerkId", "email", "name", "firstName", "lastName", "clerkUpdatedAt", "createdAt", "updatedAt")
    VALUES (${newRowId()}, ${fields.clerkId}, ${email}, ${fields.name}, ${fields.firstName}, ${fields.lastName}, ${fields.clerkUpdatedAt}, ${utcNow}, ${utcNow})
    ON CONFLICT ("clerkId") DO UPDATE
      SET "email" = EXCLUDED."email", "name" = EXCLUDED."name", "firstName" = EXCLUDED."firstName", "lastName" = EXCLUDED."lastName",
          "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt"
      -- The version rule again, in the write itself: it holds even if the lock above were ever bypassed.
      WHERE "User"."clerkUpdatedAt" IS NULL OR "User"."clerkUpdatedAt" < EXCLUDED."clerkUpdatedAt"
    RETURNING "id", "clerkId", "email", "name", "firstName", "lastName", "createdAt", "updatedAt", "clerkUpdatedAt", (xmax = 0) AS "created"`;
  if (!row) return { outcome: 'stale', user: await tx.user.findUnique({ where: { clerkId: fields.clerkId } }) };
  const { created, ...saved } = row;
  return { outcome: 'applied', user: saved, created };
}

interface UserVersionState {
  tombstoned: boolean;
  exists: boolean;
  existingVersion: Date | string | null;
  holderId: string | null;
}

/** A row id like Prisma's cuid(): "c", time, randomness; sortable enough, unique for sure. */
function newRowId(): string {
  return `c${Date.now().toString(36)}${randomBytes(12).toString('base64url').replace(/[-_]/g, '0').toLowerCase()}`;
}

/**
 * Delete the row of a Clerk user (posts cascade), keep a tombstone, and erase
 * what else we hold of the person: the payloads (and error texts) of their
 * webhook deliveries and their rate-limit counters. Inside `tx`. The
 * tombstone and the ledger keep only the Clerk id, which names no one.
 */
export async function applyUserDeletion(tx: Tx, clerkId: string, deletedAt: Date): Promise<{ outcome: SyncOutcome }> {
  await lockClerkUser(tx, clerkId);
  const tombstone = await tx.deletedClerkUser.findUnique({ where: { clerkId } });
  if (!tombstone) await tx.deletedClerkUser.create({ data: { clerkId, deletedAt } });
  const { count } = await tx.user.deleteMany({ where: { clerkId } });
  await tx.$executeRaw`
    UPDATE "WebhookDelivery" SET "payload" = NULL, "error" = NULL
    WHERE "clerkUserId" = ${clerkId} AND "type" <> 'user.deleted' AND ("payload" IS NOT NULL OR "error" IS NOT NULL)`;
  await tx.$executeRaw`DELETE FROM "RateLimitWindow" WHERE starts_with("key", ${`${clerkId}:`})`;
  return { outcome: tombstone && count === 0 ? 'stale' : 'applied' };
}

/**
 * Many users at once (reconcile): the same rules as `applyUserVersion`, in a
 * handful of statements per batch instead of several per user. Locks are
 * taken in id order so that two batches never deadlock. Anything unusual (an
 * email held by another row, two users of the batch sharing one) takes the
 * one-by-one path.
 */
export async function applyUserVersions(tx: Tx, users: ClerkUserData[]): Promise<VersionResult[]> {
  const sorted = [...users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = sorted.map((user) => user.id);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest(${ids}::text[]) AS id ORDER BY id`;
  const [tombstones, existingRows] = await Promise.all([
    tx.deletedClerkUser.findMany({ where: { clerkId: { in: ids } }, select: { clerkId: true } }),
    tx.user.findMany({ where: { clerkId: { in: ids } } }),
  ]);
  const tombstoned = new Set(tombstones.map((row) => row.clerkId));
  const existing = new Map(existingRows.map((row) => [row.clerkId, row]));

  const results = new Map<string, VersionResult>();
  const candidates = [];
  for (const user of sorted) {
    const fields = clerkUserFields(user);
    const row = existing.get(user.id);
    if (tombstoned.has(user.id)) results.set(user.id, { outcome: 'deleted', user: null });
    else if (row?.clerkUpdatedAt && row.clerkUpdatedAt >= fields.clerkUpdatedAt) results.set(user.id, { outcome: 'stale', user: row });
    else candidates.push({ user, fields, row });
  }

  const emails = candidates.map((candidate) => candidate.fields.email);
  const held = await tx.user.findMany({ where: { email: { in: emails }, clerkId: { notIn: ids } }, select: { email: true } });
  const contested = new Set(held.map((row) => row.email));
  const counts = new Map<string, number>();
  for (const email of emails) counts.set(email, (counts.get(email) ?? 0) + 1);
  // Emails moving between users of this batch also go one by one.
  for (const candidate of candidates) {
    const holder = existingRows.find((row) => row.email === candidate.fields.email && row.clerkId !== candidate.user.id);
    if (holder || (counts.get(candidate.fields.email) ?? 0) > 1) contested.add(candidate.fields.email);
  }

  const fresh = candidates.filter((candidate) => !candidate.row && !contested.has(candidate.fields.email));
  if (fresh.length > 0) {
    await tx.user.createMany({ data: fresh.map(({ fields }) => fields) });
    for (const { user } of fresh) results.set(user.id, { outcome: 'applied', user: null, created: true });
  }
  for (const candidate of candidates) {
    if (results.has(candidate.user.id)) continue;
    if (candidate.row && !contested.has(candidate.fields.email)) {
      const { email, name, firstName, lastName, clerkUpdatedAt } = candidate.fields;
      const { count } = await tx.user.updateMany({
        where: { id: candidate.row.id, OR: [{ clerkUpdatedAt: null }, { clerkUpdatedAt: { lt: clerkUpdatedAt } }] },
        data: { email, name, firstName, lastName, clerkUpdatedAt },
      });
      results.set(candidate.user.id, { outcome: count > 0 ? 'applied' : 'stale', user: null, created: false });
    } else {
      results.set(candidate.user.id, await applyUserVersion(tx, candidate.user));
    }
  }
  return users.map((user) => results.get(user.id)!);
}

/**
 * A Clerk user from the Backend API (just-in-time provisioning, reconcile),
 * checked as strictly as a webhook's: throws for data the sync cannot store.
 */
export function checkedClerkUser(user: unknown): ClerkUserData {
  const parsed = clerkUserDataSchema.safeParse(user);
  if (!parsed.success) throw new Error(`Clerk user data cannot be stored: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** Sync one Clerk user in a transaction of its own (just-in-time provisioning, reconcile). */
export function syncUserFromClerk(user: unknown): Promise<VersionResult> {
  const checked = checkedClerkUser(user);
  return inSyncTransaction((tx) => applyUserVersion(tx, checked));
}
