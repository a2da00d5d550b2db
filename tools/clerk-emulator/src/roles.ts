/**
 * The instance's organization roles and permissions, as objects the way a
 * Clerk instance keeps them ("Roles & Permissions" on the dashboard, and
 * `/v1/organization_roles`, `/v1/organization_permissions` in the Backend
 * API): each with its id, key, name, description and times. A role holds its
 * permissions by id, so a permission renamed or re-keyed shows in every role
 * that holds it; memberships hold their role by key (as Clerk's JSON shows
 * it), so a role re-keyed takes its memberships along (`roleKeyChanged`).
 *
 * Every change made through the Backend API is reported as a `role.*` or
 * `permission.*` event; the seed and the `customRolePermissions` instance
 * setting, like the dashboard's configuration at start, are not.
 */
import type { Permission as PermissionJSON, Role as RoleJSON } from './contract/schemas';
import { ApiError, formError, notFound } from './errors';
import { clerkId } from './ids';
import { ADMIN_ROLE, checkCustomRolePermissions, type CustomRolePermissions, isSystemPermission, MEMBER_ROLE, roleName, type RoleLookup, SYSTEM_ROLE_PERMISSIONS } from './organizations';

export type { PermissionJSON, RoleJSON };

export interface PermissionRecord {
  id: string;
  key: string;
  name: string;
  description: string;
  type: 'system' | 'user';
  createdAt: number;
  updatedAt: number;
}

export interface RoleRecord {
  id: string;
  key: string;
  name: string;
  description: string | null;
  /** Permission ids, in the order they were given. */
  permissionIds: string[];
  createdAt: number;
  updatedAt: number;
}

/** A change the webhooks report, with the object as it is after it (or as it was, for a deletion). */
export type RoleEvent =
  | { type: 'role.created' | 'role.updated' | 'role.deleted'; role: RoleJSON; at: number }
  | { type: 'permission.created' | 'permission.updated' | 'permission.deleted'; permission: PermissionJSON; at: number };

/** A permission or role the instance starts with. */
export interface PermissionSeed {
  key: string;
  name: string;
  description: string;
}

export interface RoleSeed {
  key: string;
  name: string;
  description: string | null;
  permissions: string[];
}

/** What the instance starts with, beyond Clerk's system permissions. */
export interface RolesSeed {
  permissions: PermissionSeed[];
  roles: RoleSeed[];
}

/** Clerk's system permissions, with the names its docs give them ("Roles and permissions": system permissions). */
const SYSTEM_PERMISSIONS: readonly PermissionSeed[] = [
  { key: 'org:sys_profile:manage', name: 'Manage organization', description: 'Change the organization\'s name, slug and logo.' },
  { key: 'org:sys_profile:delete', name: 'Delete organization', description: 'Delete the organization.' },
  { key: 'org:sys_memberships:read', name: 'Read members', description: 'See the organization\'s members and their roles.' },
  { key: 'org:sys_memberships:manage', name: 'Manage members', description: 'Invite, remove and change the roles of members.' },
  { key: 'org:sys_domains:read', name: 'Read domains', description: 'See the organization\'s verified domains.' },
  { key: 'org:sys_domains:manage', name: 'Manage domains', description: 'Add, verify and remove the organization\'s domains.' },
  { key: 'org:sys_billing:read', name: 'Read billing', description: 'See the organization\'s plan, invoices and payment methods.' },
  { key: 'org:sys_billing:manage', name: 'Manage billing', description: 'Change the organization\'s plan and payment methods.' },
];

/** The system permissions a role needs to be the Creator role (Clerk's docs, "The Creator role"). */
export const CREATOR_REQUIRED_PERMISSIONS: readonly string[] = ['org:sys_memberships:manage', 'org:sys_memberships:read', 'org:sys_profile:delete'];

export const POSTS_DELETE_PERMISSION = 'org:posts:delete';
export const EDITOR_ROLE = 'org:editor';

/**
 * This project's instance: Clerk's default roles, and what the app asks of
 * its Clerk dashboard (README): `org:posts:delete` for admins, and an editor
 * who may delete any post but not manage members.
 */
export const DEFAULT_ROLES_SEED: RolesSeed = {
  permissions: [{ key: POSTS_DELETE_PERMISSION, name: 'Delete any post', description: 'Delete any post of the organization, not only one\'s own.' }],
  roles: [
    { key: ADMIN_ROLE, name: 'Admin', description: 'Full access to the organization: its profile, members, domains and billing.', permissions: [...SYSTEM_ROLE_PERMISSIONS[ADMIN_ROLE]!, POSTS_DELETE_PERMISSION] },
    { key: MEMBER_ROLE, name: 'Member', description: 'Reads the organization\'s members and billing.', permissions: [...SYSTEM_ROLE_PERMISSIONS[MEMBER_ROLE]!] },
    { key: EDITOR_ROLE, name: 'Editor', description: 'Deletes any post; reads members but does not manage them.', permissions: ['org:sys_memberships:read', POSTS_DELETE_PERMISSION] },
  ],
};

