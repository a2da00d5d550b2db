import { describe, expect, it } from 'vitest';
import { isUniqueViolation } from '@/modules/cores/db/errors';
import { createPost, createUser, userData } from '../helpers/factories';
import { prisma } from '../helpers/prisma';

/** Prisma 7 with a driver adapter reports unique violations as P2002 (FACTS.md: no meta.target). */
async function expectUniqueViolation(promise: Promise<unknown>) {
  await expect(promise).rejects.toMatchObject({ code: 'P2002' });
}

describe('User', () => {
  it('deleting a user deletes their posts (cascade)', async () => {
    const author = await createUser();
    const other = await createUser();
    await createPost(author.id);
    await createPost(author.id);
    const kept = await createPost(other.id);

    await prisma().user.delete({ where: { id: author.id } });

    expect(await prisma().post.count({ where: { userId: author.id } })).toBe(0);
    expect(await prisma().post.findMany({ select: { id: true } })).toEqual([{ id: kept.id }]);
  });

  it('refuses a second user with the same clerkId', async () => {
    const first = await createUser();
    await expectUniqueViolation(prisma().user.create({ data: userData({ clerkId: first.clerkId }) }));
    expect(await prisma().user.count({ where: { clerkId: first.clerkId } })).toBe(1);
  });

  it('reports unique violations in a shape isUniqueViolation recognises, from the client API and raw SQL', async () => {
    const first = await createUser();
    const viaClient = await prisma().user.create({ data: userData({ clerkId: first.clerkId }) }).catch((error: unknown) => error);
    expect(isUniqueViolation(viaClient)).toBe(true);
    const viaRaw = await prisma()
      .$executeRaw`INSERT INTO "User" (id, "clerkId", email, "updatedAt") VALUES ('x1', ${first.clerkId}, 'other@example.com', now())`
      .catch((error: unknown) => error);
    expect(isUniqueViolation(viaRaw)).toBe(true);
    const notUnique = await createPost('no-such-user').catch((error: unknown) => error);
    expect(isUniqueViolation(notUnique)).toBe(false);
  });

  it('refuses a second user with the same email', async () => {
    const first = await createUser();
    await expectUniqueViolation(prisma().user.create({ data: userData({ email: first.email }) }));
    expect(await prisma().user.count({ where: { email: first.email } })).toBe(1);
  });

  it('keeps createdAt and moves updatedAt on update', async () => {
    const user = await createUser();
    const updated = await prisma().user.update({ where: { id: user.id }, data: { name: 'Grace Hopper' } });
    expect(updated.createdAt).toEqual(user.createdAt);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());
  });
});

describe('Post', () => {
  it('cannot belong to a user that does not exist', async () => {
    await expect(createPost('no-such-user')).rejects.toMatchObject({ code: 'P2003' });
  });

  it('is indexed for "a user\'s posts, newest first"', async () => {
    const rows = await prisma().$queryRaw<{ indexdef: string }[]>`
      SELECT indexdef FROM pg_indexes WHERE tablename = 'Post' AND indexname = 'Post_userId_createdAt_idx'`;
    expect(rows[0]?.indexdef).toContain('("userId", "createdAt")');
  });
});
