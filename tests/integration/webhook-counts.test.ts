/**
 * What a webhook delivery costs the database, counted by PostgreSQL itself
 * (tests/helpers/statements.ts): one statement per delivery, whatever its
 * kind (one call of `clerk_process_delivery`, its own transaction), and a
 * duplicate is that one statement doing one indexed read and writing
 * nothing. Through the endpoint function the route calls, in this process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { FREE_ORG_PLAN, itemAt, itemDelivery, newItem, newSubscription, PRO_PLAN, subscriptionDelivery } from '../helpers/billing-events';
import { membershipDelivery, newClerkOrganization, newMembership, organizationDelivery } from '../helpers/organization-events';
import { prisma } from '../helpers/prisma';
import { listStatements, StatementCounter } from '../helpers/statements';
import { changedClerkUser, type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const counter = await StatementCounter.open();

async function deliver(d: Delivery): Promise<string> {
  const request = new Request('http://localhost/api/webhooks/clerk', { method: 'POST', headers: signedHeaders(d), body: d.body });
  const response = await handleClerkWebhookRequest(request, { signingSecret: TEST_SIGNING_SECRET });
  expect(response.status).toBe(200);
  return ((await response.json()) as { outcome: string }).outcome;
}

/** A delivery's answer and what the database received for it. */
async function counted(d: Delivery) {
  const { result: outcome, counts } = await counter!.measure(() => deliver(d));
  return { outcome, ...counts };
}

describe.runIf(counter)('statements per delivery', () => {
  beforeAll(async () => {
    // The process's first delivery also records the Clerk instance: the steady state comes after it.
    await deliver(delivery('user.created', newClerkUser()));
  });

  it('a first delivery is one statement, the sync\'s rules running inside it', async () => {
    const counts = await counted(delivery('user.created', newClerkUser()));
    // Inside: the ledger read and claim; the user's lock, tombstone, version and email checks and upsert
    // (and the statement that calls them); the outcome recorded.
    expect(counts, listStatements(counts)).toMatchObject({ outcome: 'applied', topLevel: 1, nested: 9 });
    expect(counts.walRecords).toBeGreaterThan(0);
  });

  it('a duplicate is that one statement doing one indexed read, writing nothing', async () => {
    const user = newClerkUser();
    const d = delivery('user.created', user);
    await deliver(d);
    const rows = async () => ({
      ledger: await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: d.svixId } }),
      user: await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } }),
    });
    // Read first, to compare after. This also lets PostgreSQL tidy the ledger's page (on any read it may prune
    // the row versions the first delivery left, and log that): what the duplicate writes is then its own.
    const before = await rows();
    const counts = await counted(d);
    expect(counts, listStatements(counts)).toMatchObject({ outcome: 'duplicate', topLevel: 1, nested: 1, walRecords: 0 });
    expect(counts.statements.filter((s) => !s.toplevel).map((s) => s.query)).toEqual([expect.stringMatching(/^EXISTS \(SELECT \$\d+ FROM "WebhookDelivery" WHERE "svixId" = p_svix_id/)]);
    expect(await rows()).toEqual(before);
  });

  it('every kind of delivery is one statement', async () => {
    const user = newClerkUser();
    await deliver(delivery('user.created', user));
    const organization = newClerkOrganization();
    const at = Date.now() - 60_000;
    const pro = newItem(PRO_PLAN, 'active', at);
    const subscription = newSubscription({ organizationId: organization.id }, [itemAt(newItem(FREE_ORG_PLAN, 'ended', at - 1000), 'ended', at), pro], at);
    const cases: [Delivery, string, number][] = [
      [delivery('user.updated', changedClerkUser(user, { firstName: 'Grace' }, user.updated_at + 1000)), 'applied', 9],
      [organizationDelivery('organization.created', organization), 'applied', 8],
      [membershipDelivery('organizationMembership.created', newMembership(organization, user)), 'applied', 15],
      // A subscription with its two items (Billing), then one item on its own.
      [subscriptionDelivery('subscription.updated', subscription), 'applied', 15],
      [itemDelivery('subscriptionItem.canceled', itemAt(pro, 'canceled', at + 10), subscription), 'applied', 9],
      // 14 (it was 10): the user's invitations lose the address too, and so do those invitations' deliveries in the ledger; their own
      // subscription rows go (2). 15 (it was 14): the audit log's events naming the user get the erasure's placeholder instead.
      [delivery('user.deleted', user, user.updated_at + 2000), 'applied', 15],
      // A type we do not handle: claimed and recorded, nothing applied.
      [rawDelivery({ type: 'email.created', object: 'event', data: { id: 'ema_1' }, timestamp: Date.now(), instance_id: 'ins_test' }), 'ignored', 3],
    ];
    for (const [d, outcome, nested] of cases) {
      const counts = await counted(d);
      expect({ type: d.event.type, outcome: counts.outcome, topLevel: counts.topLevel, nested: counts.nested }, listStatements(counts)).toEqual({ type: d.event.type, outcome, topLevel: 1, nested });
    }
  });
});
