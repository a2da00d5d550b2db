/**
 * Clerk invitation, role and permission events for tests, in the
 * emulator's envelope (type-checked against Clerk's contract,
 * tools/clerk-emulator/src/contract), signed like every other delivery.
 */
import { randomBytes } from 'node:crypto';
import type { OrganizationJSON, WebhookEvent } from '@clerk/backend';
import type { OrganizationInvitation, Permission, Role } from '../../tools/clerk-emulator/src/contract/schemas';
import { clerkId } from '../../tools/clerk-emulator/src/ids';
import type { EmulatorEvent } from '../../tools/clerk-emulator/src/store';
import { webhookEvent } from '../../tools/clerk-emulator/src/webhooks';
import type { Delivery } from './webhooks';

const DAY = 86_400_000;

/** A pending invitation to `organization`, made at `at`, expiring 30 days later. */
export function newInvitation(organization: Pick<OrganizationJSON, 'id'>, input: { email?: string; role?: string; inviter?: string | null } = {}, at = Date.now()): OrganizationInvitation {
  const email = input.email ?? `invitee-${randomBytes(4).toString('hex')}@example.com`;
  return {
    object: 'organization_invitation',
    id: clerkId('orginv'),
    email_address: email,
    role: input.role ?? 'org:member',
    role_name: input.role === 'org:admin' ? 'Admin' : 'Member',
    organization_id: organization.id,
    inviter_id: input.inviter ?? null,
    public_inviter_data: null,
    status: 'pending',
    public_metadata: {},
    private_metadata: {},
    url: `http://clerk.example.test/v1/tickets/accept?ticket=${randomBytes(8).toString('hex')}`,
    expires_at: at + 30 * DAY,
    created_at: at,
    updated_at: at,
  };
}

/** The invitation's next version: `status` at `at`. */
export const invitationAt = (invitation: OrganizationInvitation, status: 'pending' | 'accepted' | 'revoked' | 'expired', at: number): OrganizationInvitation => ({ ...invitation, status, updated_at: at });

export const newPermission = (key: string, at = Date.now()): Permission => ({
  object: 'permission',
  id: clerkId('perm'),
  name: key,
  key,
  description: '',
  type: key.startsWith('org:sys_') ? 'system' : 'user',
  created_at: at,
  updated_at: at,
});

export const newRole = (key: string, permissions: Permission[], at = Date.now()): Role => ({
  object: 'role',
  id: clerkId('role'),
  name: key.replace(/^org:/, ''),
  key,
  description: null,
  is_creator_eligible: false,
  permissions,
  created_at: at,
  updated_at: at,
});

function signed(event: EmulatorEvent, instanceId = 'ins_test'): Delivery {
  const envelope = webhookEvent(event, instanceId);
  return { svixId: clerkId('msg'), body: JSON.stringify(envelope), event: envelope as unknown as WebhookEvent };
}

export const invitationDelivery = (type: 'organizationInvitation.created' | 'organizationInvitation.revoked', invitation: OrganizationInvitation) =>
  signed({ type, invitation, at: invitation.updated_at });

export const acceptedDelivery = (invitation: OrganizationInvitation, userId: string) =>
  signed({ type: 'organizationInvitation.accepted', invitation: { ...invitation, status: 'accepted', user_id: userId }, at: invitation.updated_at });

export const roleDelivery = (type: 'role.created' | 'role.updated' | 'role.deleted', role: Role, at = role.updated_at) => signed({ type, role, at });

export const permissionDelivery = (type: 'permission.created' | 'permission.updated' | 'permission.deleted', permission: Permission, at = permission.updated_at) =>
  signed({ type, permission, at });
