/**
 * `npm run test:chaos [-- --full] [-- --pgbouncer] [-- --seed=N]`: two app instances (`next
 * start` on two ports) share one PostgreSQL; the Clerk emulator sends them
 * thousands of events round-robin (users, organizations and memberships:
 * members added, promoted, removed, organizations renamed and deleted;
 * invitations sent, revoked, accepted by signing up with their ticket, or
 * left to expire on the emulator's clock; custom roles and permissions made,
 * re-keyed, granted, taken away and deleted; Clerk Billing: organizations
 * checking Pro out monthly or annually, canceling at the period's end or
 * now, resubscribing, payments made to fail and paid, then a month on the
 * clock for renewals, past due and period ends, and paying organizations
 * deleted), with duplicates, reordering and drops, while the database is
 * restarted in the middle. Dropped and failed
 * deliveries are redelivered at the end, as Svix's recovery would. With
 * --pgbouncer the apps reach the database through a real PgBouncer in
 * transaction mode, as most production apps do. The database stays down until
 * the outage has refused deliveries (and, through PgBouncer, until its 08P01
 * has reached an app), so that no run passes without meeting one. The run
 * passes when our users, organizations, memberships, invitations, roles,
 * permissions, and live organizations' subscriptions and items equal the
 * emulator's truth (a deleted organization's are gone), every
 * `paymentAttempt.*` is recorded as ignored, no invitation Clerk revoked or let
 * expire became a member, the outage refused deliveries (503, never 500) and only while it
 * lasted, with --pgbouncer PgBouncer's 08P01 reached the apps, and every
 * refused delivery, by svix-id, was processed afterwards; it prints how many
 * 5xx it saw, why, and for how long.
 */
import { parseArgs } from 'node:util';
import { createClerkClient, type UserJSON } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import pg from 'pg';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { startApp } from '../helpers/app';
import type { Subscription } from '../../tools/clerk-emulator/src/contract/schemas';
import { EmulatorControl } from '../helpers/emulator-control';
import { startOwnDatabase } from '../helpers/own-database';
import { startPgBouncer } from '../helpers/pgbouncer';
import { ensureProductionBuild } from '../setup/production-build';

const { values } = parseArgs({
  options: { full: { type: 'boolean', default: false }, pgbouncer: { type: 'boolean', default: false }, seed: { type: 'string', default: '42' } },
});
const SIZE = values.full
  ? { users: 1_500, updates: 3_000, deletes: 300, organizations: 150, invitations: 900, roleChanges: 150, billingChanges: 1_000 }
  : { users: 150, updates: 300, deletes: 30, organizations: 15, invitations: 90, roleChanges: 40, billingChanges: 100 };
const DAY = 86_400_000;
/** Keys custom roles and permissions are made with or moved to: few, so that they change hands. */
const ROLE_KEYS = ['org:writer', 'org:viewer', 'org:auditor', 'org:editor'];
const PERMISSION_KEYS = ['org:docs:read', 'org:docs:write', 'org:docs:share', 'org:posts:delete'];
const CONCURRENCY = 16;
/** The whole run, start to verdict: a stuck run fails instead of hanging CI. */
const DEADLINE_MS = values.full ? 20 * 60_000 : 5 * 60_000;
/** After the database is back: the pooler's login retry and in-flight retries may still see it down this long. */
const OUTAGE_GRACE_MS = 5_000;
/** The database stays down at least this long, and until the outage has refused deliveries (at most OUTAGE_MAX_MS). */
const OUTAGE_MIN_MS = 2_000;
const OUTAGE_MAX_MS = 30_000;
/** What PgBouncer answers while the database is down (FACTS.md), as the app logs it. */
const PGBOUNCER_LOGIN_FAILING = 'Code: `08P01`. Message: `server login has been failing, try again later (server_login_retry)`';

let seed = Number(values.seed);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
const shuffled = <T>(items: T[]): T[] => items.map((item) => ({ item, key: random() })).sort((a, b) => a.key - b.key).map(({ item }) => item);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

