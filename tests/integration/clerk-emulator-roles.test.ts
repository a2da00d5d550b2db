/**
 * The emulator's organization roles and permissions as the real
 * `@clerk/backend` client (OrganizationRoleAPI, OrganizationPermissionAPI),
 * Clerk's own webhook verification and the SDK's request authentication see
 * them: the instance's defaults, the Backend API's answers and refusals, the
 * `role.*` and `permission.*` events, memberships and session tokens that
 * follow the role objects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClerkClient } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLERK_API_VERSION } from '@/modules/cores/clerk/clerk-client';
import type { WebhookPayload } from '../../tools/clerk-emulator/src/contract/contract';
import type { Permission as PermissionJSON, Role as RoleJSON } from '../../tools/clerk-emulator/src/contract/schemas';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { COOKIES } from '../../tools/clerk-emulator/src/tokens';
import { EmulatorControl, verifiedEvent, WebhookReceiver } from '../helpers/emulator-control';

const APP = 'http://localhost:3000';

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: APP, webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20, instance: { allowPersonalAccounts: true } });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url, publishableKey: emulator.publishableKey });

afterEach(async () => {
  await control().reset();
  receiver.clear();
});

/** A Backend API request by hand, as the SDK sends it, for the fields its classes drop (`type`) and bodies it would not send. */
async function backend<T>(method: string, pathname: string, options: { body?: unknown; expectStatus?: number } = {}): Promise<T> {
  const response = await fetch(`${emulator.url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${emulator.keys.secretKey}`, 'content-type': 'application/json', 'clerk-api-version': CLERK_API_VERSION },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  expect(response.status).toBe(options.expectStatus ?? 200);
  return (await response.json()) as T;
}

type RoleOrPermissionEvent = WebhookPayload<'role.created' | 'role.updated' | 'role.deleted' | 'permission.created' | 'permission.updated' | 'permission.deleted'>;

/** The role and permission deliveries so far, verified as the app's endpoint would verify them. */
async function roleEvents(): Promise<RoleOrPermissionEvent[]> {
  await expect.poll(() => emulator.webhooks.pending(), { timeout: 10_000, interval: 20 }).toBe(0);
  const events = await Promise.all(receiver.received.map((delivery) => verifiedEvent(delivery, emulator.keys.webhookSecret)));
  return events.filter((event): event is RoleOrPermissionEvent => event.type.startsWith('role.') || event.type.startsWith('permission.'));
}

