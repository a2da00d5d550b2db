/**
 * "Check both": a signed-in Clerk session, then our own row for that user.
 *
 * The session comes from `auth()` (verified locally, no network); the row by
 * `clerkId`. When the row is missing because the webhook has not landed yet,
 * fetch the user once from the Backend API and store it through the same
 * sync function the webhook uses (just-in-time provisioning), so a signed-in
 * person never sees "user not found". Never `currentUser()`: that is a
 * Backend API call on every render.
 */
import { auth } from '@clerk/nextjs/server';
import { cache } from 'react';
import type { User } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { getClerkClient } from './clerk-client';
import { syncUserFromClerk } from './user-sync.service';

export const requireUser = cache(async (): Promise<User> => {
  const { userId, redirectToSignIn } = await auth();
  if (!userId) return redirectToSignIn();
  const row = await getPrisma().user.findUnique({ where: { clerkId: userId } });
  if (row) return row;
  const clerkUser = await getClerkClient().users.getUser(userId);
  if (!clerkUser.raw) throw new Error(`Clerk returned no data for ${userId}`);
  const { user } = await syncUserFromClerk(clerkUser.raw);
  // No row: the user was deleted meanwhile (tombstoned). Their token outlives them briefly; treat it as signed out.
  return user ?? redirectToSignIn();
});
