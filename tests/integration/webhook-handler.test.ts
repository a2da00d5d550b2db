/**
 * The webhook endpoint as a function of a Request (`handleClerkWebhookRequest`),
 * in this process: every answer's status, body and headers, the ledger, and
 * the one log line per delivery, read from a real pino logger writing to
 * memory. The same endpoint over HTTP, against `next start`:
 * webhook-endpoint.test.ts, webhook-fuzz.test.ts, webhook-failures.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/generated/prisma/client';
import { WEBHOOK_MAX_BODY_BYTES } from '@/modules/clerk-sync/src/webhook/webhook';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { createPrismaClient } from '@/modules/cores/db/prisma';
import { memoryLogger } from '../helpers/memory-logger';
import { prisma } from '../helpers/prisma';
import { type Delivery, delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const URL_ = 'http://localhost/api/webhooks/clerk';
const app = globalThis as unknown as { prisma?: PrismaClient };

interface LogLine {
  level: number;
  msg: string;
  component: string;
  svixId: string | null;
  type: string | null;
  clerkUserId: string | null;
  outcome: string;
  status: number;
  ms: number;
  reason?: string;
  err?: { type?: string; message?: string };
}
// The app's logger writing to memory.
const log = memoryLogger<LogLine>();

const handle = (request: Request) => handleClerkWebhookRequest(request, { signingSecret: TEST_SIGNING_SECRET });
const signed = (d: Pick<Delivery, 'svixId' | 'body'>, body: BodyInit = d.body, headers: Record<string, string> = {}) =>
  new Request(URL_, { method: 'POST', headers: { ...signedHeaders(d), ...headers }, body });

/** A body streamed in 64 KiB chunks with no Content-Length, as a chunked request arrives. */
function streamed(size: number): { body: ReadableStream<Uint8Array>; read: () => number } {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = new Uint8Array(Math.min(64 * 1024, size - sent)).fill(0x20);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, read: () => sent };
}

const ledger = (svixId: string) => prisma().webhookDelivery.findUnique({ where: { svixId } });

