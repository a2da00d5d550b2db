/**
 * Clerk webhook deliveries for tests, signed with `standardwebhooks` (what
 * Svix and Clerk use) and shaped by the emulator's own builders, which are
 * type-checked against Clerk's contract (tools/clerk-emulator/src/contract).
 * Tests hand them to the app as `@clerk/backend`'s UserJSON, the type the app
 * reads Clerk's JSON with: the SDK's type has two fields Clerk's contract
 * does not (`timezone`, `organization_memberships` as null), absent here as
 * they are from Clerk's own JSON, so the app must never rely on them.
 */
import { randomBytes } from 'node:crypto';
import type { UserJSON, UserWebhookEvent, WebhookEvent } from '@clerk/backend';
import { Webhook } from 'standardwebhooks';
import type { User } from '../../tools/clerk-emulator/src/contract/schemas';
import { clerkId } from '../../tools/clerk-emulator/src/ids';
import { applyUserChanges, buildUser, type NewUser, type UserChanges } from '../../tools/clerk-emulator/src/users';
import { eventEnvelope } from '../../tools/clerk-emulator/src/webhooks';

export const TEST_SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export interface Delivery {
  svixId: string;
  body: string;
  event: WebhookEvent;
}

export function newClerkUser(input: NewUser = {}, at = Date.now()): UserJSON {
  const id = randomBytes(4).toString('hex');
  return asSdkUser(buildUser({ emailAddresses: [`person-${id}@example.com`], firstName: 'Ada', lastName: 'Lovelace', ...input }, at));
}

/** The next version of a user, `updated_at` moved to `at`. */
export function changedClerkUser(user: UserJSON, changes: UserChanges, at: number): UserJSON {
  const next = structuredClone(user) as unknown as User;
  applyUserChanges(next, changes, at);
  return asSdkUser(next);
}

/** A user on Clerk's contract as the SDK's type (see the top of this file). */
export const asSdkUser = (user: User): UserJSON => user as unknown as UserJSON;

export function delivery(type: UserWebhookEvent['type'], user: UserJSON, at = user.updated_at, instanceId = 'ins_test'): Delivery {
  const event = eventEnvelope({ type, user: user as unknown as User, at } as Parameters<typeof eventEnvelope>[0], instanceId);
  return { svixId: clerkId('msg'), body: JSON.stringify(event), event: event as unknown as UserWebhookEvent };
}

/** Any Clerk event (for types we do not handle). */
export function rawDelivery(event: object): Delivery {
  return { svixId: clerkId('msg'), body: JSON.stringify(event), event: event as WebhookEvent };
}

export function signedHeaders(
  d: Pick<Delivery, 'svixId' | 'body'>,
  options: { secret?: string; timestamp?: Date } = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? new Date();
  return {
    'content-type': 'application/json',
    'svix-id': d.svixId,
    'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'svix-signature': new Webhook(options.secret ?? TEST_SIGNING_SECRET).sign(d.svixId, timestamp, d.body),
  };
}

export function post(url: string, d: Pick<Delivery, 'svixId' | 'body'>, options: { secret?: string; timestamp?: Date } = {}) {
  return fetch(url, { method: 'POST', headers: signedHeaders(d, options), body: d.body, signal: AbortSignal.timeout(30_000) });
}
