/**
 * Personal data has a lifetime (docs/decisions/008): what the webhook ledger
 * keeps of an event, what `user.deleted` erases, and how the ledger records
 * deliveries it cannot take or could not apply. Through the real
 * verification and processing code on real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { consumeRateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { createPost } from '../helpers/factories';
import { prisma } from '../helpers/prisma';
import { changedClerkUser, type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

function receive(d: Delivery) {
  return processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
}

/** Every table of ours, every row as text, that contains `needle` (case-insensitive). */
async function tablesHolding(needle: string): Promise<string[]> {
  const tables = await prisma().$queryRaw<{ name: string }[]>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`;
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['User', 'Post', 'WebhookDelivery', 'RateLimitWindow', 'DeletedClerkUser']));
  const holding: string[] = [];
  for (const { name } of tables) {
    const [row] = await prisma().$queryRawUnsafe<{ count: number }[]>(`SELECT count(*)::int AS count FROM "${name}" t WHERE t::text ILIKE $1`, `%${needle}%`);
    if (row!.count > 0) holding.push(name);
  }
  return holding;
}

describe('after user.deleted', () => {
  it('no table holds the person\'s email or name: rows, posts, ledger payloads and rate-limit counters are gone', async () => {
    const user = newClerkUser({ emailAddresses: ['ottoline.erasure@example.com'], firstName: 'Ottoline', lastName: 'Erasure' }, 1_000);
    await receive(delivery('user.created', user));
    await receive(delivery('user.updated', changedClerkUser(user, { lastName: 'Morrell-Erasure' }, 2_000)));
    const row = await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } });
    await createPost(row.id, { title: 'Ottoline writes', content: 'by Ottoline Erasure' });
    await consumeRateLimit(user.id, { action: 'post.create', max: 30, windowSeconds: 60, message: '' });
    expect(await tablesHolding('ottoline')).toEqual(expect.arrayContaining(['User', 'Post', 'WebhookDelivery']));
    expect(await prisma().rateLimitWindow.count({ where: { key: { startsWith: `${user.id}:` } } })).toBe(1);

    expect((await receive(delivery('user.deleted', user, 3_000))).outcome).toBe('applied');

    expect(await tablesHolding('ottoline')).toEqual([]);
    expect(await tablesHolding('erasure@example.com')).toEqual([]);
    expect(await prisma().rateLimitWindow.count({ where: { key: { startsWith: `${user.id}:` } } })).toBe(0);
    // What stays names no one: the tombstone and the ledger's ids, types and outcomes.
    expect(await prisma().deletedClerkUser.count({ where: { clerkId: user.id } })).toBe(1);
    expect(await prisma().webhookDelivery.findMany({ where: { clerkUserId: user.id }, select: { type: true, outcome: true }, orderBy: { receivedAt: 'asc' } })).toEqual([
      { type: 'user.created', outcome: 'applied' },
      { type: 'user.updated', outcome: 'applied' },
      { type: 'user.deleted', outcome: 'applied' },
    ]);
  });

  it('a late event for the deleted user stores none of its data', async () => {
    const user = newClerkUser({ emailAddresses: ['late.lazarus@example.com'], firstName: 'Lazarus' }, 1_000);
    await receive(delivery('user.deleted', user, 5_000));
    const late = delivery('user.updated', changedClerkUser(user, { firstName: 'Lazarus' }, 2_000));
    expect((await receive(late)).outcome).toBe('stale');
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: late.svixId } })).toMatchObject({ outcome: 'stale', payload: null });
    expect(await tablesHolding('lazarus')).toEqual([]);
  });
});

describe('the delivery ledger', () => {
  it('keeps only the fields the sync reads: no client IP, user agent, phone numbers or metadata', async () => {
    const user = newClerkUser({ emailAddresses: ['kept@example.com'], phoneNumbers: ['+15555550123'], firstName: 'Kept' });
    user.private_metadata = { secret: 'do-not-store' };
    const d = delivery('user.created', user);
    const envelope = JSON.parse(d.body) as { event_attributes: { http_request: { client_ip: string } } };
    envelope.event_attributes.http_request.client_ip = '203.0.113.77';
    const body = JSON.stringify(envelope);
    await receive({ ...d, body });
    const stored = await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: d.svixId } });
    const text = JSON.stringify(stored.payload);
    for (const leaked of ['203.0.113.77', 'clerk-emulator', '+15555550123', 'do-not-store', 'image_url']) expect(text).not.toContain(leaked);
    expect(stored.payload).toEqual({
      type: 'user.created',
      data: {
        id: user.id,
        updated_at: user.updated_at,
        primary_email_address_id: user.primary_email_address_id,
        email_addresses: [{ id: user.email_addresses[0]!.id, email_address: 'kept@example.com', verification: { status: 'verified' } }],
        first_name: 'Kept',
        last_name: 'Lovelace',
        username: null,
      },
      // Which Clerk instance sent it, for replay's instance check (docs/decisions/014): it names no one.
      instance_id: 'ins_test',
    });
  });

  it('keeps no payload for an event type it ignores', async () => {
    const d = rawDelivery({
      type: 'session.created',
      object: 'event',
      data: { id: 'sess_1', object: 'session', user_id: 'user_1', client_id: 'client_1' },
      timestamp: Date.now(),
      instance_id: 'ins_test',
      event_attributes: { http_request: { client_ip: '198.51.100.9', user_agent: 'Mozilla' } },
    });
    expect((await receive(d)).outcome).toBe('ignored');
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ type: 'session.created', outcome: 'ignored', payload: null });
  });

  it('records the Clerk instance the first delivery came from', async () => {
    const user = newClerkUser();
    await receive(delivery('user.created', user));
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: 'ins_test', recordedBy: 'webhook' });
  });

  it('never marks a processed delivery failed when a later copy fails', async () => {
    const user = newClerkUser({ firstName: 'Processed' });
    const d = delivery('user.created', user);
    await receive(d);
    const webhook = verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);
    // A copy that fails after claiming (a broken deployment re-processing it): rolled back, and recorded as a failure...
    await prisma().$executeRawUnsafe('ALTER TABLE "User" RENAME TO "User_broken"');
    try {
      await expect(processClerkWebhook(webhook, { force: true })).rejects.toThrow();
    } finally {
      await prisma().$executeRawUnsafe('ALTER TABLE "User_broken" RENAME TO "User"');
    }
    // ...but the delivery was applied and stays applied.
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({ outcome: 'applied', processedAt: expect.any(Date), error: null });
  });

  it('records a signed delivery it cannot store (NUL characters) as rejected with a 400, so it is seen and never retried', async () => {
    const user = newClerkUser({ firstName: 'Nul' });
    const d = delivery('user.created', user);
    const body = d.body.replace('"first_name":"Nul"', '"first_name":"Nu\\u0000l"');
    expect(body).toContain('\\u0000');
    const response = await handleClerkWebhookRequest(new Request('http://localhost/api/webhooks/clerk', { method: 'POST', headers: signedHeaders({ ...d, body }, { secret: TEST_SIGNING_SECRET }), body }), {
      signingSecret: TEST_SIGNING_SECRET,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'malformed user.created payload' });
    expect(await prisma().webhookDelivery.findUnique({ where: { svixId: d.svixId } })).toMatchObject({
      type: 'user.created',
      outcome: 'rejected',
      error: 'malformed user.created payload',
      payload: null,
      processedAt: expect.any(Date),
    });
    expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(0);
  });
});
