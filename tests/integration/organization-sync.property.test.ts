/**
 * Any history of users, organizations, memberships, invitations, roles,
 * permissions and Clerk Billing subscriptions that Clerk lets happen, its
 * webhooks delivered with duplicates, in any order, several at once, ends in
 * Clerk's state: users, organizations (name, slug), memberships (role),
 * invitations (organization, role, status, the address while pending), roles
 * (key, name, permission keys), permissions (key), and every live
 * organization's subscription (payer, status) and its items (status, plan,
 * period end) equal the emulator's own records; a deleted organization keeps
 * no subscription row; no invitation Clerk revoked or let expire became a
 * membership; and every `paymentAttempt.*` is recorded as ignored.
 *
 * Billing as the emulator plays it on its clock: Pro checked out (monthly or
 * annual), canceled at the period's end or now, resubscribed, a payment made
 * to fail and the clock moved past a period's end (past due), paid, the
 * clock moved on (renewals, canceled periods ending), the organization
 * deleted with its subscription.
 *
 * Histories are played against the emulator through the real Backend API
 * client and its account portal (what Clerk refuses, like a slug another
 * organization holds, a revoked ticket or the deletion of a role members
 * hold, just does not happen), its signed webhooks are captured, and
 * fast-check chooses the order, the copies and how many go at once. A
 * membership delivered before its user fetches the user from the same
 * emulator. A failure prints fast-check's seed and path; pass them to
 * `fc.assert` to replay it.
 */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileBilling } from '@/modules/clerk-sync/src/objects/billing-sync.service';
import { reconcileInvitations } from '@/modules/clerk-sync/src/objects/invitation-sync.service';
import { syncRolesFromClerk } from '@/modules/clerk-sync/src/objects/role-sync.service';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl, WebhookReceiver } from '../helpers/emulator-control';
import type { Subscription } from '../../tools/clerk-emulator/src/contract/schemas';
import { prisma } from '../helpers/prisma';

const USERS = 4;
const ORGS = 3;
const SLUGS = ['red', 'green', 'blue'] as const;
const DAY = 86_400_000;
/** Keys custom roles and permissions are made with or moved to: few, so that they collide and change hands. */
const ROLE_KEYS = ['org:writer', 'org:viewer', 'org:editor'] as const;
const PERMISSION_KEYS = ['org:docs:read', 'org:docs:write', 'org:posts:delete'] as const;
/** Role slots: two custom roles the history may make, and the instance's `org:editor`. */
const ROLE_SLOTS = 3;
/** Permission slots: two custom ones, the instance's `org:posts:delete`, and a system one (Clerk refuses to change it). */
const PERMISSION_SLOTS = 4;
/** What a membership or an invitation may name: the Creator and Default roles, then the role slots. */
const MEMBER_ROLES = 2 + ROLE_SLOTS;

type Op =
  | { kind: 'renameUser'; user: number; name: number }
  | { kind: 'deleteUser'; user: number }
  | { kind: 'createOrg'; org: number; creator: number; slug: number }
  | { kind: 'renameOrg'; org: number; slug: number }
  | { kind: 'deleteOrg'; org: number }
  | { kind: 'add'; org: number; user: number; role: number }
  | { kind: 'role'; org: number; user: number; role: number }
  | { kind: 'remove'; org: number; user: number }
  /** To one of the users' addresses (`to` < USERS) or to a new one, who signs up to accept. */
  | { kind: 'invite'; org: number; to: number; role: number; days: number }
  | { kind: 'revoke'; invitation: number }
  /** Tried whatever the invitation's status: Clerk refuses a ticket no longer pending. */
  | { kind: 'accept'; invitation: number }
  /** A day passes on the emulator's clock: invitations made for one day expire, without an event. */
  | { kind: 'expire' }
  | { kind: 'createPermission'; slot: number; key: number }
  | { kind: 'rekeyPermission'; slot: number; key: number }
  | { kind: 'deletePermission'; slot: number }
  | { kind: 'createRole'; slot: number; key: number; permissions: number[] }
  | { kind: 'renameRole'; slot: number; key: number; name: number }
  | { kind: 'assign'; slot: number; permission: number }
  | { kind: 'unassign'; slot: number; permission: number }
  | { kind: 'deleteRole'; slot: number }
  /** Two roles (or permissions) trade keys, through a third: each key changes hands within three versions. */
  | { kind: 'swapRoleKeys'; slot: number; other: number }
  | { kind: 'swapPermissionKeys'; slot: number; other: number }
  /** Pro checked out (a canceled Pro still in its period: resubscribed); Clerk refuses a second paid plan. */
  | { kind: 'subscribe'; org: number; period: 'month' | 'annual' }
  /** The organization's paid item (active, canceled or past due) canceled at its period's end, or now. */
  | { kind: 'cancel'; org: number; endNow: boolean }
  /** The next payment fails: a checkout tried now (`checkout`) stays incomplete, else the next renewal falls past due. */
  | { kind: 'failNextPayment'; org: number; checkout: boolean }
  /** An organization on Pro (any): its next payment fails and the clock passes its period's end, so it falls past due. */
  | { kind: 'pastDue'; org: number }
  /** A past-due organization (any) pays. */
  | { kind: 'pay'; org: number }
  /** A user's own subscription read (Clerk makes it, on the user's Free plan: `subscription.created`); their deletion ends it. */
  | { kind: 'userSubscription'; user: number }
  /** An organization with a paid item (any) is deleted. */
  | { kind: 'deletePayer'; org: number }
  /** The emulator's clock moves on: renewals (and their failures), canceled periods ending. */
  | { kind: 'advance'; days: number };

const user = fc.nat(USERS - 1);
const org = fc.nat(ORGS - 1);
const slug = fc.nat(SLUGS.length - 1);
/** Mostly the Creator and Default roles, which always exist; else one of the slots, which may not. */
const role = fc.oneof({ weight: 2, arbitrary: fc.nat(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: MEMBER_ROLES - 1 }) });
const roleSlot = fc.nat(ROLE_SLOTS - 1);
const customRoleSlot = fc.nat(1);
const permissionSlot = fc.nat(PERMISSION_SLOTS - 1);
const invitation = fc.nat(7);
const createOrg = fc.record({ kind: fc.constant('createOrg' as const), org, creator: user, slug });
const createPermission = (slot: fc.Arbitrary<number>) => fc.record({ kind: fc.constant('createPermission' as const), slot, key: fc.nat(PERMISSION_KEYS.length - 1) });
const createRole = (slot: fc.Arbitrary<number>) =>
  fc.record({ kind: fc.constant('createRole' as const), slot, key: fc.nat(ROLE_KEYS.length - 1), permissions: fc.subarray([0, 1, 2, 3]) });
