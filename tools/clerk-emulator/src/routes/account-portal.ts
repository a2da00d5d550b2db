/**
 * The Account Portal: the pages Clerk hosts for signing in, up and out, and
 * the session task a pending session must complete (`choose-organization`,
 * where the instance has no personal accounts). Local mode has no passwords:
 * an email address is enough.
 *
 * An invitation's ticket (`__clerk_ticket`, from its accept link) turns sign-up
 * and sign-in into accepting it: the invited address is fixed, sign-up
 * creates the user with it verified (the ticket proves it, as Clerk's ticket
 * strategy does), sign-in takes only the user who holds it verified, and
 * either joins the organization and starts the session in it. A ticket of an
 * invitation no longer pending is refused, with nothing made.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHOOSE_ORGANIZATION_PATH, type EmulatorContext, type MintedSession } from '../context';
import { ApiError } from '../errors';
import { parseCookies, readParams, redirect, sendHtml, stringParam } from '../http';
import type { User } from '../contract/schemas';
import type { Invitation } from '../invitations';
import { checkName } from '../organizations';
import { chooseOrganizationPage, invitationRefusedPage, signInPage, signUpPage, type TicketForm } from '../pages';
import { route, type Route } from '../router';
import { COOKIES, sessionCookies, signedOutCookies } from '../tokens';
import { TICKET_PARAM } from './invitations';

export function accountPortalRoutes(context: EmulatorContext): Route[] {
  const { store } = context;
  const withTicket = (ticket: string | undefined) => (ticket ? `&${TICKET_PARAM}=${encodeURIComponent(ticket)}` : '');
  const signUpHref = (redirectUrl: string, ticket?: string) => `/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}${withTicket(ticket)}`;
  const signInHref = (redirectUrl: string, ticket?: string) => `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}${withTicket(ticket)}`;

  /** The pending invitation a ticket stands for, or the page that refuses it (sent here). */
  function ticketed(response: ServerResponse, ticket: string): { invitation: Invitation; form: TicketForm } | undefined {
    const invitation = store.invitationByTicket(ticket);
    if (!invitation) {
      sendHtml(response, 404, invitationRefusedPage({ reason: 'unknown', appUrl: context.appUrl }), context.appUrl);
      return undefined;
    }
    const status = store.invitationStatus(invitation);
    if (status !== 'pending') {
      sendHtml(response, 400, invitationRefusedPage({ reason: status, appUrl: context.appUrl }), context.appUrl);
      return undefined;
    }
    const organizationName = store.getOrganization(invitation.organizationId).name;
    return { invitation, form: { ticket, email: invitation.emailAddress, organizationName } };
  }

  /** Join the invitation's organization, then sign in there and go on (the app's origin only). */
  async function acceptAndSignIn(request: IncomingMessage, response: ServerResponse, user: User, invitation: Invitation, redirectUrl: string, refuse: (message: string) => void): Promise<void> {
    try {
      store.acceptInvitation(invitation.id, user.id);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return refuse(error.errors[0]?.long_message ?? 'This invitation cannot be accepted.');
    }
    const minted = await context.mintSession(user, parseCookies(request)[COOKIES.client], invitation.organizationId);
    return redirect(response, afterSignIn(minted, redirectUrl), minted.cookies);
  }

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
      const ticket = url.searchParams.get(TICKET_PARAM);
      if (ticket) {
        const found = ticketed(response, ticket);
        if (!found) return;
        return sendHtml(response, 200, signInPage({ redirectUrl, signUpHref: signUpHref(redirectUrl, ticket), invitation: found.form }), context.appUrl);
      }
      return sendHtml(response, 200, signInPage({ redirectUrl, signUpHref: signUpHref(redirectUrl) }), context.appUrl);
    }),
    route('frontend', 'POST', '/sign-in', async ({ request, response }) => {
      const params = await readParams(request);
      const redirectUrl = context.safeRedirect(stringParam(params, 'redirect_url'));
      const ticket = stringParam(params, TICKET_PARAM);
      if (ticket) {
        const found = ticketed(response, ticket);
        if (!found) return;
        const { invitation, form } = found;
        const page = (status: number, error: string) =>
          sendHtml(response, status, signInPage({ redirectUrl, error, signUpHref: signUpHref(redirectUrl, ticket), invitation: form }), context.appUrl);
        // Only the user who holds the invited address verified: one who merely added it is not the invitee.
        const invitee = store.verifiedOwnerOf(invitation.emailAddress);
        if (!invitee) return page(422, `No account has ${invitation.emailAddress} as a verified address. Sign up instead.`);
        return acceptAndSignIn(request, response, invitee, invitation, redirectUrl, (message) => page(409, message));
      }
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
      const ticket = url.searchParams.get(TICKET_PARAM);
      if (ticket) {
        const found = ticketed(response, ticket);
        if (!found) return;
        return sendHtml(response, 200, signUpPage({ redirectUrl, signInHref: signInHref(redirectUrl, ticket), invitation: found.form }), context.appUrl);
      }
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
      const ticket = stringParam(params, TICKET_PARAM);
      if (ticket) {
        const found = ticketed(response, ticket);
        if (!found) return;
        const { invitation, form } = found;
        const page = (status: number, error: string) =>
          sendHtml(response, status, signUpPage({ redirectUrl, values, error, signInHref: signInHref(redirectUrl, ticket), invitation: form }), context.appUrl);
        if (store.findUserByEmail(invitation.emailAddress)) {
          // Held verified: that is the invitee, who signs in. Held unverified: the emulator gives an address to one user only.
          return page(422, store.verifiedOwnerOf(invitation.emailAddress) ? `${invitation.emailAddress} already has an account. Sign in instead.` : `${invitation.emailAddress} is held, unverified, by another account.`);
        }
        let invitee: User;
        try {
          // Created verified, as every address the emulator creates: here the ticket is the proof.
          invitee = store.createUser({ emailAddresses: [invitation.emailAddress], firstName: values.firstName || null, lastName: values.lastName || null });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          return page(422, error.errors[0]?.long_message ?? 'Could not create the account.');
        }
        return acceptAndSignIn(request, response, invitee, invitation, redirectUrl, (message) => page(409, message));
      }
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
