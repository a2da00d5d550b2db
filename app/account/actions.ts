'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { deleteAccountSchema, nameSchema } from '@/modules/account/src/interfaces/account.schema';
import { ClerkUnavailableError, requestAccountDeletion, requestNameChange } from '@/modules/account/src/services/account.service';
import { ActionError, authedAction, success } from '@/modules/cores/actions/authed-action';

const CLERK_DOWN = 'Clerk could not be reached, so nothing changed. Try again in a moment.';

export const updateNameAction = authedAction(nameSchema, async ({ user }, name) => {
  try {
    await requestNameChange(user.clerkId, name);
  } catch (error) {
    if (error instanceof ClerkUnavailableError) throw new ActionError(CLERK_DOWN);
    throw error;
  }
  return success('Saved. Your new name appears here as soon as Clerk confirms the change.');
});

export const deleteAccountAction = authedAction(deleteAccountSchema, async ({ user }) => {
  try {
    await requestAccountDeletion(user.clerkId);
  } catch (error) {
    if (error instanceof ClerkUnavailableError) throw new ActionError(CLERK_DOWN);
    throw error;
  }
  // Clerk ended the sessions; clear this browser's copy now rather than at the token's expiry.
  const jar = await cookies();
  for (const cookie of jar.getAll()) {
    if (cookie.name.startsWith('__session') || cookie.name.startsWith('__refresh')) jar.delete(cookie.name);
    if (cookie.name.startsWith('__client_uat')) jar.set(cookie.name, '0', { path: '/', sameSite: 'lax' });
  }
  redirect('/?account=deleted');
});
