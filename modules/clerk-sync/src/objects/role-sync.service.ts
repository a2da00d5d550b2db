/**
 * The instance's organization roles and their permissions, from the Backend
 * API (`/organization_roles`): fetched once when a membership names a role
 * we do not hold (a fresh database, or a role made in Clerk's dashboard
 * before its webhook lands), and by reconcile. The webhook's `role.*` and
 * `permission.*` events keep them in step after that. Every write is one
 * call of `clerk_apply_change` (docs/decisions/022).
 */
import type { ClerkClient } from '@clerk/backend';
import { getClerkClient } from '@/modules/cores/clerk/clerk-client';
import { getPrisma } from '@/modules/cores/db/prisma';
import { type ClerkRoleData, clerkRoleDataSchema } from './clerk-role-data';
import { type ChangeOutcome, syncChange } from './organization-sync.service';
import { checkedClerkData } from './user-sync.service';

type SdkRole = Awaited<ReturnType<ClerkClient['organizationRoles']['getOrganizationRole']>>;

/** The SDK's Role (camelCase, no `.raw`) as Clerk's JSON names what the sync reads. */
const roleJsonOf = (role: SdkRole) => ({
  id: role.id,
  key: role.key,
  name: role.name,
  permissions: role.permissions.map((permission) => ({ id: permission.id, key: permission.key, updated_at: permission.updatedAt })),
  updated_at: role.updatedAt,
});

/** One role (Clerk's JSON, or the SDK's Role), stored by the roles' rules. */
export function syncRoleFromClerk(role: unknown): Promise<ChangeOutcome> {
  const data: ClerkRoleData = checkedClerkData(clerkRoleDataSchema, role, 'role');
  return syncChange({ object: 'role', action: 'version', data });
}

const PAGE = 100;

/** Every role of the instance, page by page, each stored; their Clerk ids. */
export async function syncRolesFromClerk(clerk: ClerkClient = getClerkClient()): Promise<{ seen: string[]; applied: number }> {
  const seen: string[] = [];
  let applied = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await clerk.organizationRoles.getOrganizationRoleList({ limit: PAGE, offset });
    for (const role of page.data) {
      seen.push(role.id);
      if ((await syncRoleFromClerk(roleJsonOf(role))) === 'applied') applied++;
    }
    if (page.data.length < PAGE) return { seen, applied };
  }
}

/**
 * Reconcile's pass over roles: all of Clerk's stored, and ours that Clerk no
 * longer has deleted. An instance always has roles: an empty list removes
 * nothing (it is a wrong answer, not a fact).
 */
export async function reconcileRoles(clerk: ClerkClient): Promise<{ seen: number; applied: number; deleted: number }> {
  const { seen, applied } = await syncRolesFromClerk(clerk);
  if (seen.length === 0) return { seen: 0, applied, deleted: 0 };
  const gone = await getPrisma().organizationRole.findMany({ where: { clerkId: { notIn: seen } }, select: { clerkId: true } });
  for (const row of gone) await syncChange({ object: 'role', action: 'deletion', clerkId: row.clerkId });
  return { seen: seen.length, applied, deleted: gone.length };
}
