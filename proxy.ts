/**
 * The real `clerkMiddleware` on every route but the Clerk webhook (which
 * authenticates by signature and carries no session; skipping the proxy
 * there is measured in bench/): public routes pass, everything else needs a
 * signed-in session. Tokens are verified on this machine
 * (`jwtKey`, `authorizedParties`); against the emulator, handshakes go to it.
 */
import { clerkMiddleware, createRouteMatcher } from '@clerk/nextjs/server';
import { clerkMiddlewareOptions } from '@/modules/auth/src/services/clerk-config';

const isPublicRoute = createRouteMatcher([
  '/',
  '/sign-in(.*)',
  '/sign-up(.*)',
  '/api/health',
  '/api/auth/keepalive',
]);

export default clerkMiddleware(
  async (auth, request) => {
    if (!isPublicRoute(request)) await auth.protect();
  },
  () => clerkMiddlewareOptions(),
);

export const config = {
  matcher: [
    // Everything but Next.js internals and static files, as Clerk recommends, and
    // the webhook, which authenticates by signature and carries no session.
    '/((?!_next|api/webhooks/|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    '/(api(?!/webhooks/)|trpc)(.*)',
  ],
};
