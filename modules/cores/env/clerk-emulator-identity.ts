/**
 * How to recognise the local Clerk emulator's configuration
 * (tools/clerk-emulator mints its keys from these), so that the app can
 * refuse to serve real traffic with it.
 */

/** The frontend API host of the emulator's publishable key; no real Clerk instance can have it (`.test` is reserved). */
export const EMULATOR_FRONTEND_API_HOST = 'clerk.example.test';

/** The emulator's secret keys start with this. */
export const EMULATOR_SECRET_KEY_PREFIX = 'sk_live_emulator_';

/** The frontend API host a publishable key names (`pk_live_` + base64("<host>$")), or null. */
export function frontendApiHostOf(publishableKey: string): string | null {
  const match = /^pk_(?:live|test)_([A-Za-z0-9+/=_-]+)$/.exec(publishableKey.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  return decoded.endsWith('$') ? decoded.slice(0, -1) : null;
}
