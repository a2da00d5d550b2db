/**
 * Clerk organization and membership events for tests, shaped by the
 * emulator's own builders and envelope (type-checked against
 * Clerk's contract, tools/clerk-emulator/src/contract; handed to the app as
 * `@clerk/backend`'s types, see tests/helpers/webhooks.ts), signed like every other delivery.
 */
import { randomBytes } from 'node:crypto';
import type { OrganizationJSON, UserJSON, WebhookEvent } from '@clerk/backend';
import type { Organization, User } from '../../tools/clerk-emulator/src/contract/schemas';
import { clerkId } from '../../tools/clerk-emulator/src/ids';
import { buildMembership, buildOrganization, type MembershipJSON, membershipJSON } from '../../tools/clerk-emulator/src/organizations';
import type { EmulatorEvent } from '../../tools/clerk-emulator/src/store';
import { webhookEvent } from '../../tools/clerk-emulator/src/webhooks';
import type { Delivery } from './webhooks';

type Role = 'org:admin' | 'org:member';

export function newClerkOrganization(input: { name?: string; slug?: string } = {}, at = Date.now()): OrganizationJSON {
  const suffix = randomBytes(4).toString('hex');
  return buildOrganization({ name: input.name ?? `Team ${suffix}`, slug: input.slug ?? `team-${suffix}` }, at) as OrganizationJSON;
}

/** The next version of an organization, `updated_at` moved to `at`. */
export const changedOrganization = (organization: OrganizationJSON, changes: { name?: string; slug?: string }, at: number): OrganizationJSON => ({
  ...organization,
  ...changes,
  updated_at: at,
});

export const newMembership = (organization: OrganizationJSON, user: UserJSON, role: Role = 'org:member', at = Date.now()): MembershipJSON =>
  membershipJSON(buildMembership(organization.id, user.id, role, at), organization as Organization, user as unknown as User, {});

/** The same membership with another role, `updated_at` moved to `at`. */
export const changedMembership = (membership: MembershipJSON, role: Role, at: number): MembershipJSON => ({ ...membership, role, updated_at: at });

/** Events from the instance `instanceId` (its envelope's `instance_id`). */
function signedDelivery(event: EmulatorEvent, instanceId = 'ins_test'): Delivery {
  const envelope = webhookEvent(event, instanceId);
  return { svixId: clerkId('msg'), body: JSON.stringify(envelope), event: envelope as unknown as WebhookEvent };
}

export const organizationDelivery = (type: 'organization.created' | 'organization.updated', organization: OrganizationJSON, at = organization.updated_at) =>
  signedDelivery({ type, organization: organization as Organization, at });

export const organizationDeletedDelivery = (organization: OrganizationJSON, at: number) => signedDelivery({ type: 'organization.deleted', organization: organization as Organization, at });

export const membershipDelivery = (
  type: 'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted',
  membership: MembershipJSON,
  at = membership.updated_at,
  instanceId?: string,
) => signedDelivery({ type, membership, at }, instanceId);
