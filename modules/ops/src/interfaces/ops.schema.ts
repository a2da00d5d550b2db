/** The operator console's action inputs and their limits (every write has one, STYLE.md #1). */
import { z } from 'zod';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';

/** A svix-id as Svix makes them (`msg_` and base62); anything else matches no delivery. */
export const replayDeliverySchema = z.object({ svixId: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'Not a delivery id.') });
export const noInputSchema = z.object({});

export const OPS_REPLAY_LIMIT: RateLimit = { action: 'ops.replay', max: 20, windowSeconds: 60, message: 'Too many replays.' };
/** A dry run pages through every user, organization and membership of the instance: a few a minute. */
export const OPS_RECONCILE_LIMIT: RateLimit = { action: 'ops.reconcile', max: 3, windowSeconds: 60, message: 'Too many dry runs.' };