async function roleByKey(key: string): Promise<RoleJSON> {
  const { data } = await backend<{ data: RoleJSON[] }>('GET', `/v1/organization_roles?query=${encodeURIComponent(key)}&limit=100`);
  const role = data.find((candidate) => candidate.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role;
}

async function permissionByKey(key: string): Promise<PermissionJSON> {
  const { data } = await backend<{ data: PermissionJSON[] }>('GET', `/v1/organization_permissions?query=${encodeURIComponent(key)}&limit=100`);
  const permission = data.find((candidate) => candidate.key === key);
  if (!permission) throw new Error(`no permission ${key}`);
  return permission;
}

const keysOf = (role: { permissions: { key: string }[] }) => role.permissions.map((permission) => permission.key);

function person(name: string) {
  return clerk().users.createUser({ emailAddress: [`${name.toLowerCase()}@example.com`], firstName: name });
}

/** What `auth()` returns for a browser holding this session token. */
async function authOf(token: string) {
  const cookie = `${COOKIES.session}=${token}; ${COOKIES.clientUat}=${decodeJwt(token).iat}`;
  const request = new Request(`${APP}/dashboard`, { headers: { cookie, 'sec-fetch-dest': 'document', accept: 'text/html' } });
  const state = await clerk().authenticateRequest(request, { jwtKey: emulator.keys.publicKeyPem, authorizedParties: [APP] });
  expect(state.status).toBe('signed-in');
  const auth = state.toAuth();
  if (!auth || !('orgId' in auth) || !auth.userId) throw new Error('not signed in');
  return auth;
}

const SYSTEM_PERMISSIONS = [
  'org:sys_profile:manage',
  'org:sys_profile:delete',
  'org:sys_memberships:read',
  'org:sys_memberships:manage',
  'org:sys_domains:read',
  'org:sys_domains:manage',
  'org:sys_billing:read',
  'org:sys_billing:manage',
];

describe("the instance's roles and permissions", () => {
  it("starts with Clerk's system permissions and default roles, and the app's posts permission and editor role", async () => {
    const permissions = await backend<{ data: PermissionJSON[]; total_count: number }>('GET', '/v1/organization_permissions?limit=100');
    expect(permissions.total_count).toBe(9);
    expect(permissions.data.filter((p) => p.type === 'system').map((p) => p.key).sort()).toEqual([...SYSTEM_PERMISSIONS].sort());
    expect(permissions.data.filter((p) => p.type === 'user')).toEqual([
      expect.objectContaining({ object: 'permission', key: 'org:posts:delete', name: 'Delete any post', id: expect.stringMatching(/^perm_/) }),
    ]);

    const { data: roles, totalCount } = await clerk().organizationRoles.getOrganizationRoleList({ limit: 100 });
    expect(totalCount).toBe(3);
    // Newest first, as the spec's ListOrganizationRoles orders them by default.
    expect(roles.map((role) => role.key)).toEqual(['org:editor', 'org:member', 'org:admin']);
    const [editor, member, admin] = roles;
    expect(admin).toMatchObject({ name: 'Admin', isCreatorEligible: true });
    expect(admin!.id).toMatch(/^role_/);
    expect(keysOf(admin!)).toEqual([...SYSTEM_PERMISSIONS, 'org:posts:delete']);
    expect(member).toMatchObject({ name: 'Member', isCreatorEligible: false });
    expect(keysOf(member!)).toEqual(['org:sys_memberships:read', 'org:sys_billing:read']);
    expect(editor).toMatchObject({ name: 'Editor', isCreatorEligible: false });
    expect(keysOf(editor!)).toEqual(['org:sys_memberships:read', 'org:posts:delete']);

    // The control exports say the same.
    const exported = await control().exportRoles();
    expect(exported.map(([id, key, name, keys, updatedAt]) => ({ id, key, name, keys, updatedAt })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [admin!, editor!, member!].map((role) => ({ id: role.id, key: role.key, name: role.name, keys: keysOf(role).sort(), updatedAt: role.updatedAt })),
    );
    expect((await control().exportPermissions()).map(([id, key, updatedAt]) => ({ id, key, updatedAt })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      permissions.data.map((p) => ({ id: p.id, key: p.key, updatedAt: p.updated_at })).sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('pages, filters and orders both lists as the spec describes', async () => {
    const page = await clerk().organizationPermissions.getOrganizationPermissionList({ limit: 4, offset: 2, orderBy: '+key' });
    expect(page.totalCount).toBe(9);
    expect(page.data.map((p) => p.key)).toEqual(['org:sys_billing:read', 'org:sys_domains:manage', 'org:sys_domains:read', 'org:sys_memberships:manage']);
    expect((await clerk().organizationPermissions.getOrganizationPermissionList({ query: 'DOMAINS' })).data.map((p) => p.key).sort()).toEqual(['org:sys_domains:manage', 'org:sys_domains:read']);
    const editor = await roleByKey('org:editor');
    // An id matches exactly, a name or key in part.
    expect((await clerk().organizationRoles.getOrganizationRoleList({ query: editor.id })).data.map((role) => role.key)).toEqual(['org:editor']);
    expect((await clerk().organizationRoles.getOrganizationRoleList({ query: 'mem' })).data.map((role) => role.key)).toEqual(['org:member']);
    expect((await clerk().organizationRoles.getOrganizationRoleList({ orderBy: 'name' })).data.map((role) => role.name)).toEqual(['Admin', 'Editor', 'Member']);
    expect((await clerk().organizationRoles.getOrganizationRoleList({ orderBy: '-key', limit: 1, offset: 1 })).data.map((role) => role.key)).toEqual(['org:editor']);
  });

  it('starts over on reset, and applies the customRolePermissions setting onto the roles without webhooks', async () => {
    await clerk().organizationPermissions.createOrganizationPermission({ name: 'Read posts', key: 'org:posts:read' });
    expect((await roleEvents()).map((event) => event.type)).toEqual(['permission.created']);
    await control().reset();
    receiver.clear();
    expect((await control().exportPermissions()).map(([, key]) => key)).not.toContain('org:posts:read');

    await control().configureInstance({ customRolePermissions: { 'org:member': ['org:posts:read'], 'org:billing': ['org:invoices:pay'] } });
    expect(keysOf(await roleByKey('org:member'))).toEqual(['org:sys_memberships:read', 'org:sys_billing:read', 'org:posts:read']);
    expect(await roleByKey('org:billing')).toMatchObject({ name: 'Billing', description: null, permissions: [expect.objectContaining({ key: 'org:invoices:pay', type: 'user' })] });
    // Roles the setting does not name keep theirs.
    expect(keysOf(await roleByKey('org:admin'))).toContain('org:posts:delete');
    // A later change of another setting does not apply it again over what the Backend API changed since.
    const member = await roleByKey('org:member');
    await clerk().organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: member.id, permissionId: (await permissionByKey('org:posts:read')).id });
    await control().configureInstance({ names: true });
    expect(keysOf(await roleByKey('org:member'))).not.toContain('org:posts:read');
    expect((await roleEvents()).map((event) => event.type)).toEqual(['role.updated']);
  });

  it('keeps its roles and permissions, ids and all, across a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'clerk-emulator-roles-'));
    try {
      const first = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      const api = createClerkClient({ secretKey: first.keys.secretKey, apiUrl: first.url });
      const permission = await api.organizationPermissions.createOrganizationPermission({ name: 'Publish posts', key: 'org:posts:publish' });
      const role = await api.organizationRoles.createOrganizationRole({ name: 'Publisher', key: 'org:publisher', permissions: [permission.id] });
      await first.close();
      const second = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      try {
        const again = await createClerkClient({ secretKey: second.keys.secretKey, apiUrl: second.url }).organizationRoles.getOrganizationRole(role.id);
        expect(again).toMatchObject({ key: 'org:publisher', updatedAt: role.updatedAt, permissions: [expect.objectContaining({ id: permission.id, key: 'org:posts:publish' })] });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('organization permissions through the Backend API', () => {
  it('creates, gets, updates and deletes a custom permission, each change a webhook', async () => {
    const api = clerk().organizationPermissions;
    const created = await api.createOrganizationPermission({ name: 'Pin posts', key: 'org:posts:pin', description: 'Pin a post to the top' });
    expect(created).toMatchObject({ name: 'Pin posts', key: 'org:posts:pin', description: 'Pin a post to the top' });
    expect(created.id).toMatch(/^perm_/);
    expect(created.updatedAt).toBe(created.createdAt);
    expect(await backend<PermissionJSON>('GET', `/v1/organization_permissions/${created.id}`)).toMatchObject({ object: 'permission', type: 'user' });
    // The description defaults to empty: the contract's Permission requires one.
    expect((await api.createOrganizationPermission({ name: 'Archive posts', key: 'org:posts:archive' })).description).toBe('');

    const renamed = await api.updateOrganizationPermission({ permissionId: created.id, name: 'Pin any post' });
    expect(renamed).toMatchObject({ name: 'Pin any post', key: 'org:posts:pin', description: 'Pin a post to the top' });
    expect(renamed.updatedAt).toBeGreaterThan(created.updatedAt);
    const rekeyed = await api.updateOrganizationPermission({ permissionId: created.id, key: 'org:posts:feature' });
    expect(rekeyed.updatedAt).toBeGreaterThan(renamed.updatedAt);
    expect(await api.getOrganizationPermission(created.id)).toMatchObject({ key: 'org:posts:feature', name: 'Pin any post' });

    expect(await api.deleteOrganizationPermission(created.id)).toMatchObject({ object: 'permission', id: created.id, deleted: true });
    await expect(api.getOrganizationPermission(created.id)).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 'resource_not_found' })] });

    const events = await roleEvents();
    expect(events.map((event) => event.type)).toEqual(['permission.created', 'permission.created', 'permission.updated', 'permission.updated', 'permission.deleted']);
    expect(events[0]!.data).toMatchObject({ object: 'permission', id: created.id, key: 'org:posts:pin', type: 'user', created_at: created.createdAt });
    expect(events[3]!.data).toMatchObject({ key: 'org:posts:feature', updated_at: rekeyed.updatedAt });
    expect(events[4]!.data).toEqual({ object: 'permission', id: created.id, deleted: true });
    expect(events[4]!.timestamp).toBeGreaterThanOrEqual(rekeyed.updatedAt);
  });

  it("shows a permission's new key in the roles that hold it, and takes it out of them when it goes", async () => {
    const postsDelete = await permissionByKey('org:posts:delete');
    const [admin, editor] = [await roleByKey('org:admin'), await roleByKey('org:editor')];
    await clerk().organizationPermissions.updateOrganizationPermission({ permissionId: postsDelete.id, key: 'org:posts:remove' });
    expect(keysOf(await clerk().organizationRoles.getOrganizationRole(editor.id))).toEqual(['org:sys_memberships:read', 'org:posts:remove']);

    await clerk().organizationPermissions.deleteOrganizationPermission(postsDelete.id);
    const [adminAfter, editorAfter] = [await roleByKey('org:admin'), await roleByKey('org:editor')];
    expect(keysOf(adminAfter)).toEqual(SYSTEM_PERMISSIONS);
    expect(keysOf(editorAfter)).toEqual(['org:sys_memberships:read']);
    expect(adminAfter.updated_at).toBeGreaterThan(admin.updated_at);

    // Each role that held it is reported changed, before the permission's deletion.
    const events = await roleEvents();
    expect(events.map((event) => event.type)).toEqual(['permission.updated', 'role.updated', 'role.updated', 'permission.deleted']);
    expect(events.slice(1, 3).map((event) => (event.data as RoleJSON).key).sort()).toEqual(['org:admin', 'org:editor']);
    expect(keysOf(events[1]!.data as RoleJSON)).not.toContain('org:posts:remove');
  });

  it("refuses what Clerk refuses: a taken or malformed key, a reserved one, and changes to Clerk's own", async () => {
    const api = clerk().organizationPermissions;
    const refused = (code: string, status = 422) => ({ status, errors: [expect.objectContaining({ code })] });
    await expect(api.createOrganizationPermission({ name: 'Delete', key: 'org:posts:delete' })).rejects.toMatchObject(refused('form_identifier_exists'));
    await expect(api.createOrganizationPermission({ name: 'Posts', key: 'org:posts' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationPermission({ name: 'Posts', key: 'posts:delete' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationPermission({ name: 'Posts', key: 'org:Posts:Delete' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationPermission({ name: 'Mine', key: 'org:sys_posts:delete' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationPermission({ name: '', key: 'org:posts:read' })).rejects.toMatchObject(refused('form_param_missing'));
    const pin = await api.createOrganizationPermission({ name: 'Pin', key: 'org:posts:pin' });
    await expect(api.updateOrganizationPermission({ permissionId: pin.id, key: 'org:posts:delete' })).rejects.toMatchObject(refused('form_identifier_exists'));

    const system = await permissionByKey('org:sys_memberships:manage');
    await expect(api.updateOrganizationPermission({ permissionId: system.id, name: 'Mine' })).rejects.toMatchObject(refused('system_permission_not_modifiable', 403));
    await expect(api.deleteOrganizationPermission(system.id)).rejects.toMatchObject(refused('system_permission_not_modifiable', 403));
    await expect(api.getOrganizationPermission('perm_missing')).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.updateOrganizationPermission({ permissionId: 'perm_missing', name: 'x' })).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.deleteOrganizationPermission('perm_missing')).rejects.toMatchObject(refused('resource_not_found', 404));
    expect((await roleEvents()).map((event) => event.type)).toEqual(['permission.created']);
  });
});

describe('organization roles through the Backend API', () => {
  it('creates, updates, assigns and removes permissions of, and deletes a role, each change a role webhook with its full permissions', async () => {
    const api = clerk().organizationRoles;
    const [postsDelete, membersRead] = [await permissionByKey('org:posts:delete'), await permissionByKey('org:sys_memberships:read')];
    const moderator = await api.createOrganizationRole({ name: 'Moderator', key: 'org:moderator', description: 'Keeps the peace', permissions: [membersRead.id, membersRead.id] });
    expect(moderator).toMatchObject({ name: 'Moderator', key: 'org:moderator', description: 'Keeps the peace', isCreatorEligible: false });
    expect(moderator.id).toMatch(/^role_/);
    expect(keysOf(moderator)).toEqual(['org:sys_memberships:read']);
    expect((await api.createOrganizationRole({ name: 'Viewer', key: 'org:viewer' })).description).toBeNull();

    const assigned = await api.assignPermissionToOrganizationRole({ organizationRoleId: moderator.id, permissionId: postsDelete.id });
    expect(keysOf(assigned)).toEqual(['org:sys_memberships:read', 'org:posts:delete']);
    expect(assigned.updatedAt).toBeGreaterThan(moderator.updatedAt);
    const removed = await api.removePermissionFromOrganizationRole({ organizationRoleId: moderator.id, permissionId: membersRead.id });
    expect(keysOf(removed)).toEqual(['org:posts:delete']);
    expect(removed.updatedAt).toBeGreaterThan(assigned.updatedAt);

    const updated = await api.updateOrganizationRole({ organizationRoleId: moderator.id, name: 'Moderators', description: null, permissions: [membersRead.id] });
    expect(updated).toMatchObject({ name: 'Moderators', key: 'org:moderator', description: null });
    expect(keysOf(updated)).toEqual(['org:sys_memberships:read']);
    expect(await api.getOrganizationRole(moderator.id)).toMatchObject({ name: 'Moderators', updatedAt: updated.updatedAt });

    expect(await api.deleteOrganizationRole(moderator.id)).toMatchObject({ object: 'role', id: moderator.id, deleted: true });
    await expect(api.getOrganizationRole(moderator.id)).rejects.toMatchObject({ status: 404 });

    const events = await roleEvents();
    expect(events.map((event) => event.type)).toEqual(['role.created', 'role.created', 'role.updated', 'role.updated', 'role.updated', 'role.deleted']);
    expect(events[0]!.data).toMatchObject({ object: 'role', id: moderator.id, key: 'org:moderator', permissions: [expect.objectContaining({ key: 'org:sys_memberships:read', type: 'system' })] });
    expect(keysOf(events[2]!.data as RoleJSON)).toEqual(['org:sys_memberships:read', 'org:posts:delete']);
    expect(events[2]!.data).toMatchObject({ updated_at: assigned.updatedAt });
    expect(keysOf(events[3]!.data as RoleJSON)).toEqual(['org:posts:delete']);
    expect(events[5]!.data).toEqual({ object: 'role', id: moderator.id, deleted: true });
  });

  it('refuses a taken or malformed key, unknown permissions and parameters, and an assignment made twice', async () => {
    const api = clerk().organizationRoles;
    const refused = (code: string, status = 422) => ({ status, errors: [expect.objectContaining({ code })] });
    const editor = await roleByKey('org:editor');
    const postsDelete = await permissionByKey('org:posts:delete');
    await expect(api.createOrganizationRole({ name: 'Editor', key: 'org:editor' })).rejects.toMatchObject(refused('form_identifier_exists'));
    await expect(api.createOrganizationRole({ name: 'Editor', key: 'editor' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationRole({ name: 'Editor', key: 'org:chief-editor' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationRole({ name: 'Editor', key: 'org:posts:editor' })).rejects.toMatchObject(refused('form_param_format_invalid'));
    await expect(api.createOrganizationRole({ name: ' ', key: 'org:writer' })).rejects.toMatchObject(refused('form_param_missing'));
    await expect(api.createOrganizationRole({ name: 'Writer', key: 'org:writer', permissions: ['perm_missing'] })).rejects.toMatchObject(refused('resource_not_found', 404));
    await backend('POST', '/v1/organization_roles', { body: { name: 'Writer', key: 'org:writer', colour: 'red' }, expectStatus: 422 });
    await expect(api.updateOrganizationRole({ organizationRoleId: editor.id, key: 'org:admin' })).rejects.toMatchObject(refused('form_identifier_exists'));

    await expect(api.assignPermissionToOrganizationRole({ organizationRoleId: editor.id, permissionId: postsDelete.id })).rejects.toMatchObject(refused('duplicate_record', 409));
    const member = await roleByKey('org:member');
    await expect(api.removePermissionFromOrganizationRole({ organizationRoleId: member.id, permissionId: postsDelete.id })).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.assignPermissionToOrganizationRole({ organizationRoleId: editor.id, permissionId: 'perm_missing' })).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.assignPermissionToOrganizationRole({ organizationRoleId: 'role_missing', permissionId: postsDelete.id })).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.getOrganizationRole('role_missing')).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.updateOrganizationRole({ organizationRoleId: 'role_missing', name: 'x' })).rejects.toMatchObject(refused('resource_not_found', 404));
    await expect(api.deleteOrganizationRole('role_missing')).rejects.toMatchObject(refused('resource_not_found', 404));
    expect(await roleEvents()).toEqual([]);
  });

  it('refuses to delete the Creator and Default roles and a role members hold, and keeps what the Creator role needs', async () => {
    const api = clerk().organizationRoles;
    const refused = (code: string) => ({ status: 422, errors: [expect.objectContaining({ code })] });
    const [admin, member, editor] = [await roleByKey('org:admin'), await roleByKey('org:member'), await roleByKey('org:editor')];
    await expect(api.deleteOrganizationRole(admin.id)).rejects.toMatchObject(refused('organization_role_creator_role'));
    await expect(api.deleteOrganizationRole(member.id)).rejects.toMatchObject(refused('organization_role_default_role'));
    const deleteOrganization = await permissionByKey('org:sys_profile:delete');
    await expect(api.removePermissionFromOrganizationRole({ organizationRoleId: admin.id, permissionId: deleteOrganization.id })).rejects.toMatchObject(refused('organization_creator_role_permissions_required'));
    await expect(api.updateOrganizationRole({ organizationRoleId: admin.id, permissions: [deleteOrganization.id] })).rejects.toMatchObject(refused('organization_creator_role_permissions_required'));
    // What it does not need may go.
    const manageBilling = await permissionByKey('org:sys_billing:manage');
    expect(keysOf(await api.removePermissionFromOrganizationRole({ organizationRoleId: admin.id, permissionId: manageBilling.id }))).not.toContain('org:sys_billing:manage');

    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:editor' });
    await expect(api.deleteOrganizationRole(editor.id)).rejects.toMatchObject(refused('organization_role_in_use'));
    await clerk().organizations.updateOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    expect(await api.deleteOrganizationRole(editor.id)).toMatchObject({ deleted: true });
    // A role the instance no longer has cannot be given.
    await expect(clerk().organizations.updateOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:editor' })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_param_value_invalid', meta: expect.objectContaining({ paramName: 'role' }) })],
    });
  });
});

describe('invitations and the roles they name', () => {
  it('refuses an invitation to a role the instance lacks, and the deletion of a role a pending invitation holds', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await expect(clerk().organizations.createOrganizationInvitation({ organizationId: acme.id, emailAddress: 'grace@example.com', role: 'org:writer', inviterUserId: ada.id })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_param_value_invalid' })],
    });
    const invitation = await clerk().organizations.createOrganizationInvitation({ organizationId: acme.id, emailAddress: 'grace@example.com', role: 'org:editor', inviterUserId: ada.id });
    const editor = await roleByKey('org:editor');
    await expect(clerk().organizationRoles.deleteOrganizationRole(editor.id)).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ code: 'organization_role_in_use' })] });
    await clerk().organizations.revokeOrganizationInvitation({ organizationId: acme.id, invitationId: invitation.id, requestingUserId: ada.id });
    expect(await clerk().organizationRoles.deleteOrganizationRole(editor.id)).toMatchObject({ id: editor.id, deleted: true });
  });
});

