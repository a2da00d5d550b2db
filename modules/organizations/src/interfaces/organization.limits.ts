/** Shared by the organization forms (in the browser) and their schemas; no zod here (see post.limits.ts). */
export const ORGANIZATION_NAME_MAX = 64;
export const ORGANIZATION_SLUG_MAX = 64;

/** Clerk's slugs: lowercase letters, digits and dashes. */
export const ORGANIZATION_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** The roles a person can be given here: Clerk's two default ones. */
export const ORGANIZATION_ROLES = [
  { key: 'org:admin', label: 'Admin' },
  { key: 'org:member', label: 'Member' },
] as const;

export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number]['key'];

export const ADMIN_ROLE: OrganizationRole = 'org:admin';

export const roleLabel = (role: string): string => ORGANIZATION_ROLES.find((known) => known.key === role)?.label ?? role.replace(/^org:/, '');
