/**
 * Organizations and their memberships as Clerk's Backend API returns them.
 * Every object is typed against `@clerk/backend`'s Organization and
 * OrganizationMembershipJSON so that a shape drift fails typecheck.
 *
 * The store keeps memberships as plain records and composes their JSON when
 * asked, so the embedded organization and the member's public data are the
 * current ones, as in Clerk's answers.
 */
import type { MembershipPublicUserData, Membership as MembershipJSON, Organization, User } from './contract/schemas';
import { formError } from './errors';
import { clerkId, randomToken } from './ids';
import { PLACEHOLDER_IMAGE, primaryEmail } from './users';

export type { MembershipJSON };

export interface Membership {
  id: string;
  organizationId: string;
  userId: string;
  /** A role key, `org:admin`, `org:member` or a custom one. */
  role: string;
  publicMetadata: Record<string, unknown>;
  privateMetadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export const ADMIN_ROLE = 'org:admin';
export const MEMBER_ROLE = 'org:member';

/**
 * Clerk's default roles with their system permissions ("Roles and
 * permissions": the admin has every system permission, the member reads
 * members and billing). Clerk keeps system permissions out of session
 * tokens (see `organizationClaims` in tokens.ts). roles.ts seeds the
 * instance's role objects from these.
 */
export const SYSTEM_ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  [ADMIN_ROLE]: [
    'org:sys_profile:manage',
    'org:sys_profile:delete',
    'org:sys_memberships:read',
    'org:sys_memberships:manage',
    'org:sys_domains:read',
    'org:sys_domains:manage',
    'org:sys_billing:read',
    'org:sys_billing:manage',
  ],
  [MEMBER_ROLE]: ['org:sys_memberships:read', 'org:sys_billing:read'],
};

/**
 * Custom permissions (`org:<feature>:<action>`) by role, as set on the Clerk
 * dashboard's "Roles & Permissions" page; a role named here that is not a
 * default one is a custom role.
 */
export type CustomRolePermissions = Record<string, string[]>;

/** What a role check needs of the instance's roles; roles.ts's RoleCatalog is one. */
export interface RoleLookup {
  /** The role's permission keys, system ones first; undefined for a role the instance lacks. */
  permissionsOf(role: string): string[] | undefined;
  /** The role's name as the instance shows it (`role_name`). */
  nameOf(role: string): string | undefined;
}

/**
 * The instance's roles: its catalog (the store's `roles`), or, for callers
 * written before roles were objects, custom permissions by role on top of the
 * default roles.
 */
export type RoleSource = RoleLookup | CustomRolePermissions;

const isLookup = (roles: RoleSource): roles is RoleLookup => typeof (roles as Partial<RoleLookup>).permissionsOf === 'function';

export const isSystemPermission = (permission: string) => permission.startsWith('org:sys_');

const CUSTOM_PERMISSION = /^org:[a-z0-9_]+:[a-z0-9_]+$/;
const ROLE_KEY = /^org:[a-z0-9_]+$/;

/** Refuses what the dashboard would: malformed keys, and system permissions given by hand. */
export function checkCustomRolePermissions(custom: CustomRolePermissions): CustomRolePermissions {
  for (const [role, permissions] of Object.entries(custom)) {
    if (!ROLE_KEY.test(role)) throw formError('customRolePermissions', 'form_param_value_invalid', 'is invalid', `Role ${role} must look like org:<key>.`);
    for (const permission of permissions) {
      if (!CUSTOM_PERMISSION.test(permission) || isSystemPermission(permission)) {
        throw formError('customRolePermissions', 'form_param_value_invalid', 'is invalid', `Permission ${permission} of ${role} must look like org:<feature>:<action> and not be a system one.`);
      }
    }
  }
  return custom;
}

/** The instance's roles: the default ones, then the custom ones. */
export function rolesOf(custom: CustomRolePermissions): string[] {
  return [...new Set([...Object.keys(SYSTEM_ROLE_PERMISSIONS), ...Object.keys(custom)])];
}

/** The role's permissions, system ones first; undefined for a role the instance does not have. */
export function permissionsOf(role: string, roles: RoleSource): string[] | undefined {
  if (isLookup(roles)) return roles.permissionsOf(role);
  const system = SYSTEM_ROLE_PERMISSIONS[role];
  if (!system && !roles[role]) return undefined;
  return [...(system ?? []), ...(roles[role] ?? [])];
}

/** Whether the instance has a role of this key (memberships and invitations may name only those). */
export function hasRole(role: string, roles: RoleSource): boolean {
  return permissionsOf(role, roles) !== undefined;
}

/** A membership's or invitation's `role` parameter: given, and a role of the instance, else Clerk's 422. */
export function requireRole(role: unknown, roles: RoleSource): string {
  if (typeof role !== 'string' || !role) throw formError('role', 'form_param_missing', 'is missing', 'role must be given.');
  if (!hasRole(role, roles)) {
    throw formError('role', 'form_param_value_invalid', 'is invalid', `role ${role} does not exist in this instance.`);
  }
  return role;
}

