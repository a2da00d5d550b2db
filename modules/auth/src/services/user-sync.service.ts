/**
 * Our copy of a Clerk user: the one write path, used by the webhook handler
 * and by just-in-time provisioning in `requireUser()`.
 */
import type { UserJSON } from '@clerk/backend';
import type { User } from '@/generated/prisma/client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { clerkUserFields } from './clerk-user';

/** Insert or update the row for this Clerk user; one statement, safe to repeat and to race. */
export async function syncUserFromClerk(user: UserJSON): Promise<User> {
  const fields = clerkUserFields(user);
  return getPrisma().user.upsert({
    where: { clerkId: fields.clerkId },
    create: fields,
    update: { email: fields.email, name: fields.name },
  });
}

/** Remove the row of a deleted Clerk user; their posts go with it (cascade). */
export async function deleteUserFromClerk(clerkId: string): Promise<number> {
  const { count } = await getPrisma().user.deleteMany({ where: { clerkId } });
  return count;
}
