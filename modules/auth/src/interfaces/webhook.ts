/** Limits and answers of the Clerk webhook endpoint. */

/** Clerk's user payloads are a few KiB; anything near this is not from Clerk. */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

/** Svix's own tolerance for the `svix-timestamp` header. */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type DeliveryOutcome = 'applied' | 'stale' | 'ignored' | 'duplicate' | 'failed';

/** A request we refuse before touching the database: its status and a short reason. */
export class WebhookRejection extends Error {
  override name = 'WebhookRejection';
  constructor(
    readonly status: 400 | 413,
    readonly reason: string,
  ) {
    super(reason);
  }
}
