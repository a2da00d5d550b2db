/**
 * Organization invitations: an organization's (`/v1/organizations/:id/invitations`,
 * `@clerk/backend`'s OrganizationAPI), the instance's (`/v1/organization_invitations`)
 * and a user's (`/v1/users/:id/organization_invitations`, UserAPI); the accept
 * link of Clerk's email (`/v1/tickets/accept`, the Frontend API's), and the
 * mailbox those emails land in (`/mailbox`, `/_control/mailbox`).
 *
 * Lists are newest first unless `order_by` says otherwise (`created_at` or
 * `email_address`, with `+`/`-`), ties by id, paged by `limit`/`offset`;
 * `status` may be repeated. Each operation takes the parameters its spec
 * lists and no others (an organization's list `email_address`, the
 * instance's `query`, a user's only `status`; unknown query parameters are
 * ignored, unknown body fields refused), and a bad one is refused with the
 * operation's own status for bad input: Clerk's 422 where the operation
 * lists it, else the 400 it does (the pending list, a user's list, revoke).
 * The accept link checks the invitation and sends
 * the browser on with `__clerk_ticket` and `__clerk_status` (`sign_in` when a
 * user holds the address verified, `sign_up` otherwise), as Clerk's does for
 * clerk-js (`TicketStatus` in `@clerk/shared`'s queryParams).
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { paramError } from '../errors';
import { readBody, readParams, redirect, sendHtml, sendJson, stringParam } from '../http';
import { ACCEPT_PATH, BULK_MAX, INVITATION_STATUSES, type Invitation, type InvitationStatus, type NewInvitation, publicOrganizationData } from '../invitations';
import { checkedPageOf, paginated, sortBy } from '../listing';
import { metadataParam } from '../organizations';
import { invitationRefusedPage, mailboxPage } from '../pages';
import { backend, route, type Route } from '../router';
import type { Store } from '../store';

/** Where the account portal takes a ticket (routes/account-portal.ts). */
export const TICKET_PARAM = '__clerk_ticket';
export const TICKET_STATUS_PARAM = '__clerk_status';

/** What an operation answers a bad parameter with: 422 where its spec lists one, else 400 (ClerkErrors either way). */
type BadInput = 400 | 422;

/** The `status` filters asked for (repeatable, or comma-separated); an unknown one is refused. */
function statusFilter(query: URLSearchParams, bad: BadInput): Set<InvitationStatus> | null {
  const asked = query.getAll('status').flatMap((value) => value.split(',')).filter(Boolean);
  if (asked.length === 0) return null;
  for (const status of asked) {
    if (!(INVITATION_STATUSES as readonly string[]).includes(status)) {
      throw paramError(bad, 'status', 'form_param_value_invalid', 'is invalid', `status must be one of ${INVITATION_STATUSES.join(', ')}.`);
    }
  }
  return new Set(asked as InvitationStatus[]);
}

const ORDER_FIELDS: Record<string, (invitation: Invitation) => string | number> = { created_at: (i) => i.createdAt, email_address: (i) => i.emailAddress };

/** `order_by`: `created_at` or `email_address`, signed or not (no sign is `+`); anything else is refused. */
function orderBy(query: URLSearchParams): string {
  const asked = query.get('order_by') ?? '-created_at';
  if (!(asked.replace(/^[+-]/, '') in ORDER_FIELDS)) {
    throw paramError(422, 'order_by', 'form_param_value_invalid', 'is invalid', 'order_by must be created_at or email_address, optionally with + or -.');
  }
  return asked;
}

/** The filters and order an operation's spec lists; only those are read. */
interface ListParams {
  bad: BadInput;
  /** `email_address`: the organization's list, this address exactly. */
  emailAddress?: boolean;
  /** `query`: the instance's list, the address in part. */
  text?: boolean;
  /** `order_by`: the organization's and the instance's lists; the others are newest first. */
  orderBy?: boolean;
  /** `status`: every list but the deprecated pending one. */
  status?: boolean;
}

function listed(store: Store, invitations: Invitation[], query: URLSearchParams, takes: ListParams): Invitation[] {
  const statuses = takes.status ? statusFilter(query, takes.bad) : null;
  let kept = statuses ? invitations.filter((invitation) => statuses.has(store.invitationStatus(invitation))) : invitations;
  const email = takes.emailAddress ? query.get('email_address')?.trim().toLowerCase() : undefined;
  if (email) kept = kept.filter((invitation) => invitation.emailAddress === email);
  const text = takes.text ? query.get('query')?.trim().toLowerCase() : undefined;
  if (text) kept = kept.filter((invitation) => invitation.emailAddress.includes(text));
  return sortBy(kept, takes.orderBy ? orderBy(query) : '-created_at', ORDER_FIELDS, 'created_at');
}

type FieldType = 'string' | 'integer' | 'boolean' | 'object';

