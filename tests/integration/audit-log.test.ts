/**
 * The audit log (docs/decisions/024), in this process against real
 * PostgreSQL and the emulator through the real `@clerk/backend` client: each
 * administrative act records exactly one event once Clerk accepted it, a
 * refused act none; the impersonator is recorded; an organization's
 * managers read its log, newest first, a page at a time, and nobody else
 * does; a person's erasure leaves one placeholder in their place; the prune
 * removes only events past the retention window. The page itself and the
 * server actions' actor: tests/e2e/audit.e2e.ts, page-counts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { User } from '@/generated/prisma/client';
import { deleteAccount } from '@/modules/account/src/services/account.service';
import { actingAs, ERASED_PREFIX, recordAudit } from '@/modules/audit/src/services/audit-log.service';
import { listOrganizationAudit } from '@/modules/audit/src/services/organization-audit.service';
import { pruneExpiredData } from '@/modules/clerk-sync/src/engine/data-retention.service';
import { syncRolesFromClerk } from '@/modules/clerk-sync/src/objects/role-sync.service';
import { syncUserDeletion } from '@/modules/clerk-sync/src/objects/user-sync.service';
import {
  changeRole,
  deleteOrganization,
  invite,
  LAST_ADMIN,
  leaveOrganization,
  listPendingInvitations,
  NOT_A_MANAGER,
  removeMember,
  revokeInvitation,
} from '@/modules/organizations/src/services/organizations.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { organizationFixtures, rejection, suffix } from '../helpers/organization-services';
import { prisma } from '../helpers/prisma';

const emulated = emulatorAsAppsClerk();
const { person, team, joined } = organizationFixtures(emulated);

const EVENT_FIELDS = { action: true, actorClerkUserId: true, impersonatorClerkUserId: true, organizationClerkId: true, targetType: true, targetId: true, details: true } as const;
const eventsOf = (organizationClerkId: string) => prisma().auditEvent.findMany({ where: { organizationClerkId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: EVENT_FIELDS });
const PLACEHOLDER = new RegExp(`^${ERASED_PREFIX}[0-9a-f]{32}$`);

async function teamWithMember() {
  const admin = await person('Ada');
  const member = await person('Mel');
  const organization = await team(admin);
  const membership = await joined(organization, member, 'org:member');
  return { admin, member, organization, membership };
}

/** Nothing in the log names anyone by address or name. */
async function expectNoPersonalData(...people: User[]) {
  const text = JSON.stringify(await prisma().auditEvent.findMany());
  for (const who of people) {
    expect(text).not.toContain(who.email);
    expect(text).not.toContain(who.name!);
  }
}

describe('each administrative act', () => {
  it('records one event once Clerk accepted it: invitation sent and revoked, role changed, member removed, organization deleted', async () => {
    const { admin, member, organization, membership } = await teamWithMember();
    await syncRolesFromClerk();
    const invitee = `invitee-${suffix()}@example.com`;
    const support = actingAs(admin.clerkId);

    await invite(admin, organization.id, { email: invitee, role: 'org:member' }, support);
    const [pending] = await listPendingInvitations(admin.id, organization.id);
    const invitation = await prisma().invitation.findUniqueOrThrow({ where: { id: pending!.id } });
    expect(await eventsOf(organization.clerkId)).toEqual([
      { action: 'invitation.sent', actorClerkUserId: admin.clerkId, impersonatorClerkUserId: null, organizationClerkId: organization.clerkId, targetType: 'invitation', targetId: invitation.clerkId, details: { role: 'org:member' } },
    ]);

    await revokeInvitation(admin, organization.id, invitation.id);
    await changeRole(admin, organization.id, membership.id, 'org:admin');
    // The same role again changes nothing in Clerk: nothing to record.
    await changeRole(admin, organization.id, membership.id, 'org:admin');
    await removeMember(admin, organization.id, membership.id);
    const base = { actorClerkUserId: admin.clerkId, impersonatorClerkUserId: null, organizationClerkId: organization.clerkId };
    expect((await eventsOf(organization.clerkId)).slice(1)).toEqual([
      { ...base, action: 'invitation.revoked', targetType: 'invitation', targetId: invitation.clerkId, details: null },
      { ...base, action: 'membership.role_changed', targetType: 'user', targetId: member.clerkId, details: { from: 'org:member', to: 'org:admin' } },
      { ...base, action: 'membership.removed', targetType: 'user', targetId: member.clerkId, details: { role: 'org:admin' } },
    ]);

    await deleteOrganization(admin, organization.id, organization.slug);
    // The organization is gone; its log stays (until pruned), and says who deleted it.
    expect(await prisma().organization.count({ where: { id: organization.id } })).toBe(0);
    expect((await eventsOf(organization.clerkId)).slice(4)).toEqual([{ ...base, action: 'organization.deleted', targetType: 'organization', targetId: organization.clerkId, details: null }]);
    await expectNoPersonalData(admin, member);
    expect(JSON.stringify(await prisma().auditEvent.findMany())).not.toContain(invitee);
  });

  it('records the impersonator when the session is impersonated', async () => {
    const { admin, member, organization, membership } = await teamWithMember();
    const supporter = await person('Sam');
    await removeMember(admin, organization.id, membership.id, { clerkUserId: admin.clerkId, impersonatorClerkUserId: supporter.clerkId });
    expect(await eventsOf(organization.clerkId)).toEqual([
      expect.objectContaining({ action: 'membership.removed', actorClerkUserId: admin.clerkId, impersonatorClerkUserId: supporter.clerkId, targetId: member.clerkId }),
    ]);
  });

  it('records an account deleted, and its erasure takes the person out of the entry at once; an impersonator stays', async () => {
    const leaving = await person('Lee');
    const supporter = await person('Sam');
    await deleteAccount(leaving.clerkId, { clerkUserId: leaving.clerkId, impersonatorClerkUserId: supporter.clerkId });
    const events = await prisma().auditEvent.findMany({ where: { action: 'account.deleted', impersonatorClerkUserId: supporter.clerkId }, select: EVENT_FIELDS });
    expect(events).toEqual([
      { action: 'account.deleted', actorClerkUserId: expect.stringMatching(PLACEHOLDER), impersonatorClerkUserId: supporter.clerkId, organizationClerkId: null, targetType: 'user', targetId: events[0]!.actorClerkUserId, details: null },
    ]);
    expect(await prisma().auditEvent.count({ where: { OR: [{ actorClerkUserId: leaving.clerkId }, { targetId: leaving.clerkId }] } })).toBe(0);
  });
});

