/**
 * Thousands of generated malformed requests against the webhook endpoint of
 * `next start`: never a 500, never a changed row.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';
import { delivery, newClerkUser } from '../helpers/webhooks';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const counts = async () => ({
  users: await prisma().user.count(),
  deliveries: await prisma().webhookDelivery.count(),
  tombstones: await prisma().deletedClerkUser.count(),
});

/** Values that are wrong for each field the sync reads. */
const INVALID = {
  id: [123, true, [1, 2], { nested: 'object' }, 'x'.repeat(400), ''],
  updated_at: ['yesterday', true, [1, 2], { nested: 'object' }, null],
  email_addresses: [123, true, 'not-a-list', { nested: 'object' }, [{ id: 1 }]],
  primary_email_address_id: [123, true, [1, 2], { nested: 'object' }],
  first_name: [123, true, [1, 2], { nested: 'object' }, 'x'.repeat(400), 'Nu\u0000l', 'Bell\u0007', 'Lone \uD800 surrogate'],
} as const;

/** Bodies: noise, JSON of any shape, and real envelopes with fields broken. */
const body = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom('', '{', 'null', '[]', '{"type":"user.created"}', '\u0000\u0001', '{"type":"user.created","data":null}'),
  // A real envelope with one field of the wrong type: signed or not, it must be refused.
  fc
    .record({
      type: fc.constantFrom('user.created', 'user.updated', 'user.deleted'),
      field: fc.constantFrom(...(Object.keys(INVALID) as (keyof typeof INVALID)[])),
      choice: fc.nat(),
    })
    .map(({ type, field, choice }) => {
      const event = JSON.parse(delivery('user.created', newClerkUser()).body) as { type: string; data: Record<string, unknown> };
      event.type = type;
      // For a deletion only the id is read: break that one.
      const target = type === 'user.deleted' ? 'id' : field;
      const values = INVALID[target];
      event.data[target] = values[choice % values.length];
      return JSON.stringify(event);
    }),
);

/** How the request is signed: not at all, garbage, the wrong secret, a bad time, or properly (malformed body, valid signature). */
const signing = fc.constantFrom('none', 'garbage', 'wrong-secret', 'stale', 'future', 'valid', 'missing-id', 'missing-timestamp');

describe('the webhook endpoint under fuzzing', () => {
  it('answers every malformed request with a 4xx and changes nothing but the ledger of signed deliveries', async () => {
    const before = await counts();
    const statuses = new Map<number, number>();
    /** Signed deliveries and what the ledger must say of them. */
    const signed = new Map<string, string>();
    await fc.assert(
      fc.asyncProperty(body, signing, fc.string({ maxLength: 40 }), async (text, how, noise) => {
        const id = `msg_${randomUUID()}`;
        const now = new Date();
        const secret = how === 'wrong-secret' ? `whsec_${Buffer.from(randomUUID()).toString('base64')}` : stack.emulator.webhookSecret;
        const at = how === 'stale' ? new Date(now.getTime() - 3_600_000) : how === 'future' ? new Date(now.getTime() + 3_600_000) : now;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (how !== 'none') {
          if (how !== 'missing-id') headers['svix-id'] = id;
          if (how !== 'missing-timestamp') headers['svix-timestamp'] = String(Math.floor(at.getTime() / 1000));
          headers['svix-signature'] = how === 'garbage' ? `v1,${Buffer.from(noise).toString('base64')}` : new Webhook(secret).sign(id, at, text);
        }
        const response = await fetch(`${stack.app.url}/api/webhooks/clerk`, { method: 'POST', headers, body: text });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const answer = await response.text();
        if (how === 'valid') {
          // A valid signature over a malformed body: refused (and recorded as such), or (for well-formed non-user events) ignored.
          expect([200, 400]).toContain(response.status);
          if (response.status === 200) expect(JSON.parse(answer)).toEqual({ outcome: 'ignored' });
          // An empty body is refused before its signature is even checked: nothing to record.
          if (text !== '') signed.set(id, response.status === 200 ? 'ignored' : 'rejected');
        } else {
          expect(response.status, answer).toBe(400);
        }
      }),
      { numRuns: 2_000 },
    );
    const after = await counts();
    expect({ users: after.users, tombstones: after.tombstones }).toEqual({ users: before.users, tombstones: before.tombstones });
    // Signed deliveries are in the ledger, ignored or rejected, with no payload; unsigned ones never reach the database.
    const ledger = await prisma().webhookDelivery.findMany({ select: { svixId: true, outcome: true, payload: true } });
    expect(ledger).toHaveLength(before.deliveries + signed.size);
    for (const row of ledger.filter((entry) => signed.has(entry.svixId))) {
      expect(row).toEqual({ svixId: row.svixId, outcome: signed.get(row.svixId), payload: null });
    }
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
  }, 120_000);
});
