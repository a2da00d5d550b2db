/**
 * Our copy of Clerk users: the one write path, shared by the webhook handler,
 * just-in-time provisioning and the reconcile command.
 *
 * The rules live in the database, in the functions of the `sync_functions`
 * migration (docs/decisions/011), so that applying a user is one round trip
 * and every caller applies the same rules:
 * - a transaction-scoped advisory lock on the Clerk user id, so two
 *   instances never interleave one user;
 * - a row remembers Clerk's `updated_at` of the version it holds, and an
 *   older version changes nothing;
 * - a deletion leaves a tombstone, and a tombstoned user is never written
 *   again (Clerk never reuses a user id);
 * - an email held by another row goes to whichever user's data is newer
 *   (docs/decisions/005); conflicts between transactions are retried;
 * - a deletion erases the person's data from every table, the delivery
 *   ledger included (docs/decisions/008).
 * This module maps Clerk's JSON to the functions' arguments.
 */
import type { ClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import type { ZodType } from 'zod';
import type { User } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { type ClerkUserData, clerkUserDataSchema } from './clerk-user-data';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { confirmInstanceBeforeTombstone, type DataSource } from '../engine/clerk-instance.service';
import { type ClerkUserFields, clerkUserFields } from './clerk-user';
import { newRowId, type SyncOutcome, syncStatement, type Tx } from '../engine/sync-statement';
import { countProvisioning } from '@/modules/cores/telemetry/telemetry';

/** What a version did, and the row we hold after it (when asked for). */
export interface VersionResult {
  outcome: SyncOutcome;
  user: User | null;
  /** True when this version created the row. */
  created?: boolean;
}

/** The arguments of `clerk_apply_user_version` after the Clerk id, in order. */
export const userVersionArguments = (fields: ClerkUserFields) =>
  [fields.email, fields.name, fields.firstName, fields.lastName, fields.clerkUpdatedAt, newRowId()] as const;

/** Insert or update the row for this version of a Clerk user, inside `tx` (or on its own, given the client). */
export async function applyUserVersion(tx: Tx, user: ClerkUserData): Promise<VersionResult> {
  const fields = clerkUserFields(user);
  const [email, name, firstName, lastName, version, rowId] = userVersionArguments(fields);
  const [result] = await tx.$queryRaw<{ outcome: SyncOutcome; created: boolean }[]>`
    SELECT outcome, created FROM clerk_apply_user_version(${fields.clerkId}, ${email}, ${name}, ${firstName}, ${lastName}, ${version}::timestamp(3), ${rowId})`;
  const { outcome, created } = result!;
  if (outcome === 'deleted') return { outcome, user: null };
  const row = await tx.user.findUnique({ where: { clerkId: fields.clerkId } });
  return outcome === 'applied' ? { outcome, user: row, created } : { outcome, user: row };
}

/**
 * Delete the row of a Clerk user (posts cascade), keep a tombstone, and erase
 * what else we hold of the person: the payloads (and error texts) of their
 * webhook deliveries and their rate-limit counters. Inside `tx`. The
 * tombstone and the ledger keep only the Clerk id, which names no one.
 */
export async function applyUserDeletion(tx: Tx, clerkId: string, deletedAt: Date): Promise<{ outcome: SyncOutcome }> {
  const [result] = await tx.$queryRaw<{ outcome: SyncOutcome }[]>`SELECT clerk_apply_user_deletion(${clerkId}, ${deletedAt}::timestamp(3)) AS outcome`;
  return { outcome: result!.outcome };
}

/** What one version did, without the row (reconcile only counts). */
export interface VersionOutcome {
  outcome: SyncOutcome;
  created: boolean;
}

/** A deletion on its own (reconcile, the account page): the function call is its own transaction. */
export function syncUserDeletion(clerkId: string, deletedAt: Date): Promise<{ outcome: SyncOutcome }> {
  return syncStatement(() => applyUserDeletion(getPrisma(), clerkId, deletedAt));
}

/**
 * Many users at once, every one through the same function as
 * `applyUserVersion`, in one statement: with `getPrisma()` it is its own
 * transaction, atomic for the whole batch. Users are applied in Clerk id
 * order, byte by byte as organization batches sort them, so that two
 * batches take their locks in one order (docs/decisions/015); a deadlock
 * with a webhook moving an address aborts the statement, for the caller to
 * retry.
 * Answers in the order given.
 */
export async function applyUserVersionOutcomes(client: Pick<Tx, '$queryRaw'>, users: ClerkUserData[]): Promise<VersionOutcome[]> {
  if (users.length === 0) return [];
  const columns = { ids: [] as string[], emails: [] as string[], names: [] as (string | null)[], firstNames: [] as (string | null)[], lastNames: [] as (string | null)[], versions: [] as string[], rowIds: [] as string[] };
  for (const user of users) {
    const fields = clerkUserFields(user);
    const [email, name, firstName, lastName, version, rowId] = userVersionArguments(fields);
    columns.ids.push(fields.clerkId);
    columns.emails.push(email);
    columns.names.push(name);
    columns.firstNames.push(firstName);
    columns.lastNames.push(lastName);
    columns.versions.push(version.toISOString());
    columns.rowIds.push(rowId);
  }
  const rows = await client.$queryRaw<(VersionOutcome & { clerkId: string })[]>`
    SELECT u.clerk_id AS "clerkId", v.outcome, v.created
    FROM (
      SELECT * FROM unnest(${columns.ids}::text[], ${columns.emails}::text[], ${columns.names}::text[], ${columns.firstNames}::text[],
                           ${columns.lastNames}::text[], ${columns.versions}::timestamptz[], ${columns.rowIds}::text[])
        AS t(clerk_id, email, name, first_name, last_name, version, row_id)
      ORDER BY clerk_id COLLATE "C"
    ) AS u
    CROSS JOIN LATERAL clerk_apply_user_version(u.clerk_id, u.email, u.name, u.first_name, u.last_name, (u.version AT TIME ZONE 'UTC')::timestamp(3), u.row_id) AS v`;
  const byId = new Map(rows.map((row) => [row.clerkId, { outcome: row.outcome, created: row.created }]));
  return users.map((user) => byId.get(user.id)!);
}

/**
 * `applyUserVersionOutcomes` inside `tx`, answering as `applyUserVersion`
 * does: a stale answer carries the row we hold, an applied one none.
 */
export async function applyUserVersions(tx: Tx, users: ClerkUserData[]): Promise<VersionResult[]> {
  const outcomes = await applyUserVersionOutcomes(tx, users);
  const staleIds = users.filter((_, i) => outcomes[i]!.outcome === 'stale').map((user) => user.id);
  // Stryker disable next-line ArrayDeclaration: equivalent: with nothing stale, no answer looks a row up in what was held.
  const held = staleIds.length > 0 ? await tx.user.findMany({ where: { clerkId: { in: staleIds } } }) : [];
  const heldById = new Map(held.map((row) => [row.clerkId, row]));
  return users.map((user, i): VersionResult => {
    const { outcome, created } = outcomes[i]!;
    if (outcome === 'applied') return { outcome, user: null, created };
    return { outcome, user: outcome === 'stale' ? (heldById.get(user.id) ?? null) : null };
  });
}

/** Clerk's JSON checked by `schema` as strictly as a webhook's: throws, naming the fields, for data the sync cannot store. */
export function checkedClerkData<T>(schema: ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`Clerk ${what} data cannot be stored: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** A Clerk user from the Backend API (just-in-time provisioning, reconcile), checked: throws for data the sync cannot store. */
export const checkedClerkUser = (user: unknown): ClerkUserData => checkedClerkData(clerkUserDataSchema, user, 'user');

/**
 * Sync one Clerk user on its own (just-in-time provisioning, reconcile): the
 * function call is its own transaction, and the row is read after it.
 */
export function syncUserFromClerk(user: unknown): Promise<VersionResult> {
  const checked = checkedClerkUser(user);
  return syncStatement(() => applyUserVersion(getPrisma(), checked));
}

/** A Clerk user's JSON from the Backend API; null when Clerk does not have the user (a 404). */
async function fetchClerkUser(clerk: ClerkClient, clerkId: string): Promise<unknown> {
  let clerkUser;
  try {
    clerkUser = await clerk.users.getUser(clerkId);
  } catch (error) {
    if (isClerkAPIResponseError(error) && error.status === 404) return null;
    throw error;
  }
  // Stryker disable next-line StringLiteral: defensive: @clerk/backend sets raw on every User it builds from Clerk's JSON, the emulator's included; only a broken SDK leaves it out.
  if (!clerkUser.raw) throw new Error(`Clerk returned no data for ${clerkId}`);
  return clerkUser.raw;
}

/**
 * Fetch a Clerk user once from the Backend API and store it through the same
 * rules (just-in-time provisioning of a session whose user.created is late).
 * Null when Clerk does not have the user (a 404) or we tombstoned it meanwhile.
 */
export function provisionUserFromClerk(clerkId: string): Promise<User | null> {
  return countProvisioning(
    'user',
    async () => {
      const user = await fetchClerkUser(getClerkClient(), clerkId);
      return user ? (await syncUserFromClerk(user)).user : null;
    },
    (user) => user !== null,
  );
}

/**
 * A user that a membership names and we do not hold yet: fetched once and
 * stored, or tombstoned when Clerk does not have them (ids are never reused,
 * so nothing about them can come later), but only once the delivery, our
 * data and the keys are known to be of one Clerk instance: another instance
 * answers 404 for everyone (`confirmInstanceBeforeTombstone`, which throws,
 * writing nothing, when they are not; docs/decisions/014).
 */
export async function provisionMissingUser(clerkId: string, source: DataSource): Promise<void> {
  await countProvisioning(
    'user',
    async () => {
      const clerk = getClerkClient();
      const user = await fetchClerkUser(clerk, clerkId);
      if (user) {
        await syncUserFromClerk(user);
        return true;
      }
      await confirmInstanceBeforeTombstone(clerk, clerkId, source);
      await syncUserDeletion(clerkId, new Date());
      return false;
    },
    (found) => found,
  );
}
