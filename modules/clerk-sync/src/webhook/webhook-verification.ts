/**
 * Is this request a webhook Clerk sent, and one we can take? Verified with
 * `standardwebhooks`, the library Clerk's own `verifyWebhook` uses (same
 * headers, same 5-minute tolerance; several signatures in one header, as Svix
 * sends while a secret is being rotated, verify if any one does), called
 * directly so we keep the raw body and the envelope's `timestamp` and
 * `instance_id`, which `verifyWebhook` drops. Then the fields the sync reads
 * are checked (zod), and reduced to just those. Nothing here touches the
 * database.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { ZodType } from 'zod';
import { clerkSubscriptionDataSchema, clerkSubscriptionItemDataSchema } from '../objects/clerk-billing-data';
import { clerkInvitationDataSchema } from '../objects/clerk-invitation-data';
import { clerkMembershipDataSchema, clerkOrganizationDataSchema } from '../objects/clerk-organization-data';
import { clerkPermissionDataSchema, clerkRoleDataSchema } from '../objects/clerk-role-data';
import { clerkUserDataSchema, deletedObjectDataSchema } from '../objects/clerk-user-data';
import { type HandledEvent, SUBSCRIPTION_EVENTS, SUBSCRIPTION_ITEM_EVENTS, WEBHOOK_MAX_BODY_BYTES, WebhookRejection } from './webhook';

export const SVIX_HEADERS = ['svix-id', 'svix-timestamp', 'svix-signature'] as const;

export interface VerifiedWebhook {
  svixId: string;
  /** The event type, whether we handle it or not. */
  type: string;
  /** The event reduced to what the sync reads; null for a type we do not handle. */
  event: HandledEvent | null;
  /** The event's own time: the envelope's `timestamp` (ms), else the signed svix-timestamp. */
  eventAt: Date;
  /** The Clerk instance that sent it (the envelope's `instance_id`), when given. */
  instanceId: string | null;
}

type HeaderSource = { get(name: string): string | null };

/** Svix message ids (`msg_…`); anything longer or stranger is not from Svix and is never stored. */
const SVIX_ID = /^[A-Za-z0-9_.:-]{1,255}$/;
const EVENT_TYPE = /^[a-zA-Z][a-zA-Z0-9_.]{0,99}$/;
const INSTANCE_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Before Clerk existed: an envelope timestamp earlier than this is not a real event time. */
const EARLIEST_EVENT = Date.UTC(2015, 0, 1);

/** The schema of the handled part of each event type the sync takes; every other type is answered and ignored. */
/** One schema for each of several event types. */
const each = <T extends string>(types: readonly T[], schema: ZodType) => Object.fromEntries(types.map((type) => [type, schema])) as Record<T, ZodType>;

const HANDLED: Record<HandledEvent['type'], ZodType> = {
  'user.created': clerkUserDataSchema,
  'user.updated': clerkUserDataSchema,
  'user.deleted': deletedObjectDataSchema,
  'organization.created': clerkOrganizationDataSchema,
  'organization.updated': clerkOrganizationDataSchema,
  'organization.deleted': deletedObjectDataSchema,
  'organizationMembership.created': clerkMembershipDataSchema,
  'organizationMembership.updated': clerkMembershipDataSchema,
  'organizationMembership.deleted': clerkMembershipDataSchema,
  'organizationInvitation.created': clerkInvitationDataSchema,
  'organizationInvitation.accepted': clerkInvitationDataSchema,
  'organizationInvitation.revoked': clerkInvitationDataSchema,
  'role.created': clerkRoleDataSchema,
  'role.updated': clerkRoleDataSchema,
  'role.deleted': deletedObjectDataSchema,
  'permission.created': clerkPermissionDataSchema,
  'permission.updated': clerkPermissionDataSchema,
  'permission.deleted': deletedObjectDataSchema,
  ...each(SUBSCRIPTION_EVENTS, clerkSubscriptionDataSchema),
  ...each(SUBSCRIPTION_ITEM_EVENTS, clerkSubscriptionItemDataSchema),
};

