/**
 * Who may use the operator console (/ops): the Clerk users whose ids are
 * listed in OPS_OPERATOR_CLERK_IDS (docs/decisions/025). Anyone else, signed
 * in or not, gets a 404 for every page and every action of the console: it
 * does not tell them it exists. The check reads only the session's verified
 * `sub` (no network, no statement) before anything else runs.
 */
import { auth } from '@clerk/nextjs/server';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import type { User } from '@/generated/prisma/client';
import { getOperatorClerkIds } from '@/modules/cores/env/env';
import { getSessionUser } from './require-user';

/** Whether the Clerk user `clerkId` is an operator. */
export const isOperator = (clerkId: string): boolean => getOperatorClerkIds().has(clerkId);

/** The signed-in operator's row; a 404 for everyone else (signed out, not an operator, or gone). */
export const requireOperator = cache(async (): Promise<User> => {
  const { userId } = await auth();
  if (!userId || !isOperator(userId)) notFound();
  const session = await getSessionUser();
  if (!session?.user) notFound();
  return session.user;
});
