/**
 * Per-user limits on writes, counted in PostgreSQL: fixed windows on the
 * database's clock (never an instance's, which may drift), one atomic upsert
 * per attempt, so every app instance counts the same requests. Expired
 * windows are removed by `pruneExpiredData` (modules/cores/retention). Each
 * refusal is counted by limit (`app.rate_limit.refusals`).
 */
import { getPrisma } from '@/modules/cores/db/prisma';
import { appMetrics } from '@/modules/cores/telemetry/telemetry';

export interface RateLimit {
  /** What is limited, e.g. `post.create`; part of the counter's key. */
  action: string;
  /** Attempts allowed per window. */
  max: number;
  windowSeconds: number;
  /** Shown to the person, followed by "Try again in N seconds." */
  message: string;
}

/** The longest window any limit may use: windows older than this are pruned. */
export const MAX_WINDOW_SECONDS = 3600;

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the window resets. */
  retryAfterSeconds: number;
}

/** The counter key of one subject (a Clerk user id) and action; erasing a user removes every key it starts. */
export const rateLimitKey = (subject: string, action: string) => `${subject}:${action}`;

/**
 * Count one attempt of `subject` at `limit.action` and say whether it is
 * allowed. `at` replaces the database's clock (tests only).
 */
export async function consumeRateLimit(subject: string, limit: RateLimit, at?: Date): Promise<RateLimitVerdict> {
  if (limit.windowSeconds > MAX_WINDOW_SECONDS) throw new Error(`rate limit windows are at most ${MAX_WINDOW_SECONDS} s`);
  const [row] = await getPrisma().$queryRaw<{ count: number; retryAfter: number }[]>`
    WITH clock AS (SELECT COALESCE(${at ?? null}::timestamptz, now()) AS now),
         w AS (SELECT to_timestamp(floor(extract(epoch FROM clock.now) / ${limit.windowSeconds}::int) * ${limit.windowSeconds}::int) AS start, clock.now FROM clock)
    INSERT INTO "RateLimitWindow" ("key", "windowStart", "count")
    SELECT ${rateLimitKey(subject, limit.action)}, w.start AT TIME ZONE 'UTC', 1 FROM w
    ON CONFLICT ("key", "windowStart") DO UPDATE SET "count" = "RateLimitWindow"."count" + 1
    RETURNING "count", (SELECT ceil(extract(epoch FROM w.start + make_interval(secs => ${limit.windowSeconds}::int) - w.now))::int FROM w) AS "retryAfter"`;
  const allowed = (row?.count ?? 0) <= limit.max;
  if (!allowed) appMetrics().rateLimited.add(1, { limit: limit.action });
  return { allowed, retryAfterSeconds: Math.max(1, row?.retryAfter ?? limit.windowSeconds) };
}
