/**
 * The audit log (docs/decisions/024): one row per administrative act our app
 * performed once Clerk accepted it, with who (the session's user, and the
 * impersonator when Clerk's `act` claim says the session is impersonated),
 * what, to whom, in which organization and when. Ids only: never an address
 * or a name, in the row or in its details. A person's ids leave it at their
 * erasure (`clerk_apply_user_deletion` puts one placeholder in their place);
 * rows older than AUDIT_LOG_RETENTION_DAYS are pruned with the ledger's data.
 */
import { auth } from '@clerk/nextjs/server';
import { Prisma } from '@/generated/prisma/client';
import { newRowId, type Tx } from '@/modules/clerk-sync/src/engine/sync-statement';
import { getPrisma } from '@/modules/cores/db/prisma';
import { utcNow } from '@/modules/cores/db/sql';

export type AuditAction =
  | 'invitation.sent'
  | 'invitation.revoked'
  | 'membership.role_changed'
  | 'membership.removed'
  | 'organization.deleted'
  | 'account.deleted'
  | 'ops.replay'
  | 'ops.reconcile';

export interface AuditActor {
  clerkUserId: string;
  impersonatorClerkUserId: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  organizationClerkId?: string | null;
  target?: { type: 'user' | 'invitation' | 'organization' | 'delivery' | 'reconcile'; id: string } | null;
  details?: Record<string, string | number | boolean | null>;
}

/** Placeholders start so: an id Clerk never issues (its user ids start `user_`). */
export const ERASED_PREFIX = 'erased_';

/**
 * An erased person's id in a late entry (their deletion committed before it):
 * the placeholder their tombstone keeps, so that no row names them again and
 * their events stay linked to each other (a fresh one for a tombstone from
 * before the audit log, which has none).
 */
const unlessErased = (clerkUserId: string | null) =>
  clerkUserId === null
    ? Prisma.sql`NULL`
    : Prisma.sql`COALESCE((SELECT COALESCE(d."auditPlaceholder", ${ERASED_PREFIX} || replace(gen_random_uuid()::text, '-', ''))
        FROM "DeletedClerkUser" d WHERE d."clerkId" = ${clerkUserId}), ${clerkUserId})`;

/**
 * Record one act (one statement). With `tx`, it commits or rolls back with
 * that transaction: account deletion records in the transaction of its
 * erasure, so that the erasure replaces the ids it records.
 */
export async function recordAudit(entry: AuditEntry, tx?: Tx): Promise<void> {
  const target = entry.target ?? null;
  const targetId = target?.type === 'user' ? unlessErased(target.id) : Prisma.sql`${target?.id ?? null}`;
  await (tx ?? getPrisma()).$executeRaw`
    INSERT INTO "AuditEvent" ("id", "createdAt", "action", "actorClerkUserId", "impersonatorClerkUserId", "organizationClerkId", "targetType", "targetId", "details")
    VALUES (${newRowId()}, ${utcNow}, ${entry.action}, ${unlessErased(entry.actor.clerkUserId)}, ${unlessErased(entry.actor.impersonatorClerkUserId)},
      ${entry.organizationClerkId ?? null}, ${target?.type ?? null}, ${targetId}, ${entry.details ? JSON.stringify(entry.details) : null}::jsonb)`;
}

/** The actor of an act done in the app by `clerkUserId` with no impersonation (scripts, tests). */
export const actingAs = (clerkUserId: string): AuditActor => ({ clerkUserId, impersonatorClerkUserId: null });

/**
 * The signed-in session's actor, from Clerk's `auth()` (no network): its
 * user, and the `act` claim's `sub` when someone impersonates them (Clerk's
 * impersonation, an actor token). Null when signed out.
 */
export async function sessionAuditActor(): Promise<AuditActor | null> {
  const session = await auth();
  if (!session.userId) return null;
  return { clerkUserId: session.userId, impersonatorClerkUserId: session.actor?.sub ?? null };
}

/** The actor of an act by `user` in this request (a page or a server action): them, with the session's impersonator if any. */
export async function auditActorOf(user: { clerkId: string }): Promise<AuditActor> {
  const session = await sessionAuditActor();
  return { clerkUserId: user.clerkId, impersonatorClerkUserId: session?.clerkUserId === user.clerkId ? session.impersonatorClerkUserId : null };
}
