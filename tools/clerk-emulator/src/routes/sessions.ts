/**
 * Sessions as the SDK keeps them fresh: the Frontend API's handshake (a
 * document request with a missing or expired token, or one whose URL names
 * another organization), clerk-js's session touch (setActive), and the
 * Backend API's server-side refresh (the `__refresh_…` cookie).
 */
import { jwtVerify } from 'jose';
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { ApiError, notFound } from '../errors';
import { parseCookies, readParams, redirect, sendJson, stringParam } from '../http';
import { backend, route, type Route } from '../router';
import type { Session } from '../store';
import { COOKIES, sessionCookies, signedOutCookies, signHandshake } from '../tokens';

export function sessionRoutes(context: EmulatorContext): Route[] {
  const { store } = context;

  /**
   * The handshake's `organization_id`: an id or a slug (the SDK sends
   * whichever its pattern names), empty for the personal account. A member's
   * becomes active; anything else leaves the session as it was, as Clerk does
   * (the personal account too, where the instance allows none).
   */
  function activateOrganization(session: Session, idOrSlug: string): void {
    if (!idOrSlug && !context.personalAccountsAllowed()) return;
    try {
      store.setActiveOrganization(session.id, idOrSlug || null);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }

  return [
    route('frontend', 'GET', '/v1/client/handshake', async ({ request, response, url }) => {
      // The SDK sends browsers here when their session token is missing or expired, and (with
      // `organizationSyncOptions`) when the URL names another organization than the token's.
      const clientId = parseCookies(request)[COOKIES.client];
      const session = clientId ? store.activeSessionOfClient(clientId) : undefined;
      let directives: string[];
      if (session) {
        const organization = url.searchParams.get('organization_id');
        // Switching is the one change a GET makes here, so another site must not make it (a link or a
        // script sending the browser to ?organization_id=…). Such a handshake still refreshes the session,
        // without switching, rather than a 403: a link from elsewhere to /orgs/<slug> reaches us
        // cross-site too (every hop of a navigation begun on another site is), and must still open the
        // page. The SDK, resolving this handshake, serves the page with the session's organization as it
        // was; it asks again at the next navigation to such a page, begun on the app's own page (so
        // same-site: it switches then), and were that refused too, its `__clerk_redirect_count` cookie
        // stops it after three tries (@clerk/backend's handshakeRedirectLoopCounter): no loop. The app
        // decides access by its Membership rows, not by this claim (docs/decisions/013). `same-site` is
        // the app (localhost on another port), `none` an address typed in, no header a non-browser.
        if (organization !== null && request.headers['sec-fetch-site'] !== 'cross-site') activateOrganization(session, organization);
        const now = Math.floor(Date.now() / 1000);
        const token = await context.tokenFor(session, now);
        const clientUat = Number(parseCookies(request)[COOKIES.clientUat]) || now;
        directives = sessionCookies(token, Math.min(clientUat, now), session.refreshToken);
      } else {
        directives = signedOutCookies();
      }
      directives.push(`${COOKIES.handshake}=; Path=/; Max-Age=0`);
      const handshake = await signHandshake(context.keys, directives);
      // The cookie variant: the SDK reads it, applies the directives (which clear it), and the address bar stays clean.
      return redirect(response, context.safeRedirect(url.searchParams.get('redirect_url')), [`${COOKIES.handshake}=${handshake}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60`], 307);
    }),
    route('frontend', 'POST', '/v1/client/sessions/:id/touch', async ({ request, response, params: { id } }) => {
      // clerk-js's setActive({ organization }): the Frontend API's session touch, for the browser's own client only.
      const session = store.getSession(id!);
      if (!session || session.status !== 'active' || session.clientId !== parseCookies(request)[COOKIES.client]) throw notFound();
      const params = await readParams(request);
      if ('active_organization_id' in params) {
        const organization = typeof params.active_organization_id === 'string' && params.active_organization_id ? params.active_organization_id : null;
        // No personal account to switch to where the instance allows none: the session stays where it was (Clerk's touchSession).
        if (organization !== null || context.personalAccountsAllowed()) store.setActiveOrganization(session.id, organization);
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await context.tokenFor(session, now);
      const body = {
        response: {
          object: 'session',
          id: session.id,
          status: context.sessionStatus(session),
          user_id: session.userId,
          last_active_organization_id: store.activeOrganizationOf(session)?.organization.id ?? null,
          last_active_token: { object: 'token', jwt: token },
          tasks: context.sessionTasks(session),
        },
        client: null,
      };
      return sendJson(response, 200, body, { 'Set-Cookie': sessionCookies(token, now, session.refreshToken) });
    }),
    backend('POST', '/v1/sessions/:id/refresh', schema.cookies, async ({ request, params: { id } }) => {
      // The SDK's server-side refresh of an expired token (the `__refresh_…` cookie).
      const params = await readParams(request);
      const session = store.getSession(id!);
      const refreshToken = stringParam(params, 'refresh_token');
      if (!session || session.status !== 'active' || !refreshToken || refreshToken !== session.refreshToken) {
        throw new ApiError(401, [{ code: 'authentication_invalid', message: 'Session not found or ended', long_message: 'The session cannot be refreshed.' }]);
      }
      const expired = stringParam(params, 'expired_token') ?? '';
      const { payload } = await jwtVerify(expired, context.keys.publicKey, { clockTolerance: Number.MAX_SAFE_INTEGER }).catch(() => {
        throw new ApiError(400, [{ code: 'token_invalid', message: 'Invalid token', long_message: 'The expired token is not one of ours.' }]);
      });
      if (payload.sid !== session.id) throw new ApiError(400, [{ code: 'token_invalid', message: 'Invalid token', long_message: 'The token belongs to another session.' }]);
      const token = await context.tokenFor(session, Math.floor(Date.now() / 1000));
      return { object: 'cookies' as const, cookies: [`${COOKIES.session}=${token}; Path=/; SameSite=Lax`] };
    }),
  ];
}
