/**
 * Where a browser goes whose session outlived its user (deleted in Clerk, or
 * here): its session cookies are cleared, then it signs in. It acts only
 * when the session's user is really gone, so a link to it signs no one else
 * out.
 */
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { SIGN_IN_PATH } from '@/modules/cores/clerk/clerk-config';
import { getSessionUser } from '@/modules/auth/src/services/require-user';
import { clearClerkSessionCookies } from '@/modules/auth/src/services/session-cookies';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<never> {
  const session = await getSessionUser();
  if (session && !session.user) clearClerkSessionCookies(await cookies());
  redirect(SIGN_IN_PATH);
}
