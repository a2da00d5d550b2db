/**
 * The fields of Clerk's organization role and permission JSON that the sync
 * reads. Roles are the instance's (Clerk's dashboard, or the Backend API's
 * /organization_roles), each with the permissions it grants; our copy is
 * what authorizes every act in an organization (docs/decisions/022), so
 * that a custom role made in Clerk works with no code change.
 */
import type { PermissionWebhookEvent, RoleWebhookEvent } from '@clerk/backend/webhooks';
import { z } from 'zod';
import { organizationRoleSchema } from './clerk-organization-data';
import { clerkIdSchema, storableText } from './clerk-user-data';

/** `org:<feature>:<action>`, system ones (`org:sys_…`) included. */
export const permissionKeySchema = z.string().regex(/^org:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}$/, { error: 'is not a permission key' });

export const clerkPermissionDataSchema = z.object({
  id: clerkIdSchema,
  key: permissionKeySchema,
  updated_at: z.number().finite(),
});

export type ClerkPermissionData = z.infer<typeof clerkPermissionDataSchema>;

export const clerkRoleDataSchema = z.object({
  id: clerkIdSchema,
  key: organizationRoleSchema,
  name: storableText(256),
  permissions: z.array(clerkPermissionDataSchema).max(500),
  updated_at: z.number().finite(),
});

export type ClerkRoleData = z.infer<typeof clerkRoleDataSchema>;

export interface PermissionFields {
  clerkId: string;
  key: string;
  version: Date;
}

export interface RoleFields {
  clerkId: string;
  key: string;
  name: string;
  permissions: PermissionFields[];
  version: Date;
}

export const permissionFields = (permission: ClerkPermissionData): PermissionFields => ({ clerkId: permission.id, key: permission.key, version: new Date(permission.updated_at) });

export const roleFields = (role: ClerkRoleData): RoleFields => ({
  clerkId: role.id,
  key: role.key,
  name: role.name.trim(),
  permissions: role.permissions.map(permissionFields),
  version: new Date(role.updated_at),
});

/** The SDK's role and permission JSON (exported only through its webhook event types). */
type RoleJSON = RoleWebhookEvent['data'];
type PermissionJSON = PermissionWebhookEvent['data'];

export type RoleJSONFits = RoleJSON extends ClerkRoleData ? true : never;
export type PermissionJSONFits = PermissionJSON extends ClerkPermissionData ? true : never;
const _roleJsonFits: RoleJSONFits = true;
const _permissionJsonFits: PermissionJSONFits = true;
void _roleJsonFits;
void _permissionJsonFits;
