/**
 * The counts `npm run bench` may not exceed, on every run (`--quick` in CI
 * too), at every concurrency and size: statements PostgreSQL receives per
 * webhook delivery and per dashboard render, Backend API calls per render.
 * A count above its expectation fails the run, naming it; one below is
 * reported without failing, so that the expectation comes down with it.
 * The tests pin the same numbers one request at a time
 * (tests/integration/webhook-counts.test.ts, page-counts.test.ts); the bench
 * checks they hold under load.
 */
export const EXPECTED_COUNTS = {
  /** One call of `clerk_process_delivery`. */
  'statements per first delivery': 1,
  /** The same call, which finds the svix-id processed. */
  'statements per duplicate delivery': 1,
  /** The user's row, the header's organizations, one page of posts. */
  'statements per dashboard render': 3,
  'Backend API calls per dashboard render': 0,
} as const;

export type CountName = keyof typeof EXPECTED_COUNTS;
