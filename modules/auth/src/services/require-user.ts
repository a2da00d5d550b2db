/**
 * "Check both": a signed-in Clerk session, then our own row for that user.
 *
 * The session comes from `auth()` (verified locally, no network); the row by
 * `clerkId`. When the row is missing because the webhook has not landed yet,
 * fetch the user once from the Backend API and store it through the same
 * sync function the webhook uses (just-in-time provisioning), so a signed-in
 * person never sees "user not found". Never `currentUser()`: that is a
 * Backend API call on every render.
 *
 * A session can outlive its user by up to a token's lifetime: a user we
 * tombstoned (no Backend API call: our records are enough) or one Clerk no
 * longer has (a 404) is *gone*, and treated as signed out: pages send the
 * browser to end its stale session (app/api/auth/end-session), never a 500.
 */
import { auth } from '@clerk/nextjs/server';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import type { User } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { CHOOSE_ORGANIZATION_TASK_PATH, getClerkConfig } from '@/modules/cores/clerk/clerk-config';
import { provisionUserFromClerk } from '@/modules/clerk-sync/src/objects/user-sync.service';

/** Where a browser whose user is gone is sent: it clears the session cookies, then signs in. */
export const END_SESSION_PATH = '/api/auth/end-session';

export type SessionUser = { clerkId: string; user: User } | { clerkId: string; user: null; gone: true };

/** Our row for a Clerk user with a session, provisioned once if needed; `gone` when the user no longer exists. */
async function loadSessionUser(clerkId: string): Promise<SessionUser> {
  const prisma = getPrisma();
  const row = await prisma.user.findUnique({ where: { clerkId } });
  if (row) return { clerkId, user: row };
  if (await prisma.deletedClerkUser.findUnique({ where: { clerkId }, select: { clerkId: true } })) return { clerkId, user: null, gone: true };
  const user = await provisionUserFromClerk(clerkId);
  // No row: Clerk no longer has the user, or it was deleted meanwhile (tombstoned).
  return user ? { clerkId, user } : { clerkId, user: null, gone: true };
}

/** The signed-in session's user, once per request: null when signed out. */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => {
  const { userId } = await auth();
  return userId ? loadSessionUser(userId) : null;
});

/** The signed-in user's row, or null (signed out, or gone): for what shows either way, like the header. */
export const getSignedInUser = cache(async (): Promise<User | null> => (await getSessionUser())?.user ?? null);

/** The signed-in user's row; the signed-out go to sign-in, the gone end their stale session first. */
export const requireUser = cache(async (): Promise<User> => {
  const session = await getSessionUser();
  if (!session) return (await auth()).redirectToSignIn();
  if (!session.user) redirect(END_SESSION_PATH);
  return session.user;
});

/**
 * A signed-in user's home: the personal space where the instance has
 * personal accounts, else their active organization's space (a session
 * without one is pending, and never reaches here: `auth()` reads it as
 * signed out).
 */
export async function homePath(): Promise<string> {
  if (getClerkConfig().allowPersonalAccounts) return '/dashboard';
  const { orgSlug } = await auth();
  return orgSlug ? `/orgs/${orgSlug}` : CHOOSE_ORGANIZATION_TASK_PATH;
}

/**
 * Where a user goes who just left or deleted an organization: the personal
 * dashboard with its notice, or, where the instance has no personal
 * accounts, the `choose-organization` task (their session has no
 * organization now; the one in their token is the one they left).
 */
export function homeAfterLeaving(notice: string): string {
  return getClerkConfig().allowPersonalAccounts ? `/dashboard?${notice}` : CHOOSE_ORGANIZATION_TASK_PATH;
}

/** The signed-in user, on a page of the personal space: where the instance has none, their home instead. */
export async function requirePersonalSpaceUser(): Promise<User> {
  const user = await requireUser();
  if (!getClerkConfig().allowPersonalAccounts) redirect(await homePath());
  return user;
}

/** A pending session (signed in, its `choose-organization` task not done), which `auth()` reads as signed out. */
export async function isSessionPending(): Promise<boolean> {
  return (await auth({ treatPendingAsSignedOut: false })).sessionStatus === 'pending';
}