describe('a refused act', () => {
  it('records nothing: refused by us (not a manager, the last admin) or by Clerk (unreachable, an unknown role)', async () => {
    const { admin, member, organization, membership } = await teamWithMember();
    const [adminMembership] = await prisma().membership.findMany({ where: { organizationId: organization.id, userId: admin.id } });
    expect(await rejection(removeMember(member, organization.id, adminMembership!.id))).toEqual({ message: NOT_A_MANAGER, field: undefined });
    expect(await rejection(changeRole(admin, organization.id, adminMembership!.id, 'org:member'))).toEqual({ message: LAST_ADMIN, field: undefined });
    await emulated.control.serverErrors(1, 503);
    expect((await rejection(removeMember(admin, organization.id, membership.id))).message).toMatch(/Clerk could not be reached/);
    await emulated.control.serverErrors(1, 503);
    expect((await rejection(deleteOrganization(admin, organization.id, organization.slug))).message).toMatch(/Clerk could not be reached/);
    expect((await rejection(invite(admin, organization.id, { email: `x-${suffix()}@example.com`, role: 'org:nonexistent' }))).field).toBe('role');
    // Leaving is a member's own act, not an administrative one.
    await leaveOrganization(member, organization.id);
    expect(await eventsOf(organization.clerkId)).toEqual([]);
  });

  it('records nothing when Clerk no longer has the membership (removed elsewhere): the act was not this admin\'s', async () => {
    const { admin, member, organization, membership } = await teamWithMember();
    await emulated.control.removeMembership(organization.clerkId, member.clerkId);
    await removeMember(admin, organization.id, membership.id);
    expect(await prisma().membership.count({ where: { id: membership.id } })).toBe(0);
    expect(await eventsOf(organization.clerkId)).toEqual([]);
  });
});

describe("an organization's log", () => {
  it('is read by who manages its members, newest first, a page at a time, with the names we hold and the impersonator; by nobody else', async () => {
    const { admin, member, organization } = await teamWithMember();
    const other = await team(admin);
    const supporter = await person('Sam');
    // The log is ordered by the events' times, to the millisecond (the id breaks a tie, in no particular order): one apart.
    const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 2));
    for (let i = 0; i < 3; i++) {
      await recordAudit({ actor: actingAs(admin.clerkId), action: 'membership.role_changed', organizationClerkId: organization.clerkId, target: { type: 'user', id: member.clerkId }, details: { from: 'org:member', to: `org:r${i}` } });
      await nextMillisecond();
    }
    await recordAudit({ actor: { clerkUserId: admin.clerkId, impersonatorClerkUserId: supporter.clerkId }, action: 'membership.removed', organizationClerkId: organization.clerkId, target: { type: 'user', id: 'user_unknown' } });
    await recordAudit({ actor: actingAs(admin.clerkId), action: 'organization.deleted', organizationClerkId: other.clerkId, target: { type: 'organization', id: other.clerkId } });

    const first = await listOrganizationAudit(admin.id, organization, null, 2);
    expect(first.items.map((item) => [item.action, item.details.to ?? null])).toEqual([
      ['membership.removed', null],
      ['membership.role_changed', 'org:r2'],
    ]);
    expect(first.items[0]).toMatchObject({
      actor: { clerkUserId: admin.clerkId, name: admin.name },
      impersonator: { clerkUserId: supporter.clerkId, name: supporter.name },
      // Nobody we hold: the id.
      target: { type: 'user', id: 'user_unknown', name: null },
    });
    expect(first.items[1]).toMatchObject({ impersonator: null, target: { type: 'user', id: member.clerkId, name: member.name } });
    const second = await listOrganizationAudit(admin.id, organization, first.nextCursor, 2);
    expect(second.items.map((item) => item.details.to)).toEqual(['org:r1', 'org:r0']);
    expect(second.nextCursor).toBeNull();
    // A tampered cursor: the first page.
    expect((await listOrganizationAudit(admin.id, organization, 'not-a-cursor', 2)).items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));

    expect(await listOrganizationAudit(member.id, organization)).toEqual({ items: [], nextCursor: null });
    expect(await listOrganizationAudit(supporter.id, organization)).toEqual({ items: [], nextCursor: null });
  });
});

