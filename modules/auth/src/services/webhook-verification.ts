/**
 * Is this request a webhook Clerk sent? Verified with `standardwebhooks`, the
 * library Clerk's own `verifyWebhook` uses (same headers, same 5-minute
 * tolerance), called directly so we keep the raw body and the envelope's
 * `timestamp`, which `verifyWebhook` drops. Nothing here touches the database.
 */
import type { WebhookEvent } from '@clerk/backend';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';
import { WEBHOOK_MAX_BODY_BYTES, WebhookRejection } from '../interfaces/webhook';

/**
 * The fields of Clerk's user JSON that we read, checked before anything is
 * written: a signed but malformed event is refused (400), never a crash.
 */
const userData = z.object({
  id: z.string().min(1).max(128),
  updated_at: z.number().finite(),
  primary_email_address_id: z.string().nullable(),
  email_addresses: z.array(z.object({ id: z.string(), email_address: z.string().max(320) })).max(100),
  first_name: z.string().max(256).nullable().optional(),
  last_name: z.string().max(256).nullable().optional(),
  username: z.string().max(256).nullable().optional(),
});

const deletedUserData = z.object({ id: z.string().min(1).max(128).optional(), deleted: z.boolean().optional() });

export const SVIX_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature'] as const;

export interface VerifiedWebhook {
  svixId: string;
  event: WebhookEvent;
  /** The event's own time: the envelope's `timestamp` (ms), else the signed svix-timestamp. */
  eventAt: Date;
}

type HeaderSource = { get(name: string): string | null };

export function verifyClerkWebhook(body: string, headers: HeaderSource, signingSecret: string): VerifiedWebhook {
  if (Buffer.byteLength(body) > WEBHOOK_MAX_BODY_BYTES) throw new WebhookRejection(413, `body over ${WEBHOOK_MAX_BODY_BYTES} bytes`);
  const svix: Record<string, string> = {};
  for (const name of SVIX_HEADERS) {
    const value = headers.get(name);
    if (!value) throw new WebhookRejection(400, `missing ${name} header`);
    svix[name] = value;
  }
  // standardwebhooks reads webhook-* headers; Svix sends the same values as svix-*.
  const standard = { 'webhook-id': svix['svix-id']!, 'webhook-timestamp': svix['svix-timestamp']!, 'webhook-signature': svix['svix-signature']! };
  if (body.length === 0) throw new WebhookRejection(400, 'empty body');

  let parsed: unknown;
  try {
    parsed = new Webhook(signingSecret).verify(body, standard);
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw new WebhookRejection(400, describe(error.message));
    // Signed but not JSON: verify() parses after checking the signature.
    if (error instanceof SyntaxError) throw new WebhookRejection(400, 'body is not JSON');
    throw new WebhookRejection(400, 'invalid webhook');
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as { type?: unknown }).type !== 'string' || !('data' in parsed)) {
    throw new WebhookRejection(400, 'not a Clerk event');
  }
  const event = parsed as WebhookEvent;
  const shape = event.type === 'user.deleted' ? deletedUserData : event.type.startsWith('user.') ? userData : null;
  if (shape && !shape.safeParse(event.data).success) throw new WebhookRejection(400, `malformed ${event.type} payload`);
  const timestamp = (parsed as { timestamp?: unknown }).timestamp;
  const eventAt = new Date(typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : Number(svix['svix-timestamp']) * 1000);
  return { svixId: svix['svix-id']!, event, eventAt };
}

function describe(message: string): string {
  if (/too old/i.test(message)) return 'timestamp too old';
  if (/too new/i.test(message)) return 'timestamp too new';
  if (/timestamp|signature headers/i.test(message)) return 'invalid svix-timestamp header';
  if (/signature/i.test(message)) return 'invalid signature';
  return 'invalid webhook';
}
