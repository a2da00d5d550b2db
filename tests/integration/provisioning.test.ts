/**
 * Users fetched from the Backend API because we do not hold them yet
 * (docs/decisions/012), in this process, where mutation testing reaches
 * the code: just-in-time provisioning, a membership delivery or a Backend
 * API membership naming a user we lack, a forced replay, two copies of a
 * delivery racing through it, and a user the database will not keep (a
 * trigger removes the row as it is written) answered with a failure instead
 * of a loop. Also what the delivery ledger keeps of a delivery.
 */
import type { UserJSON } from '@clerk/backend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instanceOfStoredPayload, processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { syncMembershipFromClerk } from '@/modules/clerk-sync/src/objects/organization-sync.service';
import { provisionUserFromClerk, syncUserDeletion } from '@/modules/clerk-sync/src/objects/user-sync.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { memoryLogger } from '../helpers/memory-logger';
import { membershipDelivery, newClerkOrganization, newMembership } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const clerk = emulatorAsAppsClerk();
// The app's logger, to memory: the endpoint's failures log errors, which would fail the test otherwise.
memoryLogger();

const verified = (d: Delivery) => verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);
const handle = (d: Delivery) =>
  handleClerkWebhookRequest(new Request('http://localhost/api/webhooks/clerk', { method: 'POST', headers: signedHeaders(d), body: d.body }), { signingSecret: TEST_SIGNING_SECRET });
const ledger = (svixId: string) => prisma().webhookDelivery.findUnique({ where: { svixId } });

beforeEach(async () => {
  await prisma().$executeRawUnsafe('TRUNCATE "User", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery", "ClerkInstance" CASCADE');
});

/** A user Clerk holds and we do not, and a membership of theirs in a new organization, from the emulator's instance. */
async function membershipOfClerksUser(): Promise<{ user: UserJSON; membership: ReturnType<typeof newMembership>; delivery: Delivery }> {
  const user = await clerk.control.createUser({ email: `member-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`, firstName: 'Member' });
  const membership = newMembership(newClerkOrganization(), user);
  return { user, membership, delivery: membershipDelivery('organizationMembership.created', membership, membership.updated_at, clerk.emulator.instanceId) };
}

describe('just-in-time provisioning', () => {
  it('stores a user Clerk holds and answers the row; answers null, writing nothing, for one Clerk does not know or we deleted', async () => {
    const user = await clerk.control.createUser({ email: 'late@example.com', firstName: 'Late', lastName: 'Comer' });
    expect(await provisionUserFromClerk(user.id)).toMatchObject({ clerkId: user.id, email: 'late@example.com', name: 'Late Comer' });
    expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(1);

    expect(await provisionUserFromClerk('user_nobody')).toBeNull();
    expect(await prisma().deletedClerkUser.count()).toBe(0);

    const deleted = await clerk.control.createUser({ email: 'deleted@example.com' });
    await syncUserDeletion(deleted.id, new Date());
    expect(await provisionUserFromClerk(deleted.id)).toBeNull();
    expect(await prisma().user.count({ where: { clerkId: deleted.id } })).toBe(0);
  });
});

