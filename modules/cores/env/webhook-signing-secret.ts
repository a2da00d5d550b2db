/**
 * What makes a webhook signing secret usable: `whsec_` and the base64 of
 * the HMAC key, decoded as `standardwebhooks` (the library behind Clerk's
 * and our verification) decodes it. Clerk's secrets carry 24 bytes; fewer is
 * an empty or guessable key, with which anyone could sign a "Clerk" event.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_MIN_BYTES = 24;

/** Canonical base64, padded or not: what both standardwebhooks and Buffer decode to the same bytes. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** How many bytes of key `secret` holds; null when it is not `whsec_` and base64. */
export function webhookSecretBytes(secret: string): number | null {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return null;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(encoded, 'base64').length;
}

export const isUsableWebhookSecret = (secret: string): boolean => (webhookSecretBytes(secret) ?? 0) >= WEBHOOK_SECRET_MIN_BYTES;
