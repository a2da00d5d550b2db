/** The real `@clerk/backend` client, configured from our environment (Clerk or the emulator). */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { getClerkConfig } from './clerk-config';

/**
 * The Backend API version this app was built and tested against: the one
 * `@clerk/backend` 3.25 sends as `Clerk-API-Version`, and the contract the
 * emulator holds itself to (tools/clerk-emulator/src/contract). `@clerk/backend`
 * is pinned to that exact release; a test fails when the SDK sends another,
 * so an upgrade brings a review of the contract with it.
 */
export const CLERK_API_VERSION = '2026-05-12';

const holder = globalThis as unknown as { clerkClient?: ClerkClient };

export function getClerkClient(): ClerkClient {
  if (holder.clerkClient) return holder.clerkClient;
  const config = getClerkConfig();
  holder.clerkClient = createClerkClient({
    secretKey: config.secretKey,
    publishableKey: config.publishableKey,
    apiUrl: config.apiUrl,
    jwtKey: config.jwtKey,
  });
  return holder.clerkClient;
}

/** Use `client` from now on: for the scripts, which find their Clerk keys their own way (scripts/lib/clerk-keys.ts). */
export function setClerkClient(client: ClerkClient): void {
  holder.clerkClient = client;
}

/**
 * The Backend API could not answer now: no response at all (the client
 * reports a network error with no status), 429, or a 5xx. Worth a retry
 * later, unlike any other 4xx.
 */
export function isClerkUnavailable(error: unknown): boolean {
  return isClerkAPIResponseError(error) && (error.status === undefined || error.status === 429 || error.status >= 500);
}
