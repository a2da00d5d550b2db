/** Small factories: each test builds the rows it needs. */
import { randomUUID } from 'node:crypto';
import type { Prisma } from '@/generated/prisma/client';
import { prisma } from './prisma';

export function userData(overrides: Partial<Prisma.UserCreateInput> = {}): Prisma.UserCreateInput {
  const id = randomUUID().slice(0, 8);
  return { clerkId: `user_${id}`, email: `person-${id}@example.com`, name: 'Ada Lovelace', ...overrides };
}

export function createUser(overrides: Partial<Prisma.UserCreateInput> = {}) {
  return prisma().user.create({ data: userData(overrides) });
}

export function createPost(userId: string, overrides: Partial<Prisma.PostUncheckedCreateInput> = {}) {
  return prisma().post.create({ data: { userId, title: 'A title', content: 'Some content', ...overrides } });
}

/**
 * Clerk's default roles with their permissions as an instance has them (and
 * this app's `org:posts:delete` on admins, and the README's Editor), stored
 * as the sync stores them: for tests that make memberships by hand. Once per
 * database; what a test of the sync itself must not use.
 */
export async function createDefaultRoles(): Promise<void> {
  const roles: Record<string, { name: string; permissions: string[] }> = {
    'org:admin': { name: 'Admin', permissions: ['org:sys_profile:manage', 'org:sys_profile:delete', 'org:sys_memberships:read', 'org:sys_memberships:manage', 'org:posts:delete'] },
    'org:member': { name: 'Member', permissions: ['org:sys_memberships:read'] },
    'org:editor': { name: 'Editor', permissions: ['org:sys_memberships:read', 'org:posts:delete'] },
  };
  const idOf = (key: string) => `perm_test_${key.replace(/[^a-z]/g, '_')}`;
  const at = new Date(Date.UTC(2020, 0, 1));
  for (const key of new Set(Object.values(roles).flatMap((role) => role.permissions))) {
    await prisma().organizationPermission.upsert({ where: { key }, create: { clerkId: idOf(key), key, clerkUpdatedAt: at }, update: {} });
  }
  for (const [key, role] of Object.entries(roles)) {
    await prisma().organizationRole.upsert({
      where: { key },
      create: { clerkId: `role_test_${key.slice(4)}`, key, name: role.name, permissionIds: role.permissions.map(idOf), clerkUpdatedAt: at },
      update: {},
    });
  }
}
