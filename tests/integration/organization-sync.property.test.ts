/**
 * Any history of users, organizations and memberships that Clerk lets happen,
 * its webhooks delivered with duplicates, in any order, several at once,
 * ends in Clerk's state: users, organizations (name, slug) and memberships
 * (role) equal the emulator's own records.
 *
 * Histories are played against the emulator through the real Backend API
 * client (what Clerk refuses, like a slug another organization holds, just
 * does not happen), its signed webhooks are captured, and fast-check chooses
 * the order, the copies and how many go at once. A membership delivered
 * before its user fetches the user from the same emulator. A failure prints
 * fast-check's seed and path; pass them to `fc.assert` to replay it.
 */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl, WebhookReceiver } from '../helpers/emulator-control';
import { prisma } from '../helpers/prisma';

const USERS = 4;
const ORGS = 3;
const SLUGS = ['red', 'green', 'blue'] as const;
const ROLES = ['org:admin', 'org:member'] as const;

type Op =
  | { kind: 'renameUser'; user: number; name: number }
  | { kind: 'deleteUser'; user: number }
  | { kind: 'createOrg'; org: number; creator: number; slug: number }
  | { kind: 'renameOrg'; org: number; slug: number }
  | { kind: 'deleteOrg'; org: number }
  | { kind: 'add'; org: number; user: number; role: number }
  | { kind: 'role'; org: number; user: number; role: number }
  | { kind: 'remove'; org: number; user: number };

const user = fc.nat(USERS - 1);
const org = fc.nat(ORGS - 1);
const slug = fc.nat(SLUGS.length - 1);
const role = fc.nat(ROLES.length - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameUser' as const), user, name: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteUser' as const), user }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('createOrg' as const), org, creator: user, slug }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('renameOrg' as const), org, slug }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteOrg' as const), org }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), org, user, role }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('role' as const), org, user, role }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), org, user }) },
);

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
async function attempt(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isClerkAPIResponseError(error) || (error.status ?? 500) >= 500) throw error;
  }
}

/** Play the history against the emulator; its webhooks land in `receiver`. */
async function play(ops: Op[]): Promise<void> {
  const users: string[] = [];
  for (let i = 0; i < USERS; i++) users.push((await control.createUser({ email: `member-${i}@example.com`, firstName: `Member ${i}` })).id);
  const orgs: (string | undefined)[] = [];
  for (const o of ops) {
    const userId = 'user' in o ? users[o.user]! : '';
    const orgId = 'org' in o ? orgs[o.org] : undefined;
    switch (o.kind) {
      case 'renameUser':
        await attempt(() => clerk.users.updateUser(userId, { firstName: `Name ${o.name}` }));
        break;
      case 'deleteUser':
        await attempt(() => clerk.users.deleteUser(userId));
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
        if (orgId) await attempt(() => clerk.organizations.createOrganizationMembership({ organizationId: orgId, userId, role: ROLES[o.role]! }));
        break;
      case 'role':
        if (orgId) await attempt(() => clerk.organizations.updateOrganizationMembership({ organizationId: orgId, userId, role: ROLES[o.role]! }));
        break;
      case 'remove':
        if (orgId) await attempt(() => clerk.organizations.deleteOrganizationMembership({ organizationId: orgId, userId }));
        break;
    }
  }
  await control.settleWebhooks();
}

/** The emulator's state and ours, in one comparable shape each. */
async function clerkTruth() {
  const [users, organizations, memberships] = await Promise.all([control.exportUsers(), control.exportOrganizations(), control.exportMemberships()]);
  return {
    users: users.map(([id, email]) => `${id} ${email}`).sort(),
    organizations: organizations.map(([id, slug, name]) => `${id} ${slug} ${name}`).sort(),
    memberships: memberships.map(([id, orgId, userId, r]) => `${id} ${orgId} ${userId} ${r}`).sort(),
  };
}
async function ours() {
  const [users, organizations, memberships] = await Promise.all([
    prisma().user.findMany({ select: { clerkId: true, email: true } }),
    prisma().organization.findMany({ select: { clerkId: true, slug: true, name: true } }),
    prisma().membership.findMany({ select: { clerkId: true, role: true, organization: { select: { clerkId: true } }, user: { select: { clerkId: true } } } }),
  ]);
  return {
    users: users.map((u) => `${u.clerkId} ${u.email}`).sort(),
    organizations: organizations.map((o) => `${o.clerkId} ${o.slug} ${o.name}`).sort(),
    memberships: memberships.map((m) => `${m.clerkId} ${m.organization.clerkId} ${m.user.clerkId} ${m.role}`).sort(),
  };
}

const TABLES = '"User", "Post", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery"';

describe('users, organizations and memberships from webhooks in any order', () => {
  it('end in Clerk state, whatever the order, the copies and how many arrive at once', async () => {
    const seen = { cases: 0, organizations: 0, memberships: 0, deliveries: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 4, maxLength: 16 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
        fc.array(fc.nat(79), { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, keys, copies, atOnce) => {
          await control.reset();
          receiver.clear();
          await prisma().$executeRawUnsafe(`TRUNCATE ${TABLES} CASCADE`);
          await play(ops);
          const deliveries = receiver.received.map((received) => verifyClerkWebhook(received.body, new Headers(received.headers), emulator.keys.webhookSecret));
          const all = [...deliveries, ...copies.filter((i) => i < deliveries.length).map((i) => deliveries[i]!)];
          const order = all.map((d, i) => ({ d, key: keys[i % keys.length]! + i / 1e6 })).sort((a, b) => a.key - b.key);
          for (let i = 0; i < order.length; i += atOnce) await Promise.all(order.slice(i, i + atOnce).map(({ d }) => processClerkWebhook(d)));
          const truth = await clerkTruth();
          expect(await ours()).toEqual(truth);
          seen.organizations += truth.organizations.length;
          seen.memberships += truth.memberships.length;
          seen.deliveries += all.length;
          seen.cases++;
        },
      ),
      // No time budget: fast-check runs every case or fails (one more, if ever added, must keep this count).
      { numRuns: 30 },
    );
    expect(seen.cases).toBe(30);
    // The histories were not empty: organizations and memberships existed at the end, from many deliveries.
    expect(seen.organizations).toBeGreaterThan(20);
    expect(seen.memberships).toBeGreaterThan(20);
    expect(seen.deliveries).toBeGreaterThan(150);
  }, 240_000);
});
