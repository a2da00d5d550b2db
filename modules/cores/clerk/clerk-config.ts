/**
 * Which Clerk the app talks to, decided once from the environment: the real
 * hosted Clerk, or the local emulator (tools/clerk-emulator). Everything that
 * differs between the two reads `mode` here; pages never check it themselves.
 */
import { getAppEnv } from '../env/env';
import { contentSecurityPolicy } from '../security/content-security-policy';

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
  /** The instance's "Allow personal accounts": whether the personal space exists. */
  allowPersonalAccounts: boolean;
}

export const SIGN_IN_PATH = '/sign-in';

/**
 * Spaces by URL (docs/decisions/013): on a document request, Clerk's
 * middleware makes the session's active organization the one the URL names
 * (through the handshake), or the personal account on its pages, where the
 * instance has personal accounts: where it has none, nothing ever asks Clerk
 * for one (docs/decisions/020). Creating an organization is at
 * /organizations/new, outside these patterns.
 */
export const ORGANIZATION_PATTERNS = ['/orgs/:slug', '/orgs/:slug/(.*)'];
export const PERSONAL_SPACE_PATTERNS = ['/dashboard', '/dashboard/(.*)', '/posts', '/posts/(.*)'];

export function organizationSyncOptions(allowPersonalAccounts: boolean) {
  return allowPersonalAccounts
    ? { organizationPatterns: ORGANIZATION_PATTERNS, personalAccountPatterns: PERSONAL_SPACE_PATTERNS }
    : { organizationPatterns: ORGANIZATION_PATTERNS };
}
export const SIGN_UP_PATH = '/sign-up';
/** Where a pending session completes its `choose-organization` task (ClerkProvider's `taskUrls`). */
export const CHOOSE_ORGANIZATION_TASK_PATH = '/sign-in/tasks/choose-organization';

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
    allowPersonalAccounts: env.CLERK_ALLOW_PERSONAL_ACCOUNTS,
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
    organizationSyncOptions: organizationSyncOptions(config.allowPersonalAccounts),
    // The sign-out form posts to the emulator in local mode, and only there.
    contentSecurityPolicy: contentSecurityPolicy({ formActionOrigins: config.emulatorUrl ? [new URL(config.emulatorUrl).origin] : [] }),
    // A plain-http proxyUrl sends the SDK's handshake to the emulator (FACTS.md).
    ...(config.mode === 'emulator' ? { proxyUrl: config.emulatorUrl } : {}),
  };
}
