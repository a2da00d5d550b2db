/**
 * Organization memberships: an organization's (`/v1/organizations/:id/memberships`),
 * a user's (`/v1/users/:id/organization_memberships`) and the instance's
 * (`/v1/organization_memberships`), as `@clerk/backend`'s OrganizationAPI and
 * UserAPI call them. A membership is addressed by its organization and user.
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { formError } from '../errors';
import { readParams, stringParam } from '../http';
import { pageOf, paginated, signedIdFilter, sortBy } from '../listing';
import { type Membership, metadataParam } from '../organizations';
import { backend, type Route } from '../router';
import type { Store } from '../store';
import { primaryEmail, userMatches } from '../users';
import { metadataChanges } from './organizations';

export function membershipRoutes({ store }: EmulatorContext): Route[] {
  const json = (membership: Membership) => store.membershipJSON(membership);
  return [
    backend('GET', '/v1/organizations/:id/memberships', schema.membershipList, ({ url, params }) =>
      paginated(listMemberships(store, params.id!, url.searchParams), pageOf(url.searchParams), json),
    ),
    backend('POST', '/v1/organizations/:id/memberships', schema.membership, async ({ request, params: { id } }) => {
      const params = await readParams(request);
      const userId = stringParam(params, 'user_id');
      if (!userId) throw formError('user_id', 'form_param_missing', 'is missing', 'user_id must be given.');
      return json(
        store.createMembership(id!, {
          userId,
          role: params.role,
          publicMetadata: metadataParam(params, 'public_metadata') ?? undefined,
          privateMetadata: metadataParam(params, 'private_metadata') ?? undefined,
        }),
      );
    }),
    backend('PATCH', '/v1/organizations/:id/memberships/:userId', schema.membership, async ({ request, params: { id, userId } }) => {
      const params = await readParams(request);
      return json(store.updateMembership(id!, userId!, { role: params.role ?? null }));
    }),
    backend('DELETE', '/v1/organizations/:id/memberships/:userId', schema.membership, ({ params }) => store.deleteMembership(params.id!, params.userId!)),
    backend('PATCH', '/v1/organizations/:id/memberships/:userId/metadata', schema.membership, async ({ request, params: { id, userId } }) =>
      json(store.updateMembership(id!, userId!, { metadata: metadataChanges(await readParams(request), 'merge') })),
    ),
    backend('GET', '/v1/users/:id/organization_memberships', schema.membershipList, ({ url, params }) => {
      // Newest first, as Clerk lists them.
      const memberships = sortBy(store.userMemberships(params.id!), '-created_at', { created_at: (m) => m.createdAt }, 'created_at');
      return paginated(memberships, pageOf(url.searchParams), json);
    }),
    backend('GET', '/v1/organization_memberships', schema.membershipList, ({ url }) => {
      // Newest first unless asked otherwise, as Clerk lists them; paging is stable (ties by id).
      const memberships = sortBy(store.allMemberships(), url.searchParams.get('order_by') ?? '-created_at', { created_at: (m) => m.createdAt }, 'created_at');
      return paginated(memberships, pageOf(url.searchParams), json);
    }),
  ];
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
