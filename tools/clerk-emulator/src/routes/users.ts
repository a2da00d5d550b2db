/**
 * Users: the Backend API's `/v1/users` (`@clerk/backend`'s UserAPI). The
 * list is a bare array with its count at `/v1/users/count`, as Clerk answers.
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { notFound } from '../errors';
import { readParams, stringParam } from '../http';
import { pageOf, sortBy } from '../listing';
import { backend, type Route } from '../router';
import { primaryEmail, type UserChanges, userMatches } from '../users';

type User = schema.User;

/** The user list's `order_by` fields. */
const USER_ORDERS: Record<string, (user: User) => string | number> = {
  created_at: (user) => user.created_at,
  updated_at: (user) => user.updated_at,
  email_address: (user) => primaryEmail(user) ?? '',
  first_name: (user) => user.first_name ?? '',
  last_name: (user) => user.last_name ?? '',
  last_sign_in_at: (user) => user.last_sign_in_at ?? 0,
  last_active_at: (user) => user.last_active_at ?? 0,
};

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);

export function userRoutes(context: EmulatorContext): Route[] {
  const { store } = context;

  function filterUsers(params: URLSearchParams): User[] {
    let users = store.listUsers();
    const emails = params.getAll('email_address').map((email) => email.toLowerCase());
    if (emails.length) users = users.filter((user) => user.email_addresses.some((e) => emails.includes(e.email_address.toLowerCase())));
    const ids = params.getAll('user_id');
    if (ids.length) users = users.filter((user) => ids.includes(user.id));
    const query = params.get('query');
    if (query) users = users.filter((user) => userMatches(user, query));
    return users;
  }

  const filtered = (params: URLSearchParams) => params.has('email_address') || params.has('user_id') || Boolean(params.get('query'));

  /** The last unfiltered listing in order, kept while no user changes: paging through a million users sorts once. */
  let sortedCache: { key: string; users: User[] } | null = null;

  function listUsers(params: URLSearchParams): User[] {
    const orderBy = params.get('order_by') ?? '-created_at';
    const { limit, offset } = pageOf(params);
    const hidden = context.faults.hiddenFromList;
    const unfiltered = !filtered(params) && hidden.size === 0;
    const key = `${orderBy}@${store.revision}`;
    if (unfiltered && sortedCache?.key === key) return sortedCache.users.slice(offset, offset + limit);
    const users = sortBy(filterUsers(params).filter((user) => !hidden.has(user.id)), orderBy, USER_ORDERS, 'created_at');
    if (unfiltered) sortedCache = { key, users };
    return users.slice(offset, offset + limit);
  }

  return [
    backend('GET', '/v1/users', schema.userList, ({ url }) => listUsers(url.searchParams)),
    backend('GET', '/v1/users/count', schema.totalCount, ({ url }) => ({
      object: 'total_count' as const,
      total_count: filtered(url.searchParams) ? filterUsers(url.searchParams).length : store.countUsers(),
    })),
    backend('POST', '/v1/users', schema.user, async ({ request }) => {
      const params = await readParams(request);
      context.checkNames(params);
      return store.createUser({
        emailAddresses: strings(params.email_address),
        phoneNumbers: strings(params.phone_number),
        firstName: stringParam(params, 'first_name') ?? null,
        lastName: stringParam(params, 'last_name') ?? null,
        externalId: stringParam(params, 'external_id') ?? null,
      });
    }),
    backend('GET', '/v1/users/:id', schema.user, ({ params }) => store.getUser(params.id!)),
    backend('PATCH', '/v1/users/:id', schema.user, async ({ request, params: { id } }) => {
      const params = await readParams(request);
      const user = store.getUser(id!);
      context.checkNames(params);
      const changes: UserChanges = {};
      if ('first_name' in params) changes.firstName = (params.first_name as string | null) ?? null;
      if ('last_name' in params) changes.lastName = (params.last_name as string | null) ?? null;
      if ('external_id' in params) changes.externalId = (params.external_id as string | null) ?? null;
      const primaryId = stringParam(params, 'primary_email_address_id');
      if (primaryId) {
        const address = user.email_addresses.find((email) => email.id === primaryId);
        if (!address) throw notFound();
        changes.primaryEmail = address.email_address;
      }
      return store.updateUser(id!, changes);
    }),
    backend('DELETE', '/v1/users/:id', schema.deletedObject, ({ params }) => {
      const user = store.deleteUser(params.id!);
      return { object: 'user', id: user.id, deleted: true };
    }),
  ];
}