type Weighted = fc.WeightedArbitrary<Op>;
const peopleAndTeams: Weighted[] = [
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameUser' as const), user, name: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), user }) },
  { weight: 3, arbitrary: createOrg },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('renameOrg' as const), org, slug }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteOrg' as const), org }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), org, user, role }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('role' as const), org, user, role }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), org, user }) },
];
const invitations: Weighted[] = [
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('invite' as const), org, to: fc.oneof(fc.constant(USERS), user), role, days: fc.constantFrom(1, 30) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('revoke' as const), invitation }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('accept' as const), invitation }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
];
const rolesAndPermissions: Weighted[] = [
  { weight: 2, arbitrary: createPermission(fc.nat(1)) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rekeyPermission' as const), slot: permissionSlot, key: fc.nat(PERMISSION_KEYS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deletePermission' as const), slot: permissionSlot }) },
  { weight: 3, arbitrary: createRole(customRoleSlot) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('renameRole' as const), slot: roleSlot, key: fc.nat(ROLE_KEYS.length - 1), name: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('assign' as const), slot: roleSlot, permission: permissionSlot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unassign' as const), slot: roleSlot, permission: permissionSlot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRole' as const), slot: roleSlot }) },
  // The other one is another slot: `(slot + other) % 3` with `other` 1 or 2.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('swapRoleKeys' as const), slot: roleSlot, other: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('swapPermissionKeys' as const), slot: fc.nat(2), other: fc.integer({ min: 1, max: 2 }) }) },
];
const subscribe = fc.record({ kind: fc.constant('subscribe' as const), org, period: fc.constantFrom('month' as const, 'annual' as const) });
const billing: Weighted[] = [
  { weight: 4, arbitrary: subscribe },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), org, endNow: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('failNextPayment' as const), org, checkout: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pastDue' as const), org }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('pay' as const), org }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deletePayer' as const), org }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('userSubscription' as const), user }) },
  // A day (nothing due, mostly), past a monthly period's end, past an annual one's.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.constantFrom(1, 32, 370) }) },
];
const op: fc.Arbitrary<Op> = fc.oneof(...peopleAndTeams, ...invitations, ...rolesAndPermissions, ...billing);
/** Both custom permissions and roles tried at the start (a key taken refuses one), so that what follows has some to act on. */
const customRolesAndPermissions = fc.tuple(createPermission(fc.constant(0)), createPermission(fc.constant(1)), createRole(fc.constant(0)), createRole(fc.constant(1)));

const app = globalThis as unknown as { clerkClient?: ClerkClient };
let emulator: RunningEmulator;
let control: EmulatorControl;
let clerk: ClerkClient;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20 });
  control = new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
  clerk = createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });
  // The app's Backend API client (getClerkClient), pointed at this emulator.
  app.clerkClient = clerk;
});
afterAll(async () => {
  delete app.clerkClient;
  await emulator?.close();
  await receiver.close();
});

/** What Clerk refuses (a taken slug, a member twice, something already gone) just does not happen. */
async function attempt(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (!isClerkAPIResponseError(error) || (error.status ?? 500) >= 500) throw error;
    return false;
  }
}

/** A control call the emulator refuses as Clerk would (a second paid plan, nothing past due, a payer gone: a 4xx) just does not happen. */
async function attemptControl(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof Error && / 4\d\d /.test(error.message)) return false;
    throw error;
  }
}

/** The paid items that can still be canceled (active, canceled in its period, past due), as the emulator holds them, oldest first. */
async function paidItems() {
  const { data } = await control.exportBilling();
  return data.flatMap((subscription) => subscription.subscription_items).filter((item) => item.plan?.slug === 'pro' && ['active', 'canceled', 'past_due'].includes(item.status));
}
const paidItemOf = async (organizationId: string) => (await paidItems()).find((item) => item.payer?.organization_id === organizationId);
/** The `n`th (modulo) organization whose paid item is in one of these statuses: a history's ops find one whichever slot they name. */
async function payerWith(statuses: string[], n: number): Promise<string | undefined> {
  const payers = (await paidItems()).filter((item) => statuses.includes(item.status)).map((item) => item.payer!.organization_id!);
  return payers[n % Math.max(payers.length, 1)];
}

interface SentInvitation {
  id: string;
  organizationId: string;
  email: string;
  ticket: string;
  /** To an address no user held: only accepting it (signing up) makes its user. */
  fresh: boolean;
}

/** What the history made, by the names the ops use. */
interface Played {
  invitations: SentInvitation[];
  /** Accepting a ticket Clerk refused (no longer pending, or its user gone). */
  refusedAcceptances: number;
  expiries: number;
  /** The addresses of users the history deleted. */
  deletedAddresses: Set<string>;
  /** Billing operations Clerk took (checkouts, resubscriptions, cancellations, settlements). */
  billing: { subscribed: number; canceled: number; pastDue: number; paid: number };
}

/** A form posted from the account portal with an invitation's ticket, as the invitee's browser would; whether it accepted. */
async function acceptOnPortal(path: '/sign-up' | '/sign-in', ticket: string): Promise<boolean> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: emulator.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ __clerk_ticket: ticket, first_name: 'Invitee', redirect_url: 'http://localhost:3000/' }).toString(),
  });
  await response.text();
  if (response.status >= 500) throw new Error(`${path} with a ticket: ${response.status}`);
  return response.status === 303;
}

/** Whether a membership or an invitation (of any status: Clerk re-keys them all) names this role. */
async function roleKeyHeld(key: string): Promise<boolean> {
  const [memberships, invitations] = await Promise.all([control.exportMemberships(), control.exportInvitations()]);
  return memberships.some(([, , , held]) => held === key) || invitations.some(([, , , held]) => held === key);
}