const isHandledType = (type: string): type is HandledEvent['type'] => Object.hasOwn(HANDLED, type);

/** The handled part of an event, checked; throws a reason when malformed. Shared with replay. */
export function parseHandledEvent(type: string, data: unknown): HandledEvent | null {
  if (!isHandledType(type)) return null;
  const parsed = HANDLED[type].safeParse(data);
  if (!parsed.success) throw new Error(`malformed ${type} payload`);
  return { type, data: parsed.data } as HandledEvent;
}

export function verifyClerkWebhook(body: string, headers: HeaderSource, signingSecret: string): VerifiedWebhook {
  if (Buffer.byteLength(body) > WEBHOOK_MAX_BODY_BYTES) throw new WebhookRejection(413, `body over ${WEBHOOK_MAX_BODY_BYTES} bytes`);
  const svix: Record<string, string> = {};
  for (const name of SVIX_HEADERS) {
    const value = headers.get(name);
    if (!value) throw new WebhookRejection(400, `missing ${name} header`);
    svix[name] = value;
  }
  const svixId = svix['svix-id']!;
  if (!SVIX_ID.test(svixId)) throw new WebhookRejection(400, 'invalid svix-id header');
  // standardwebhooks reads webhook-* headers; Svix sends the same values as svix-*.
  const standard = { 'webhook-id': svixId, 'webhook-timestamp': svix['svix-timestamp']!, 'webhook-signature': svix['svix-signature']! };
  if (body.length === 0) throw new WebhookRejection(400, 'empty body');

  let parsed: unknown;
  try {
    parsed = new Webhook(signingSecret).verify(body, standard);
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw new WebhookRejection(400, describe(error.message));
    // Signed but not JSON: verify() parses after checking the signature.
    if (error instanceof SyntaxError) throw new WebhookRejection(400, 'body is not JSON', { svixId, type: 'unknown' });
    throw new WebhookRejection(400, 'invalid webhook');
  }

  // From here on Clerk really sent it: a refusal is recorded (as rejected) so that it is seen.
  const envelope = (parsed && typeof parsed === 'object' ? parsed : {}) as { type?: unknown; data?: unknown; timestamp?: unknown; instance_id?: unknown };
  if (typeof envelope.type !== 'string' || !('data' in envelope)) throw new WebhookRejection(400, 'not a Clerk event', { svixId, type: 'unknown' });
  const type = envelope.type;
  if (!EVENT_TYPE.test(type)) throw new WebhookRejection(400, 'not a Clerk event type', { svixId, type: 'unknown' });
  let event: HandledEvent | null;
  try {
    event = parseHandledEvent(type, envelope.data);
  } catch (error) {
    throw new WebhookRejection(400, (error as Error).message, { svixId, type });
  }
  // svix-timestamp passed verification, so it is a sane time; the envelope's may not be (or be in seconds).
  const raw = typeof envelope.timestamp === 'number' ? envelope.timestamp : NaN;
  const stated = raw < 1e11 ? raw * 1000 : raw;
  const eventAt = new Date(stated > EARLIEST_EVENT && stated < Date.now() + 86_400_000 ? stated : Number(svix['svix-timestamp']) * 1000);
  const instanceId = typeof envelope.instance_id === 'string' && INSTANCE_ID.test(envelope.instance_id) ? envelope.instance_id : null;
  return { svixId, type, event, eventAt, instanceId };
}

function describe(message: string): string {
  if (/too old/i.test(message)) return 'timestamp too old';
  if (/too new/i.test(message)) return 'timestamp too new';
  if (/timestamp|signature headers/i.test(message)) return 'invalid svix-timestamp header';
  if (/signature/i.test(message)) return 'invalid signature';
  return 'invalid webhook';
}
