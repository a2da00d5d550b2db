/**
 * Organizations and memberships outside the webhook: what the product does
 * at once after a Backend API call (create an organization, add, change or
 * remove a member), just-in-time provisioning and reconcile. Every write is
 * one call of `clerk_apply_change` (docs/decisions/012), the same rules as
 * the webhook's; Clerk's JSON is checked as strictly as a webhook's.
 */
import { getPrisma } from '@/modules/cores/db/prisma';
import { type ClerkMembershipData, clerkMembershipDataSchema, type ClerkOrganizationData, clerkOrganizationDataSchema } from './clerk-organization-data';
import { type ClerkChange, changeFields, clerkIdOfChange } from '../engine/clerk-changes';
import { newRowId, type SyncOutcome, syncStatement, type Tx } from '../engine/sync-statement';
import { checkedClerkData, provisionMissingUser } from './user-sync.service';

/** What `clerk_apply_change` answers: a sync outcome, or a membership whose user we do not hold. */
export type ChangeOutcome = SyncOutcome | 'missing_user';

/** One change through `clerk_apply_change`, inside `client`'s transaction or on its own; `at` is a deletion's time. */
export async function applyChange(client: Pick<Tx, '$queryRaw'>, change: ClerkChange, at: Date = new Date()): Promise<ChangeOutcome> {
  const fields = JSON.stringify(changeFields(change, newRowId));
  const [row] = await client.$queryRaw<{ outcome: ChangeOutcome }[]>`
    SELECT clerk_apply_change(${change.object}, ${change.action}, ${fields}::jsonb, ${at}::timestamp(3)) AS outcome`;
  return row!.outcome;
}

/** A change on its own: one statement, bounded in time, retried on conflicts. */
export function syncChange(change: ClerkChange, at?: Date): Promise<ChangeOutcome> {
  return syncStatement(() => applyChange(getPrisma(), change, at));
}

/** An organization from the Backend API (its `.raw`), stored by the organizations' rules. */
export async function syncOrganizationFromClerk(organization: unknown): Promise<ChangeOutcome> {
  const data: ClerkOrganizationData = checkedClerkData(clerkOrganizationDataSchema, organization, 'organization');
  return syncChange({ object: 'organization', action: 'version', data });
}

/**
 * A membership from the Backend API (its `.raw`), with its organization; a
 * user we do not hold yet is provisioned first, as the webhook does.
 * 'deleted' when the organization, the user or the membership is gone.
 */
export async function syncMembershipFromClerk(membership: unknown): Promise<SyncOutcome> {
  const data: ClerkMembershipData = checkedClerkData(clerkMembershipDataSchema, membership, 'membership');
  const change: ClerkChange = { object: 'membership', action: 'version', data };
  const outcome = await syncChange(change);
  if (outcome !== 'missing_user') return outcome;
  // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent: the instance check tells only a 'delivery' source apart; any other kind is the Backend API's.
  await provisionMissingUser(data.public_user_data.user_id, { kind: 'backend-api' });
  const again = await syncChange(change);
  if (again === 'missing_user') throw new Error(`user ${data.public_user_data.user_id} could not be provisioned`);
  return again;
}

/** A membership that ended now (removed, or the member left): tombstoned, the row gone. */
export async function syncMembershipDeletion(membership: unknown, at: Date = new Date()): Promise<ChangeOutcome> {
  const data: ClerkMembershipData = checkedClerkData(clerkMembershipDataSchema, membership, 'membership');
  return syncChange({ object: 'membership', action: 'deletion', data }, at);
}

/** An organization deleted now: tombstoned, the row gone with its memberships and posts. */
export function syncOrganizationDeletion(clerkId: string, at: Date = new Date()): Promise<ChangeOutcome> {
  return syncChange({ object: 'organization', action: 'deletion', clerkId }, at);
}

/**
 * Where a change stands in the lock order (docs/decisions/015): changes
 * sorted by organization, the organization's own change before its
 * memberships, those by user, and users' own changes last, take their locks
 * (organization, then pair, then user, each change) in the order any other
 * change takes them.
 */
function lockOrderOf(change: ClerkChange): { organization: string | null; user: string | null } {
  if (change.object === 'membership') return { organization: change.data.organization.id, user: change.data.public_user_data.user_id };
  if (change.object === 'organization') return { organization: clerkIdOfChange(change), user: null };
  // Stryker disable next-line ObjectLiteral: equivalent: a user's change has no organization either way, and its user is its Clerk id, which the batch sorts by next.
  return { organization: null, user: clerkIdOfChange(change) };
}

/** What one change of a batch did; `created` when it made a row that was not there. */
export interface ChangeResult {
  outcome: ChangeOutcome;
  created: boolean;
}

/**
 * Many organization or membership versions in one statement, each through
 * `clerk_apply_change`, in lock order (reconcile: a page at a time), sorted
 * byte by byte (COLLATE "C"): a database's own collation may ignore the
 * punctuation in Clerk ids and interleave two organizations' changes.
 * Answers in the order given. A membership whose user we do not hold
 * answers `missing_user`, for the caller to provision and apply again.
 */
export async function applyChangeOutcomes(client: Pick<Tx, '$queryRaw'>, changes: ClerkChange[]): Promise<ChangeResult[]> {
  if (changes.length === 0) return [];
  const items = changes.map((change, i) => ({ i, ...lockOrderOf(change), object: change.object, action: change.action, clerkId: clerkIdOfChange(change), fields: changeFields(change, newRowId) }));
  const rows = await client.$queryRaw<{ i: number; outcome: ChangeOutcome; existed: boolean }[]>`
    SELECT (c.item->>'i')::int AS i, v.outcome,
      CASE c.item->>'object'
        WHEN 'organization' THEN EXISTS (SELECT 1 FROM "Organization" WHERE "clerkId" = c.item->>'clerkId')
        ELSE EXISTS (SELECT 1 FROM "Membership" WHERE "clerkId" = c.item->>'clerkId')
      END AS existed
    FROM (
      SELECT item FROM jsonb_array_elements(${JSON.stringify(items)}::jsonb) AS item
      ORDER BY item->>'organization' COLLATE "C" NULLS LAST, item->>'user' COLLATE "C" NULLS FIRST, item->>'clerkId' COLLATE "C"
    ) AS c
    CROSS JOIN LATERAL (SELECT clerk_apply_change(c.item->>'object', c.item->>'action', c.item->'fields', (now() AT TIME ZONE 'UTC')::timestamp(3)) AS outcome) AS v`;
  const byIndex = new Map(rows.map((row) => [row.i, { outcome: row.outcome, created: row.outcome === 'applied' && !row.existed }]));
  return changes.map((_, i) => byIndex.get(i)!);
}

/** A membership that ended, known only by our row's ids (reconcile: Clerk no longer lists it). */
export async function syncMembershipEnd(clerkId: string, organizationClerkId: string, userClerkId: string, at: Date = new Date()): Promise<ChangeOutcome> {
  const [row] = await syncStatement(
    () => getPrisma().$queryRaw<{ outcome: ChangeOutcome }[]>`
      SELECT clerk_apply_membership_deletion(${clerkId}, ${organizationClerkId}, ${userClerkId}, ${at}::timestamp(3)) AS outcome`,
  );
  return row!.outcome;
}