/** Play the history against the emulator; its webhooks land in `receiver`. */
async function play(ops: Op[]): Promise<Played> {
  const users: string[] = [];
  for (let i = 0; i < USERS; i++) users.push((await control.createUser({ email: `member-${i}@example.com`, firstName: `Member ${i}` })).id);
  const orgs: (string | undefined)[] = [];
  const instanceRoles = (await clerk.organizationRoles.getOrganizationRoleList({ limit: 100 })).data;
  const instancePermissions = (await clerk.organizationPermissions.getOrganizationPermissionList({ limit: 100 })).data;
  const byKey = (key: string, of: { id: string; key: string }[]) => ({ id: of.find((candidate) => candidate.key === key)!.id, key });
  const roles: ({ id: string; key: string } | undefined)[] = [undefined, undefined, byKey('org:editor', instanceRoles)];
  const permissions: ({ id: string; key: string } | undefined)[] = [undefined, undefined, byKey('org:posts:delete', instancePermissions), byKey('org:sys_memberships:read', instancePermissions)];
  // A key a role gave up (renamed or swapped away) is named by no later membership or invitation (the
  // Default role instead): a holder of it newer than the rename, delivered before it, would be moved along with the old holder's
  // (see 'a key another role gave up' in 'known gaps of the sync' below).
  const givenUp = new Set<string>();
  const roleKeyOf = (r: number) => {
    const key = r === 0 ? 'org:admin' : r === 1 ? 'org:member' : roles[r - 2]?.key;
    return key !== undefined && givenUp.has(key) ? 'org:member' : key;
  };
  const played: Played = { invitations: [], refusedAcceptances: 0, expiries: 0, deletedAddresses: new Set(), billing: { subscribed: 0, canceled: 0, pastDue: 0, paid: 0 } };
  let invitees = 0;
  for (const o of ops) {
    const userId = 'user' in o ? users[o.user]! : '';
    const orgId = 'org' in o ? orgs[o.org] : undefined;
    const roleKey = 'role' in o ? roleKeyOf(o.role) : undefined;
    const roleOfSlot = 'slot' in o && !['createPermission', 'rekeyPermission', 'deletePermission', 'swapPermissionKeys'].includes(o.kind) ? roles[o.slot] : undefined;
    const sent = 'invitation' in o && played.invitations.length > 0 ? played.invitations[o.invitation % played.invitations.length]! : undefined;
    // Billing acts on one of the organizations made so far, whichever slot (deleted ones included: Clerk refuses those).
    const made = orgs.filter((id) => id !== undefined);
    const payer = 'org' in o && made.length > 0 ? made[o.org % made.length]! : undefined;
    switch (o.kind) {
      case 'renameUser':
        await attempt(() => clerk.users.updateUser(userId, { firstName: `Name ${o.name}` }));
        break;
      case 'deleteUser':
        if (await attempt(() => clerk.users.deleteUser(userId))) played.deletedAddresses.add(`member-${o.user}@example.com`);
        break;
      case 'createOrg':
        if (orgId) break;
        await attempt(async () => {
          orgs[o.org] = (await clerk.organizations.createOrganization({ name: `Team ${o.org}`, slug: SLUGS[o.slug]!, createdBy: users[o.creator]! })).id;
        });
        break;
      case 'renameOrg':
        if (orgId) await attempt(() => clerk.organizations.updateOrganization(orgId, { slug: SLUGS[o.slug]!, name: `Team ${o.org} ${SLUGS[o.slug]}` }));
        break;
      case 'deleteOrg':
        if (orgId) await attempt(() => clerk.organizations.deleteOrganization(orgId));
        break;
      case 'add':
        if (orgId && roleKey) await attempt(() => clerk.organizations.createOrganizationMembership({ organizationId: orgId, userId, role: roleKey }));
        break;
      case 'role':
        if (orgId && roleKey) await attempt(() => clerk.organizations.updateOrganizationMembership({ organizationId: orgId, userId, role: roleKey }));
        break;
      case 'remove':
        if (orgId) await attempt(() => clerk.organizations.deleteOrganizationMembership({ organizationId: orgId, userId }));
        break;
      case 'invite': {
        // To one of the organizations made so far, whichever slot: most histories invite somewhere.
        const teams = orgs.filter((id) => id !== undefined);
        const organizationId = teams[o.org % Math.max(teams.length, 1)];
        if (!organizationId || !roleKey) break;
        const fresh = o.to === USERS;
        const email = fresh ? `invitee-${invitees++}@example.com` : `member-${o.to}@example.com`;
        await attempt(async () => {
          const created = await clerk.organizations.createOrganizationInvitation({ organizationId, emailAddress: email, role: roleKey, expiresInDays: o.days });
          played.invitations.push({ id: created.id, organizationId, email, fresh, ticket: new URL(created.url!).searchParams.get('ticket')! });
        });
        break;
      }
      case 'revoke':
        if (sent) await attempt(() => clerk.organizations.revokeOrganizationInvitation({ organizationId: sent.organizationId, invitationId: sent.id }));
        break;
      case 'accept':
        if (sent && !(await acceptOnPortal(sent.fresh ? '/sign-up' : '/sign-in', sent.ticket))) played.refusedAcceptances++;
        break;
      case 'expire':
        await control.advanceClock(DAY);
        played.expiries++;
        break;
      case 'createPermission':
        if (permissions[o.slot]) break;
        await attempt(async () => {
          const made = await clerk.organizationPermissions.createOrganizationPermission({ name: `Docs ${o.slot}`, key: PERMISSION_KEYS[o.key]! });
          permissions[o.slot] = { id: made.id, key: made.key };
        });
        break;
      case 'rekeyPermission': {
        const permission = permissions[o.slot];
        if (!permission) break;
        if (await attempt(() => clerk.organizationPermissions.updateOrganizationPermission({ permissionId: permission.id, key: PERMISSION_KEYS[o.key]! }))) permission.key = PERMISSION_KEYS[o.key]!;
        break;
      }
      case 'deletePermission': {
        const permission = permissions[o.slot];
        if (permission && (await attempt(() => clerk.organizationPermissions.deleteOrganizationPermission(permission.id)))) permissions[o.slot] = undefined;
        break;
      }
      case 'createRole':
        if (roles[o.slot]) break;
        await attempt(async () => {
          const granted = o.permissions.map((p) => permissions[p]?.id).filter((id) => id !== undefined);
          const made = await clerk.organizationRoles.createOrganizationRole({ name: `Role ${o.slot}`, key: ROLE_KEYS[o.key]!, permissions: granted });
          roles[o.slot] = { id: made.id, key: made.key };
        });
        break;
      case 'renameRole': {
        if (!roleOfSlot) break;
        // A role's new key moves only while no membership or invitation holds the old one: Clerk takes
        // those along without their own events, which the sync does not follow yet (see 'a role key
        // moved under its members' in 'known gaps of the sync' below); its name changes either way.
        const key = (await roleKeyHeld(roleOfSlot.key)) ? roleOfSlot.key : ROLE_KEYS[o.key]!;
        if (await attempt(() => clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: roleOfSlot.id, key, name: `Role ${o.slot} v${o.name}` }))) {
          if (key !== roleOfSlot.key) givenUp.add(roleOfSlot.key);
          roleOfSlot.key = key;
        }
        break;
      }
      case 'assign':
      case 'unassign': {
        const permission = permissions[o.permission];
        if (!roleOfSlot || !permission) break;
        const ids = { organizationRoleId: roleOfSlot.id, permissionId: permission.id };
        await attempt(() => (o.kind === 'assign' ? clerk.organizationRoles.assignPermissionToOrganizationRole(ids) : clerk.organizationRoles.removePermissionFromOrganizationRole(ids)));
        break;
      }
      case 'swapRoleKeys': {
        const other = roles[(o.slot + o.other) % ROLE_SLOTS];
        if (!roleOfSlot || !other || (await roleKeyHeld(roleOfSlot.key)) || (await roleKeyHeld(other.key))) break;
        const [mine, theirs] = [roleOfSlot.key, other.key];
        for (const key of [mine, theirs, 'org:swapping']) givenUp.add(key);
        const rekey = (id: string, key: string) => attempt(() => clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: id, key }));
        if (!(await rekey(roleOfSlot.id, 'org:swapping'))) break;
        if (await rekey(other.id, mine)) other.key = mine;
        roleOfSlot.key = (await rekey(roleOfSlot.id, theirs)) ? theirs : 'org:swapping';
        break;
      }
      case 'swapPermissionKeys': {
        const [one, other] = [permissions[o.slot], permissions[(o.slot + o.other) % 3]];
        if (!one || !other) break;
        const [mine, theirs] = [one.key, other.key];
        const rekey = (id: string, key: string) => attempt(() => clerk.organizationPermissions.updateOrganizationPermission({ permissionId: id, key }));
        if (!(await rekey(one.id, 'org:docs:swapping'))) break;
        if (await rekey(other.id, mine)) other.key = mine;
        one.key = (await rekey(one.id, theirs)) ? theirs : 'org:docs:swapping';
        break;
      }
      case 'deleteRole':
        if (roleOfSlot && (await attempt(() => clerk.organizationRoles.deleteOrganizationRole(roleOfSlot.id)))) roles[o.slot] = undefined;
        break;
      case 'subscribe':
        if (payer && (await attemptControl(() => control.subscribe({ organizationId: payer, plan: 'pro', period: o.period })))) played.billing.subscribed++;
        break;
      case 'cancel': {
        const organizationId = await payerWith(['active', 'canceled', 'past_due'], o.org);
        const item = organizationId ? await paidItemOf(organizationId) : undefined;
        if (item && (await attempt(() => clerk.billing.cancelSubscriptionItem(item.id, { endNow: o.endNow })))) played.billing.canceled++;
        break;
      }
      case 'failNextPayment':
        if (!payer || !(await attemptControl(() => control.failNextPayment({ organizationId: payer })))) break;
        if (o.checkout && (await attemptControl(() => control.subscribe({ organizationId: payer, plan: 'pro', period: 'month' })))) played.billing.subscribed++;
        break;
      case 'pastDue': {
        const active = await payerWith(['active'], o.org);
        const item = active ? await paidItemOf(active) : undefined;
        if (!active || !item?.period_end) break;
        await control.failNextPayment({ organizationId: active });
        await control.advanceClock(item.period_end - (await control.clock()).now + DAY);
        if ((await paidItemOf(active))?.status === 'past_due') played.billing.pastDue++;
        break;
      }
      case 'pay': {
        const pastDue = await payerWith(['past_due'], o.org);
        if (pastDue && (await attemptControl(() => control.pay({ organizationId: pastDue })))) played.billing.paid++;
        break;
      }
      case 'userSubscription':
        await attempt(() => clerk.billing.getUserBillingSubscription(userId));
        break;
      case 'deletePayer': {
        const paying = await payerWith(['active', 'canceled', 'past_due'], o.org);
        if (paying) await attempt(() => clerk.organizations.deleteOrganization(paying));
        break;
      }
      case 'advance':
        await control.advanceClock(o.days * DAY);
        break;
    }
  }
  await control.settleWebhooks();
  return played;
}