/** CreateOrganizationInvitation's body (and each bulk item's): every field nullable but the two required. */
const INVITATION_FIELDS: Record<string, FieldType> = {
  email_address: 'string',
  role: 'string',
  inviter_user_id: 'string',
  public_metadata: 'object',
  private_metadata: 'object',
  redirect_url: 'string',
  expires_in_days: 'integer',
  notify: 'boolean',
};
const INVITATION_REQUIRED = ['email_address', 'role'];
const REVOKE_FIELDS: Record<string, FieldType> = { requesting_user_id: 'string' };

const isType: Record<FieldType, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === 'boolean',
  object: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
};

/**
 * A body held to its operation's fields: none it does not take, each of its
 * type (null standing for "not given"), the required ones there. An HTML
 * form's values are strings: its numbers and booleans are read as such first.
 */
function checkedBody(params: Record<string, unknown>, fields: Record<string, FieldType>, required: string[], bad: BadInput, form = false): Record<string, unknown> {
  const body = { ...params };
  for (const [name, value] of Object.entries(body)) {
    const type = fields[name];
    if (!type) throw paramError(bad, name, 'form_param_unknown', 'is unknown', `${name} is not a valid parameter for this request.`);
    if (form && type === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value)) body[name] = Number(value);
    if (form && type === 'boolean' && (value === 'true' || value === 'false')) body[name] = value === 'true';
    if (body[name] !== null && body[name] !== undefined && !isType[type](body[name])) {
      throw paramError(bad, name, 'form_param_type_invalid', 'is invalid', `${name} must be ${type === 'integer' ? 'an integer' : `a ${type}`}.`);
    }
  }
  for (const name of required) {
    if (body[name] === undefined || body[name] === null) throw paramError(bad, name, 'form_param_missing', 'is missing', `${name} must be given.`);
  }
  return body;
}

const isForm = (request: Parameters<typeof readBody>[0]) => (request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');

/** One invitation's parameters, as CreateOrganizationInvitation and each item of the bulk call take them. */
function newInvitation(given: Record<string, unknown>, form = false): NewInvitation {
  const params = checkedBody(given, INVITATION_FIELDS, INVITATION_REQUIRED, 422, form);
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
    throw paramError(422, 'invitations', 'form_param_value_invalid', 'is invalid', `The body must be an array of 1 to ${BULK_MAX} invitations.`);
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
      const [created] = store.createInvitations(id!, [newInvitation(await readParams(request), isForm(request))]);
      return json(created!);
    }),
    backend('GET', '/v1/organizations/:id/invitations', schema.organizationInvitationList, ({ url, params }) => {
      const page = checkedPageOf(url.searchParams, 422);
      return paginated(listed(store, store.listInvitations(params.id!), url.searchParams, { bad: 422, status: true, emailAddress: true, orderBy: true }), page, json);
    }),
    backend('POST', '/v1/organizations/:id/invitations/bulk', schema.organizationInvitationList, async ({ request, params: { id } }) => {
      const created = store.createInvitations(id!, (await bulkParams(request)).map((item) => newInvitation(item)));
      return { data: created.map(json), total_count: created.length };
    }),
    // Deprecated by Clerk in favour of `?status=pending`, and still served.
    backend('GET', '/v1/organizations/:id/invitations/pending', schema.organizationInvitationList, ({ url, params }) => {
      const page = checkedPageOf(url.searchParams, 400);
      const pending = store.listInvitations(params.id!).filter((invitation) => store.invitationStatus(invitation) === 'pending');
      return paginated(listed(store, pending, url.searchParams, { bad: 400 }), page, json);
    }),
    backend('GET', '/v1/organizations/:id/invitations/:invitationId', schema.organizationInvitation, ({ params }) => json(store.getInvitation(params.id!, params.invitationId!))),
    backend('POST', '/v1/organizations/:id/invitations/:invitationId/revoke', schema.organizationInvitation, async ({ request, params: { id, invitationId } }) => {
      // The spec lists no 422 here: a bad body is its 400.
      const params = checkedBody(await readParams(request), REVOKE_FIELDS, [], 400);
      return json(store.revokeInvitation(id!, invitationId!, stringParam(params, 'requesting_user_id')));
    }),
    backend('GET', '/v1/organization_invitations', schema.organizationInvitationWithPublicOrganizationDataList, ({ url }) => {
      const page = checkedPageOf(url.searchParams, 422);
      return paginated(listed(store, store.allInvitations(), url.searchParams, { bad: 422, status: true, text: true, orderBy: true }), page, withOrganization);
    }),
    backend('GET', '/v1/users/:id/organization_invitations', schema.organizationInvitationWithPublicOrganizationDataList, ({ url, params }) => {
      // By the user's verified addresses only: an address someone merely added is no proof it is theirs.
      const invitations = store.invitationsTo(store.verifiedEmailsOf(params.id!));
      // The spec lists no 422 here: a bad `status`, `limit` or `offset` is its 400.
      const page = checkedPageOf(url.searchParams, 400);
      return paginated(listed(store, invitations, url.searchParams, { bad: 400, status: true }), page, withOrganization);
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
