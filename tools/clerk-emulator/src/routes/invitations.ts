/**
 * Organization invitations: an organization's (`/v1/organizations/:id/invitations`,
 * `@clerk/backend`'s OrganizationAPI), the instance's (`/v1/organization_invitations`)
 * and a user's (`/v1/users/:id/organization_invitations`, UserAPI); the accept
 * link of Clerk's email (`/v1/tickets/accept`, the Frontend API's), and the
 * mailbox those emails land in (`/mailbox`, `/_control/mailbox`).
 *
 * Lists are newest first unless `order_by` says otherwise (`created_at` or
 * `email_address`, with `+`/`-`), ties by id, paged by `limit`/`offset`;
 * `status` may be repeated. The accept link checks the invitation and sends
 * the browser on with `__clerk_ticket` and `__clerk_status` (`sign_in` when a
 * user holds the address verified, `sign_up` otherwise), as Clerk's does for
 * clerk-js (`TicketStatus` in `@clerk/shared`'s queryParams).
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { formError } from '../errors';
import { readBody, readParams, redirect, sendHtml, sendJson, stringParam } from '../http';
import { ACCEPT_PATH, BULK_MAX, INVITATION_STATUSES, type Invitation, type InvitationStatus, type NewInvitation, publicOrganizationData } from '../invitations';
import { pageOf, paginated, sortBy } from '../listing';
import { metadataParam } from '../organizations';
import { invitationRefusedPage, mailboxPage } from '../pages';
import { backend, route, type Route } from '../router';
import type { Store } from '../store';

/** Where the account portal takes a ticket (routes/account-portal.ts). */
export const TICKET_PARAM = '__clerk_ticket';
export const TICKET_STATUS_PARAM = '__clerk_status';

/** The `status` filters asked for (repeatable); an unknown one is Clerk's 422. */
function statusFilter(query: URLSearchParams): Set<InvitationStatus> | null {
  const asked = query.getAll('status').flatMap((value) => value.split(',')).filter(Boolean);
  if (asked.length === 0) return null;
  for (const status of asked) {
    if (!(INVITATION_STATUSES as readonly string[]).includes(status)) {
      throw formError('status', 'form_param_value_invalid', 'is invalid', `status must be one of ${INVITATION_STATUSES.join(', ')}.`);
    }
  }
  return new Set(asked as InvitationStatus[]);
}

function listed(store: Store, invitations: Invitation[], query: URLSearchParams, defaultOrder = '-created_at'): Invitation[] {
  const statuses = statusFilter(query);
  let kept = statuses ? invitations.filter((invitation) => statuses.has(store.invitationStatus(invitation))) : invitations;
  const email = query.get('email_address')?.trim().toLowerCase();
  if (email) kept = kept.filter((invitation) => invitation.emailAddress === email);
  const text = query.get('query')?.trim().toLowerCase();
  if (text) kept = kept.filter((invitation) => invitation.emailAddress.includes(text));
  return sortBy(kept, query.get('order_by') ?? defaultOrder, { created_at: (i) => i.createdAt, email_address: (i) => i.emailAddress }, 'created_at');
}

/** One invitation's parameters, as CreateOrganizationInvitation and each item of the bulk call take them. */
function newInvitation(params: Record<string, unknown>): NewInvitation {
  return {
    emailAddress: params.email_address,
    role: params.role,
    inviterUserId: stringParam(params, 'inviter_user_id') ?? null,
    publicMetadata: metadataParam(params, 'public_metadata') ?? undefined,
    privateMetadata: metadataParam(params, 'private_metadata') ?? undefined,
    redirectUrl: stringParam(params, 'redirect_url') ?? null,
    expiresInDays: params.expires_in_days,
    notify: params.notify !== false,
  };
}

/** The bulk call's body is an array (which readParams refuses): 1 to 10 invitations. */
async function bulkParams(request: Parameters<typeof readBody>[0]): Promise<Record<string, unknown>[]> {
  let items: unknown;
  try {
    items = JSON.parse(await readBody(request));
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items) || items.length < 1 || items.length > BULK_MAX || !items.every((item) => item && typeof item === 'object' && !Array.isArray(item))) {
    throw formError('invitations', 'form_param_value_invalid', 'is invalid', `The body must be an array of 1 to ${BULK_MAX} invitations.`);
  }
  return items as Record<string, unknown>[];
}

