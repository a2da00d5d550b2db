/**
 * A cheap GET for the emulator-mode keep-alive: passing through the proxy is
 * what lets the Clerk SDK refresh an expiring session token.
 */
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
}