/**
 * Clerk sends no event when an invitation expires: it reports `expired` on
 * read once `expires_at` has passed. Compared twice. First as the webhooks
 * alone leave it, where Clerk's expired is our pending with `expiresAt` past
 * (by the emulator's clock, which the history moved on, not the wall's: what
 * the app's listing hides): nothing a later pass rewrites can hide a wrong
 * webhook outcome there. Then after `reconcileInvitations`, the pass that
 * stores Clerk's expiry (at the same `updated_at`) and erases the address,
 * where the rows must be Clerk's exactly.
 */
type InvitationView = 'webhooks' | 'reconciled';

/**
 * A pending invitation's address that a user the history deleted held (or
 * held before): the sync erases the address of pending invitations to a
 * deleted user (docs/decisions/022) only when the invitation's event landed
 * before the deletion's, so either is accepted here, and nothing else (see
 * 'an invitee's account deleted' in 'known gaps of the sync' below).
 */
const eitherErasedOr = (email: string) => `${email} or erased`;

async function invitationsOf(view: InvitationView, played: Played) {
  const invitations = await control.exportInvitations();
  /** Each invitation's row, and its address if ours may have erased it. */
  const rows = new Map<string, { row: string; erasable: string | null }>();
  for (const [id, orgId, email, r, status] of invitations) {
    const shown = status === 'expired' && view === 'webhooks' ? 'pending, expired' : status;
    const address = shown.startsWith('pending') ? email : null;
    const erasable = address !== null && played.deletedAddresses.has(address) ? address : null;
    rows.set(id, { row: `${id} ${orgId} ${r} ${shown} ${erasable ? eitherErasedOr(erasable) : address}`, erasable });
  }
  return rows;
}

