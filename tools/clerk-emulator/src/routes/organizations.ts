/**
 * Organizations: the Backend API's `/v1/organizations` (`@clerk/backend`'s
 * OrganizationAPI): `{ data, total_count }` lists, an organization found by
 * id or slug, metadata merged (PATCH) or replaced (PUT).
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { formError } from '../errors';
import { readParams, stringParam } from '../http';
import { pageOf, paginated, signedIdFilter, sortBy } from '../listing';
import { checkName, metadataParam, type OrganizationChanges } from '../organizations';
import { backend, type Route } from '../router';
import type { Store } from '../store';

type Organization = schema.Organization;

export function organizationRoutes({ store }: EmulatorContext): Route[] {
  const withCount = (query: URLSearchParams) => (organization: Organization) =>
    query.get('include_members_count') === 'true' ? store.withMembersCount(organization) : organization;

  return [
    backend('GET', '/v1/organizations', schema.organizationList, ({ url }) =>
      paginated(listOrganizations(store, url.searchParams), pageOf(url.searchParams), withCount(url.searchParams)),
    ),
    backend('POST', '/v1/organizations', schema.organization, async ({ request }) => {
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
    }),
    backend('GET', '/v1/organizations/:id', schema.organization, ({ url, params }) => withCount(url.searchParams)(store.getOrganization(params.id!))),
    backend('PATCH', '/v1/organizations/:id', schema.organization, async ({ request, params }) =>
      store.updateOrganization(params.id!, organizationChanges(await readParams(request))),
    ),
    backend('DELETE', '/v1/organizations/:id', schema.deletedObject, ({ params }) => {
      const deleted = store.deleteOrganization(params.id!);
      return { object: 'organization', id: deleted.id, slug: deleted.slug, deleted: true };
    }),
    backend('PATCH', '/v1/organizations/:id/metadata', schema.organization, async ({ request, params }) =>
      store.updateOrganization(params.id!, { metadata: metadataChanges(await readParams(request), 'merge') }),
    ),
    backend('PUT', '/v1/organizations/:id/metadata', schema.organization, async ({ request, params }) =>
      store.updateOrganization(params.id!, { metadata: metadataChanges(await readParams(request), 'replace') }),
    ),
  ];
}

export function membershipLimit(params: Record<string, unknown>): number | undefined {
  const value = params.max_allowed_memberships;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw formError('max_allowed_memberships', 'form_param_value_invalid', 'is invalid', 'max_allowed_memberships must be a whole number, 0 or more.');
  }
  return value;
}

export function metadataChanges(params: Record<string, unknown>, mode: 'replace' | 'merge'): NonNullable<OrganizationChanges['metadata']> {
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
function listOrganizations(store: Store, query: URLSearchParams): Organization[] {
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