describe('handleClerkWebhookRequest', () => {
  it('applies a delivery: 200 with its outcome, one info line with its ids and no personal data', async () => {
    const user = newClerkUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const d = delivery('user.created', user);
    const response = await handle(signed(d));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'applied' });
    expect(log.lines()).toEqual([
      { level: 30, time: expect.any(Number), service: 'app', component: 'clerk-webhook', msg: 'webhook delivery', svixId: d.svixId, type: 'user.created', clerkUserId: user.id, outcome: 'applied', status: 200, ms: expect.any(Number) },
    ]);
    expect(JSON.stringify(log.lines())).not.toMatch(/Lovelace|@example\.com/);

    // The same svix-id again: 200, nothing applied twice.
    const again = await handle(signed(d));
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    expect(log.lines()[1]).toMatchObject({ level: 30, outcome: 'duplicate', status: 200, clerkUserId: user.id });
    expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(1);
  });

  it('answers 200 "ignored" for an event type it does not handle, naming no user', async () => {
    const d = rawDelivery({ type: 'session.created', object: 'event', data: { id: 'sess_1' }, timestamp: Date.now(), instance_id: 'ins_test' });
    const response = await handle(signed(d));
    expect(await response.json()).toEqual({ outcome: 'ignored' });
    expect(log.lines()).toEqual([expect.objectContaining({ level: 30, type: 'session.created', clerkUserId: null, outcome: 'ignored', status: 200 })]);
  });

  describe('the size limit', () => {
    it(`refuses a declared Content-Length over ${WEBHOOK_MAX_BODY_BYTES} bytes before reading, closing the connection`, async () => {
      const { body, read } = streamed(WEBHOOK_MAX_BODY_BYTES + 1);
      const response = await handle(new Request(URL_, { method: 'POST', headers: { 'content-length': String(WEBHOOK_MAX_BODY_BYTES + 1) }, body, duplex: 'half' } as RequestInit));
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({ error: `body over ${WEBHOOK_MAX_BODY_BYTES} bytes` });
      expect(read()).toBeLessThanOrEqual(64 * 1024);
      expect(log.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'webhook delivery refused', outcome: 'rejected', status: 413, reason: `body over ${WEBHOOK_MAX_BODY_BYTES} bytes`, svixId: null, type: null })]);
    });

    it('refuses a streamed body as soon as it passes the limit, without reading the rest', async () => {
      const { body, read } = streamed(WEBHOOK_MAX_BODY_BYTES * 4);
      const response = await handle(new Request(URL_, { method: 'POST', body, duplex: 'half' } as RequestInit));
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({ error: `body over ${WEBHOOK_MAX_BODY_BYTES} bytes` });
      // It stopped within one chunk of the limit (the stream may have one more chunk in flight).
      expect(read()).toBeGreaterThan(WEBHOOK_MAX_BODY_BYTES);
      expect(read()).toBeLessThanOrEqual(WEBHOOK_MAX_BODY_BYTES + 2 * 64 * 1024);
    });

    it('takes a body of exactly the limit, declared or streamed (then the signature decides)', async () => {
      const d = { svixId: 'msg_exact', body: ' '.repeat(WEBHOOK_MAX_BODY_BYTES) };
      const declared = await handle(signed(d, d.body, { 'content-length': String(WEBHOOK_MAX_BODY_BYTES) }));
      expect(declared.status).toBe(400);
      expect(await declared.json()).toEqual({ error: 'body is not JSON' });
      const { body } = streamed(WEBHOOK_MAX_BODY_BYTES);
      const chunked = await handle(new Request(URL_, { method: 'POST', headers: signedHeaders(d), body, duplex: 'half' } as RequestInit));
      expect(chunked.status).toBe(400);
      expect(await chunked.json()).toEqual({ error: 'body is not JSON' });
      expect(declared.headers.get('connection')).toBeNull();
    });

    it('reads a body split over many chunks whole, bytes and characters intact', async () => {
      const user = newClerkUser({ firstName: 'Zoë', lastName: 'Ångström' });
      const d = delivery('user.created', user);
      const bytes = Buffer.from(d.body);
      // Split inside multi-byte characters too.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 7) controller.enqueue(new Uint8Array(bytes.subarray(i, i + 7)));
          controller.close();
        },
      });
      const response = await handle(new Request(URL_, { method: 'POST', headers: signedHeaders(d), body, duplex: 'half' } as RequestInit));
      expect(await response.json()).toEqual({ outcome: 'applied' });
      expect(await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id }, select: { name: true } })).toEqual({ name: 'Zoë Ångström' });
    });
  });

  it('refuses an unsigned request with 400 and its reason, touching no table', async () => {
    const d = delivery('user.created', newClerkUser());
    const response = await handle(new Request(URL_, { method: 'POST', headers: { ...signedHeaders(d), 'svix-signature': 'v1,AAAA' }, body: d.body }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid signature' });
    expect(response.headers.get('connection')).toBeNull();
    expect(await ledger(d.svixId)).toBeNull();
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'webhook delivery refused', svixId: d.svixId, type: null, outcome: 'rejected', status: 400, reason: 'invalid signature' })]);
  });

  it('refuses a request with no body with 400', async () => {
    const response = await handle(new Request(URL_, { method: 'POST', headers: signedHeaders({ svixId: 'msg_empty', body: '' }) }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'empty body' });
    expect(await ledger('msg_empty')).toBeNull();
  });

  it('records a delivery Clerk signed but we refuse as rejected, naming its type in the log', async () => {
    const d = rawDelivery({ type: 'user.created', object: 'event', data: { id: 'user_bad' }, timestamp: Date.now(), instance_id: 'ins_test' });
    const response = await handle(signed(d));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'malformed user.created payload' });
    expect(await ledger(d.svixId)).toMatchObject({ type: 'user.created', outcome: 'rejected', error: 'malformed user.created payload', processedAt: expect.any(Date) });
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, svixId: d.svixId, type: 'user.created', outcome: 'rejected', status: 400 })]);
  });

  describe('when the database fails', () => {
    let original: PrismaClient | undefined;
    beforeEach(() => {
      original = app.prisma;
    });
    afterEach(async () => {
      const replaced = app.prisma;
      app.prisma = original;
      if (replaced !== original) await replaced?.$disconnect();
    });

    it('answers 503 with Retry-After: 5 while it cannot be reached, logged as an error with the cause', async () => {
      // The app's client, pointed at a port where nothing listens.
      app.prisma = createPrismaClient('postgresql://postgres:postgres@127.0.0.1:1/postgres');
      const d = delivery('user.created', newClerkUser());
      const response = await handle(signed(d));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toEqual({ error: 'database unavailable, retry later' });
      expect(log.lines()).toEqual([expect.objectContaining({ level: 50, msg: 'webhook delivery failed', svixId: d.svixId, type: 'user.created', outcome: 'failed', status: 503, err: expect.objectContaining({ message: expect.any(String) }) })]);
    });

    it('answers 500 (Svix retries) for any other failure, with no detail in the answer, and records it as failed', async () => {
      await prisma().$executeRawUnsafe('ALTER TABLE "User" RENAME TO "UserGone"');
      try {
        const d = delivery('user.created', newClerkUser());
        const response = await handle(signed(d));
        expect(response.status).toBe(500);
        expect(response.headers.get('retry-after')).toBeNull();
        expect(await response.json()).toEqual({ error: 'internal error, retry later' });
        expect(log.lines()).toEqual([expect.objectContaining({ level: 50, status: 500, outcome: 'failed', svixId: d.svixId, err: expect.objectContaining({ message: expect.stringMatching(/User/) }) })]);
        expect(await ledger(d.svixId)).toMatchObject({ outcome: 'failed', processedAt: null });
      } finally {
        await prisma().$executeRawUnsafe('ALTER TABLE "UserGone" RENAME TO "User"');
      }
    });
  });
});

