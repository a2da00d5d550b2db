'use server';

import { revalidatePath } from 'next/cache';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { ACCOUNT_DELETE_LIMIT, deleteAccountSchema, NAME_CHANGE_LIMIT, nameSchema } from '@/modules/account/src/interfaces/account.schema';
import { changeName, ClerkRequestError, deleteAccount } from '@/modules/account/src/services/account.service';
import { auditActorOf } from '@/modules/audit/src/services/audit-log.service';
import { authedAction } from '@/modules/auth/src/services/authed-action';
import { clearClerkSessionCookies } from '@/modules/auth/src/services/session-cookies';
import { ActionError, success } from '@/modules/cores/actions/action-state';

/** Clerk's refusal, beside the field it names or above the form. */
function asActionError(error: unknown): unknown {
  return error instanceof ClerkRequestError ? new ActionError(error.message, error.field) : error;
}

export const updateNameAction = authedAction({ schema: nameSchema, limit: NAME_CHANGE_LIMIT }, async ({ user }, name) => {
  try {
    await changeName(user.clerkId, name);
  } catch (error) {
    throw asActionError(error);
  }
  // Already stored: every page that shows the name renders it now.
  revalidatePath('/', 'layout');
  return success('Saved.');
});

export const deleteAccountAction = authedAction({ schema: deleteAccountSchema, limit: ACCOUNT_DELETE_LIMIT }, async ({ user }) => {
  try {
    await deleteAccount(user.clerkId, await auditActorOf(user));
  } catch (error) {
    throw asActionError(error);
  }
  // Clerk ended the sessions; clear this browser's copy now rather than at the token's expiry.
  clearClerkSessionCookies(await cookies());
  redirect('/?account=deleted');
});
