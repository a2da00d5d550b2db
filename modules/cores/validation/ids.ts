/**
 * Ids that arrive in forms (hidden fields) and URLs, shared by every module's
 * input schemas. They are only ever looked up together with the sender's
 * own rows, so a valid-looking id of someone else's matches nothing.
 */
import { z } from 'zod';

/** Row ids (cuids) from hidden fields; anything else matches no row. */
export const rowIdSchema = z.string().trim().min(1).max(64);

/** The organization a form acts in. */
export const organizationIdSchema = z.object({ organizationId: rowIdSchema });
