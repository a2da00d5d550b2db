/**
 * The app's own spans and metrics, recorded in this process by the SDK and
 * read back exactly (tests/helpers/in-memory-telemetry.ts): a webhook
 * delivery's spans and their attributes for each answer (applied, duplicate,
 * rejected, the database down), the deliveries counter by type and outcome,
 * the 503s by reason, the sync's lag for what was applied and only that, and
 * a server action's span with its outcome. tests/integration/telemetry.test.ts
 * shows the same through `next start` and OTLP.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PrismaClient } from '@/generated/prisma/client';
import { runAuthedAction } from '@/modules/auth/src/services/authed-action';
import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';
import { ActionError, success } from '@/modules/cores/actions/action-state';
import { createPrismaClient } from '@/modules/cores/db/prisma';
import { createUser } from '../helpers/factories';
import { ancestry, type InMemoryTelemetry, startInMemoryTelemetry } from '../helpers/in-memory-telemetry';
import { memoryLogger } from '../helpers/memory-logger';
import { type Delivery, delivery, newClerkUser, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const app = globalThis as unknown as { prisma?: PrismaClient };
memoryLogger();
let telemetry: InMemoryTelemetry;
beforeAll(() => {
  telemetry = startInMemoryTelemetry();
});
afterAll(async () => {
  await telemetry?.stop();
});
beforeEach(async () => {
  await telemetry.reset();
});

const send = (d: Pick<Delivery, 'svixId' | 'body'>, headers: Record<string, string> = signedHeaders(d)) =>
  handleClerkWebhookRequest(new Request('http://localhost/api/webhooks/clerk', { method: 'POST', headers, body: d.body }), { signingSecret: TEST_SIGNING_SECRET });
const named = (name: string) => telemetry.spans().filter((span) => span.name === name);
const only = (name: string): ReadableSpan => {
  const spans = named(name);
  expect(spans, name).toHaveLength(1);
  return spans[0]!;
};

describe('a webhook delivery', () => {
  it('applied: one trace of delivery, verify, process and clerk_process_delivery, with svix-id, type and outcome; counted once, its lag recorded', async () => {
    const user = newClerkUser();
    const d = delivery('user.created', user, Date.now() - 60_000);
    expect((await send(d)).status).toBe(200);

    const root = only('clerk.webhook.delivery');
    expect(root.attributes).toEqual({ 'clerk.svix_id': d.svixId, 'clerk.event_type': 'user.created', 'clerk.webhook.outcome': 'applied', 'http.response.status_code': 200 });
    expect(only('clerk.webhook.verify').parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const process = only('clerk.webhook.process');
    expect(process.attributes).toEqual({ 'clerk.svix_id': d.svixId, 'clerk.event_type': 'user.created', 'clerk.webhook.outcome': 'applied' });
    const statement = only('clerk_process_delivery');
    expect(statement.attributes).toEqual({ 'clerk.webhook.outcome': 'applied' });
    expect(ancestry(telemetry.spans(), statement).map((span) => span.name)).toEqual(['clerk_process_delivery', 'clerk.webhook.process', 'clerk.webhook.delivery']);
    expect(JSON.stringify(telemetry.spans().map((span) => span.attributes))).not.toContain(user.id);

    const read = await telemetry.readMetrics();
    expect(read.sum('clerk.webhook.deliveries')).toEqual([{ attributes: { type: 'user.created', outcome: 'applied' }, value: 1 }]);
    expect(read.sum('clerk.webhook.unavailable')).toEqual([]);
    const [lag, ...more] = read.histogram('clerk.sync.lag');
    expect(more).toEqual([]);
    expect(lag).toMatchObject({ attributes: { type: 'user.created' }, count: 1 });
    // In seconds, from the event's time a minute ago.
    expect(lag!.min).toBeGreaterThanOrEqual(59);
    expect(lag!.max).toBeLessThan(120);
  });

  it('again (a duplicate): counted as such, and no lag: nothing was applied', async () => {
    const d = delivery('user.created', newClerkUser());
    await send(d);
    await telemetry.reset();
    expect((await send(d)).status).toBe(200);
    expect(only('clerk.webhook.delivery').attributes).toMatchObject({ 'clerk.webhook.outcome': 'duplicate' });
    expect(only('clerk_process_delivery').attributes).toEqual({ 'clerk.webhook.outcome': 'duplicate' });
    const read = await telemetry.readMetrics();
    expect(read.sum('clerk.webhook.deliveries')).toEqual([{ attributes: { type: 'user.created', outcome: 'duplicate' }, value: 1 }]);
    expect(read.histogram('clerk.sync.lag')).toEqual([]);
  });

  it('rejected (a bad signature): its type unknown, counted as rejected, never processed', async () => {
    const d = delivery('user.created', newClerkUser());
    expect((await send(d, { ...signedHeaders(d), 'svix-signature': 'v1,AAAA' })).status).toBe(400);
    expect(only('clerk.webhook.delivery').attributes).toEqual({ 'clerk.svix_id': d.svixId, 'clerk.event_type': 'unknown', 'clerk.webhook.outcome': 'rejected', 'http.response.status_code': 400 });
    expect(named('clerk.webhook.process')).toEqual([]);
    expect((await telemetry.readMetrics()).sum('clerk.webhook.deliveries')).toEqual([{ attributes: { type: 'unknown', outcome: 'rejected' }, value: 1 }]);
  });

  it('with no svix-id: no id attribute', async () => {
    const d = delivery('user.created', newClerkUser());
    const { 'svix-id': _, ...headers } = signedHeaders(d);
    expect((await send(d, headers)).status).toBe(400);
    expect(only('clerk.webhook.delivery').attributes).not.toHaveProperty('clerk.svix_id');
  });

  describe('while the database cannot be reached', () => {
    let original: PrismaClient | undefined;
    beforeEach(() => {
      original = app.prisma;
      // The app's client, pointed at a port where nothing listens.
      app.prisma = createPrismaClient('postgresql://postgres:postgres@127.0.0.1:1/postgres');
    });
    afterEach(async () => {
      const replaced = app.prisma;
      app.prisma = original;
      await replaced?.$disconnect();
    });

    it('answered 503: counted as failed and as unavailable for the database, the span saying why', async () => {
      const d = delivery('user.updated', newClerkUser());
      expect((await send(d)).status).toBe(503);
      expect(only('clerk.webhook.delivery').attributes).toEqual({
        'clerk.svix_id': d.svixId,
        'clerk.event_type': 'user.updated',
        'clerk.webhook.outcome': 'failed',
        'clerk.webhook.unavailable': 'database',
        'http.response.status_code': 503,
      });
      const read = await telemetry.readMetrics();
      expect(read.sum('clerk.webhook.deliveries')).toEqual([{ attributes: { type: 'user.updated', outcome: 'failed' }, value: 1 }]);
      expect(read.sum('clerk.webhook.unavailable')).toEqual([{ attributes: { reason: 'database' }, value: 1 }]);
      expect(read.histogram('clerk.sync.lag')).toEqual([]);
    });
  });
});

describe('a server action', () => {
  const schema = z.object({ title: z.string().trim().min(1, { error: 'Required.' }) });
  const limit = { action: 'telemetry.test', max: 10, windowSeconds: 60, message: 'Slow down.' };
  const form = (title: string) => {
    const data = new FormData();
    data.append('title', title);
    return data;
  };

  it('is a span named for it, with its outcome: success, invalid (field errors), refused (an ActionError)', async () => {
    const user = await createUser();
    await runAuthedAction({ schema, limit }, async () => success('Saved.'), user, form('Hi'));
    await runAuthedAction({ schema, limit }, async () => success('never'), user, form('  '));
    await runAuthedAction({ schema, limit }, async () => {
      throw new ActionError('Not yours.');
    }, user, form('Hi'));
    expect(named('server action telemetry.test').map((span) => span.attributes)).toEqual([
      { 'app.action': 'telemetry.test', 'app.action.outcome': 'success' },
      { 'app.action': 'telemetry.test', 'app.action.outcome': 'invalid' },
      { 'app.action': 'telemetry.test', 'app.action.outcome': 'refused' },
    ]);
  });
});
