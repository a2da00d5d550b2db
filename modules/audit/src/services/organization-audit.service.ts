/**
 * An organization's audit log as its admins read it (docs/decisions/024):
 * newest first, a page at a time (keyset on the index of
 * (organizationClerkId, createdAt, id)), with the names we hold of the
 * people it names, in one statement whose condition is the reader's
 * permission: anyone else reads nothing.
 */
import { Prisma } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { decodeCursor, type Page, PAGE_SIZE, toPage } from '@/modules/cores/pagination';
import { MANAGE_MEMBERS } from '@/modules/organizations/src/interfaces/organization.limits';
import type { AuditAction, AuditEntry } from './audit-log.service';

/** Who an event names: their Clerk id (or an erased person's placeholder) and, when we hold their row, their name. */
export interface AuditPerson {
  clerkUserId: string;
  name: string | null;
}

export interface AuditLogItem {
  id: string;
  createdAt: Date;
  action: AuditAction;
  actor: AuditPerson;
  impersonator: AuditPerson | null;
  target: (NonNullable<AuditEntry['target']> & { name: string | null }) | null;
  details: NonNullable<AuditEntry['details']>;
}

interface Row {
  id: string;
  createdAt: Date;
  action: AuditAction;
  actorClerkUserId: string;
  actorName: string | null;
  impersonatorClerkUserId: string | null;
  impersonatorName: string | null;
  targetType: NonNullable<AuditEntry['target']>['type'] | null;
  targetId: string | null;
  targetName: string | null;
  details: AuditLogItem['details'] | null;
}

/**
 * A page of the organization's log, for `userId` if they manage its members
 * (`org:sys_memberships:manage`, checked once in the statement); an empty
 * page for anyone else.
 */
export async function listOrganizationAudit(
  userId: string,
  organization: { id: string; clerkId: string },
  cursor?: string | null,
  size = PAGE_SIZE,
): Promise<Page<AuditLogItem>> {
  const after = decodeCursor(cursor);
  const afterCondition = after
    ? Prisma.sql`AND (e."createdAt" < ${after.createdAt}::timestamp(3) OR (e."createdAt" = ${after.createdAt}::timestamp(3) AND e."id" < ${after.id}))`
    : Prisma.empty;
  const rows = await getPrisma().$queryRaw<Row[]>`
    SELECT e."id", e."createdAt", e."action", e."actorClerkUserId", a."name" AS "actorName",
      e."impersonatorClerkUserId", i."name" AS "impersonatorName", e."targetType", e."targetId", t."name" AS "targetName", e."details"
    FROM "AuditEvent" e
    LEFT JOIN "User" a ON a."clerkId" = e."actorClerkUserId"
    LEFT JOIN "User" i ON i."clerkId" = e."impersonatorClerkUserId"
    LEFT JOIN "User" t ON e."targetType" = 'user' AND t."clerkId" = e."targetId"
    WHERE e."organizationClerkId" = ${organization.clerkId} ${afterCondition}
      AND (SELECT clerk_member_has_permission(${userId}, ${organization.id}, ${MANAGE_MEMBERS}))
    ORDER BY e."createdAt" DESC, e."id" DESC
    LIMIT ${size + 1}`;
  const items = rows.map(
    (row): AuditLogItem => ({
      id: row.id,
      createdAt: row.createdAt,
      action: row.action,
      actor: { clerkUserId: row.actorClerkUserId, name: row.actorName },
      impersonator: row.impersonatorClerkUserId ? { clerkUserId: row.impersonatorClerkUserId, name: row.impersonatorName } : null,
      target: row.targetType && row.targetId ? { type: row.targetType, id: row.targetId, name: row.targetName } : null,
      details: row.details ?? {},
    }),
  );
  return toPage(items, size);
}
