/**
 * The Backend API's organization endpoints, as `@clerk/backend`'s
 * OrganizationAPI and UserAPI.getOrganizationMembershipList call them
 * (paths, snake_case query and body fields, `{ data, total_count }` lists):
 *
 *   GET|POST            /v1/organizations
 *   GET                 /v1/organizations/{id or slug}
 *   PATCH|DELETE        /v1/organizations/{id}
 *   PATCH|PUT           /v1/organizations/{id}/metadata          (merge | replace)
 *   GET|POST            /v1/organizations/{id}/memberships
 *   PATCH|DELETE        /v1/organizations/{id}/memberships/{user id}
 *   PATCH               /v1/organizations/{id}/memberships/{user id}/metadata
 *   GET                 /v1/users/{id}/organization_memberships
 *   GET                 /v1/organization_memberships              (the instance's, every organization)
 *
 * Secret-key checks, fault injection and call counting happen before, in server.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { DeletedObjectJSON, OrganizationJSON } from '@clerk/backend';
import { formError } from './errors';
import { readParams, stringParam } from './http';
import { pageOf, paginated, signedIdFilter, sortBy } from './listing';
import { checkName, type Membership, metadataParam, type OrganizationChanges } from './organizations';
import type { Store } from './store';
import { primaryEmail, userMatches } from './users';

const ORGANIZATIONS = /^\/v1\/organizations$/;
const ORGANIZATION = /^\/v1\/organizations\/([^/]+)$/;
const ORGANIZATION_METADATA = /^\/v1\/organizations\/([^/]+)\/metadata$/;
const MEMBERSHIPS = /^\/v1\/organizations\/([^/]+)\/memberships$/;
const MEMBERSHIP = /^\/v1\/organizations\/([^/]+)\/memberships\/([^/]+)$/;
const MEMBERSHIP_METADATA = /^\/v1\/organizations\/([^/]+)\/memberships\/([^/]+)\/metadata$/;
const USER_MEMBERSHIPS = /^\/v1\/users\/([^/]+)\/organization_memberships$/;
const INSTANCE_MEMBERSHIPS = /^\/v1\/organization_memberships$/;

/** The answer to a request on one of these paths, or undefined when the path is not one of them. */
export async function organizationApi(store: Store, request: IncomingMessage, url: URL): Promise<unknown> {
  const method = request.method ?? 'GET';
  const path = url.pathname;
  const match = (pattern: RegExp) => pattern.exec(path)?.slice(1).map(decodeURIComponent);
  const query = url.searchParams;
  const withCount = (organization: OrganizationJSON) =>
    query.get('include_members_count') === 'true' ? store.withMembersCount(organization) : organization;
  const membershipJSON = (membership: Membership) => store.membershipJSON(membership);

  if (ORGANIZATIONS.test(path)) {
    if (method === 'GET') return paginated(listOrganizations(store, query), pageOf(query), withCount);
    if (method === 'POST') {
      const params = await readParams(request);
      const organization = store.createOrganization({
        name: checkName(params.name),
        slug: stringParam(params, 'slug'),
        createdBy: stringParam(params, 'created_by'),
        maxAllowedMemberships: membershipLimit(params),
        publicMetadata: metadataParam(params, 'public_metadata') ?? undefined,
        privateMetadata: metadataParam(params, 'private_metadata') ?? undefined,
      });
      return store.withMembersCount(organization);
    }
  }
  const organizationPath = match(ORGANIZATION);
  if (organizationPath) {
    const [idOrSlug] = organizationPath as [string];
    if (method === 'GET') return withCount(store.getOrganization(idOrSlug));
    if (method === 'PATCH') return store.updateOrganization(idOrSlug, organizationChanges(await readParams(request)));
    if (method === 'DELETE') {
      const deleted = store.deleteOrganization(idOrSlug);
      const body: DeletedObjectJSON = { object: 'organization', id: deleted.id, slug: deleted.slug, deleted: true };
      return body;
    }
  }
  const metadataPath = match(ORGANIZATION_METADATA);
  if (metadataPath && (method === 'PATCH' || method === 'PUT')) {
    const params = await readParams(request);
    return store.updateOrganization(metadataPath[0]!, { metadata: metadataChanges(params, method === 'PUT' ? 'replace' : 'merge') });
  }
  const membershipsPath = match(MEMBERSHIPS);
  if (membershipsPath) {
    const [organizationId] = membershipsPath as [string];
    if (method === 'GET') return paginated(listMemberships(store, organizationId, query), pageOf(query), membershipJSON);
    if (method === 'POST') {
      const params = await readParams(request);
      const userId = stringParam(params, 'user_id');
      if (!userId) throw formError('user_id', 'form_param_missing', 'is missing', 'user_id must be given.');
      const membership = store.createMembership(organizationId, {
        userId,
        role: params.role,
        publicMetadata: metadataParam(params, 'public_metadata') ?? undefined,
        privateMetadata: metadataParam(params, 'private_metadata') ?? undefined,
      });
      return membershipJSON(membership);
    }
  }
  const membershipPath = match(MEMBERSHIP);
  if (membershipPath) {
    const [organizationId, userId] = membershipPath as [string, string];
    if (method === 'PATCH') {
      const params = await readParams(request);
      return membershipJSON(store.updateMembership(organizationId, userId, { role: params.role ?? null }));
    }
    if (method === 'DELETE') return store.deleteMembership(organizationId, userId);
  }
  const membershipMetadataPath = match(MEMBERSHIP_METADATA);
  if (membershipMetadataPath && method === 'PATCH') {
    const [organizationId, userId] = membershipMetadataPath as [string, string];
    const params = await readParams(request);
    return membershipJSON(store.updateMembership(organizationId, userId, { metadata: metadataChanges(params, 'merge') }));
  }
  const userMembershipsPath = match(USER_MEMBERSHIPS);
  if (userMembershipsPath && method === 'GET') {
    // Newest first, as Clerk lists them.
    const memberships = sortBy(store.userMemberships(userMembershipsPath[0]!), '-created_at', { created_at: (m) => m.createdAt }, 'created_at');
    return paginated(memberships, pageOf(query), membershipJSON);
  }
  if (INSTANCE_MEMBERSHIPS.test(path) && method === 'GET') {
    // Newest first unless asked otherwise, as Clerk lists them; paging is stable (ties by id).
    const memberships = sortBy(store.allMemberships(), query.get('order_by') ?? '-created_at', { created_at: (m) => m.createdAt }, 'created_at');
    return paginated(memberships, pageOf(query), membershipJSON);
  }
  return undefined;
}

