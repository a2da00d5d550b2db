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