/** `org:billing_manager` → `Billing manager`, as the dashboard names roles by default. */
export function roleName(role: string): string {
  const words = role.replace(/^org:/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Organizations ---------------------------------------------------------------

/** Clerk's rule: lowercase letters, digits and the dash. */
const SLUG = /^[a-z0-9-]+$/;
export const NAME_MAX = 256;

export function checkSlug(slug: string): string {
  if (!SLUG.test(slug)) {
    throw formError('slug', 'form_param_format_invalid', 'is invalid', 'The slug can contain only lowercase alphanumeric characters and the dash "-".');
  }
  return slug;
}

export const slugTaken = () =>
  formError('slug', 'form_identifier_exists', 'That slug is taken. Please try another.', 'That slug is taken. Please try another.');

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw formError('name', 'form_param_missing', 'is missing', 'name must be given.');
  if (name.length > NAME_MAX) {
    throw formError('name', 'form_param_max_length_exceeded', 'exceeds maximum length', `name should not exceed ${NAME_MAX} characters.`);
  }
  return name.trim();
}

/** The slug Clerk derives from a name when none is given; `taken` adds a suffix. */
export function slugFromName(name: string, taken: boolean): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'organization';
  return taken ? `${base}-${randomToken(6).toLowerCase().replace(/[^a-z0-9]/g, '0')}` : base;
}

export interface NewOrganization {
  name: string;
  slug?: string;
  createdBy?: string;
  maxAllowedMemberships?: number;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  createdAt?: number;
}

export function buildOrganization(input: NewOrganization & { slug: string }, now: number): Organization {
  const createdAt = input.createdAt ?? now;
  return {
    object: 'organization',
    id: clerkId('org'),
    name: input.name,
    slug: input.slug,
    image_url: PLACEHOLDER_IMAGE,
    has_image: false,
    // 0: no limit.
    max_allowed_memberships: input.maxAllowedMemberships ?? 0,
    admin_delete_enabled: true,
    public_metadata: input.publicMetadata ?? {},
    private_metadata: input.privateMetadata ?? {},
    ...(input.createdBy ? { created_by: input.createdBy } : {}),
    created_at: createdAt,
    updated_at: createdAt,
  };
}

export interface OrganizationChanges {
  name?: string;
  slug?: string;
  maxAllowedMemberships?: number;
  adminDeleteEnabled?: boolean;
  /** `replace` overwrites a given field (PATCH organization, PUT metadata); `merge` deep-merges (PATCH metadata). */
  metadata?: { mode: 'replace' | 'merge'; public?: Record<string, unknown> | null; private?: Record<string, unknown> | null };
}

export function applyOrganizationChanges(organization: Organization, changes: OrganizationChanges): void {
  if (changes.name !== undefined) organization.name = changes.name;
  if (changes.slug !== undefined) organization.slug = changes.slug;
  if (changes.maxAllowedMemberships !== undefined) organization.max_allowed_memberships = changes.maxAllowedMemberships;
  if (changes.adminDeleteEnabled !== undefined) organization.admin_delete_enabled = changes.adminDeleteEnabled;
  const metadata = changes.metadata;
  if (metadata?.public !== undefined) organization.public_metadata = nextMetadata(organization.public_metadata ?? {}, metadata.public, metadata.mode);
  if (metadata?.private !== undefined) organization.private_metadata = nextMetadata(organization.private_metadata ?? {}, metadata.private, metadata.mode);
}

export function nextMetadata(current: Record<string, unknown>, given: Record<string, unknown> | null, mode: 'replace' | 'merge') {
  if (mode === 'replace') return given ?? {};
  return deepMerge(current, given ?? {});
}

/** Clerk's metadata merge: nested objects merge, a null value removes its key. */
function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(current)) out[key] = deepMerge(current, value);
    else out[key] = value;
  }
  return out;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function metadataParam(params: Record<string, unknown>, key: string): Record<string, unknown> | null | undefined {
  const value = params[key];
  if (value === undefined || value === null) return value;
  if (!isPlainObject(value)) throw formError(key, 'form_param_type_invalid', 'is invalid', `${key} must be an object.`);
  return value;
}

// Memberships -----------------------------------------------------------------

export function buildMembership(organizationId: string, userId: string, role: string, now: number, metadata: { public?: Record<string, unknown>; private?: Record<string, unknown> } = {}): Membership {
  return {
    id: clerkId('orgmem'),
    organizationId,
    userId,
    role,
    publicMetadata: metadata.public ?? {},
    privateMetadata: metadata.private ?? {},
    createdAt: now,
    updatedAt: now,
  };
}

export function publicUserData(user: User): MembershipPublicUserData {
  const phone = user.phone_numbers.find((number) => number.id === user.primary_phone_number_id)?.phone_number;
  const imageUrl = user.image_url ?? PLACEHOLDER_IMAGE;
  return {
    identifier: primaryEmail(user) ?? phone ?? user.username ?? '',
    first_name: user.first_name,
    last_name: user.last_name,
    profile_image_url: imageUrl,
    image_url: imageUrl,
    has_image: user.has_image,
    user_id: user.id,
  };
}

/** `organization` with its members counted in, as Clerk embeds it in memberships and events. */
export function membershipJSON(membership: Membership, organization: Organization, user: User, roles: RoleSource): MembershipJSON {
  return {
    object: 'organization_membership',
    id: membership.id,
    role: membership.role,
    role_name: (isLookup(roles) ? roles.nameOf(membership.role) : undefined) ?? roleName(membership.role),
    permissions: permissionsOf(membership.role, roles) ?? [],
    public_metadata: membership.publicMetadata,
    private_metadata: membership.privateMetadata,
    organization,
    public_user_data: publicUserData(user),
    created_at: membership.createdAt,
    updated_at: membership.updatedAt,
  };
}