const periodEndOf = (at: number | Date | null) => (at === null ? 'no end' : new Date(at).toISOString());

/**
 * Clerk's subscriptions and their items whose payer (an organization or a
 * user) is not deleted: a deleted payer's subscription stays in Clerk
 * (ended), and ours goes with the organization or user, so none of it may
 * remain here.
 */
async function billingOf(organizations: [string, ...unknown[]][], users: [string, ...unknown[]][]) {
  const live = new Set([...organizations, ...users].map(([id]) => id));
  const payerIdOf = (payer: Subscription['subscription_items'][number]['payer']) => payer?.organization_id ?? payer?.user_id ?? null;
  const payerOf = (subscription: Subscription) => payerIdOf(subscription.subscription_items.find((item) => item.payer)?.payer);
  const subscriptions = (await control.exportBilling()).data.filter((subscription) => live.has(payerOf(subscription) ?? ''));
  return {
    subscriptions: subscriptions.map((s) => `${s.id} ${s.payer_id} ${payerOf(s)} ${s.status}`).sort(),
    subscriptionItems: subscriptions
      .flatMap((s) => s.subscription_items.map((i) => `${i.id} ${s.id} ${payerIdOf(i.payer)} ${i.status} ${i.plan_id} ${periodEndOf(i.period_end)}`))
      .sort(),
  };
}

/**
 * Each live organization's plan as Clerk has it (a token's `pla`): its paid
 * plan while active or canceled within its period, none while past due
 * (where the app applies Free's limits, decision 023), else Free; and as our
 * rows grant it (`clerk_organization_plan`, what every limit reads).
 */
async function clerkPlans() {
  const live = new Set((await control.exportOrganizations()).map(([id]) => id));
  return (await control.exportBilling()).data
    .flatMap((subscription) => {
      const items = subscription.subscription_items;
      const organizationId = items.find((item) => item.payer)?.payer?.organization_id;
      if (!organizationId || !live.has(organizationId)) return [];
      const current = items.find((item) => item.status === 'active' || item.status === 'canceled');
      return [`${organizationId} ${items.some((item) => item.status === 'past_due') ? 'free_org' : (current?.plan?.slug ?? 'free_org')}`];
    })
    .sort();
}
async function ourPlans() {
  const rows = await prisma().$queryRaw<{ row: string }[]>`
    SELECT o."clerkId" || ' ' || coalesce((SELECT slug FROM clerk_organization_plan(o."clerkId")), 'none') AS row FROM "Organization" o`;
  return rows.map((r) => r.row).sort();
}

/** The emulator's state and ours, in one comparable shape each. */
async function clerkTruth(view: InvitationView, played: Played) {
  const [users, organizations, memberships, invitations, roles, permissions] = await Promise.all([
    control.exportUsers(),
    control.exportOrganizations(),
    control.exportMemberships(),
    invitationsOf(view, played),
    control.exportRoles(),
    control.exportPermissions(),
  ]);
  return {
    ...(await billingOf(organizations, users)),
    users: users.map(([id, email]) => `${id} ${email}`).sort(),
    organizations: organizations.map(([id, slug, name]) => `${id} ${slug} ${name}`).sort(),
    memberships: memberships.map(([id, orgId, userId, r]) => `${id} ${orgId} ${userId} ${r}`).sort(),
    invitations: [...invitations.values()].map((i) => i.row).sort(),
    roles: roles.map(([id, key, name, keys]) => `${id} ${key} ${name} [${keys.join(' ')}]`).sort(),
    permissions: permissions.map(([id, key]) => `${id} ${key}`).sort(),
  };
}
async function ours(view: InvitationView, played: Played) {
  const db = prisma();
  const [users, organizations, memberships, invitations, roles, permissions, { now }, clerks, subscriptions, subscriptionItems] = await Promise.all([
    db.user.findMany({ select: { clerkId: true, email: true } }),
    db.organization.findMany({ select: { clerkId: true, slug: true, name: true } }),
    db.membership.findMany({ select: { clerkId: true, role: true, organization: { select: { clerkId: true } }, user: { select: { clerkId: true } } } }),
    db.invitation.findMany({ select: { clerkId: true, organizationClerkId: true, role: true, status: true, email: true, expiresAt: true } }),
    db.organizationRole.findMany({ select: { clerkId: true, key: true, name: true, permissionIds: true } }),
    db.organizationPermission.findMany({ select: { clerkId: true, key: true } }),
    control.clock(),
    invitationsOf(view, played),
    db.billingSubscription.findMany({ select: { clerkId: true, payerClerkId: true, organizationClerkId: true, userClerkId: true, status: true } }),
    db.billingSubscriptionItem.findMany({
      select: { clerkId: true, subscriptionClerkId: true, organizationClerkId: true, userClerkId: true, status: true, planClerkId: true, periodEnd: true },
    }),
  ]);
  // A role's permissions by their keys now, as Clerk shows them; an id no permission row answers to (one
  // Clerk deleted) grants nothing. Every key compared as stored: a placeholder ('~' and the Clerk id) left
  // at the end is a row whose newest version lost its key, which Clerk's state never has, so a mismatch.
  const keyOf = new Map(permissions.map((p) => [p.clerkId, p.key]));
  const invitationStatus = (i: (typeof invitations)[number]) => (i.status === 'pending' && i.expiresAt !== null && i.expiresAt.getTime() <= now ? 'pending, expired' : i.status);
  const invitationEmail = (i: (typeof invitations)[number]) => {
    const erasable = clerks.get(i.clerkId)?.erasable;
    return erasable && (i.email === null || i.email === erasable) ? eitherErasedOr(erasable) : i.email;
  };
  return {
    subscriptions: subscriptions.map((s) => `${s.clerkId} ${s.payerClerkId} ${s.organizationClerkId ?? s.userClerkId} ${s.status}`).sort(),
    subscriptionItems: subscriptionItems
      .map((i) => `${i.clerkId} ${i.subscriptionClerkId} ${i.organizationClerkId ?? i.userClerkId} ${i.status} ${i.planClerkId} ${periodEndOf(i.periodEnd)}`)
      .sort(),
    users: users.map((u) => `${u.clerkId} ${u.email}`).sort(),
    organizations: organizations.map((o) => `${o.clerkId} ${o.slug} ${o.name}`).sort(),
    memberships: memberships.map((m) => `${m.clerkId} ${m.organization.clerkId} ${m.user.clerkId} ${m.role}`).sort(),
    invitations: invitations.map((i) => `${i.clerkId} ${i.organizationClerkId} ${i.role} ${invitationStatus(i)} ${invitationEmail(i)}`).sort(),
    roles: roles
      .map((r) => `${r.clerkId} ${r.key} ${r.name} [${r.permissionIds.flatMap((id) => keyOf.get(id) ?? []).sort().join(' ')}]`)
      .sort(),
    permissions: permissions.map((p) => `${p.clerkId} ${p.key}`).sort(),
  };
}

