/**
 * URLs as spans may carry them: without the identifiers Clerk puts in paths
 * and queries (docs/decisions/026).
 */

/** A path segment that is a Clerk id (`user_2x…`, `org_…`: a prefix, then 27 base62 characters; shorter ones with a digit, as tests make): an identifier, kept out of span attributes. */
const CLERK_ID = /^[a-z]+_([A-Za-z0-9]{20,}|(?=[A-Za-z]*\d)[A-Za-z0-9]{8,})$/;

/**
 * A Backend API URL as a span may carry it: Clerk ids in the path replaced by
 * `{id}`, and no query string (it names users: `?user_id=`, `?email_address=`).
 */
export function urlWithoutIds(url: string): { full: string; path: string } {
  const parsed = new URL(url);
  const path = parsed.pathname
    .split('/')
    .map((segment) => (CLERK_ID.test(decodeURIComponent(segment)) ? '{id}' : segment))
    .join('/');
  return { full: `${parsed.origin}${path}`, path };
}
