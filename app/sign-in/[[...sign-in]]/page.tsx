import type { Metadata } from 'next';
import { SignInScreen } from '@/modules/auth/components/auth-ui';
import { isSessionPending } from '@/modules/auth/src/services/require-user';

export const metadata: Metadata = { title: 'Sign in' };

/**
 * /sign-in, and /sign-in/tasks[/choose-organization], where Clerk's SDK sends
 * a pending session (signed in, no organization chosen where the instance
 * has no personal accounts). A pending session that comes to /sign-in
 * itself is sent on to its task too: signing in again would only make
 * another pending session.
 */
export default async function SignInPage({
  params,
  searchParams,
}: {
  params: Promise<{ 'sign-in'?: string[] }>;
  searchParams: Promise<{ redirect_url?: string }>;
}) {
  const [{ 'sign-in': path = [] }, { redirect_url: redirectUrl }] = await Promise.all([params, searchParams]);
  // '' is "the session's current task", which <SignIn/> (or the emulator's page) picks.
  const task = path[0] === 'tasks' ? (path[1] ?? '') : (await isSessionPending()) ? '' : undefined;
  return (
    <main className="flex justify-center px-6 py-16">
      <SignInScreen redirectUrl={redirectUrl} task={task} />
    </main>
  );
}