/**
 * No invitation Clerk revoked or let expire became a membership: our row of
 * it names no acceptor, and a new address invited only by it has no user
 * (one appears only by accepting), so no membership either.
 */
async function expectNoEndedInvitationJoined(played: Played): Promise<{ ended: number; accepted: number }> {
  const statuses = new Map((await control.exportInvitations()).map(([id, , , , status]) => [id, status]));
  const ended = played.invitations.filter((sent) => ['revoked', 'expired'].includes(statuses.get(sent.id) ?? ''));
  const rows = await prisma().invitation.findMany({ where: { clerkId: { in: ended.map((sent) => sent.id) } }, select: { clerkId: true, status: true, acceptedClerkUserId: true } });
  expect(rows.filter((row) => row.status === 'accepted' || row.acceptedClerkUserId !== null)).toEqual([]);
  const unaccepted = ended.filter((sent) => sent.fresh).map((sent) => sent.email);
  expect(await prisma().user.findMany({ where: { email: { in: unaccepted } }, select: { clerkId: true, email: true, memberships: { select: { id: true } } } })).toEqual([]);
  return { ended: ended.length, accepted: played.invitations.filter((sent) => statuses.get(sent.id) === 'accepted').length };
}

const TABLES =
  '"User", "Post", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery", ' +
  '"Invitation", "OrganizationRole", "OrganizationPermission", "DeletedClerkObject", "BillingSubscription", "BillingSubscriptionItem"';

/** How deliveries go: each one's place, the copies made, and how many are handed over at once. */
type DeliveryOrder = { keys: number[]; copies: number[]; atOnce: number };
const deliveryOrder: fc.Arbitrary<DeliveryOrder> = fc.record({
  keys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 200, maxLength: 200 }),
  copies: fc.array(fc.nat(199), { maxLength: 12 }),
  atOnce: fc.integer({ min: 1, max: 4 }),
});

/**
 * One case: the history played on a fresh emulator and database, its
 * deliveries shuffled, copied and handed to the webhook service, then our
 * tables against Clerk's, before and after reconciling invitations.
 */
async function syncedHistory(ops: Op[], { keys, copies, atOnce }: DeliveryOrder) {
  await control.reset();
  receiver.clear();
  await prisma().$executeRawUnsafe(`TRUNCATE ${TABLES} CASCADE`);
  // The instance's roles exist before any event (Clerk's defaults, the dashboard's): the app
  // learns them as it does on a fresh database, from the Backend API.
  await syncRolesFromClerk(clerk);
  const played = await play(ops);
  const deliveries = receiver.received.map((received) => verifyClerkWebhook(received.body, new Headers(received.headers), emulator.keys.webhookSecret));
  const all = [...deliveries, ...copies.filter((i) => i < deliveries.length).map((i) => deliveries[i]!)];
  const order = all.map((d, i) => ({ d, key: keys[i % keys.length]! + i / 1e6 })).sort((a, b) => a.key - b.key);
  const paymentOutcomes: string[] = [];
  for (let i = 0; i < order.length; i += atOnce) {
    await Promise.all(
      order.slice(i, i + atOnce).map(async ({ d }) => {
        const { outcome } = await processClerkWebhook(d);
        if (d.type.startsWith('paymentAttempt.')) paymentOutcomes.push(outcome);
      }),
    );
  }
  const truth = await clerkTruth('webhooks', played);
  expect(await ours('webhooks', played)).toEqual(truth);
  // Payment attempts are recorded and ignored (no payment data is kept), a copy a duplicate; never a failure.
  const payments = deliveries.filter((d) => d.type.startsWith('paymentAttempt.'));
  expect(paymentOutcomes.filter((outcome) => outcome !== 'ignored' && outcome !== 'duplicate')).toEqual([]);
  const recorded = await prisma().webhookDelivery.findMany({ where: { svixId: { in: payments.map((d) => d.svixId) } }, select: { outcome: true, payload: true } });
  expect(recorded).toHaveLength(payments.length);
  expect(recorded.filter((row) => row.outcome !== 'ignored' || row.payload !== null)).toEqual([]);
  const { ended, accepted } = await expectNoEndedInvitationJoined(played);
  await reconcileInvitations(clerk);
  expect((await ours('reconciled', played)).invitations).toEqual((await clerkTruth('reconciled', played)).invitations);
  await expectNoEndedInvitationJoined(played);
  // Reconcile reads every organization's subscription from the Backend API (Clerk makes one, on the
  // default plan, for an organization that had none): the rows stay Clerk's.
  await reconcileBilling(clerk);
  const reconciled = await ours('reconciled', played);
  const reconciledTruth = await clerkTruth('reconciled', played);
  expect({ subscriptions: reconciled.subscriptions, subscriptionItems: reconciled.subscriptionItems }).toEqual({
    subscriptions: reconciledTruth.subscriptions,
    subscriptionItems: reconciledTruth.subscriptionItems,
  });
  const plans = await clerkPlans();
  expect(await ourPlans()).toEqual(plans);
  const billingEvents = deliveries.filter((d) => d.type.startsWith('subscription'));
  // Subscriptions of payers the history deleted: in Clerk's export, ended; none of ours (compared above).
  const deletedPayers = (await control.exportBilling()).total_count - truth.subscriptions.length;
  return {
    played,
    truth,
    deliveries: all.length,
    ended,
    accepted,
    roleEvents: deliveries.filter((d) => d.type.startsWith('role.') || d.type.startsWith('permission.')).length,
    billingEvents: billingEvents.length,
    billingEventTypes: new Set(billingEvents.map((d) => d.type)),
    payments: payments.length,
    deletedPayers,
    onPro: plans.filter((row) => row.endsWith(' pro')).length,
  };
}