function membershipLimit(params: Record<string, unknown>): number | undefined {
  const value = params.max_allowed_memberships;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw formError('max_allowed_memberships', 'form_param_value_invalid', 'is invalid', 'max_allowed_memberships must be a whole number, 0 or more.');
  }
  return value;
}

function metadataChanges(params: Record<string, unknown>, mode: 'replace' | 'merge'): NonNullable<OrganizationChanges['metadata']> {
  return { mode, public: metadataParam(params, 'public_metadata'), private: metadataParam(params, 'private_metadata') };
}

/** PATCH /v1/organizations/{id}: each field given (and not null) changes; metadata given here is replaced. */
function organizationChanges(params: Record<string, unknown>): OrganizationChanges {
  const changes: OrganizationChanges = { metadata: metadataChanges(params, 'replace') };
  if (params.name !== undefined && params.name !== null) changes.name = checkName(params.name);
  const slug = stringParam(params, 'slug');
  if (slug !== undefined) changes.slug = slug;
  changes.maxAllowedMemberships = membershipLimit(params);
  if (typeof params.admin_delete_enabled === 'boolean') changes.adminDeleteEnabled = params.admin_delete_enabled;
  return changes;
}

/** `query` (exact id, partial name or slug), `organization_id` and `user_id` filters, then `order_by`. */
function listOrganizations(store: Store, query: URLSearchParams): OrganizationJSON[] {
  let organizations = store.listOrganizations();
  const text = query.get('query')?.toLowerCase();
  if (text) organizations = organizations.filter((o) => o.id === query.get('query') || o.name.toLowerCase().includes(text) || o.slug.includes(text));
  const byId = signedIdFilter(query.getAll('organization_id'));
  if (byId) organizations = organizations.filter((o) => byId([o.id]));
  const byMember = signedIdFilter(query.getAll('user_id'));
  if (byMember) organizations = organizations.filter((o) => byMember(store.listMemberships(o.id).map((m) => m.userId)));
  return sortBy(
    organizations,
    query.get('order_by') ?? '-created_at',
    { created_at: (o) => o.created_at, name: (o) => o.name.toLowerCase(), members_count: (o) => store.membersCount(o.id) },
    'created_at',
  );
}

/** An organization's memberships with Clerk's filters (user, email, role, query) and orders. */
function listMemberships(store: Store, organizationId: string, query: URLSearchParams): Membership[] {
  const user = (m: Membership) => store.getUser(m.userId);
  let memberships = store.listMemberships(organizationId);
  const byUser = signedIdFilter(query.getAll('user_id'));
  if (byUser) memberships = memberships.filter((m) => byUser([m.userId]));
  const emails = query.getAll('email_address').map((email) => email.toLowerCase());
  if (emails.length) memberships = memberships.filter((m) => user(m).email_addresses.some((e) => emails.includes(e.email_address.toLowerCase())));
  const roles = query.getAll('role');
  if (roles.length) memberships = memberships.filter((m) => roles.includes(m.role));
  const text = query.get('query');
  if (text) memberships = memberships.filter((m) => userMatches(user(m), text));
  return sortBy(
    memberships,
    query.get('order_by') ?? '-created_at',
    {
      created_at: (m) => m.createdAt,
      first_name: (m) => user(m).first_name ?? '',
      last_name: (m) => user(m).last_name ?? '',
      email_address: (m) => primaryEmail(user(m)) ?? '',
      username: (m) => user(m).username ?? '',
    },
    'created_at',
  );
}
