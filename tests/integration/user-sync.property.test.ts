/**
 * Any history of Clerk users, delivered with duplicates in any order, ends in
 * the state of applying it in its true order, deletion winning.
 */
import type { UserJSON } from '@clerk/backend';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/auth/src/services/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/auth/src/services/webhook-verification';
import { prisma } from '../helpers/prisma';
import { changedClerkUser, type Delivery, delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

interface Lifecycle {
  changes: { firstName: string | null; lastName: string | null; emailVariant: number }[];
  deleted: boolean;
}

const lifecycle: fc.Arbitrary<Lifecycle> = fc.record({
  changes: fc.array(
    fc.record({
      firstName: fc.option(fc.constantFrom('Ada', 'Grace', 'Mary', ' Katherine ', ''), { nil: null }),
      lastName: fc.option(fc.constantFrom('Lovelace', 'Hopper', 'Jackson', ''), { nil: null }),
      emailVariant: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 4 },
  ),
  deleted: fc.boolean(),
});

interface Scenario {
  deliveries: Delivery[];
  expected: Map<string, { email: string; name: string | null } | null>;
}

function buildScenario(lifecycles: Lifecycle[], run: number): Scenario {
  const deliveries: Delivery[] = [];
  const expected: Scenario['expected'] = new Map();
  let clock = 1_000_000;
  lifecycles.forEach((life, index) => {
    const base = `run${run}-user${index}`;
    let user: UserJSON = newClerkUser({ emailAddresses: [`${base}-v0@example.com`], firstName: 'Initial', lastName: null }, (clock += 10));
    deliveries.push(delivery('user.created', user));
    for (const change of life.changes) {
      user = changedClerkUser(user, { firstName: change.firstName, lastName: change.lastName, primaryEmail: `${base}-v${change.emailVariant}@example.com` }, (clock += 10));
      deliveries.push(delivery('user.updated', user));
    }
    const name = [user.first_name, user.last_name].map((part) => part?.trim()).filter(Boolean).join(' ') || null;
    const email = user.email_addresses.find((address) => address.id === user.primary_email_address_id)!.email_address;
    if (life.deleted) deliveries.push(delivery('user.deleted', user, (clock += 10)));
    expected.set(user.id, life.deleted ? null : { email, name });
  });
  return { deliveries, expected };
}

let run = 0;

describe('the user sync', () => {
  it('ends in the true final state under duplicated and shuffled deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lifecycle, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 40, maxLength: 40 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (lifecycles, duplicateCounts, randomness) => {
          const { deliveries, expected } = buildScenario(lifecycles, run++);
          const sent = deliveries.flatMap((d, i) => Array.from({ length: 1 + (duplicateCounts[i % duplicateCounts.length] ?? 0) }, () => d));
          const keys = sent.map(() => randomness.next().value);
          const order = sent.map((d, i) => ({ d, key: keys[i]! })).sort((a, b) => a.key - b.key).map(({ d }) => d);

          for (const d of order) {
            await processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
          }

          const rows = await prisma().user.findMany({ where: { clerkId: { in: [...expected.keys()] } }, select: { clerkId: true, email: true, name: true } });
          const actual = new Map(rows.map((row) => [row.clerkId, { email: row.email, name: row.name }]));
          for (const [clerkId, state] of expected) expect(actual.get(clerkId) ?? null).toEqual(state);
          const processed = await prisma().webhookDelivery.count({ where: { svixId: { in: deliveries.map((d) => d.svixId) }, processedAt: { not: null } } });
          expect(processed).toBe(deliveries.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