export interface RolesSnapshot {
  permissions: PermissionRecord[];
  roles: RoleRecord[];
  creatorRole: string;
  defaultRole: string;
}

/** What the catalog needs of the store it lives in. */
export interface RoleCatalogHost {
  /** The store's clock: never backwards. */
  now(): number;
  emit(event: RoleEvent): void;
  changed(): void;
  /** Why a role cannot go: memberships or pending invitations that hold it, or null. */
  roleInUse(key: string): string | null;
  /** A role's key changed: whatever holds the old key follows. */
  roleKeyChanged(from: string, to: string): void;
}

const ROLE_KEY = /^org:[a-z0-9_]+$/;
const PERMISSION_KEY = /^org:[a-z0-9_]+:[a-z0-9_]+$/;

const keyInvalid = (message: string) => formError('key', 'form_param_format_invalid', 'is invalid', message);
const keyTaken = (what: string, key: string) => formError('key', 'form_identifier_exists', `That ${what} key is taken.`, `A ${what} with the key ${key} already exists in this instance.`);

export class RoleCatalog implements RoleLookup {
  private permissions = new Map<string, PermissionRecord>();
  private roles = new Map<string, RoleRecord>();
  /** The role an organization's creator gets, and the one new members are offered first (the dashboard's "Creator" and "Default" roles). */
  private creatorRole = ADMIN_ROLE;
  private defaultRole = MEMBER_ROLE;
  /** The latest change's time: every change is strictly later than the one before, even within a millisecond. */
  private lastAt = 0;

  constructor(private readonly host: RoleCatalogHost) {}

  /** A change's time: now, but after every earlier change (and after `previous`, the object's own last one). */
  private tick(previous = 0): number {
    this.lastAt = Math.max(this.host.now(), this.lastAt + 1, previous + 1);
    return this.lastAt;
  }

  // The instance's configuration -----------------------------------------------

  /** Start over from Clerk's system permissions and the seed, without events (the store saves after it). */
  seed(seed: RolesSeed = DEFAULT_ROLES_SEED): void {
    this.permissions.clear();
    this.roles.clear();
    this.creatorRole = ADMIN_ROLE;
    this.defaultRole = MEMBER_ROLE;
    // One millisecond apart at least (tick), so that the default order (newest first) is a stable one.
    const stamp = () => this.tick();
    for (const permission of SYSTEM_PERMISSIONS) this.addPermission(permission, 'system', stamp());
    for (const permission of seed.permissions) this.addPermission(permission, 'user', stamp());
    for (const role of seed.roles) {
      const createdAt = stamp();
      const record: RoleRecord = { id: clerkId('role'), key: role.key, name: role.name, description: role.description, permissionIds: role.permissions.map((key) => this.permissionByKey(key).id), createdAt, updatedAt: createdAt };
      this.roles.set(record.id, record);
    }
  }

  restore(snapshot: RolesSnapshot): void {
    this.permissions = new Map(snapshot.permissions.map((permission) => [permission.id, permission]));
    this.roles = new Map(snapshot.roles.map((role) => [role.id, role]));
    this.creatorRole = snapshot.creatorRole;
    this.defaultRole = snapshot.defaultRole;
    this.lastAt = Math.max(0, ...snapshot.permissions.map((p) => p.updatedAt), ...snapshot.roles.map((r) => r.updatedAt));
  }

  snapshot(): RolesSnapshot {
    return { permissions: [...this.permissions.values()], roles: [...this.roles.values()], creatorRole: this.creatorRole, defaultRole: this.defaultRole };
  }

  /**
   * The `customRolePermissions` instance setting: each role named gets
   * exactly these custom permissions (its system ones stay); roles and
   * permissions the instance lacks are made. Silent, as the dashboard's
   * configuration before the app starts.
   */
  configure(custom: CustomRolePermissions): void {
    checkCustomRolePermissions(custom);
    for (const [key, permissionKeys] of Object.entries(custom)) {
      const at = this.tick();
      let role = this.findRole(key);
      if (!role) {
        role = { id: clerkId('role'), key, name: roleName(key), description: null, permissionIds: [], createdAt: at, updatedAt: at };
        this.roles.set(role.id, role);
      }
      const ids = permissionKeys.map((permissionKey) => (this.findPermission(permissionKey) ?? this.addPermission({ key: permissionKey, name: permissionName(permissionKey), description: '' }, 'user', at)).id);
      const system = role.permissionIds.filter((id) => this.permissions.get(id)?.type === 'system');
      role.permissionIds = [...new Set([...system, ...ids])];
      role.updatedAt = this.tick(role.updatedAt);
    }
    this.host.changed();
  }

