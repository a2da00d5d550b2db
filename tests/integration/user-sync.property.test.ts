/**
 * Any valid history of Clerk users, delivered with duplicates, in any order,
 * one at a time or several at once, ends in the state of the history's end:
 * live users with their last name and email, deleted users gone.
 *
 * Histories are generated as Clerk would let them happen: a few users share a
 * small pool of email addresses (created with one, moving to another, freeing
 * it for someone else, deleted), and time may stand still between two
 * changes (equal `updated_at` across users; one wall clock, so a later change
 * never has an earlier time). The expected state comes from
 * this model, never from the sync's own functions. A failure prints
 * fast-check's seed and path; add them to `fc.check`'s parameters to replay it.
 */
import { randomBytes } from 'node:crypto';
import type { UserJSON } from '@clerk/backend';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const SLOTS = 5;
const POOL = 3;
const FIRST = ['Ada', 'Grace', ' Katherine ', '', null] as const;
const LAST = ['Lovelace', 'Hopper', '', null] as const;
/** What each generated name part is once stored: written out, not computed by the code under test. */
const STORED: Record<string, string | null> = { Ada: 'Ada', Grace: 'Grace', ' Katherine ': 'Katherine', Lovelace: 'Lovelace', Hopper: 'Hopper', '': null, null: null };

type Op =
  | { kind: 'create'; slot: number; email: number; first: number; last: number; dt: number }
  | { kind: 'update'; slot: number; email: number | null; first: number; last: number; dt: number }
  | { kind: 'delete'; slot: number; dt: number };

const dt = fc.constantFrom(0, 0, 1, 7);
/** Weighted so that addresses change hands often: created, moved away from, taken by someone else. */
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), slot: fc.nat(SLOTS - 1), email: fc.nat(POOL - 1), first: fc.nat(FIRST.length - 1), last: fc.nat(LAST.length - 1), dt }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      slot: fc.nat(SLOTS - 1),
      email: fc.option(fc.nat(POOL - 1), { nil: null, freq: 3 }),
      first: fc.nat(FIRST.length - 1),
      last: fc.nat(LAST.length - 1),
      dt,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), slot: fc.nat(SLOTS - 1), dt }) },
);

interface Expected {
  email: string;
  name: string | null;
}

/** A verified address, as Clerk lists it. */
function address(email: string): UserJSON['email_addresses'][number] {
  return { ...newClerkUser({ emailAddresses: [email] }).email_addresses[0]!, id: `idn_${randomBytes(8).toString('hex')}` };
}

interface Step {
  op: Op;
  /** The event's time: Clerk's `updated_at` of the version, or the deletion's time. */
  at: number;
  /** For an update: the address it moves to, if it moves. */
  moveTo: number | null;
}

/**
 * The steps of `ops` that Clerk would take, with their times: an operation
 * Clerk would refuse (an address a live user holds, a user that does not or
 * no longer exists) is left out. Pure: the same ops, the same steps.
 */
function validSteps(ops: Op[]): Step[] {
  const live = new Map<number, { email: number; updatedAt: number }>();
  const gone = new Set<number>();
  const held = (email: number) => [...live.values()].some((user) => user.email === email);
  const steps: Step[] = [];
  let clock = 1_000_000;
  for (const step of ops) {
    clock += step.dt;
    const user = live.get(step.slot);
    if (step.kind === 'create') {
      if (user || gone.has(step.slot) || held(step.email)) continue;
      live.set(step.slot, { email: step.email, updatedAt: clock });
      steps.push({ op: step, at: clock, moveTo: null });
    } else if (!user) {
      continue;
    } else if (step.kind === 'update') {
      const moveTo = step.email !== null && step.email !== user.email ? step.email : null;
      if (moveTo !== null && held(moveTo)) continue;
      // One wall clock for every user (a later change never has an earlier time), and a user's own versions strictly increase.
      clock = Math.max(clock, user.updatedAt + 1);
      live.set(step.slot, { email: moveTo ?? user.email, updatedAt: clock });
      steps.push({ op: step, at: clock, moveTo });
    } else {
      clock = Math.max(clock, user.updatedAt + 1);
      live.delete(step.slot);
      gone.add(step.slot);
      steps.push({ op: step, at: clock, moveTo: null });
    }
  }
  return steps;
}

