/**
 * Traces and metrics as a collector receives them: `next start` exporting
 * over OTLP/HTTP to a receiver in this test (docs/decisions/026). One
 * webhook delivery is one trace, request to `clerk_process_delivery`, with
 * no personal data in any attribute; a page render is a trace of Next's own
 * spans; after a storm, the delivery, lag and 503 metrics say exactly what
 * happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { type OwnDatabase, startOwnDatabase } from '../helpers/own-database';
import { prisma } from '../helpers/prisma';
import { concurrentDeliveries, deliveryLogLines, outageAndRedelivery } from '../helpers/scenarios';
import { startStack, type Stack } from '../helpers/stack';
import { type Delivery, delivery, newClerkUser, post } from '../helpers/webhooks';

/** The spans from `span` up to its trace's root. */
function ancestry(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain = [span];
  for (let parent = spans.find((s) => s.spanId === span.parentSpanId); parent; parent = spans.find((s) => s.spanId === parent!.parentSpanId)) chain.push(parent);
  return chain;
}

/** A counter's total over the points whose attributes include `where`. */
const total = (points: { attributes: Record<string, unknown>; value: number }[], where: Record<string, unknown> = {}) =>
  points.filter((point) => Object.entries(where).every(([key, value]) => point.attributes[key] === value)).reduce((sum, point) => sum + point.value, 0);