describe('the delivery ledger', () => {
  const verified = (d: Delivery) => verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET);

  it('records each outcome, keeping the sync\'s fields of a user event and nothing of an ignored one', async () => {
    const user = newClerkUser({ emailAddresses: ['kept@example.com'] }, 1_000);
    const created = delivery('user.created', user);
    expect(await (await handle(signed(created))).json()).toEqual({ outcome: 'applied' });
    expect(await ledger(created.svixId)).toMatchObject({ outcome: 'applied', clerkUserId: user.id, payload: expect.objectContaining({ data: expect.objectContaining({ id: user.id }) }) });

    const ignored = rawDelivery({ type: 'email.created', object: 'event', data: { id: 'idn_1', email_address: 'someone@example.com' }, timestamp: Date.now() });
    await handle(signed(ignored));
    expect(await ledger(ignored.svixId)).toMatchObject({ outcome: 'ignored', payload: null });

    const deleted = delivery('user.deleted', user);
    expect(await (await handle(signed(deleted))).json()).toEqual({ outcome: 'applied' });
    // A deletion keeps its own payload (the id and the flag, no one's data) but erases the user's other payloads.
    expect(await ledger(deleted.svixId)).toMatchObject({ outcome: 'applied', payload: expect.objectContaining({ data: { id: user.id, deleted: true } }) });
    expect(await ledger(created.svixId)).toMatchObject({ payload: null });

    const again = delivery('user.deleted', user);
    expect(await (await handle(signed(again))).json()).toEqual({ outcome: 'stale' });
    expect(await ledger(again.svixId)).toMatchObject({ outcome: 'stale', payload: expect.objectContaining({ data: { id: user.id, deleted: true } }) });
  });

  it('answers a user.deleted without a user id as ignored', async () => {
    const d = rawDelivery({ type: 'user.deleted', object: 'event', data: { deleted: true, object: 'user' }, timestamp: Date.now() });
    expect(await (await handle(signed(d))).json()).toEqual({ outcome: 'ignored' });
    expect(await ledger(d.svixId)).toMatchObject({ outcome: 'ignored', clerkUserId: null, payload: null });
  });

  it('re-processes only the forced delivery on replay, leaving every other delivery processed', async () => {
    const first = delivery('user.created', newClerkUser({}, 1_000));
    const other = delivery('user.created', newClerkUser({}, 1_000));
    await processClerkWebhook(verified(first));
    await processClerkWebhook(verified(other));
    expect(await processClerkWebhook(verified(first))).toMatchObject({ outcome: 'duplicate' });
    expect(await processClerkWebhook(verified(first), { force: true })).toMatchObject({ outcome: 'stale' });
    expect((await ledger(other.svixId))?.processedAt).toEqual(expect.any(Date));
    expect(await processClerkWebhook(verified(other))).toMatchObject({ outcome: 'duplicate' });
  });

  it('says once when a webhook comes from another Clerk instance than the one the database follows', async () => {
    await prisma().clerkInstance.upsert({ where: { slot: 'current' }, create: { instanceId: 'ins_followed', recordedBy: 'reconcile' }, update: { instanceId: 'ins_followed' } });
    const stranger = `ins_stranger_${Date.now()}`;
    const d = delivery('user.created', newClerkUser(), undefined, stranger);
    expect((await handle(signed(d))).status).toBe(200);
    expect(log.lines().filter((line) => line.component === 'clerk-instance')).toEqual([
      expect.objectContaining({
        level: 40,
        instanceId: stranger,
        recordedInstanceId: 'ins_followed',
        msg: 'a webhook came from another Clerk instance than the one this database follows; users:reconcile will refuse to run until you choose (see docs/deploy.md)',
      }),
    ]);
    expect(await prisma().clerkInstance.findUnique({ where: { slot: 'current' } })).toMatchObject({ instanceId: 'ins_followed' });
  });
});
