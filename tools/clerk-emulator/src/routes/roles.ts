/**
 * Organization roles and permissions: the Backend API's
 * `/v1/organization_roles` and `/v1/organization_permissions`
 * (`@clerk/backend`'s OrganizationRoleAPI and OrganizationPermissionAPI),
 * over the store's catalog (roles.ts), and the control API's exports of both
 * for tests that compare the app's tables with the emulator's.
 */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { formError } from '../errors';
import { readParams, sendJson } from '../http';
import { pageOf, paginated, sortBy } from '../listing';
import { backend, route, type Route } from '../router';
import type { PermissionRecord, RoleRecord } from '../roles';

/** The body `CreateOrganizationRole` takes; the spec closes it (`additionalProperties: false`). */
const CREATE_ROLE_PARAMS = new Set(['name', 'key', 'description', 'permissions', 'include_in_initial_role_set']);

export function roleRoutes({ store }: EmulatorContext): Route[] {
  const { roles } = store;
  const roleJSON = (role: RoleRecord) => roles.roleJSON(role);
  const permissionJSON = (permission: PermissionRecord) => roles.permissionJSON(permission);

  return [
    backend('GET', '/v1/organization_roles', schema.roleList, ({ url }) => paginated(listed(roles.listRoles(), url.searchParams), pageOf(url.searchParams), roleJSON)),
    backend('POST', '/v1/organization_roles', schema.role, async ({ request }) => {
      const params = await readParams(request);
      const unknown = Object.keys(params).find((param) => !CREATE_ROLE_PARAMS.has(param));
      if (unknown) throw formError(unknown, 'form_param_unknown', 'is unknown', `${unknown} is not a valid parameter for this request.`);
      // `include_in_initial_role_set`: role sets are not emulated; every role is offered to every organization.
      return roleJSON(roles.createRole({ name: params.name, key: params.key, description: params.description, permissions: params.permissions }));
    }),
    backend('GET', '/v1/organization_roles/:id', schema.role, ({ params }) => roleJSON(roles.getRole(params.id!))),
    backend('PATCH', '/v1/organization_roles/:id', schema.role, async ({ request, params: { id } }) => {
      const params = await readParams(request);
      return roleJSON(roles.updateRole(id!, { name: params.name, key: params.key, description: params.description, permissions: params.permissions }));
    }),
    backend('DELETE', '/v1/organization_roles/:id', schema.deletedObject, ({ params }) => {
      const deleted = roles.deleteRole(params.id!);
      return { object: 'role', id: deleted.id, deleted: true };
    }),
    backend('POST', '/v1/organization_roles/:id/permissions/:permissionId', schema.role, ({ params }) => roleJSON(roles.assignPermission(params.id!, params.permissionId!))),
    backend('DELETE', '/v1/organization_roles/:id/permissions/:permissionId', schema.role, ({ params }) => roleJSON(roles.removePermission(params.id!, params.permissionId!))),

    backend('GET', '/v1/organization_permissions', schema.permissionList, ({ url }) =>
      paginated(listed(roles.listPermissions(), url.searchParams), pageOf(url.searchParams), permissionJSON),
    ),
    backend('POST', '/v1/organization_permissions', schema.permission, async ({ request }) => {
      const params = await readParams(request);
      return permissionJSON(roles.createPermission({ name: params.name, key: params.key, description: params.description }));
    }),
    backend('GET', '/v1/organization_permissions/:id', schema.permission, ({ params }) => permissionJSON(roles.getPermission(params.id!))),
    backend('PATCH', '/v1/organization_permissions/:id', schema.permission, async ({ request, params: { id } }) => {
      const params = await readParams(request);
      return permissionJSON(roles.updatePermission(id!, { name: params.name, key: params.key, description: params.description }));
    }),
    backend('DELETE', '/v1/organization_permissions/:id', schema.deletedObject, ({ params }) => {
      const deleted = roles.deletePermission(params.id!);
      return { object: 'permission', id: deleted.id, deleted: true };
    }),

    // Compact truth for comparisons with the app's tables: [id, key, name, sorted permission keys, updated_at].
    route('control', 'GET', '/_control/roles/export', ({ response }) =>
      sendJson(response, 200, roles.listRoles().map((role) => [role.id, role.key, role.name, roles.permissionKeys(role).sort(), role.updatedAt])),
    ),
    // [id, key, updated_at].
    route('control', 'GET', '/_control/permissions/export', ({ response }) =>
      sendJson(response, 200, roles.listPermissions().map((permission) => [permission.id, permission.key, permission.updatedAt])),
    ),
  ];
}

/**
 * Both lists' filters and orders: `query` matches an id exactly and a name
 * or key in part (case-insensitive); `order_by` on `created_at`, `name` or
 * `key` (others fall back to `created_at`), newest first by default, ties by id.
 */
function listed<T extends { id: string; key: string; name: string; createdAt: number }>(items: T[], query: URLSearchParams): T[] {
  const text = query.get('query');
  const needle = text?.toLowerCase();
  const matching = needle ? items.filter((item) => item.id === text || item.name.toLowerCase().includes(needle) || item.key.toLowerCase().includes(needle)) : items;
  return sortBy(
    matching,
    query.get('order_by') ?? '-created_at',
    { created_at: (item) => item.createdAt, name: (item) => item.name.toLowerCase(), key: (item) => item.key },
    'created_at',
  );
}