export function invitationRoutes(context: EmulatorContext): Route[] {
  const { store } = context;
  const json = (invitation: Invitation) => store.invitationJSON(invitation);
  const withOrganization = (invitation: Invitation): schema.OrganizationInvitationWithPublicOrganizationData => {
    const organization = store.findOrganization(invitation.organizationId);
    return { ...json(invitation), ...(organization ? { public_organization_data: publicOrganizationData(organization) } : {}) };
  };

  return [
    backend('POST', '/v1/organizations/:id/invitations', schema.organizationInvitation, async ({ request, params: { id } }) => {
      const [created] = store.createInvitations(id!, [newInvitation(await readParams(request))]);
      return json(created!);
    }),
    backend('GET', '/v1/organizations/:id/invitations', schema.organizationInvitationList, ({ url, params }) =>
      paginated(listed(store, store.listInvitations(params.id!), url.searchParams), pageOf(url.searchParams), json),
    ),
    backend('POST', '/v1/organizations/:id/invitations/bulk', schema.organizationInvitationList, async ({ request, params: { id } }) => {
      const created = store.createInvitations(id!, (await bulkParams(request)).map(newInvitation));
      return { data: created.map(json), total_count: created.length };
    }),
    // Deprecated by Clerk in favour of `?status=pending`, and still served.
    backend('GET', '/v1/organizations/:id/invitations/pending', schema.organizationInvitationList, ({ url, params }) => {
      const pending = store.listInvitations(params.id!).filter((invitation) => store.invitationStatus(invitation) === 'pending');
      return paginated(sortBy(pending, '-created_at', { created_at: (i) => i.createdAt }, 'created_at'), pageOf(url.searchParams), json);
    }),
    backend('GET', '/v1/organizations/:id/invitations/:invitationId', schema.organizationInvitation, ({ params }) => json(store.getInvitation(params.id!, params.invitationId!))),
    backend('POST', '/v1/organizations/:id/invitations/:invitationId/revoke', schema.organizationInvitation, async ({ request, params: { id, invitationId } }) => {
      const params = await readParams(request);
      // The spec names it `requesting_user_id`; `@clerk/backend` sends its `userId` as `user_id`.
      const requestingUserId = stringParam(params, 'requesting_user_id') ?? stringParam(params, 'user_id');
      return json(store.revokeInvitation(id!, invitationId!, requestingUserId));
    }),
    backend('GET', '/v1/organization_invitations', schema.organizationInvitationWithPublicOrganizationDataList, ({ url }) =>
      paginated(listed(store, store.allInvitations(), url.searchParams), pageOf(url.searchParams), withOrganization),
    ),
    backend('GET', '/v1/users/:id/organization_invitations', schema.organizationInvitationWithPublicOrganizationDataList, ({ url, params }) => {
      // By the user's verified addresses only: an address someone merely added is no proof it is theirs.
      const invitations = store.invitationsTo(store.verifiedEmailsOf(params.id!));
      const query = new URLSearchParams();
      for (const status of url.searchParams.getAll('status')) query.append('status', status);
      return paginated(listed(store, invitations, query), pageOf(url.searchParams), withOrganization);
    }),

    route('frontend', 'GET', ACCEPT_PATH, ({ response, url }) => {
      // The link in Clerk's email: on to the app (or our own sign-up or sign-in) with the ticket, if it still stands.
      // Refusals keep the FAPI spec's statuses (`acceptTicket`: 400, 404) with a page a person can read instead of ClerkErrors.
      const ticket = url.searchParams.get('ticket') ?? '';
      const invitation = ticket ? store.invitationByTicket(ticket) : undefined;
      if (!invitation) return sendHtml(response, 404, invitationRefusedPage({ reason: 'unknown', appUrl: context.appUrl }), context.appUrl);
      const status = store.invitationStatus(invitation);
      if (status !== 'pending') return sendHtml(response, 400, invitationRefusedPage({ reason: status, appUrl: context.appUrl }), context.appUrl);
      const ticketStatus = store.verifiedOwnerOf(invitation.emailAddress) ? 'sign_in' : 'sign_up';
      const target = invitation.redirectUrl
        ? new URL(context.safeRedirect(invitation.redirectUrl))
        : new URL(`${context.selfUrl()}/${ticketStatus === 'sign_in' ? 'sign-in' : 'sign-up'}?redirect_url=${encodeURIComponent(`${context.appUrl}/`)}`);
      target.searchParams.set(TICKET_PARAM, ticket);
      target.searchParams.set(TICKET_STATUS_PARAM, ticketStatus);
      return redirect(response, target.toString(), [], 303);
    }),
    route('admin', 'GET', '/mailbox', ({ response }) => sendHtml(response, 200, mailboxPage({ messages: store.messages().reverse() }), context.appUrl)),
    // The control token is checked before any control route (server.ts).
    route('control', 'GET', '/_control/mailbox', ({ response, url }) => {
      const to = url.searchParams.get('to')?.trim().toLowerCase();
      const messages = store.messages().reverse().filter((message) => !to || message.to === to);
      sendJson(response, 200, { messages });
    }),
    // Compact truth for comparisons with the app's tables: [id, organization id, email, role, status, updated_at].
    route('control', 'GET', '/_control/invitations/export', ({ response }) =>
      sendJson(response, 200, store.allInvitations().map((i) => [i.id, i.organizationId, i.emailAddress, i.role, store.invitationStatus(i), i.updatedAt])),
    ),
  ];
}
