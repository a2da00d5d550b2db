/**
 * The Clerk webhook endpoint as a function of a Request: size limit, then
 * verification (no database access for anything unsigned), then exactly-once
 * processing, one structured log line per delivery (ids, never personal
 * data), and the status Svix needs (2xx: done; 4xx: never send this again;
 * 503 with Retry-After: the database or Clerk is unreachable, or our Clerk
 * keys are another instance's than the delivery's; retry later). Each
 * delivery is a span (svix-id, type, outcome) with its verification and
 * processing inside, and counted (docs/decisions/026).
 */
import type { Span } from '@opentelemetry/api';
import { isDatabaseUnavailable } from '@/modules/cores/db/errors';
import { getWebhookSigningSecret } from '@/modules/cores/env/env';
import { smallJson } from '@/modules/cores/http/small-json';
import { getLogger } from '@/modules/cores/logger/logger';
import { appMetrics, inSpan } from '@/modules/cores/telemetry/telemetry';
import { WEBHOOK_MAX_BODY_BYTES, WebhookRejection } from './webhook';
import { isClerkUnavailable } from '@/modules/cores/clerk/clerk-client';
import { ClerkInstanceMismatch } from '../engine/clerk-instance.service';
import { processClerkWebhook, recordRejection } from './clerk-webhook.service';
import { verifyClerkWebhook } from './webhook-verification';

/** Read at most `limit` bytes; refuse with 413 as soon as the body is known to be larger. */
async function readLimitedBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new WebhookRejection(413, `body over ${limit} bytes`);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new WebhookRejection(413, `body over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function handleClerkWebhookRequest(request: Request, options: { signingSecret?: string } = {}): Promise<Response> {
  const svixId = request.headers.get('svix-id');
  return inSpan('clerk.webhook.delivery', svixId ? { 'clerk.svix_id': svixId } : {}, (span) => handleDelivery(request, svixId, span, options));
}

/** Why a delivery was answered 503: the class of the outage, a metric's label. */
type UnavailableReason = 'database' | 'clerk' | 'clerk-instance-mismatch';

async function handleDelivery(request: Request, svixId: string | null, span: Span, options: { signingSecret?: string }): Promise<Response> {
  const started = performance.now();
  const log = getLogger().child({ component: 'clerk-webhook' });
  let type: string | null = null;
  let clerkUserId: string | null = null;
  let clerkObjectId: string | undefined;
  const finish = (status: number, outcome: string, extra: Record<string, unknown> = {}, message = 'webhook delivery failed') => {
    const fields = { svixId, type, clerkUserId, clerkObjectId, outcome, status, ms: Math.round(performance.now() - started), ...extra };
    span.setAttributes({ 'clerk.event_type': type ?? 'unknown', 'clerk.webhook.outcome': outcome, 'http.response.status_code': status });
    appMetrics().deliveries.add(1, { type: type ?? 'unknown', outcome });
    if (status >= 500) log.error(fields, message);
    else if (status >= 400) log.warn(fields, 'webhook delivery refused');
    else log.info(fields, 'webhook delivery');
  };
  const unavailable = (reason: UnavailableReason) => {
    span.setAttribute('clerk.webhook.unavailable', reason);
    appMetrics().unavailable.add(1, { reason });
  };

  try {
    const body = await readLimitedBody(request, WEBHOOK_MAX_BODY_BYTES);
    const webhook = inSpan('clerk.webhook.verify', {}, () => verifyClerkWebhook(body, request.headers, options.signingSecret ?? getWebhookSigningSecret()));
    type = webhook.type;
    const result = await processClerkWebhook(webhook);
    clerkUserId = result.clerkUserId;
    clerkObjectId = result.clerkObjectId;
    finish(200, result.outcome);
    return smallJson({ outcome: result.outcome });
  } catch (error) {
    if (error instanceof WebhookRejection) {
      // Clerk sent it but we cannot take it: Svix stops on a 4xx, so the ledger is where it stays visible.
      if (error.signed) {
        type = error.signed.type;
        await recordRejection(error.signed, error.reason);
      }
      finish(error.status, 'rejected', { reason: error.reason });
      // An oversized body was not read to its end: this connection cannot carry another request.
      const headers: Record<string, string> = error.status === 413 ? { Connection: 'close' } : {};
      // A 413 keeps Next's own answer path (the connection closes while the client may still be
      // sending): the rare refusal this is, its cost does not matter, and that path is the proven one.
      if (error.status === 413) return Response.json({ error: error.reason }, { status: 413, headers });
      return smallJson({ error: error.reason }, { status: error.status, headers });
    }
    if (error instanceof ClerkInstanceMismatch) {
      // Our keys are another instance's than the delivery's: only an operator can settle it, and until then
      // every retry fails the same way (writing nothing). The log line says what to do, naming the instances.
      unavailable('clerk-instance-mismatch');
      finish(503, 'failed', { reason: 'clerk-instance-mismatch', ...error.instances }, error.message);
      return smallJson({ error: 'Clerk instance mismatch: see the logs' }, { status: 503, headers: { 'Retry-After': '300' } });
    }
    if (isDatabaseUnavailable(error)) {
      unavailable('database');
      finish(503, 'failed', { err: error });
      return smallJson({ error: 'database unavailable, retry later' }, { status: 503, headers: { 'Retry-After': '5' } });
    }
    if (isClerkUnavailable(error)) {
      // A membership whose user had to be fetched from Clerk, and Clerk did not answer.
      unavailable('clerk');
      finish(503, 'failed', { err: error });
      return smallJson({ error: 'Clerk unavailable, retry later' }, { status: 503, headers: { 'Retry-After': '5' } });
    }
    finish(500, 'failed', { err: error });
    return smallJson({ error: 'internal error, retry later' }, { status: 500 });
  }
}