describe("a person's erasure", () => {
  it('replaces their id as actor, impersonator and target with one placeholder, the same in all their events, and a new one for the next person', async () => {
    const { admin, member, organization } = await teamWithMember();
    const supporter = await person('Sam');
    const record = (actor: string, impersonator: string | null, target: string) =>
      recordAudit({ actor: { clerkUserId: actor, impersonatorClerkUserId: impersonator }, action: 'membership.removed', organizationClerkId: organization.clerkId, target: { type: 'user', id: target } });
    await record(admin.clerkId, null, member.clerkId);
    await record(member.clerkId, supporter.clerkId, admin.clerkId);
    await record(supporter.clerkId, member.clerkId, supporter.clerkId);
    // Another type's target with the same text is not a person's id.
    await recordAudit({ actor: actingAs(admin.clerkId), action: 'ops.replay', target: { type: 'delivery', id: member.clerkId } });

    await syncUserDeletion(member.clerkId, new Date());
    const events = await eventsOf(organization.clerkId);
    const placeholder = events[0]!.targetId!;
    expect(placeholder).toMatch(PLACEHOLDER);
    expect(events.map((e) => [e.actorClerkUserId, e.impersonatorClerkUserId, e.targetId])).toEqual([
      [admin.clerkId, null, placeholder],
      [placeholder, supporter.clerkId, admin.clerkId],
      [supporter.clerkId, placeholder, supporter.clerkId],
    ]);
    expect(await prisma().auditEvent.count({ where: { action: 'ops.replay', targetId: member.clerkId } })).toBe(1);

    await syncUserDeletion(supporter.clerkId, new Date());
    const after = await eventsOf(organization.clerkId);
    const second = after[1]!.impersonatorClerkUserId!;
    expect(second).toMatch(PLACEHOLDER);
    expect(second).not.toBe(placeholder);
    expect(after.map((e) => [e.actorClerkUserId, e.impersonatorClerkUserId, e.targetId])).toEqual([
      [admin.clerkId, null, placeholder],
      [placeholder, second, admin.clerkId],
      [second, placeholder, second],
    ]);
    // A late entry about an erased person (their deletion committed first) does not name them either:
    // it takes the placeholder their tombstone keeps, so that their events stay linked.
    await record(supporter.clerkId, member.clerkId, member.clerkId);
    const [late] = (await eventsOf(organization.clerkId)).slice(-1);
    expect([late!.actorClerkUserId, late!.impersonatorClerkUserId, late!.targetId]).toEqual([second, placeholder, placeholder]);
    // A repeated deletion (a redelivered user.deleted) keeps the placeholder it drew the first time.
    await syncUserDeletion(member.clerkId, new Date());
    expect((await eventsOf(organization.clerkId)).map((e) => e.targetId)).toEqual([placeholder, admin.clerkId, second, placeholder]);
    expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: member.clerkId }, select: { auditPlaceholder: true } })).toEqual({ auditPlaceholder: placeholder });
  });
});

describe('pruning', () => {
  it('removes the events past the retention window and keeps the rest', async () => {
    const organizationClerkId = `org_prune_${suffix()}`;
    for (const days of [400, 366, 364, 0]) {
      await recordAudit({ actor: actingAs('user_pruned'), action: 'invitation.sent', organizationClerkId, details: { days } });
    }
    await prisma().$executeRaw`
      UPDATE "AuditEvent" SET "createdAt" = (now() AT TIME ZONE 'UTC') - make_interval(days => ("details"->>'days')::int) WHERE "organizationClerkId" = ${organizationClerkId}`;
    const summary = await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, RECONCILE_REPORT_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365 });
    expect(summary.auditEventsDeleted).toBe(2);
    expect((await eventsOf(organizationClerkId)).map((e) => e.details)).toEqual([{ days: 364 }, { days: 0 }]);
  });
});