ensureProductionBuild();
const started = Date.now();
const deadline = setTimeout(() => {
  console.log(`chaos: FAIL, not finished within ${DEADLINE_MS / 1000} s`);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();
const database = await startOwnDatabase('clerk-prisma-chaos-');
const pooler = values.pgbouncer ? await startPgBouncer(database.url()) : null;
const appDatabaseUrl = pooler ? pooler.url(database.url()) : database.url();

const [portA, portB] = [await freePort(), await freePort()];
const appUrlA = `http://localhost:${portA}`;
const appUrlB = `http://localhost:${portB}`;
const emulator = await startEmulatorProcess({
  port: 0,
  dataDir: null,
  appUrl: appUrlA,
  webhookUrl: `${appUrlA}/api/webhooks/clerk,${appUrlB}/api/webhooks/clerk`,
  tokenTtlSeconds: 300,
  webhookRetryBaseMs: 100,
  allowPersonalAccounts: true,
  output: 'pipe',
});
const env = { ...emulator.appEnv, DATABASE_URL: appDatabaseUrl, LOG_LEVEL: 'warn' };
const apps = await Promise.all([startApp(env, { port: portA }), startApp({ ...env, APP_URL: appUrlB }, { port: portB })]);
const emulatorControl = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
const control = (method: string, route: string, body?: unknown) => emulatorControl.request<Record<string, unknown>>(method, route, body);

let exitCode = 1;
try {
  await control('PUT', '/_control/webhooks', { duplicates: 1, reorder: true, delayMs: 300, dropRate: 0.05, maxAttempts: 12, seed: Number(values.seed) });
  const clerk = createClerkClient({ secretKey: emulator.secretKey, apiUrl: emulator.url });
  console.log(
    `chaos: ${SIZE.users} users, ${SIZE.organizations} organizations, ${SIZE.updates} changes, ${SIZE.invitations} invitation and ${SIZE.roleChanges} role changes, ${SIZE.deletes} user deletions; 2 app instances${pooler ? ' through PgBouncer (transaction mode)' : ''}; duplicates, reordering, 5% drops; seed ${values.seed}`,
  );

  const users: UserJSON[] = [];
  await inBatches(Array.from({ length: SIZE.users }, (_, i) => i), CONCURRENCY, async (i) => {
    const user = await clerk.users.createUser({ emailAddress: [`chaos-${i}@example.test`], firstName: `User`, lastName: `${i}` });
    users.push(user.raw!);
  });

  // A tenth of the changes move a user's email: a new primary address (one another user gave up, when
  // there is one), then the old address deleted and so freed for someone else.
  const primary = new Map(users.map((user) => [user.id, user.primary_email_address_id!]));
  const freed: string[] = [];
  let refused = 0;
  let n = 0;
  const organizations: string[] = [];
  await inBatches(Array.from({ length: SIZE.organizations }, (_, i) => i), CONCURRENCY, async (i) => {
    const organization = await clerk.organizations.createOrganization({ name: `Team ${i}`, slug: `chaos-team-${i}`, createdBy: pick(users).id });
    organizations.push(organization.id);
  });
  /** A member added, promoted or demoted, removed, or the organization renamed. */
  const organizationChange = async (i: number) => {
    const organizationId = pick(organizations);
    const userId = pick(users).id;
    const role = random() < 0.3 ? 'org:admin' : 'org:member';
    const r = random();
    if (r < 0.45) await clerk.organizations.createOrganizationMembership({ organizationId, userId, role });
    else if (r < 0.7) await clerk.organizations.updateOrganizationMembership({ organizationId, userId, role });
    else if (r < 0.9) await clerk.organizations.deleteOrganizationMembership({ organizationId, userId });
    else await clerk.organizations.updateOrganization(organizationId, { name: `Team renamed ${i}` });
  };

  // The instance's roles exist before any event (Clerk's defaults): the app learns them from the Backend
  // API, as its first page of a space would on a fresh database (docs/decisions/022).
  process.env.DATABASE_URL = database.url();
  const { syncRolesFromClerk } = await import('@/modules/clerk-sync/src/objects/role-sync.service');
  const { disconnectPrisma } = await import('@/modules/cores/db/prisma');
  await syncRolesFromClerk(clerk);
  await disconnectPrisma();

  // Custom roles and permissions: the instance's editor and posts permission, and some made now. Their keys
  // move among a few (so that one a role gave up is soon another's), but no membership or invitation ever
  // holds them: Clerk re-keys those without an event, which the sync does not follow yet (see
  // tests/integration/organization-sync.property.test.ts, 'known gaps of the sync').
  const roles = (await clerk.organizationRoles.getOrganizationRoleList({ limit: 100 })).data.filter((role) => role.key === 'org:editor').map(({ id, key }) => ({ id, key }));
  const permissions = (await clerk.organizationPermissions.getOrganizationPermissionList({ limit: 100 })).data
    .filter((permission) => permission.key === 'org:posts:delete')
    .map(({ id, key }) => ({ id, key }));
  for (const key of PERMISSION_KEYS.slice(0, 2)) {
    const made = await clerk.organizationPermissions.createOrganizationPermission({ name: key, key });
    permissions.push({ id: made.id, key: made.key });
  }
  for (const key of ROLE_KEYS.slice(0, 2)) {
    const made = await clerk.organizationRoles.createOrganizationRole({ name: key, key, permissions: [pick(permissions).id] });
    roles.push({ id: made.id, key: made.key });
  }
  /** A permission granted or taken away, a role or permission made, renamed, re-keyed or deleted. */
  const roleChange = async (i: number) => {
    const r = random();
    const role = roles.length > 0 ? pick(roles) : undefined;
    const permission = permissions.length > 0 ? pick(permissions) : undefined;
    if (r < 0.2 && role && permission) await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role.id, permissionId: permission.id });
    else if (r < 0.35 && role && permission) await clerk.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: role.id, permissionId: permission.id });
    else if (r < 0.5 && role) {
      const key = pick(ROLE_KEYS);
      await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: role.id, key, name: `Role ${i}` });
      role.key = key;
    } else if (r < 0.65 && permission) {
      const key = pick(PERMISSION_KEYS);
      await clerk.organizationPermissions.updateOrganizationPermission({ permissionId: permission.id, key });
      permission.key = key;
    } else if (r < 0.75) {
      const made = await clerk.organizationPermissions.createOrganizationPermission({ name: `Permission ${i}`, key: pick(PERMISSION_KEYS) });
      permissions.push({ id: made.id, key: made.key });
    } else if (r < 0.85) {
      const made = await clerk.organizationRoles.createOrganizationRole({ name: `Role ${i}`, key: pick(ROLE_KEYS), permissions: permission ? [permission.id] : [] });
      roles.push({ id: made.id, key: made.key });
    } else if (r < 0.93 && role) {
      await clerk.organizationRoles.deleteOrganizationRole(role.id);
      roles.splice(roles.indexOf(role), 1);
    } else if (permission) {
      await clerk.organizationPermissions.deleteOrganizationPermission(permission.id);
      permissions.splice(permissions.indexOf(permission), 1);
    }
  };

  // Invitations go to new addresses: only accepting one (signing up with its ticket) makes its user.
  const invitations: { id: string; organizationId: string; email: string; ticket: string }[] = [];
  let acceptances = 0;
  let refusedAcceptances = 0;
  /** An invitation sent (for a day or a month), revoked, or accepted on the account portal, whatever its status. */
  const invitationChange = async (i: number) => {
    const r = random();
    if (r < 0.5 || invitations.length === 0) {
      const email = `chaos-invitee-${i}@example.test`;
      const made = await clerk.organizations.createOrganizationInvitation({
        organizationId: pick(organizations),
        emailAddress: email,
        role: random() < 0.3 ? 'org:admin' : 'org:member',
        // A day, or three months: long enough to outlast the month the clock moves on for billing (below).
        expiresInDays: random() < 0.4 ? 1 : 90,
      });
      invitations.push({ id: made.id, organizationId: made.organizationId, email, ticket: new URL(made.url!).searchParams.get('ticket')! });
    } else if (r < 0.7) {
      const invitation = pick(invitations);
      await clerk.organizations.revokeOrganizationInvitation({ organizationId: invitation.organizationId, invitationId: invitation.id });
    } else {
      const response = await fetch(`${emulator.url}/sign-up`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: emulator.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ __clerk_ticket: pick(invitations).ticket, first_name: 'Invitee', redirect_url: `${appUrlA}/` }).toString(),
      });
      await response.text();
      if (response.status >= 500) throw new Error(`sign-up with a ticket: ${response.status}`);
      if (response.status === 303) acceptances++;
      else refusedAcceptances++;
    }
  };
  // Clerk Billing: organizations check Pro out (monthly or annual; a payment made to fail first leaves
  // the checkout incomplete, or the next renewal past due), cancel it at the period's end or now,
  // resubscribe, and pay what is past due. The clock's moves (below) bring renewals and period ends.
  const billingCounts = { subscribed: 0, canceled: 0, paid: 0, failing: 0 };
  const paidItems = async () =>
    (await emulatorControl.exportBilling()).data
      .flatMap((subscription) => subscription.subscription_items)
      .filter((item) => item.plan?.slug === 'pro' && ['active', 'canceled', 'past_due'].includes(item.status));
  const billingChange = async () => {
    const organizationId = pick(organizations);
    const r = random();
    const item = (await paidItems()).find((candidate) => candidate.payer?.organization_id === organizationId);
    if (r < 0.45 || !item) {
      if (random() < 0.15) {
        await emulatorControl.failNextPayment({ organizationId });
        billingCounts.failing++;
      }
      const { paid } = await emulatorControl.subscribe({ organizationId, plan: 'pro', period: random() < 0.7 ? 'month' : 'annual' });
      if (paid) billingCounts.subscribed++;
    } else if (r < 0.75) {
      await clerk.billing.cancelSubscriptionItem(item.id, { endNow: random() < 0.4 });
      billingCounts.canceled++;
    } else if (item.status === 'past_due') {
      await emulatorControl.pay({ organizationId });
      billingCounts.paid++;
    } else {
      await emulatorControl.failNextPayment({ organizationId });
      billingCounts.failing++;
    }
  };
  const extra = async (kind: 'invitation' | 'role' | 'billing') => {
    const i = n++;
    try {
      await (kind === 'invitation' ? invitationChange(i) : kind === 'role' ? roleChange(i) : billingChange());
    } catch (error) {
      // The control API refuses as Clerk would (a second paid plan, nothing past due, an organization gone): a 4xx.
      if (kind === 'billing' && error instanceof Error && / 4\d\d /.test(error.message)) {
        refused++;
        return;
      }
      // What Clerk refuses (a key taken, a permission granted twice, a system one changed, a revoked or
      // expired invitation revoked again, a role gone): so does the emulator.
      if (!isClerkAPIResponseError(error) || (error.status ?? 500) >= 500) throw error;
      refused++;
    }
  };

  const change = async (user: UserJSON) => {
    const i = n++;
    try {
      if (random() < 0.4) {
        await organizationChange(i);
      } else if (random() < 0.1) {
        const address = freed.shift() ?? `chaos-moved-${i}@example.test`;
        const old = (await clerk.users.getUser(user.id)).emailAddresses.find((email) => email.id === primary.get(user.id));
        const added = await clerk.emailAddresses.createEmailAddress({ userId: user.id, emailAddress: address, verified: true, primary: true });
        primary.set(user.id, added.id);
        if (old) {
          await clerk.emailAddresses.deleteEmailAddress(old.id);
          freed.push(old.emailAddress);
        }
      } else {
        await clerk.users.updateUser(user.id, { firstName: `Renamed${i}` });
      }
    } catch (error) {
      // Clerk refuses what two concurrent changes make impossible (an address just taken, a member
      // added twice, a membership already gone): so does the emulator.
      const status = (error as { status?: number }).status;
      if (status !== 422 && status !== 404 && status !== 400) throw error;
      refused++;
    }
  };

  // Changes, with a database restart in the middle of them; the emulator's clock moves a day on at the
  // restart and after the changes, so that invitations sent for a day expire (Clerk sends no event for it).
  const updates = shuffled([
    ...Array.from({ length: SIZE.updates }, () => pick(users)),
    ...Array.from({ length: SIZE.invitations }, () => 'invitation' as const),
    ...Array.from({ length: SIZE.roleChanges }, () => 'role' as const),
    ...Array.from({ length: SIZE.billingChanges }, () => 'billing' as const),
  ]);
  const task = (what: (typeof updates)[number]) => (typeof what === 'string' ? extra(what) : change(what));
  const half = Math.floor(updates.length / 2);
  await inBatches(updates.slice(0, half), CONCURRENCY, task);
  console.log('chaos: restarting PostgreSQL');
  const outageFrom = Date.now();
  await database.stop();
  await emulatorControl.advanceClock(DAY);
  const secondHalf = inBatches(updates.slice(half), CONCURRENCY, task);
  // Down until the outage has been met: deliveries refused (and, through the pooler, its 08P01 seen by an app).
  const outageMet = async () => {
    const { failures } = (await control('GET', '/_control/webhooks/stats')) as { failures: { at: number; status: number | 'network' }[] };
    const refused = failures.some((failure) => failure.at >= outageFrom && failure.status === 503);
    return refused && (!pooler || apps.some((app) => app.output().includes(PGBOUNCER_LOGIN_FAILING)));
  };
  await sleep(OUTAGE_MIN_MS);
  while (!(await outageMet())) {
    if (Date.now() - outageFrom > OUTAGE_MAX_MS) break;
    await sleep(100);
  }
  await database.restart();
  const outageTo = Date.now();
  console.log(`chaos: PostgreSQL back after ${outageTo - outageFrom} ms`);
  await secondHalf;
  await emulatorControl.advanceClock(DAY);
  // A month on: monthly Pro renews, or falls past due where a payment was made to fail; periods canceled
  // at their end end. Then every other past-due organization pays.
  await emulatorControl.advanceClock(32 * DAY);
  const pastDue = (await paidItems()).filter((item) => item.status === 'past_due').map((item) => item.payer!.organization_id!);
  await inBatches(pastDue.filter((_, i) => i % 2 === 0), CONCURRENCY, async (organizationId) => {
    await emulatorControl.pay({ organizationId });
    billingCounts.paid++;
  });
  console.log(
    `chaos: ${updates.length} changes, ${[...primary.values()].length} users, ${refused} refused by Clerk as conflicting; ` +
      `${invitations.length} invitations sent, ${acceptances} accepted, ${refusedAcceptances} tickets refused; ` +
      `${billingCounts.subscribed} checkouts, ${billingCounts.canceled} cancellations, ${billingCounts.failing} payments made to fail, ${pastDue.length} past due, ${billingCounts.paid} paid`,
  );

  const deleted = new Set<string>();
  for (let i = 0; i < SIZE.deletes; i++) deleted.add(pick(users).id);
  await inBatches([...deleted], CONCURRENCY, (id) => clerk.users.deleteUser(id));
  const deletedOrganizations = new Set<string>();
  for (let i = 0; i < SIZE.organizations / 5; i++) deletedOrganizations.add(pick(organizations));
  // One of them, at least, pays: its subscription ends before it goes.
  const paying = (await paidItems()).map((item) => item.payer!.organization_id!);
  if (paying.length > 0) deletedOrganizations.add(pick(paying));
  await inBatches([...deletedOrganizations], CONCURRENCY, (id) => clerk.organizations.deleteOrganization(id));

  // Let retries run out, then redeliver what was dropped or gave up.
  for (let round = 0; round < 5; round++) {
    while ((await control('GET', '/_control/webhooks/stats')).pending !== 0) await sleep(250);
    const { redelivered } = await control('POST', '/_control/webhooks/redeliver', {});
    if (redelivered === 0) break;
    console.log(`chaos: redelivering ${String(redelivered)} dropped or failed deliveries`);
  }

  // Compare with the emulator's truth.
  const truth = new Map<string, { email: string; name: string | null }>();
  for (let offset = 0; ; offset += 500) {
    const page = await clerk.users.getUserList({ limit: 500, offset, orderBy: '+created_at' });
    for (const user of page.data) {
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || null;
      truth.set(user.id, { email: user.primaryEmailAddress!.emailAddress.toLowerCase(), name });
    }
    if (page.data.length < 500) break;
  }
  const db = new pg.Client({ connectionString: database.url() });
  await db.connect();
  const rows = (await db.query<{ clerkId: string; email: string; name: string | null }>('SELECT "clerkId", email, name FROM "User"')).rows;
  const tombstones = Number((await db.query<{ count: string }>('SELECT count(*) FROM "DeletedClerkUser"')).rows[0]!.count);
  const ourOrganizations = (await db.query<{ row: string }>(`SELECT "clerkId" || ' ' || slug || ' ' || name AS row FROM "Organization"`)).rows.map((r) => r.row);
  // Clerk's expired is our pending past `expiresAt` (by the emulator's clock, which the run moved on): Clerk
  // sends no event when an invitation expires, and the app's listing hides those. Compared as the
  // webhooks left them, with no reconcile after, so that nothing rewrites a wrong webhook outcome.
  const { now: clerkNow } = await emulatorControl.clock();
  const ourInvitations = (
    await db.query<{ row: string }>(
      `SELECT "clerkId" || ' ' || "organizationClerkId" || ' ' || role || ' ' ||
         CASE WHEN status = 'pending' AND "expiresAt" <= (to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC') THEN 'pending, expired' ELSE status END || ' ' ||
         coalesce(email, 'null') AS row FROM "Invitation"`,
      [clerkNow],
    )
  ).rows.map((r) => r.row);
  // A role's permissions by their keys now (an id no permission row answers to grants nothing); a
  // placeholder key left at the end ('~' and the Clerk id) is a mismatch, as Clerk has none.
  const ourRoles = (
    await db.query<{ clerkId: string; key: string; name: string; keys: string[] }>(
      `SELECT r."clerkId", r.key, r.name, ARRAY(SELECT p.key FROM "OrganizationPermission" p WHERE p."clerkId" = ANY (r."permissionIds")) AS keys FROM "OrganizationRole" r`,
    )
  ).rows.map((r) => `${r.clerkId} ${r.key} ${r.name} [${r.keys.sort().join(' ')}]`);
  const ourPermissions = (await db.query<{ row: string }>(`SELECT "clerkId" || ' ' || key AS row FROM "OrganizationPermission"`)).rows.map((r) => r.row);
  // No invitation Clerk revoked or let expire became a member: its row names no acceptor, and its address
  // (a new one, invited once) has no user, so no membership either.
  const clerkInvitations = await emulatorControl.exportInvitations();
  const endedUnaccepted = clerkInvitations.filter(([, , , , status]) => status === 'revoked' || status === 'expired');
  const joinedAnyway = (
    await db.query<{ row: string }>(
      `SELECT i."clerkId" || ' ' || i.status || ' accepted by ' || coalesce(i."acceptedClerkUserId", '?') AS row FROM "Invitation" i
       WHERE i."clerkId" = ANY ($1) AND (i.status = 'accepted' OR i."acceptedClerkUserId" IS NOT NULL)
       UNION ALL SELECT u."clerkId" || ' holds ' || u.email FROM "User" u WHERE u.email = ANY ($2)`,
      [endedUnaccepted.map(([id]) => id), endedUnaccepted.map(([, , email]) => email)],
    )
  ).rows.map((r) => r.row);
  const ourMemberships = (
    await db.query<{ row: string }>(
      `SELECT m."clerkId" || ' ' || o."clerkId" || ' ' || u."clerkId" || ' ' || m.role AS row FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId" JOIN "User" u ON u.id = m."userId"`,
    )
  ).rows.map((r) => r.row);
  // Subscriptions and their items, of organizations not deleted (Clerk keeps a deleted one's, ended; ours go).
  const ourSubscriptions = (
    await db.query<{ row: string }>(`SELECT "clerkId" || ' ' || "payerClerkId" || ' ' || coalesce("organizationClerkId", 'null') || ' ' || status AS row FROM "BillingSubscription"`)
  ).rows.map((r) => r.row);
  const ourSubscriptionItems = (
    await db.query<{ row: string }>(
      `SELECT "clerkId" || ' ' || coalesce("subscriptionClerkId", 'null') || ' ' || coalesce("organizationClerkId", 'null') || ' ' || status || ' ' ||
         coalesce("planClerkId", 'null') || ' ' || coalesce(round(extract(epoch FROM "periodEnd") * 1000)::bigint::text, 'no end') AS row FROM "BillingSubscriptionItem"`,
    )
  ).rows.map((r) => r.row);
  const liveOrganizations = new Set((await emulatorControl.exportOrganizations()).map(([id]) => id));
  const payerOf = (subscription: Subscription) =>
    subscription.subscription_items.find((item) => item.payer)?.payer?.organization_id ?? null;
  const clerkBilling = (await emulatorControl.exportBilling()).data;
  const clerkSubscriptions = clerkBilling.filter((subscription) => liveOrganizations.has(payerOf(subscription) ?? ''));
  // Every delivery the emulator made is in the ledger, processed: none left processing or failed.
  const sent = await emulatorControl.deliveries();
  const sentIds = sent.map((d) => d.id);
  const paymentAttemptIds = new Set(sent.filter((d) => d.type.startsWith('paymentAttempt.')).map((d) => d.id));
  const billingDeliveries = sent.filter((d) => d.type.startsWith('subscription')).length;
  const ledger = await db.query<{ svixId: string; outcome: string; processed: boolean }>(
    'SELECT "svixId", outcome, "processedAt" IS NOT NULL AS processed FROM "WebhookDelivery" WHERE "svixId" = ANY($1)',
    [sentIds],
  );
  await db.end();
  const unprocessed = ledger.rows.filter((row) => !row.processed).map((row) => `${row.svixId} (${row.outcome})`);
  // Payment attempts are recorded as ignored: no payment data is kept.
  const paymentsNotIgnored = ledger.rows.filter((row) => paymentAttemptIds.has(row.svixId) && row.outcome !== 'ignored').map((row) => `${row.svixId} (${row.outcome})`);
  const missingFromLedger = sentIds.length - ledger.rows.length;

  const mismatches: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    seen.add(row.clerkId);
    const expected = truth.get(row.clerkId);
    if (!expected) mismatches.push(`${row.clerkId}: in our table, not in Clerk`);
    else if (expected.email !== row.email || expected.name !== row.name) mismatches.push(`${row.clerkId}: ${JSON.stringify(row)} != ${JSON.stringify(expected)}`);
  }
  for (const id of truth.keys()) if (!seen.has(id)) mismatches.push(`${id}: in Clerk, missing from our table`);
  const sameRows = (what: string, ours: string[], clerks: string[]) => {
    const theirs = new Set(clerks);
    const mine = new Set(ours);
    for (const row of ours) if (!theirs.has(row)) mismatches.push(`${what} ${row}: ours, not Clerk's`);
    for (const row of clerks) if (!mine.has(row)) mismatches.push(`${what} ${row}: Clerk's, not ours`);
  };
  const [clerkOrganizations, clerkMemberships, clerkRoles, clerkPermissions] = await Promise.all([
    emulatorControl.exportOrganizations(),
    emulatorControl.exportMemberships(),
    emulatorControl.exportRoles(),
    emulatorControl.exportPermissions(),
  ]);
  sameRows('organization', ourOrganizations, clerkOrganizations.map(([id, slug, name]) => `${id} ${slug} ${name}`));
  sameRows('membership', ourMemberships, clerkMemberships.map(([id, organizationId, userId, role]) => `${id} ${organizationId} ${userId} ${role}`));
  sameRows(
    'invitation',
    ourInvitations,
    clerkInvitations.map(([id, organizationId, email, role, status]) => {
      const shown = status === 'expired' ? 'pending, expired' : status;
      return `${id} ${organizationId} ${role} ${shown} ${shown.startsWith('pending') ? email : null}`;
    }),
  );
  sameRows('role', ourRoles, clerkRoles.map(([id, key, name, keys]) => `${id} ${key} ${name} [${keys.join(' ')}]`));
  sameRows('permission', ourPermissions, clerkPermissions.map(([id, key]) => `${id} ${key}`));
  sameRows('subscription', ourSubscriptions, clerkSubscriptions.map((s) => `${s.id} ${s.payer_id} ${payerOf(s)} ${s.status}`));
  sameRows(
    'subscription item',
    ourSubscriptionItems,
    clerkSubscriptions.flatMap((s) => s.subscription_items.map((i) => `${i.id} ${s.id} ${i.payer?.organization_id} ${i.status} ${i.plan_id} ${i.period_end ?? 'no end'}`)),
  );
  for (const row of paymentsNotIgnored) mismatches.push(`payment attempt delivery not recorded as ignored: ${row}`);
  for (const row of joinedAnyway) mismatches.push(`invitation revoked or expired, yet joined: ${row}`);
  const byStatus = new Map<string, number>();
  for (const [, , , , status] of clerkInvitations) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  const invitationsByStatus = [...byStatus].map(([status, count]) => `${count} ${status}`);

  const stats = await control('GET', '/_control/webhooks/stats');
  const responses = stats.responses as Record<string, number>;
  const errors = Object.entries(responses).filter(([status]) => status === 'network' || Number(status) >= 500).reduce((sum, [, count]) => sum + count, 0);
  const window = stats.first5xxAt && stats.last5xxAt ? `${((Number(stats.last5xxAt) - Number(stats.first5xxAt)) / 1000).toFixed(1)} s` : 'none';
  console.log(`chaos: deliveries by status ${JSON.stringify(stats.byStatus)}; HTTP answers ${JSON.stringify(responses)}`);
  console.log(`chaos: ${errors} 5xx or failed connections, over ${window} (the database restart)`);
  const reasons = new Map<string, number>();
  let pgbouncerRefusals = 0;
  for (const app of apps) {
    for (const line of app.output().split('\n')) {
      if (!line.startsWith('{') || !line.includes('"status":5')) continue;
      const entry = JSON.parse(line) as { status: number; err?: { message?: string; code?: string; type?: string } };
      // Prisma's messages start with a blank line and the call that failed: the cause is the last line that says something.
      const said = (entry.err?.message ?? '').split('\n').map((part) => part.trim()).filter(Boolean).pop();
      const reason = `${entry.status} ${(said ?? entry.err?.code ?? entry.err?.type ?? 'no error logged').slice(0, 120)}`;
      if (entry.status === 503 && (entry.err?.message ?? '').includes(PGBOUNCER_LOGIN_FAILING)) pgbouncerRefusals++;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  for (const [reason, count] of reasons) console.log(`  ${count} × ${reason}`);
  console.log(`chaos: ${clerkOrganizations.length} organizations and ${clerkMemberships.length} memberships in Clerk, ${ourOrganizations.length} and ${ourMemberships.length} rows`);
  console.log(
    `chaos: ${clerkInvitations.length} invitations in Clerk (${invitationsByStatus.join(', ')}), ${ourInvitations.length} rows; ` +
      `${clerkRoles.length} roles and ${clerkPermissions.length} permissions, ${ourRoles.length} and ${ourPermissions.length} rows`,
  );
  const itemsByStatus = new Map<string, number>();
  for (const item of clerkSubscriptions.flatMap((s) => s.subscription_items)) itemsByStatus.set(item.status, (itemsByStatus.get(item.status) ?? 0) + 1);
  console.log(
    `chaos: ${clerkSubscriptions.length} subscriptions of live organizations in Clerk (${clerkBilling.length - clerkSubscriptions.length} of deleted ones), ` +
      `items ${[...itemsByStatus].map(([status, count]) => `${count} ${status}`).join(', ')}; ${ourSubscriptions.length} and ${ourSubscriptionItems.length} rows; ` +
      `${billingDeliveries} subscription deliveries, ${paymentAttemptIds.size} payment attempts`,
  );
  console.log(`chaos: ${truth.size} live users in Clerk, ${rows.length} rows, ${tombstones} tombstones, ${mismatches.length} mismatches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const mismatch of mismatches.slice(0, 20)) console.log(`  ${mismatch}`);
  const internalErrors = responses['500'] ?? 0;
  if (internalErrors > 0) console.log(`chaos: ${internalErrors} deliveries answered 500: an outage must be a 503`);
  // A 5xx is an outage only while there is one, and the outage must have refused deliveries.
  const failures = stats.failures as { at: number; status: number | 'network'; svixId: string }[];
  const outside = failures.filter((failure) => failure.at < outageFrom || failure.at > outageTo + OUTAGE_GRACE_MS);
  if (outside.length > 0) console.log(`chaos: ${outside.length} 5xx outside the outage: ${JSON.stringify(outside.slice(0, 5))}`);
  const duringOutage = failures.filter((failure) => failure.at >= outageFrom && failure.at <= outageTo + OUTAGE_GRACE_MS);
  const refusedIds = new Set(duringOutage.map((failure) => failure.svixId));
  const answered503 = duringOutage.filter((failure) => failure.status === 503).length;
  console.log(`chaos: the outage refused ${refusedIds.size} deliveries (${answered503} answers 503)${pooler ? `, ${pgbouncerRefusals} of them with PgBouncer's 08P01` : ''}`);
  if (answered503 === 0) console.log('chaos: the outage refused no delivery with a 503: the run proved nothing about it');
  if (pooler && pgbouncerRefusals === 0) console.log('chaos: no 08P01 from PgBouncer reached the apps');
  // Every refused delivery was processed afterwards (Svix's retries, or the redelivery of those that gave up).
  const processedIds = new Set(ledger.rows.filter((row) => row.processed).map((row) => row.svixId));
  const refusedUnprocessed = [...refusedIds].filter((id) => !processedIds.has(id));
  if (refusedUnprocessed.length > 0) console.log(`chaos: ${refusedUnprocessed.length} refused deliveries never processed: ${refusedUnprocessed.slice(0, 10).join(', ')}`);
  if (unprocessed.length > 0) console.log(`chaos: ${unprocessed.length} deliveries left unprocessed: ${unprocessed.slice(0, 10).join(', ')}`);
  if (missingFromLedger > 0) console.log(`chaos: ${missingFromLedger} deliveries never reached the ledger`);
  const ok =
    mismatches.length === 0 &&
    tombstones === deleted.size &&
    internalErrors === 0 &&
    outside.length === 0 &&
    unprocessed.length === 0 &&
    missingFromLedger === 0 &&
    answered503 > 0 &&
    (!pooler || pgbouncerRefusals > 0) &&
    refusedUnprocessed.length === 0;
  exitCode = ok ? 0 : 1;
  console.log(exitCode === 0 ? 'chaos: PASS, final state equals Clerk\'s truth' : 'chaos: FAIL');
} finally {
  await Promise.all(apps.map((app) => app.stop()));
  await emulator.stop();
  await pooler?.stop();
  await database.remove();
}
process.exit(exitCode);
