/** The real `@clerk/backend` client, configured from our environment (Clerk or the emulator). */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { getClerkConfig } from './clerk-config';

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
