/**
 * How every sync write runs, whatever the object: one statement (a call of
 * one of the sync's database functions, its own transaction) bounded in
 * time and run again when it loses a race, or a transaction retried the
 * same way; and the ids of new rows.
 */
import { randomBytes } from 'node:crypto';
import type { Prisma } from '@/generated/prisma/client';
import { withinDeadline } from '@/modules/cores/db/deadline';
import { isRetryableConflict } from '@/modules/cores/db/errors';
import { getPrisma } from '@/modules/cores/db/prisma';

/** applied: the row changed; stale: we already hold this version or a newer one; deleted: the object is tombstoned. */
export type SyncOutcome = 'applied' | 'stale' | 'deleted';

export type Tx = Prisma.TransactionClient;

const MAX_ATTEMPTS = 5;

/**
 * Run `fn` again from the start when it loses a race to another transaction
 * (a unique violation, a deadlock, a serialization failure): up to five
 * attempts, with a short random pause between them.
 */
export async function retryingConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
      // Stryker disable next-line ArithmeticOperator: only the pause's length changes, a timing that no test can assert without flaking; that races are retried is tested (sync-locks, user-sync).
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}

/**
 * One sync statement on its own (a function call is its own transaction):
 * bounded in time (`withinDeadline`: a database or pooler that does not
 * answer is "unavailable", not a hang) and run again when it loses a race.
 */
export function syncStatement<T>(fn: () => Promise<T>): Promise<T> {
  return retryingConflicts(() => withinDeadline(fn()));
}

/** Run `fn` in a transaction, again from the start when it loses a race to another one. */
export function inSyncTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return retryingConflicts(() => getPrisma().$transaction(fn, { maxWait: 10_000, timeout: 20_000 }));
}

/** A row id like Prisma's cuid(): "c", time, randomness; sortable enough, unique for sure. */
export function newRowId(): string {
  return `c${Date.now().toString(36)}${randomBytes(12).toString('base64url').replace(/[-_]/g, '0').toLowerCase()}`;
}
