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
 *   (docs/decisions/005); conflicts between transactions are retried.
 */
import type { UserJSON } from '@clerk/backend';
import type { Prisma, User } from '@/generated/prisma/client';
import { isRetryableConflict } from '@/modules/cores/db/errors';
import { getPrisma } from '@/modules/cores/db/prisma';
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

export async function applyUserVersion(tx: Tx, user: UserJSON): Promise<VersionResult> {
  const fields = clerkUserFields(user);
  await lockClerkUser(tx, fields.clerkId);
  if (await tx.deletedClerkUser.findUnique({ where: { clerkId: fields.clerkId } })) return { outcome: 'deleted', user: null };

  const existing = await tx.user.findUnique({ where: { clerkId: fields.clerkId } });
  if (existing?.clerkUpdatedAt && existing.clerkUpdatedAt >= fields.clerkUpdatedAt) return { outcome: 'stale', user: existing };

  let email = fields.email;
  const holder = await tx.user.findFirst({ where: { email, NOT: { clerkId: fields.clerkId } } });
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

  const data = { email, name: fields.name, clerkUpdatedAt: fields.clerkUpdatedAt };
  const row = existing
    ? await tx.user.update({ where: { id: existing.id }, data })
    : await tx.user.create({ data: { clerkId: fields.clerkId, ...data } });
  return { outcome: 'applied', user: row, created: !existing };
}

/** Delete the row of a Clerk user (posts cascade) and keep a tombstone, inside `tx`. */
export async function applyUserDeletion(tx: Tx, clerkId: string, deletedAt: Date): Promise<{ outcome: SyncOutcome }> {
  await lockClerkUser(tx, clerkId);
  const tombstone = await tx.deletedClerkUser.findUnique({ where: { clerkId } });
  if (!tombstone) await tx.deletedClerkUser.create({ data: { clerkId, deletedAt } });
  const { count } = await tx.user.deleteMany({ where: { clerkId } });
  return { outcome: tombstone && count === 0 ? 'stale' : 'applied' };
}

/** Sync one Clerk user in a transaction of its own (just-in-time provisioning, reconcile). */
export function syncUserFromClerk(user: UserJSON): Promise<VersionResult> {
  return inSyncTransaction((tx) => applyUserVersion(tx, user));
}
