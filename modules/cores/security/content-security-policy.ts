/**
 * The Content-Security-Policy, from one source: Clerk's `clerkMiddleware`
 * builds it for every request it handles (a fresh nonce, `'strict-dynamic'`,
 * and the hosts Clerk's own components load from, derived from the
 * publishable key), and we add the directives it leaves out. Next.js reads the
 * nonce from the request header the middleware sets and puts it on its own
 * scripts. See docs/decisions/007-content-security-policy-from-clerk.md.
 */
import type { ClerkMiddlewareOptions } from '@clerk/nextjs/server';

type ContentSecurityPolicyOptions = NonNullable<ClerkMiddlewareOptions['contentSecurityPolicy']>;

export interface PolicyOptions {
  /** Origins a form on our pages may post to besides our own (the emulator's sign-out, in local mode only). */
  formActionOrigins?: string[];
}

export function contentSecurityPolicy({ formActionOrigins = [] }: PolicyOptions = {}): ContentSecurityPolicyOptions {
  return {
    strict: true,
    directives: {
      'object-src': ['none'],
      'base-uri': ['none'],
      'frame-ancestors': ['none'],
      'form-action': ['self', ...formActionOrigins],
    },
  };
}