  /** Custom permission keys by role, as the `customRolePermissions` setting would state the instance. */
  customPermissionsByRole(): CustomRolePermissions {
    return Object.fromEntries([...this.roles.values()].map((role) => [role.key, this.permissionKeys(role).filter((key) => !isSystemPermission(key))]));
  }

  get creatorRoleKey(): string {
    return this.creatorRole;
  }

  get defaultRoleKey(): string {
    return this.defaultRole;
  }

  // Reading ---------------------------------------------------------------------

  listRoles(): RoleRecord[] {
    return [...this.roles.values()];
  }

  listPermissions(): PermissionRecord[] {
    return [...this.permissions.values()];
  }

  roleKeys(): string[] {
    return [...this.roles.values()].map((role) => role.key);
  }

  getRole(id: string): RoleRecord {
    const role = this.roles.get(id);
    if (!role) throw notFound();
    return role;
  }

  getPermission(id: string): PermissionRecord {
    const permission = this.permissions.get(id);
    if (!permission) throw notFound();
    return permission;
  }

  findRole(key: string): RoleRecord | undefined {
    for (const role of this.roles.values()) if (role.key === key) return role;
    return undefined;
  }

  private findPermission(key: string): PermissionRecord | undefined {
    for (const permission of this.permissions.values()) if (permission.key === key) return permission;
    return undefined;
  }

  private permissionByKey(key: string): PermissionRecord {
    const permission = this.findPermission(key);
    if (!permission) throw new Error(`The roles seed names ${key}, which is no permission of the instance.`);
    return permission;
  }

  /** The role's permission keys in its order, system ones first (as membership JSON lists them). */
  permissionKeys(role: RoleRecord): string[] {
    const permissions = role.permissionIds.map((id) => this.permissions.get(id)).filter((permission) => permission !== undefined);
    return [...permissions.filter((p) => p.type === 'system'), ...permissions.filter((p) => p.type === 'user')].map((permission) => permission.key);
  }

  permissionsOf(key: string): string[] | undefined {
    const role = this.findRole(key);
    return role && this.permissionKeys(role);
  }

  nameOf(key: string): string | undefined {
    return this.findRole(key)?.name;
  }

  /** Whether the role has what Clerk asks of a Creator role. */
  isCreatorEligible(role: RoleRecord): boolean {
    const keys = this.permissionKeys(role);
    return CREATOR_REQUIRED_PERMISSIONS.every((key) => keys.includes(key));
  }

  permissionJSON(permission: PermissionRecord): PermissionJSON {
    return {
      object: 'permission',
      id: permission.id,
      name: permission.name,
      key: permission.key,
      description: permission.description,
      type: permission.type,
      created_at: permission.createdAt,
      updated_at: permission.updatedAt,
    };
  }

  /** The role with its permissions as they are now. */
  roleJSON(role: RoleRecord): RoleJSON {
    return {
      object: 'role',
      id: role.id,
      name: role.name,
      key: role.key,
      description: role.description,
      is_creator_eligible: this.isCreatorEligible(role),
      permissions: role.permissionIds.map((id) => this.permissions.get(id)).filter((permission) => permission !== undefined).map((permission) => this.permissionJSON(permission)),
      created_at: role.createdAt,
      updated_at: role.updatedAt,
    };
  }

  // Permissions -------------------------------------------------------------------

  private addPermission(seed: PermissionSeed, type: PermissionRecord['type'], at: number): PermissionRecord {
    const permission: PermissionRecord = { id: clerkId('perm'), key: seed.key, name: seed.name, description: seed.description, type, createdAt: at, updatedAt: at };
    this.permissions.set(permission.id, permission);
    return permission;
  }

  /** A custom permission key: `org:<feature>:<action>`, not in Clerk's reserved `org:sys_` space, not taken. */
  private usablePermissionKey(key: unknown, ownerId?: string): string {
    if (typeof key !== 'string' || !key) throw formError('key', 'form_param_missing', 'is missing', 'key must be given.');
    if (key.startsWith('org:sys_')) throw keyInvalid(`The key ${key} begins with org:sys_, which is reserved for system permissions.`);
    if (!PERMISSION_KEY.test(key)) throw keyInvalid(`The key ${key} must look like org:<feature>:<action>, in lowercase letters, digits and underscores.`);
    const owner = this.findPermission(key);
    if (owner && owner.id !== ownerId) throw keyTaken('permission', key);
    return key;
  }

