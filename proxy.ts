/**
 * The real `clerkMiddleware`: it establishes the session (tokens verified on
 * this machine with `jwtKey` and `authorizedParties`; against the emulator,
 * handshakes go to it) and sets the Content-Security-Policy with a fresh
 * nonce. It protects nothing by itself: every page, layout, route handler and
 * action checks the session it needs (Clerk's resource-based checks; a test
 * walks app/ to keep that true).
 */
import { clerkMiddleware } from '@clerk/nextjs/server';
import { clerkMiddlewareOptions } from '@/modules/cores/clerk/clerk-config';

export default clerkMiddleware(
  () => undefined,
  () => clerkMiddlewareOptions(),
);

export const config = {
  matcher: [
    // Every page, also paths that look like files (`/posts/x.png`), so that
    // every page has a session and a CSP and a missing one is a clean 404.
    // Skipped: Next.js's build assets, the icons, the webhook (it
    // authenticates by signature and carries no session) and the bench's
    // empty handler that stands for it (404 outside `npm run bench`).
    '/((?!_next/static/|_next/image|favicon\\.ico$|icon\\.svg$|apple-icon\\.png$|api/webhooks/clerk$|api/bench/empty$).*)',
  ],
};
