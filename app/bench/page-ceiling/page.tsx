import { auth } from '@clerk/nextjs/server';
import { notFound } from 'next/navigation';
import { benchRoutesEnabled } from '@/modules/cores/env/bench';

export const dynamic = 'force-dynamic';

/**
 * The pages' ceiling for `npm run bench` (404 otherwise): a signed-in page
 * that does nothing of its own, in the same build, behind the same proxy and
 * in the same root layout as the dashboard (whose header reads the user's
 * row and organizations, as on every page): the session from `auth()`, no
 * query, no Backend API call. What the dashboard costs above it is the
 * dashboard's own; the rest is what any signed-in page of this app costs.
 */
export default async function PageCeilingPage() {
  if (!benchRoutesEnabled()) notFound();
  const { userId, redirectToSignIn } = await auth();
  if (!userId) return redirectToSignIn();
  return (
    <main className="mx-auto max-w-3xl px-6 py-10">
      <p>Signed in as {userId}.</p>
    </main>
  );
}
