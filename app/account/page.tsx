import type { Metadata } from 'next';
import { DeleteAccountForm, NameForm } from '@/modules/account/components/account-forms';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { deleteAccountAction, updateNameAction } from './actions';

export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  const user = await requireUser();
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-8 px-6 py-10">
      <h1 className="text-2xl font-bold tracking-tight">Account</h1>
      <section aria-labelledby="name-heading" className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="name-heading" className="text-lg font-semibold">
          Your name
        </h2>
        <p className="mt-1 mb-4 text-sm text-slate-600">
          Currently <strong data-testid="account-name">{user.name ?? 'not set'}</strong>. Changes go to Clerk, and show here as soon as Clerk confirms them.
        </p>
        <NameForm action={updateNameAction} firstName={user.firstName ?? ''} lastName={user.lastName ?? ''} />
      </section>
      <section aria-labelledby="delete-heading" className="rounded-lg border border-red-200 bg-white p-6 shadow-sm">
        <h2 id="delete-heading" className="text-lg font-semibold text-red-800">
          Delete your account
        </h2>
        <p className="mt-1 mb-4 text-sm text-slate-700">This deletes your account and every post you wrote. It cannot be undone.</p>
        <DeleteAccountForm action={deleteAccountAction} />
      </section>
    </main>
  );
}
