/**
 * The Account Portal: the pages Clerk hosts for signing in, up and out, and
 * the session task a pending session must complete (`choose-organization`,
 * where the instance has no personal accounts). Local mode has no passwords:
 * an email address is enough.
 */
import type { IncomingMessage } from 'node:http';
import { CHOOSE_ORGANIZATION_PATH, type EmulatorContext, type MintedSession } from '../context';
import { ApiError } from '../errors';
import { parseCookies, readParams, redirect, sendHtml, stringParam } from '../http';
import { checkName } from '../organizations';
import { chooseOrganizationPage, signInPage, signUpPage } from '../pages';
import { route, type Route } from '../router';
import { COOKIES, sessionCookies, signedOutCookies } from '../tokens';

export function accountPortalRoutes(context: EmulatorContext): Route[] {
  const { store } = context;
  const signUpHref = (redirectUrl: string) => `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}`;
  const signInHref = (redirectUrl: string) => `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`;

  /** Where a new session goes: its task first while it has one, as Clerk's sign-in flow does. */
  function afterSignIn({ session }: MintedSession, redirectUrl: string): string {
    if (context.sessionStatus(session) === 'pending') return `${CHOOSE_ORGANIZATION_PATH}?redirect_url=${encodeURIComponent(redirectUrl)}`;
    return redirectUrl;
  }

  /** The browser's session with its `choose-organization` task, if it has one. */
  function pendingSession(request: IncomingMessage) {
    const clientId = parseCookies(request)[COOKIES.client];
    const session = clientId ? store.activeSessionOfClient(clientId) : undefined;
    return session && context.sessionStatus(session) === 'pending' ? session : undefined;
  }

  function organizationsOf(userId: string) {
    return store.userMemberships(userId).map((membership) => store.getOrganization(membership.organizationId));
  }

  return [
    route('frontend', 'GET', '/', ({ response }) => redirect(response, '/admin', [], 302)),
    // Browsers ask for one on every page; there is none, and that is no error.
    route('frontend', 'GET', '/favicon.ico', ({ response }) => void response.writeHead(204, { 'Cache-Control': 'max-age=86400' }).end()),
    route('frontend', 'GET', '/sign-in', ({ response, url }) => {
      const redirectUrl = context.safeRedirect(url.searchParams.get('redirect_url'));
      return sendHtml(response, 200, signInPage({ redirectUrl, signUpHref: signUpHref(redirectUrl) }), context.appUrl);
    }),
    route('frontend', 'POST', '/sign-in', async ({ request, response }) => {
      const params = await readParams(request);
      const redirectUrl = context.safeRedirect(stringParam(params, 'redirect_url'));
      const email = (stringParam(params, 'email') ?? '').trim();
      const user = email ? store.findUserByEmail(email) : undefined;
      if (!user) {
        const error = email ? `No account uses ${email}. Check the address, or sign up.` : 'Enter your email address.';
        return sendHtml(response, 422, signInPage({ redirectUrl, email, error, signUpHref: signUpHref(redirectUrl) }), context.appUrl);
      }
      const minted = await context.mintSession(user, parseCookies(request)[COOKIES.client]);
      return redirect(response, afterSignIn(minted, redirectUrl), minted.cookies);
    }),
    route('frontend', 'GET', '/sign-up', ({ response, url }) => {
      const redirectUrl = context.safeRedirect(url.searchParams.get('redirect_url'));
      return sendHtml(response, 200, signUpPage({ redirectUrl, signInHref: signInHref(redirectUrl) }), context.appUrl);
    }),
    route('frontend', 'POST', '/sign-up', async ({ request, response }) => {
      const params = await readParams(request);
      const redirectUrl = context.safeRedirect(stringParam(params, 'redirect_url'));
      const values = {
        email: (stringParam(params, 'email') ?? '').trim(),
        firstName: (stringParam(params, 'first_name') ?? '').trim(),
        lastName: (stringParam(params, 'last_name') ?? '').trim(),
      };
      let user;
      try {
        user = store.createUser({ emailAddresses: [values.email], firstName: values.firstName || null, lastName: values.lastName || null });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const message = error.errors[0]?.code === 'form_identifier_exists' ? `${values.email} already has an account. Sign in instead.` : 'Enter a valid email address.';
        return sendHtml(response, 422, signUpPage({ redirectUrl, values, error: message, signInHref: signInHref(redirectUrl) }), context.appUrl);
      }
      const minted = await context.mintSession(user, parseCookies(request)[COOKIES.client]);
      return redirect(response, afterSignIn(minted, redirectUrl), minted.cookies);
    }),
    // A GET would let any page sign its visitors out (a link, an image); the app's sign-out is a form that posts.
    route('frontend', 'GET', '/sign-out', () => {
      throw new ApiError(405, [{ code: 'method_not_allowed', message: 'method not allowed', long_message: 'Sign out with a POST.' }], { Allow: 'POST' });
    }),
    route('frontend', 'POST', '/sign-out', async ({ request, response }) => {
      const params = await readParams(request);
      const clientId = parseCookies(request)[COOKIES.client];
      if (clientId) store.endSessionsOfClient(clientId);
      return redirect(response, context.safeRedirect(stringParam(params, 'redirect_url')), signedOutCookies());
    }),
    route('frontend', 'GET', CHOOSE_ORGANIZATION_PATH, ({ request, response, url }) => {
      const redirectUrl = context.safeRedirect(url.searchParams.get('redirect_url'));
      const session = pendingSession(request);
      // Nothing to choose (signed out, or the task is done): on to where the browser was going.
      if (!session) return redirect(response, redirectUrl, [], 303);
      return sendHtml(response, 200, chooseOrganizationPage({ redirectUrl, organizations: organizationsOf(session.userId) }), context.appUrl);
    }),
    route('frontend', 'POST', CHOOSE_ORGANIZATION_PATH, async ({ request, response }) => {
      const params = await readParams(request);
      const redirectUrl = context.safeRedirect(stringParam(params, 'redirect_url'));
      const session = pendingSession(request);
      if (!session) return redirect(response, redirectUrl, [], 303);
      const chosen = stringParam(params, 'organization_id');
      try {
        const organizationId = chosen ?? store.createOrganization({ name: checkName(params.name), createdBy: session.userId }).id;
        store.setActiveOrganization(session.id, organizationId);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const page = chooseOrganizationPage({ redirectUrl, organizations: organizationsOf(session.userId), name: stringParam(params, 'name'), error: error.errors[0]?.long_message });
        return sendHtml(response, 422, page, context.appUrl);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await context.tokenFor(session, now);
      return redirect(response, redirectUrl, sessionCookies(token, now, session.refreshToken));
    }),
  ];
}