  createPermission(input: { name: unknown; key: unknown; description: unknown }): PermissionRecord {
    const name = requiredName(input.name);
    const key = this.usablePermissionKey(input.key);
    const permission = this.addPermission({ key, name, description: optionalText(input.description, 'description') ?? '' }, 'user', this.tick());
    this.host.emit({ type: 'permission.created', permission: this.permissionJSON(permission), at: permission.createdAt });
    this.host.changed();
    return permission;
  }

  /** A new name, key or description; a new key shows in every role that holds it from now on. */
  updatePermission(id: string, changes: { name?: unknown; key?: unknown; description?: unknown }): PermissionRecord {
    const permission = this.getPermission(id);
    if (permission.type === 'system') throw systemPermissionRefused(permission, 'changed');
    if (changes.name !== undefined && changes.name !== null) permission.name = requiredName(changes.name);
    if (changes.key !== undefined && changes.key !== null) permission.key = this.usablePermissionKey(changes.key, permission.id);
    const description = optionalText(changes.description, 'description');
    if (description !== undefined) permission.description = description ?? '';
    permission.updatedAt = this.tick(permission.updatedAt);
    this.host.emit({ type: 'permission.updated', permission: this.permissionJSON(permission), at: permission.updatedAt });
    this.host.changed();
    return permission;
  }

  /**
   * The permission leaves every role that held it, each reported with a
   * `role.updated` (without it) before the `permission.deleted`.
   */
  deletePermission(id: string): PermissionRecord {
    const permission = this.getPermission(id);
    if (permission.type === 'system') throw systemPermissionRefused(permission, 'deleted');
    for (const role of this.roles.values()) {
      if (!role.permissionIds.includes(id)) continue;
      role.permissionIds = role.permissionIds.filter((held) => held !== id);
      this.roleChanged(role);
    }
    this.permissions.delete(id);
    this.host.emit({ type: 'permission.deleted', permission: this.permissionJSON(permission), at: this.tick() });
    this.host.changed();
    return permission;
  }

  // Roles -------------------------------------------------------------------------

  private usableRoleKey(key: unknown, ownerId?: string): string {
    if (typeof key !== 'string' || !key) throw formError('key', 'form_param_missing', 'is missing', 'key must be given.');
    if (!ROLE_KEY.test(key)) throw keyInvalid(`The key ${key} must start with org: followed by lowercase letters, digits and underscores.`);
    const owner = this.findRole(key);
    if (owner && owner.id !== ownerId) throw keyTaken('role', key);
    return key;
  }

  /** Permission ids as the Backend API takes them: each must exist (404 otherwise); repeats count once. */
  private permissionIdsParam(value: unknown): string[] {
    if (!Array.isArray(value) || value.some((id) => typeof id !== 'string')) {
      throw formError('permissions', 'form_param_type_invalid', 'is invalid', 'permissions must be an array of permission ids.');
    }
    for (const id of value as string[]) this.getPermission(id);
    return [...new Set(value as string[])];
  }

  /** The Creator role keeps what Clerk asks of it. */
  private checkCreatorPermissions(role: RoleRecord, permissionIds: string[]): void {
    if (role.key !== this.creatorRole) return;
    const keys = permissionIds.map((id) => this.permissions.get(id)?.key);
    const missing = CREATOR_REQUIRED_PERMISSIONS.filter((key) => !keys.includes(key));
    if (missing.length > 0) {
      throw new ApiError(422, [
        {
          code: 'organization_creator_role_permissions_required',
          message: 'the creator role needs these permissions',
          long_message: `${role.key} is the Creator role, which must keep ${missing.join(', ')}.`,
          meta: { param_name: 'permissions' },
        },
      ]);
    }
  }

  private roleChanged(role: RoleRecord): void {
    role.updatedAt = this.tick(role.updatedAt);
    this.host.emit({ type: 'role.updated', role: this.roleJSON(role), at: role.updatedAt });
  }