/** The deliveries Clerk would send for `steps`, and the state the history ends in (from the model alone). */
function play(steps: Step[], run: number): { deliveries: Delivery[]; expected: Map<string, Expected | null> } {
  const pool = Array.from({ length: POOL }, (_, i) => `run${run}-shared${i}@example.com`);
  const users = new Map<number, UserJSON>();
  const model = new Map<number, { email: number; first: number; last: number }>();
  const deliveries: Delivery[] = [];
  const expected = new Map<string, Expected | null>();
  for (const { op: step, at, moveTo } of steps) {
    if (step.kind === 'create') {
      const created = newClerkUser({ emailAddresses: [pool[step.email]!], firstName: FIRST[step.first], lastName: LAST[step.last] }, at);
      users.set(step.slot, created);
      model.set(step.slot, { email: step.email, first: step.first, last: step.last });
      deliveries.push(delivery('user.created', created));
    } else if (step.kind === 'update') {
      const next = structuredClone(users.get(step.slot)!);
      next.first_name = FIRST[step.first] ?? null;
      next.last_name = LAST[step.last] ?? null;
      if (moveTo !== null) {
        // The address moves: the old one is freed for anyone.
        const moved = address(pool[moveTo]!);
        next.email_addresses = [moved];
        next.primary_email_address_id = moved.id;
      }
      next.updated_at = at;
      users.set(step.slot, next);
      model.set(step.slot, { email: moveTo ?? model.get(step.slot)!.email, first: step.first, last: step.last });
      deliveries.push(delivery('user.updated', next));
    } else {
      const user = users.get(step.slot)!;
      deliveries.push(delivery('user.deleted', user, at));
      expected.set(user.id, null);
      users.delete(step.slot);
    }
  }
  for (const [slot, user] of users) {
    const state = model.get(slot)!;
    const parts = [STORED[String(FIRST[state.first])], STORED[String(LAST[state.last])]].filter((part): part is string => part !== null);
    expected.set(user.id, { email: pool[state.email]!, name: parts.length ? parts.join(' ') : null });
  }
  return { deliveries, expected };
}

/** A history, extra copies of some deliveries, the order they arrive in, and how many arrive at once: all shrinkable. */
const scenario = fc.array(op, { minLength: 6, maxLength: 20 }).chain((ops) => {
  const n = validSteps(ops).length;
  if (n === 0) return fc.constant({ ops, extra: [] as number[], order: [] as number[], concurrency: 1 });
  return fc.array(fc.nat(n - 1), { maxLength: 6 }).chain((extra) => {
    const all = Array.from({ length: n + extra.length }, (_, i) => i);
    return fc.record({
      ops: fc.constant(ops),
      extra: fc.constant(extra),
      order: fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
      concurrency: fc.integer({ min: 1, max: 4 }),
    });
  });
});

let run = 0;
const mutationTesting = process.env.STRYKER_MUTATOR_WORKER !== undefined;

/** Deliver `order` with `concurrency` at once, as several app instances would. */
async function deliver(order: Delivery[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < order.length) {
        const d = order[next++]!;
        await processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
      }
    }),
  );
}

describe('the user sync', () => {
  it('ends in the state of any valid history, under duplicates, any order and concurrency', async () => {
    // Under mutation testing (npm run test:mutation) only whether it fails matters, and it runs once per
    // mutant: fewer cases, no shrinking (the deterministic tests pin each rule; this one finds what they miss).
    const cases = mutationTesting ? 40 : 150;
    const details = await fc.check(
      fc.asyncProperty(scenario, async ({ ops, extra, order, concurrency }) => {
        const { deliveries, expected } = play(validSteps(ops), run++);
        const sent = [...deliveries, ...extra.map((i) => deliveries[i]!)];
        await deliver(order.map((i) => sent[i]!), concurrency);

        const rows = await prisma().user.findMany({ where: { clerkId: { in: [...expected.keys()] } }, select: { clerkId: true, email: true, name: true } });
        const actual = new Map(rows.map((row) => [row.clerkId, { email: row.email, name: row.name }]));
        for (const [clerkId, state] of expected) expect(actual.get(clerkId) ?? null, clerkId).toEqual(state);
        const processed = await prisma().webhookDelivery.count({ where: { svixId: { in: deliveries.map((d) => d.svixId) }, processedAt: { not: null } } });
        expect(processed).toBe(deliveries.length);
      }),
      // A time budget well inside the test's own timeout, so that a failure is shrunk and reported, seed and path included.
      mutationTesting ? { numRuns: cases, interruptAfterTimeLimit: 10_000, endOnFailure: true } : { numRuns: cases, interruptAfterTimeLimit: 40_000, verbose: 1 },
    );
    if (details.failed) throw new Error(fc.defaultReportMessage(details));
    // Stopped by the budget, it proved only what it ran: every case must have run (a sync made slow fails here).
    expect(details.numRuns, `cases run within the time budget (${details.interrupted ? 'interrupted' : 'finished'})`).toBe(cases);
  }, 120_000);
});
