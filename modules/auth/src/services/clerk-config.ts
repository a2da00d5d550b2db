/**
 * Which Clerk the app talks to, decided once from the environment: the real
 * hosted Clerk, or the local emulator (tools/clerk-emulator). Everything that
 * differs between the two reads `mode` here; pages never check it themselves.
 */
import { getAppEnv } from '@/modules/cores/env/env';
import { contentSecurityPolicy } from '@/modules/cores/security/content-security-policy';

export type ClerkMode = 'clerk' | 'emulator';

export interface ClerkConfig {
  mode: ClerkMode;
  publishableKey: string;
  secretKey: string;
  apiUrl: string;
  jwtKey: string | undefined;
  authorizedParties: string[];
  webhookSigningSecret: string;
  appUrl: string;
  /** The emulator's URL in emulator mode: its pages, and the SDK's frontend API (handshake). */
  emulatorUrl: string | undefined;
  signInUrl: string;
  signUpUrl: string;
}

export const SIGN_IN_PATH = '/sign-in';

/**
 * Spaces by URL (docs/decisions/013): on a document request, Clerk's
 * middleware makes the session's active organization the one the URL names
 * (through the handshake), or the personal account on its pages. Creating an
 * organization is at /organizations/new, outside these patterns.
 */
export const ORGANIZATION_SYNC_OPTIONS = {
  organizationPatterns: ['/orgs/:slug', '/orgs/:slug/(.*)'],
  personalAccountPatterns: ['/dashboard', '/dashboard/(.*)', '/posts', '/posts/(.*)'],
};
export const SIGN_UP_PATH = '/sign-up';

let cached: ClerkConfig | undefined;

export function getClerkConfig(): ClerkConfig {
  if (cached) return cached;
  const env = getAppEnv();
  const parties = env.CLERK_AUTHORIZED_PARTIES?.split(',').map((party) => party.trim()).filter(Boolean);
  cached = {
    mode: env.CLERK_EMULATOR_URL ? 'emulator' : 'clerk',
    publishableKey: env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
    secretKey: env.CLERK_SECRET_KEY,
    apiUrl: env.CLERK_API_URL,
    jwtKey: env.CLERK_JWT_KEY,
    authorizedParties: parties?.length ? parties : [new URL(env.APP_URL).origin],
    webhookSigningSecret: env.CLERK_WEBHOOK_SIGNING_SECRET,
    appUrl: env.APP_URL,
    emulatorUrl: env.CLERK_EMULATOR_URL,
    signInUrl: SIGN_IN_PATH,
    signUpUrl: SIGN_UP_PATH,
  };
  return cached;
}

/** Options for the real `clerkMiddleware`: tokens verified on this machine, handshakes to the emulator. */
export function clerkMiddlewareOptions() {
  const config = getClerkConfig();
  // No secretKey here: passed as an option, the SDK would need CLERK_ENCRYPTION_KEY
  // to hand it to auth(); it reads the same CLERK_SECRET_KEY from the environment.
  return {
    publishableKey: config.publishableKey,
    apiUrl: config.apiUrl,
    jwtKey: config.jwtKey,
    authorizedParties: config.authorizedParties,
    signInUrl: config.signInUrl,
    signUpUrl: config.signUpUrl,
    organizationSyncOptions: ORGANIZATION_SYNC_OPTIONS,
    // The sign-out form posts to the emulator in local mode, and only there.
    contentSecurityPolicy: contentSecurityPolicy({ formActionOrigins: config.emulatorUrl ? [new URL(config.emulatorUrl).origin] : [] }),
    // A plain-http proxyUrl sends the SDK's handshake to the emulator (FACTS.md).
    ...(config.mode === 'emulator' ? { proxyUrl: config.emulatorUrl } : {}),
  };
}
