import type { Metadata } from 'next';
import { hasRealEmail } from '@/modules/auth/src/services/clerk-user';
import { requireUser } from '@/modules/auth/src/services/require-user';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function DashboardPage() {
  const user = await requireUser();
  return (
    <main className="mx-auto max-w-3xl px-6 py-12">
      <h1 className="text-2xl font-bold tracking-tight">Dashboard</h1>
      <section aria-labelledby="profile" className="mt-6 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="profile" className="text-sm font-semibold tracking-wide text-slate-500 uppercase">
          Your profile
        </h2>
        <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-6 gap-y-2">
          <dt className="font-medium text-slate-600">Name</dt>
          <dd data-testid="profile-name">{user.name ?? 'No name yet'}</dd>
          <dt className="font-medium text-slate-600">Email</dt>
          <dd data-testid="profile-email">{hasRealEmail(user.email) ? user.email : 'No email address'}</dd>
        </dl>
      </section>
    </main>
  );
}
