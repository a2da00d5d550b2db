/**
 * The webhook endpoint when a membership names a user we do not hold, so
 * that the sync must ask the Backend API for them (docs/decisions/012), in
 * this process, where mutation testing reaches it: Clerk not answering, and
 * keys that read another instance than the delivery's (docs/decisions/014).
 * The same over HTTP, with two emulators: clerk-instance-guard.test.ts.
 */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { afterEach, describe, expect, it } from 'vitest';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { memoryLogger } from '../helpers/memory-logger';
import { membershipDelivery, newClerkOrganization, newMembership } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { type Delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

interface LogLine {
  level: number;
  msg: string;
  component: string;
  svixId: string | null;
  type: string | null;
  clerkUserId: string | null;
  clerkObjectId?: string;
  outcome: string;
  status: number;
  ms: number;
  reason?: string;
  keysInstanceId?: string;
  deliveryInstanceId?: string | null;
  dataInstanceId?: string | null;
  err?: { type?: string; message?: string };
}

const clerk = emulatorAsAppsClerk();
const log = memoryLogger<LogLine>();
const app = globalThis as unknown as { clerkClient?: ClerkClient };

const handle = (d: Delivery) =>
  handleClerkWebhookRequest(new Request('http://localhost/api/webhooks/clerk', { method: 'POST', headers: signedHeaders(d), body: d.body }), { signingSecret: TEST_SIGNING_SECRET });

/** A membership of a new organization for a user only Clerk could know, from instance `instanceId`. */
function membershipOfAStranger(instanceId: string) {
  const user = newClerkUser();
  const organization = newClerkOrganization();
  const membership = newMembership(organization, user);
  return { user, membership, delivery: membershipDelivery('organizationMembership.created', membership, membership.updated_at, instanceId) };
}

/** Nothing of the delivery in our tables but its failure in the ledger. */
async function expectOnlyTheFailureRecorded(d: Delivery, clerkUserId: string) {
  expect(await prisma().user.count({ where: { clerkId: clerkUserId } })).toBe(0);
  expect(await prisma().membership.count()).toBe(0);
  expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null, clerkUserId });
}

afterEach(async () => {
  await prisma().clerkInstance.deleteMany();
});

describe('a membership whose user must be fetched from Clerk', () => {
  it('answers 503 with Retry-After: 5 when Clerk does not answer, logged as an error, the delivery failed for replay', async () => {
    const own = app.clerkClient;
    // The app's client, pointed at a port where nothing listens.
    app.clerkClient = createClerkClient({ secretKey: clerk.emulator.keys.secretKey, apiUrl: 'http://127.0.0.1:1' });
    try {
      const { user, membership, delivery } = membershipOfAStranger(clerk.emulator.instanceId);
      const started = performance.now();
      const response = await handle(delivery);
      const took = performance.now() - started;
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toEqual({ error: 'Clerk unavailable, retry later' });
      expect(log.lines()).toEqual([
        expect.objectContaining({
          level: 50,
          msg: 'webhook delivery failed',
          svixId: delivery.svixId,
          type: 'organizationMembership.created',
          outcome: 'failed',
          status: 503,
          err: expect.objectContaining({ message: expect.any(String) }),
        }),
      ]);
      expect(log.lines()[0]).not.toHaveProperty('reason');
      // How long the delivery took, as the log line says it.
      expect(log.lines()[0]!.ms).toBeGreaterThanOrEqual(0);
      expect(log.lines()[0]!.ms).toBeLessThanOrEqual(Math.ceil(took));
      expect(membership.public_user_data.user_id).toBe(user.id);
      await expectOnlyTheFailureRecorded(delivery, user.id);
    } finally {
      app.clerkClient = own;
    }
  });

  it('answers 503 with Retry-After: 300 when the keys read another instance than the delivery came from, naming the three instances, and tombstones no one', async () => {
    const { user, delivery } = membershipOfAStranger('ins_elsewhere');
    const response = await handle(delivery);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('300');
    expect(await response.json()).toEqual({ error: 'Clerk instance mismatch: see the logs' });
    expect(log.lines()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: expect.stringMatching(new RegExp(`^Clerk instance mismatch: CLERK_SECRET_KEY reads instance ${clerk.emulator.instanceId}, but this delivery came from instance ins_elsewhere and this database follows instance ins_elsewhere\\. Refusing to tombstone Clerk user ${user.id} `)),
        svixId: delivery.svixId,
        type: 'organizationMembership.created',
        outcome: 'failed',
        status: 503,
        reason: 'clerk-instance-mismatch',
        keysInstanceId: clerk.emulator.instanceId,
        deliveryInstanceId: 'ins_elsewhere',
        dataInstanceId: 'ins_elsewhere',
      }),
    ]);
    await expectOnlyTheFailureRecorded(delivery, user.id);
    expect(await prisma().deletedClerkUser.count()).toBe(0);
  });

  it('with the delivery, our data and the keys of one instance, takes Clerk\'s 404 as the user deleted: 200, and the membership not applied', async () => {
    const { user, delivery } = membershipOfAStranger(clerk.emulator.instanceId);
    const response = await handle(delivery);
    expect(response.status).toBe(200);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 30, msg: 'webhook delivery', svixId: delivery.svixId, clerkUserId: user.id, status: 200 })]);
    expect(await prisma().deletedClerkUser.count({ where: { clerkId: user.id } })).toBe(1);
    expect(await prisma().membership.count()).toBe(0);
  });
});
