/** Shared by the organization forms (in the browser) and their schemas; no zod here (see post.limits.ts). */
export const ORGANIZATION_NAME_MAX = 64;
export const ORGANIZATION_SLUG_MAX = 64;

/** Clerk's slugs: lowercase letters, digits and dashes. */
export const ORGANIZATION_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/**
 * What a member may do is a permission of their role (docs/decisions/022),
 * never a role's name: roles are the Clerk instance's (its two defaults and
 * any custom one made in Clerk's dashboard), synced with their permissions.
 * Clerk's system permissions for the members and the organization itself:
 */
export const MANAGE_MEMBERS = 'org:sys_memberships:manage';
export const DELETE_ORGANIZATION = 'org:sys_profile:delete';

/** The role a new invitation offers first: Clerk's default member role. */
export const DEFAULT_INVITE_ROLE = 'org:member';

/** Clerk's role keys, as a form sends them (Clerk refuses one the instance lacks). */
export const ORGANIZATION_ROLE_PATTERN = /^org:[A-Za-z0-9_-]{1,64}$/;

/** A role's name for a person: our copy's, else the key without `org:`. */
export const roleLabel = (role: string, name?: string | null): string => name ?? role.replace(/^org:/, '');
