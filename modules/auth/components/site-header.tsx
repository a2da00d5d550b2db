import Link from 'next/link';
import { getLogger } from '@/modules/cores/logger/logger';
import { getClerkConfig, SIGN_IN_PATH, SIGN_UP_PATH } from '@/modules/cores/clerk/clerk-config';
import { hasRealEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import { getSignedInUser } from '../src/services/require-user';
import { SpaceSwitcher, UserMenu } from './auth-ui';

/** The signed-in user's row, provisioned once per request if needed (shared with the page). */
async function headerUser() {
  try {
    return await getSignedInUser();
  } catch (error) {
    // The header must not take a page down: the page itself reports the problem.
    getLogger().warn({ err: error }, 'header could not load the signed-in user');
    return null;
  }
}

/** The header: the user menu when signed in, sign-in and sign-up links otherwise (also for a user who is gone). */
export async function SiteHeader() {
  const user = await headerUser();
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-5xl items-center justify-between gap-4 px-6 py-3">
        <div className="flex items-center gap-6">
          <Link href="/" className="font-semibold text-slate-900">
            Clerk + Prisma 7
          </Link>
          {user ? (
            <>
              <SpaceSwitcher userId={user.id} />
              {getClerkConfig().allowPersonalAccounts ? (
                <>
                  <Link href="/dashboard" className="text-sm font-medium text-slate-700 hover:text-slate-900">
                    Dashboard
                  </Link>
                  <Link href="/posts" className="text-sm font-medium text-slate-700 hover:text-slate-900">
                    All posts
                  </Link>
                </>
              ) : null}
            </>
          ) : null}
        </div>
        {user ? (
          <UserMenu name={user.name} email={hasRealEmail(user.email) ? user.email : null} />
        ) : (
          <div className="flex items-center gap-2">
            <Link href={SIGN_IN_PATH} className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
              Sign in
            </Link>
            <Link href={SIGN_UP_PATH} className="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600">
              Sign up
            </Link>
          </div>
        )}
      </nav>
    </header>
  );
}