  createRole(input: { name: unknown; key: unknown; description: unknown; permissions: unknown }): RoleRecord {
    const name = requiredName(input.name);
    const key = this.usableRoleKey(input.key);
    const permissionIds = input.permissions === undefined || input.permissions === null ? [] : this.permissionIdsParam(input.permissions);
    const at = this.tick();
    const role: RoleRecord = { id: clerkId('role'), key, name, description: optionalText(input.description, 'description') ?? null, permissionIds, createdAt: at, updatedAt: at };
    this.roles.set(role.id, role);
    this.host.emit({ type: 'role.created', role: this.roleJSON(role), at });
    this.host.changed();
    return role;
  }

  /**
   * Each field given (and, but for `description`, which null clears, not
   * null) changes; `permissions` replaces the role's. A new key is taken along by the memberships (and the Creator and
   * Default settings) that held the old one.
   */
  updateRole(id: string, changes: { name?: unknown; key?: unknown; description?: unknown; permissions?: unknown }): RoleRecord {
    const role = this.getRole(id);
    const name = changes.name === undefined || changes.name === null ? undefined : requiredName(changes.name);
    const key = changes.key === undefined || changes.key === null ? undefined : this.usableRoleKey(changes.key, role.id);
    const permissionIds = changes.permissions === undefined || changes.permissions === null ? undefined : this.permissionIdsParam(changes.permissions);
    const description = optionalText(changes.description, 'description');
    if (permissionIds) this.checkCreatorPermissions(role, permissionIds);
    if (name !== undefined) role.name = name;
    if (description !== undefined) role.description = description;
    if (permissionIds) role.permissionIds = permissionIds;
    if (key !== undefined && key !== role.key) {
      const from = role.key;
      role.key = key;
      if (this.creatorRole === from) this.creatorRole = key;
      if (this.defaultRole === from) this.defaultRole = key;
      this.host.roleKeyChanged(from, key);
    }
    this.roleChanged(role);
    this.host.changed();
    return role;
  }

  /**
   * Refused while the role is the Creator or Default role, or held by
   * memberships or pending invitations (the spec's `DeleteOrganizationRole`).
   */
  deleteRole(id: string): RoleRecord {
    const role = this.getRole(id);
    const refuse = (code: string, why: string) => new ApiError(422, [{ code, message: 'the role cannot be deleted', long_message: `${role.key} cannot be deleted: ${why}.` }]);
    if (role.key === this.creatorRole) throw refuse('organization_role_creator_role', 'it is the Creator role, given to whoever creates an organization');
    if (role.key === this.defaultRole) throw refuse('organization_role_default_role', 'it is the Default role, given to new members');
    const inUse = this.host.roleInUse(role.key);
    if (inUse) throw refuse('organization_role_in_use', `${inUse} still hold it`);
    this.roles.delete(id);
    this.host.emit({ type: 'role.deleted', role: this.roleJSON(role), at: this.tick() });
    this.host.changed();
    return role;
  }

  assignPermission(roleId: string, permissionId: string): RoleRecord {
    const role = this.getRole(roleId);
    const permission = this.getPermission(permissionId);
    if (role.permissionIds.includes(permission.id)) {
      throw new ApiError(409, [{ code: 'duplicate_record', message: 'already assigned', long_message: `${role.key} already has the permission ${permission.key}.` }]);
    }
    role.permissionIds = [...role.permissionIds, permission.id];
    this.roleChanged(role);
    this.host.changed();
    return role;
  }

  /** 404 for a permission the role does not hold, as for one that does not exist. */
  removePermission(roleId: string, permissionId: string): RoleRecord {
    const role = this.getRole(roleId);
    const permission = this.getPermission(permissionId);
    if (!role.permissionIds.includes(permission.id)) throw notFound();
    const remaining = role.permissionIds.filter((id) => id !== permission.id);
    this.checkCreatorPermissions(role, remaining);
    role.permissionIds = remaining;
    this.roleChanged(role);
    this.host.changed();
    return role;
  }
}

function requiredName(value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) throw formError('name', 'form_param_missing', 'is missing', 'name must be given.');
  return value.trim();
}

/** undefined: not given; null: cleared. */
function optionalText(value: unknown, param: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw formError(param, 'form_param_type_invalid', 'is invalid', `${param} must be a string.`);
  return value;
}

function systemPermissionRefused(permission: PermissionRecord, what: 'changed' | 'deleted'): ApiError {
  return new ApiError(403, [
    { code: 'system_permission_not_modifiable', message: `system permissions cannot be ${what}`, long_message: `${permission.key} is one of Clerk's system permissions, which cannot be ${what}.` },
  ]);
}

/** `org:posts:delete` → `Delete posts`, for permissions the instance setting names without a name. */
function permissionName(key: string): string {
  const [, feature = '', action = ''] = key.split(':');
  const words = `${action} ${feature}`.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