describe('memberships and session tokens follow the role objects', () => {
  it("lists a membership's role name and permissions as the role has them now, and takes a role's new key along", async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await expect(clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:writer' })).rejects.toMatchObject({ status: 422 });
    const writer = await clerk().organizationRoles.createOrganizationRole({ name: 'Writer', key: 'org:writer', permissions: [(await permissionByKey('org:posts:delete')).id] });
    // The SDK's OrganizationMembership drops `role_name`: the answer by hand.
    const joined = await backend<{ role: string; role_name: string; permissions: string[] }>('POST', `/v1/organizations/${acme.id}/memberships`, { body: { user_id: grace.id, role: 'org:writer' } });
    expect(joined).toMatchObject({ role: 'org:writer', role_name: 'Writer', permissions: ['org:posts:delete'] });

    await clerk().organizationRoles.updateOrganizationRole({ organizationRoleId: writer.id, key: 'org:author', name: 'Author' });
    const { data: memberships } = await backend<{ data: { role: string; role_name: string; permissions: string[] }[] }>('GET', `/v1/organizations/${acme.id}/memberships?user_id=${grace.id}`);
    expect(memberships).toEqual([expect.objectContaining({ role: 'org:author', role_name: 'Author', permissions: ['org:posts:delete'] })]);
    expect((await control().exportMemberships()).find(([, , userId]) => userId === grace.id)?.[3]).toBe('org:author');
    const { token } = await control().signIn(grace.id, { organizationId: acme.id });
    expect(decodeJwt(token)).toMatchObject({ o: { id: acme.id, rol: 'author', per: 'delete', fpm: '1' }, fea: 'o:posts' });
    // The admin's first membership is the Creator role's.
    expect((await control().exportMemberships()).find(([, , userId]) => userId === ada.id)?.[3]).toBe('org:admin');
  });

  it("answers has({ permission: 'org:posts:delete' }) from the role's current permissions, through the real SDK", async () => {
    const [ada, grace, alan] = [await person('Ada'), await person('Grace'), await person('Alan')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:editor' });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: alan.id, role: 'org:member' });
    const mayDeleteAnyPost = async (userId: string) => {
      const { token } = await control().signIn(userId, { organizationId: acme.id });
      return (await authOf(token)).has({ permission: 'org:posts:delete' });
    };

    const editorToken = (await control().signIn(grace.id, { organizationId: acme.id })).token;
    expect(decodeJwt(editorToken)).toMatchObject({ o: { rol: 'editor', per: 'delete', fpm: '1' }, fea: 'o:posts' });
    expect(await authOf(editorToken)).toMatchObject({ orgRole: 'org:editor', orgPermissions: ['org:posts:delete'] });
    expect(await mayDeleteAnyPost(ada.id)).toBe(true);
    expect(await mayDeleteAnyPost(grace.id)).toBe(true);
    expect(await mayDeleteAnyPost(alan.id)).toBe(false);
    expect(decodeJwt((await control().signIn(alan.id, { organizationId: acme.id })).token)).not.toHaveProperty('fea');

    // The member's session signed in before the change: its next token (the handshake's) carries it.
    const alanIn = await control().signIn(alan.id, { organizationId: acme.id });
    const [member, postsDelete] = [await roleByKey('org:member'), await permissionByKey('org:posts:delete')];
    await clerk().organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: member.id, permissionId: postsDelete.id });
    expect(await mayDeleteAnyPost(alan.id)).toBe(true);
    const refreshed = await control().setActiveOrganization(alanIn.sessionId, acme.id);
    expect((await authOf(refreshed.token)).has({ permission: 'org:posts:delete' })).toBe(true);

    await clerk().organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: member.id, permissionId: postsDelete.id });
    expect(await mayDeleteAnyPost(alan.id)).toBe(false);
    const editor = await roleByKey('org:editor');
    await clerk().organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: editor.id, permissionId: postsDelete.id });
    expect(await mayDeleteAnyPost(grace.id)).toBe(false);
    expect(await mayDeleteAnyPost(ada.id)).toBe(true);
    // System permissions never reach the token, whatever the role holds.
    expect(decodeJwt((await control().signIn(ada.id, { organizationId: acme.id })).token)).toMatchObject({ o: { per: 'delete', fpm: '1' }, fea: 'o:posts' });
  });
});