/** Under Stryker every mutant runs these properties: fewer histories there (user-sync.property.test.ts does the same). */
const mutationTesting = process.env.STRYKER_MUTATOR_WORKER !== undefined;
const HISTORIES = mutationTesting ? 10 : 30;
const ROLE_HISTORIES = mutationTesting ? 20 : 60;

describe('users, organizations, memberships, invitations, roles, permissions and subscriptions from webhooks in any order', () => {
  it('end in Clerk state, whatever the order, the copies and how many arrive at once', async () => {
    const seen = { cases: 0, organizations: 0, memberships: 0, deliveries: 0, invitations: 0, accepted: 0, ended: 0, refusedAcceptances: 0, expiries: 0, roleEvents: 0 };
    const billingSeen = { events: 0, payments: 0, subscribed: 0, canceled: 0, pastDue: 0, paid: 0, deletedPayers: 0, items: 0, onPro: 0, eventTypes: new Set<string>() };
    await fc.assert(
      fc.asyncProperty(
        // Histories open with organizations made, custom permissions and roles, and maybe a checkout, so that most of what follows has some to act on.
        fc
          .tuple(fc.array(createOrg, { minLength: 1, maxLength: ORGS }), customRolesAndPermissions, fc.array(subscribe, { maxLength: 2 }), fc.array(op, { minLength: 17, maxLength: 68 }))
          .map((parts) => parts.flat()),
        deliveryOrder,
        async (ops, delivery) => {
          const { played, truth, deliveries, ended, accepted, roleEvents, billingEvents, billingEventTypes, payments, deletedPayers, onPro } = await syncedHistory(ops, delivery);
          billingSeen.onPro += onPro;
          billingSeen.events += billingEvents;
          billingSeen.payments += payments;
          billingSeen.subscribed += played.billing.subscribed;
          billingSeen.canceled += played.billing.canceled;
          billingSeen.paid += played.billing.paid;
          billingSeen.pastDue += played.billing.pastDue;
          billingSeen.deletedPayers += deletedPayers;
          billingSeen.items += truth.subscriptionItems.length;
          for (const type of billingEventTypes) billingSeen.eventTypes.add(type);
          seen.organizations += truth.organizations.length;
          seen.memberships += truth.memberships.length;
          seen.deliveries += deliveries;
          seen.invitations += truth.invitations.length;
          seen.accepted += accepted;
          seen.ended += ended;
          seen.refusedAcceptances += played.refusedAcceptances;
          seen.expiries += played.expiries;
          seen.roleEvents += roleEvents;
          seen.cases++;
        },
      ),
      // No time budget: fast-check runs every case or fails (one more, if ever added, must keep this count).
      // Shrinking a failure stops in time to report it rather than the test's timeout. Under mutation testing
      // (every mutant of the sync runs this test) a third of the cases, the first failure ending the run.
      mutationTesting ? { numRuns: HISTORIES, interruptAfterTimeLimit: 150_000, endOnFailure: true } : { numRuns: HISTORIES, interruptAfterTimeLimit: 150_000 },
    );
    expect(seen.cases).toBe(HISTORIES);
    // What a few histories exercise is left to the full run to assert.
    if (mutationTesting) return;
    // The histories were not empty: organizations and memberships existed at the end, from many deliveries;
    // invitations were accepted, revoked or expired, and tried after; roles and permissions changed.
    expect(seen.organizations).toBeGreaterThan(10);
    expect(seen.memberships).toBeGreaterThan(10);
    expect(seen.deliveries).toBeGreaterThan(80);
    expect(seen.invitations).toBeGreaterThan(10);
    expect(seen.accepted).toBeGreaterThan(1);
    expect(seen.ended).toBeGreaterThan(1);
    expect(seen.refusedAcceptances).toBeGreaterThan(1);
    expect(seen.expiries).toBeGreaterThan(1);
    expect(seen.roleEvents).toBeGreaterThan(30);
    // Organizations subscribed, canceled (at the period's end and now), fell past due and paid, and were
    // deleted with a subscription; their items ended every way an item does.
    expect(billingSeen.events).toBeGreaterThan(50);
    expect(billingSeen.payments).toBeGreaterThan(10);
    expect(billingSeen.subscribed).toBeGreaterThan(5);
    expect(billingSeen.canceled).toBeGreaterThan(3);
    expect(billingSeen.paid).toBeGreaterThan(0);
    expect(billingSeen.deletedPayers).toBeGreaterThan(1);
    expect(billingSeen.items).toBeGreaterThan(10);
    expect(billingSeen.onPro).toBeGreaterThan(0);
    expect([...billingSeen.eventTypes]).toEqual(
      expect.arrayContaining([
        'subscription.created',
        'subscription.updated',
        'subscription.pastDue',
        'subscription.active',
        'subscriptionItem.active',
        'subscriptionItem.updated',
        'subscriptionItem.canceled',
        'subscriptionItem.upcoming',
        'subscriptionItem.ended',
        'subscriptionItem.abandoned',
        'subscriptionItem.incomplete',
        'subscriptionItem.pastDue',
      ]),
    );
  }, 240_000);

  it('roles and permissions alone, their keys changing hands, end in Clerk state too', async () => {
    // Without organizations no membership or invitation holds a role, so every key may move: where the
    // history above rarely gets to, cheaply (a case is a few dozen deliveries).
    const seen = { cases: 0, roleEvents: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(customRolesAndPermissions, fc.array(fc.oneof(...rolesAndPermissions), { minLength: 8, maxLength: 32 })).map((parts) => parts.flat()),
        deliveryOrder,
        async (ops, delivery) => {
          seen.roleEvents += (await syncedHistory(ops, delivery)).roleEvents;
          seen.cases++;
        },
      ),
      { numRuns: ROLE_HISTORIES, interruptAfterTimeLimit: 80_000, endOnFailure: mutationTesting },
    );
    expect(seen.cases).toBe(ROLE_HISTORIES);
    if (!mutationTesting) expect(seen.roleEvents).toBeGreaterThan(400);
  }, 120_000);

  /**
   * Gaps the properties above step around, each pinned here: `it.fails`
   * until the sync closes it; then drop `.fails` and the detour it names.
   */
  describe('known gaps of the sync', () => {
    /** A fresh emulator and database, the instance's roles known; then `act`, its webhooks captured in the order Clerk sent them. */
    async function eventsOf(act: () => Promise<void>) {
      await control.reset();
      receiver.clear();
      await prisma().$executeRawUnsafe(`TRUNCATE ${TABLES} CASCADE`);
      await syncRolesFromClerk(clerk);
      await act();
      await control.settleWebhooks();
      return receiver.received.map((received) => verifyClerkWebhook(received.body, new Headers(received.headers), emulator.keys.webhookSecret));
    }
    const inOrder = async (deliveries: ReturnType<typeof verifyClerkWebhook>[]) => {
      for (const d of deliveries) await processClerkWebhook(d);
    };

    // Clerk moves a role's memberships and invitations along when its key changes, with no event of
    // theirs (the emulator does, docs/clerk-emulator.md); clerk_apply_role_version moves ours with the
    // key (clerk_move_role_key). What it cannot know: a membership version older than the rename that
    // arrives after it still names the old key (docs/decisions/022), so the property 'renameRole'
    // moves a key only while nobody holds it.
    it('a role key moved under its members: the memberships and invitations that held it follow', async () => {
      const deliveries = await eventsOf(async () => {
        const admin = await control.createUser({ email: 'admin@example.com' });
        const member = await control.createUser({ email: 'member@example.com' });
        const team = await clerk.organizations.createOrganization({ name: 'Team', slug: 'team', createdBy: admin.id });
        const writer = await clerk.organizationRoles.createOrganizationRole({ name: 'Writer', key: 'org:writer' });
        await clerk.organizations.createOrganizationMembership({ organizationId: team.id, userId: member.id, role: 'org:writer' });
        await clerk.organizations.createOrganizationInvitation({ organizationId: team.id, emailAddress: 'guest@example.com', role: 'org:writer' });
        await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: writer.id, key: 'org:author' });
      });
      await inOrder(deliveries);
      expect((await control.exportMemberships()).map(([, , , key]) => key).sort()).toEqual(['org:admin', 'org:author']);
      expect((await prisma().membership.findMany({ select: { role: true } })).map((m) => m.role).sort()).toEqual(['org:admin', 'org:author']);
      expect(await prisma().invitation.findMany({ select: { role: true } })).toEqual([{ role: 'org:author' }]);
    });

    // clerk_move_role_key moves every membership and invitation holding the key a role gives up, whatever
    // their versions: one made after the key changed hands, naming it as the role that took it, whose event
    // lands before the rename's, is moved too (found by the property above with Billing's extra deliveries
    // shifting the order). The property names no key a role gave up in later memberships or invitations.
    it.fails('a key another role gave up: an invitation made after the swap keeps the role that took it, whatever the order', async () => {
      const deliveries = await eventsOf(async () => {
        const admin = await control.createUser({ email: 'admin@example.com' });
        const team = await clerk.organizations.createOrganization({ name: 'Team', slug: 'team', createdBy: admin.id });
        const writer = await clerk.organizationRoles.createOrganizationRole({ name: 'Writer', key: 'org:writer' });
        const reviewer = await clerk.organizationRoles.createOrganizationRole({ name: 'Reviewer', key: 'org:reviewer' });
        await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: writer.id, key: 'org:author' });
        await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: reviewer.id, key: 'org:writer' });
        await clerk.organizations.createOrganizationInvitation({ organizationId: team.id, emailAddress: 'guest@example.com', role: 'org:writer' });
      });
      // The invitation first, then the renames.
      const invited = deliveries.filter((d) => d.type === 'organizationInvitation.created');
      await inOrder([...invited, ...deliveries.filter((d) => d.type !== 'organizationInvitation.created')]);
      expect((await control.exportInvitations()).map(([, , , key]) => key)).toEqual(['org:writer']);
      expect(await prisma().invitation.findMany({ select: { role: true } })).toEqual([{ role: 'org:writer' }]);
    });

    // clerk_apply_user_deletion erases the address of the pending invitations it finds to the user's
    // address (docs/decisions/022), but an invitation whose event lands after the user's deletion keeps
    // it: the tombstone has no address to match it by. So the same history ends with the address or
    // without it, by the order of two deliveries. The property accepts either for such invitations
    // (`eitherErasedOr`).
    it.fails("an invitee's account deleted: their pending invitation ends the same in either order of the two events", async () => {
      const ends: (string | null)[] = [];
      for (const deletionFirst of [false, true]) {
        const deliveries = await eventsOf(async () => {
          const admin = await control.createUser({ email: 'admin@example.com' });
          const invitee = await control.createUser({ email: 'invitee@example.com' });
          const team = await clerk.organizations.createOrganization({ name: 'Team', slug: 'team', createdBy: admin.id });
          await clerk.organizations.createOrganizationInvitation({ organizationId: team.id, emailAddress: 'invitee@example.com', role: 'org:member' });
          await clerk.users.deleteUser(invitee.id);
        });
        const [invited, deleted] = [deliveries.findIndex((d) => d.type === 'organizationInvitation.created'), deliveries.findIndex((d) => d.type === 'user.deleted')];
        const rest = deliveries.filter((_, i) => i !== invited && i !== deleted);
        await inOrder([...rest, ...(deletionFirst ? [deliveries[deleted]!, deliveries[invited]!] : [deliveries[invited]!, deliveries[deleted]!])]);
        const [row] = await prisma().invitation.findMany({ select: { status: true, email: true } });
        expect(row?.status).toBe('pending');
        ends.push(row!.email);
      }
      expect(ends[1]).toBe(ends[0]);
    });
  });
});