describe('a membership naming a user we do not hold', () => {
  it('on a forced replay of a delivery processed before, is applied once the user is fetched, still forced', async () => {
    const { user, delivery: d } = await membershipOfClerksUser();
    await prisma().webhookDelivery.create({ data: { svixId: d.svixId, type: 'organizationMembership.created', receivedAt: new Date(), processedAt: new Date(), outcome: 'applied' } });
    expect(await processClerkWebhook(verified(d))).toMatchObject({ outcome: 'duplicate' });
    expect(await processClerkWebhook(verified(d), { force: true })).toMatchObject({ outcome: 'applied', clerkUserId: user.id });
    expect(await prisma().membership.count({ where: { user: { clerkId: user.id } } })).toBe(1);
  });

  it('in two copies at once, both fetching the user, is applied by one and a duplicate for the other', async () => {
    const { user, delivery: d } = await membershipOfClerksUser();
    // Both copies are past their first attempt before either has the user.
    await clerk.control.backendApiLatency(300);
    const answers = await Promise.all([handle(d), handle(d)]);
    const outcomes = await Promise.all(answers.map(async (response) => ((await response.json()) as { outcome: string }).outcome));
    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    expect((await clerk.control.backendApiCalls()).byRoute['GET /v1/users/:id']).toBe(2);
    expect(await prisma().membership.count({ where: { user: { clerkId: user.id } } })).toBe(1);
  });

  describe('when the database does not keep the user', () => {
    let vanishing: string;
    beforeEach(async () => {
      ({ id: vanishing } = await clerk.control.createUser({ email: 'vanishing@example.com' }));
      await prisma().$executeRawUnsafe(`CREATE FUNCTION test_vanish() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM "User" WHERE "id" = NEW."id"; RETURN NULL; END $$`);
      await prisma().$executeRawUnsafe(`CREATE TRIGGER test_vanish AFTER INSERT ON "User" FOR EACH ROW WHEN (NEW."clerkId" = '${vanishing}') EXECUTE FUNCTION test_vanish()`);
    });
    afterEach(async () => {
      await prisma().$executeRawUnsafe('DROP TRIGGER test_vanish ON "User"');
      await prisma().$executeRawUnsafe('DROP FUNCTION test_vanish()');
    });

    it('fails the delivery, naming the user, after one fetch: no loop', async () => {
      const membership = newMembership(newClerkOrganization(), { ...newClerkUser(), id: vanishing });
      const d = membershipDelivery('organizationMembership.created', membership, membership.updated_at, clerk.emulator.instanceId);
      await expect(processClerkWebhook(verified(d))).rejects.toThrow(new Error(`user ${vanishing} could not be provisioned`));
      expect(await ledger(d.svixId)).toMatchObject({ outcome: 'failed', processedAt: null, error: `user ${vanishing} could not be provisioned` });
      expect((await clerk.control.backendApiCalls()).byRoute['GET /v1/users/:id']).toBe(1);
    });

    it('fails a Backend API membership the same way', async () => {
      const membership = newMembership(newClerkOrganization(), { ...newClerkUser(), id: vanishing });
      await expect(syncMembershipFromClerk(membership)).rejects.toThrow(new Error(`user ${vanishing} could not be provisioned`));
      expect(await prisma().membership.count()).toBe(0);
    });
  });
});

describe('what the ledger keeps', () => {
  it('no payload for a type we ignore, even from a named instance', async () => {
    const d = rawDelivery({ type: 'email.created', object: 'event', data: { id: 'idn_1', email_address: 'someone@example.com' }, timestamp: Date.now(), instance_id: 'ins_named' });
    expect(await processClerkWebhook(verified(d))).toMatchObject({ outcome: 'ignored' });
    expect(await ledger(d.svixId)).toMatchObject({ outcome: 'ignored', payload: null });
  });

  it('the instance a stored payload came from, for replay: its instance_id when it is a string', () => {
    expect(instanceOfStoredPayload({ type: 'user.created', data: {}, instance_id: 'ins_abc' })).toBe('ins_abc');
    expect(instanceOfStoredPayload({ type: 'user.created', data: {}, instance_id: 42 })).toBeNull();
    expect(instanceOfStoredPayload({ type: 'user.created', data: {} })).toBeNull();
    expect(instanceOfStoredPayload(null)).toBeNull();
  });

  describe('of a failure with a long message', () => {
    beforeEach(async () => {
      await prisma().$executeRawUnsafe(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', repeat('refused ', 1000); END $$`);
      await prisma().$executeRawUnsafe('CREATE TRIGGER test_refuse BEFORE INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION test_refuse()');
    });
    afterEach(async () => {
      await prisma().$executeRawUnsafe('DROP TRIGGER test_refuse ON "User"');
      await prisma().$executeRawUnsafe('DROP FUNCTION test_refuse()');
    });

    it('its first 2,000 characters', async () => {
      const d = delivery('user.created', newClerkUser());
      await expect(processClerkWebhook(verified(d))).rejects.toThrow(/refused refused/);
      const row = await ledger(d.svixId);
      expect(row).toMatchObject({ outcome: 'failed', error: expect.stringContaining('refused refused') });
      expect(row!.error).toHaveLength(2000);
    });
  });
});
