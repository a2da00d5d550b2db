/**
 * A bound on how long one database call may take before the caller gives
 * up and says "unavailable". A single statement has no Prisma transaction
 * around it (and so no `maxWait`), and behind a pooler a query can wait in
 * the pooler's queue for minutes while the database is down (PgBouncer's
 * `query_wait_timeout` is 120 s by default): without this a webhook would
 * hang instead of answering 503 so that Svix retries.
 */
export const STATEMENT_DEADLINE_MS = 10_000;

/** The database did not answer in time. `code` is ETIMEDOUT, which `isDatabaseUnavailable` knows. */
export class DatabaseDeadlineError extends Error {
  override name = 'DatabaseDeadlineError';
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`the database did not answer within ${ms / 1000} s`);
  }
}

/**
 * `call`'s result, or a DatabaseDeadlineError after `ms`. The call itself
 * goes on (a query cannot be taken back from a pooler's queue); whatever it
 * does later is idempotent, as every sync write is.
 */
export async function withinDeadline<T>(call: Promise<T>, ms = STATEMENT_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseDeadlineError(ms)), ms);
  });
  call.catch(() => {}); // a late failure after the deadline has nobody to tell
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