describe('with an OTLP endpoint set', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  const send = (d: Delivery) => post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret });
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startStack({ env: { ...receiver.appEnv, DATA_PRUNE_INTERVAL_MINUTES: '0' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('a webhook delivery is one trace: the request, its verification, clerk_process_delivery and its query, with svix-id, type and outcome, and no personal data', async () => {
    const user = newClerkUser({ firstName: 'Grace', lastName: 'Hopper' });
    const d = delivery('user.created', user);
    expect((await send(d)).status).toBe(200);

    await expect.poll(() => receiver.spans().filter((span) => span.name === 'clerk_process_delivery' && receiver.trace(span.traceId).some((s) => s.attributes['clerk.svix_id'] === d.svixId)).length, { timeout: 15_000 }).toBe(1);
    const deliverySpan = receiver.spans().find((span) => span.name === 'clerk.webhook.delivery' && span.attributes['clerk.svix_id'] === d.svixId)!;
    // Its ancestors close after it and may come in a later export batch: wait until the chain up from it reaches the root.
    const processOf = () => receiver.trace(deliverySpan.traceId).find((span) => span.name === 'clerk_process_delivery')!;
    await expect.poll(() => !ancestry(receiver.trace(deliverySpan.traceId), processOf()).at(-1)!.parentSpanId, { timeout: 15_000 }).toBe(true);
    const spans = receiver.trace(deliverySpan.traceId);

    expect(deliverySpan.attributes).toMatchObject({ 'clerk.svix_id': d.svixId, 'clerk.event_type': 'user.created', 'clerk.webhook.outcome': 'applied', 'http.response.status_code': 200 });
    const processSpan = spans.find((span) => span.name === 'clerk_process_delivery')!;
    expect(processSpan.attributes).toMatchObject({ 'clerk.webhook.outcome': 'applied' });
    const chain = ancestry(spans, processSpan).map((span) => span.name);
    expect(chain.slice(0, 3)).toEqual(['clerk_process_delivery', 'clerk.webhook.process', 'clerk.webhook.delivery']);
    const root = ancestry(spans, processSpan).at(-1)!;
    expect(root.name).toBe('POST /api/webhooks/clerk');
    expect(root.attributes).toMatchObject({ 'http.method': 'POST', 'http.status_code': 200 });
    const verify = spans.find((span) => span.name === 'clerk.webhook.verify')!;
    expect(verify.parentSpanId).toBe(deliverySpan.spanId);
    // Prisma's spans of the query, inside.
    expect(spans.some((span) => span.name.startsWith('prisma:') && ancestry(spans, span).includes(processSpan))).toBe(true);

    const attributes = JSON.stringify(spans.map((span) => span.attributes));
    for (const personal of [user.id, user.email_addresses[0]!.email_address, 'Grace', 'Hopper']) expect(attributes).not.toContain(personal);
  });

  it("a page render is a trace of Next.js spans, with its queries and its Backend API call (the URL's identifiers removed)", async () => {
    const before = new Set(receiver.spans().map((span) => span.spanId));
    expect((await fetch(`${stack.app.url}/pricing`)).status).toBe(200);
    const isRender = (span: ReceivedSpan) => !before.has(span.spanId) && span.name === 'render route (app) /pricing';
    await expect.poll(() => receiver.spans().filter(isRender).length, { timeout: 15_000 }).toBe(1);
    const render = receiver.spans().find(isRender)!;
    // Its ancestors end after it and may come in a later export batch: wait until the chain up from it reaches the root.
    await expect.poll(() => !ancestry(receiver.trace(render.traceId), render).at(-1)!.parentSpanId, { timeout: 15_000 }).toBe(true);
    const spans = receiver.trace(render.traceId);
    // Next's own: the request (the proxy's span, then the route's) and the render, one trace.
    const chain = ancestry(spans, render);
    expect(chain.map((span) => span.attributes['next.span_type'])).toEqual(['AppRender.getBodyResult', 'BaseServer.handleRequest', 'BaseServer.handleRequest']);
    expect(chain[1]).toMatchObject({ name: 'GET /pricing', attributes: { 'http.status_code': 200, 'next.route': '/pricing' } });
    expect(spans.filter((span) => span.name === 'prisma:client:operation' && ancestry(spans, span).includes(render)).length).toBeGreaterThan(0);
    // The page reads the instance's plans from the Backend API (the first time): the fetch instrumentation's client span.
    const clerkCalls = spans.filter((span) => span.attributes['url.path'] === '/v1/billing/plans');
    expect(clerkCalls.length).toBeGreaterThan(0);
    expect(clerkCalls[0]!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.query': '' });
    // Next's own fetch spans (the full URL in their name) are off: one client span per call.
    expect(spans.filter((span) => span.attributes['next.span_type'] === 'AppRender.fetch')).toEqual([]);
  });

  it('after a storm of 50 deliveries, the outcome counter and the lag histogram count exactly what was applied', async () => {
    const before = { all: total(receiver.sum('clerk.webhook.deliveries')), applied: total(receiver.sum('clerk.webhook.deliveries'), { outcome: 'applied' }), lag: receiver.histogram('clerk.sync.lag').reduce((sum, point) => sum + point.count, 0) };
    const sent: Delivery[] = [];
    await concurrentDeliveries({ app: stack.app, send: (d) => (sent.push(d), send(d)), db: prisma() });
    const outcomes = deliveryLogLines(stack.app, sent).map((line) => line.outcome as string);
    const applied = outcomes.filter((outcome) => outcome === 'applied').length;

    await expect.poll(() => total(receiver.sum('clerk.webhook.deliveries')), { timeout: 15_000 }).toBe(before.all + 50);
    const deliveries = receiver.sum('clerk.webhook.deliveries');
    // Each svix-id sent twice is processed once: the copy is a duplicate, whichever came first.
    expect(total(deliveries, { outcome: 'duplicate' })).toBe(8);
    expect(total(deliveries, { outcome: 'applied' }) - before.applied).toBe(applied);
    expect(total(deliveries, { outcome: 'stale' })).toBe(outcomes.filter((outcome) => outcome === 'stale').length);
    expect(total(deliveries, { type: 'user.deleted' })).toBe(2);
    const lag = receiver.histogram('clerk.sync.lag');
    expect(lag.reduce((sum, point) => sum + point.count, 0) - before.lag).toBe(applied);
    expect(lag.map((point) => point.attributes)).toEqual(expect.arrayContaining([{ type: 'user.updated' }]));
  }, 60_000);
});

describe('with an OTLP endpoint set, through a database restart', () => {
  let receiver: OtlpReceiver;
  let database: OwnDatabase;
  let stack: Stack;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    database = await startOwnDatabase('clerk-prisma-test-telemetry-outage-');
    stack = await startStack({ databaseUrl: database.url(), env: { ...receiver.appEnv, DATA_PRUNE_INTERVAL_MINUTES: '0' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await database?.remove();
    await receiver?.stop();
  });

  it('counts every 503 by its reason, the failed and the applied deliveries, and the lag of each applied change', async () => {
    const sent: Delivery[] = [];
    await outageAndRedelivery({ send: (d) => (sent.push(d), post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret })), database });
    const refused = deliveryLogLines(stack.app, sent).filter((line) => line.status === 503).length;
    expect(refused).toBeGreaterThanOrEqual(5);

    // 6 users created, one renamed, one deleted: 8 changes applied; the 3 sent before the outage, redelivered, are duplicates.
    await expect.poll(() => total(receiver.sum('clerk.webhook.deliveries'), { outcome: 'applied' }), { timeout: 15_000 }).toBe(8);
    await expect.poll(() => total(receiver.sum('clerk.webhook.deliveries'), { outcome: 'duplicate' }), { timeout: 15_000 }).toBe(3);
    const deliveries = receiver.sum('clerk.webhook.deliveries');
    expect(total(deliveries, { outcome: 'failed' })).toBe(refused);
    expect(receiver.sum('clerk.webhook.unavailable')).toEqual([{ attributes: { reason: 'database' }, value: refused }]);
    expect(total(deliveries)).toBe(8 + 3 + refused);

    const lag = receiver.histogram('clerk.sync.lag');
    expect(lag.reduce((sum, point) => sum + point.count, 0)).toBe(8);
    expect(Object.fromEntries(lag.map((point) => [point.attributes.type, point.count]))).toEqual({ 'user.created': 6, 'user.updated': 1, 'user.deleted': 1 });
    // Every event is dated a minute before the storm began: each lag is at least that (less the few seconds between events).
    for (const point of lag) expect(point.min).toBeGreaterThan(50);
  }, 90_000);
});
