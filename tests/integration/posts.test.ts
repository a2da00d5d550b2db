/** The posts and dashboard services on real PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { getDashboard } from '@/modules/dashboard/src/services/dashboard.service';
import { decodeCursor, encodeCursor } from '@/modules/cores/pagination';
import { postInputSchema } from '@/modules/posts/src/interfaces/post.schema';
import {
  createOrganizationPost,
  createPost,
  deleteOrganizationPost,
  deletePost,
  findOrganizationPost,
  findOwnPost,
  findPost,
  listFeed,
  listOrganizationPosts,
  listUserPosts,
  PostNotFoundError,
  updateOrganizationPost,
  updatePost,
} from '@/modules/posts/src/services/posts.service';
import { createDefaultRoles, createUser } from '../helpers/factories';
import { prisma } from '../helpers/prisma';

async function postsAt(userId: string, count: number, start = Date.UTC(2026, 0, 1)) {
  const rows = Array.from({ length: count }, (_, i) => ({ userId, title: `Post ${i}`, content: `Body ${i}`, createdAt: new Date(start + i * 1000) }));
  await prisma().post.createMany({ data: rows });
}

describe('the post schema', () => {
  it('trims and accepts titles of 1 to 200 characters and posts of 1 to 20,000, measured after trimming', () => {
    expect(postInputSchema.parse({ title: '  Hello  ', content: '\n World \n' })).toEqual({ title: 'Hello', content: 'World' });
    expect(postInputSchema.safeParse({ title: 'x', content: 'y' }).success).toBe(true);
    const longest = { title: ` ${'x'.repeat(200)} `, content: `\n${'y'.repeat(20_000)}\n` };
    expect(postInputSchema.parse(longest)).toEqual({ title: 'x'.repeat(200), content: 'y'.repeat(20_000) });
  });

  it('refuses a title of 201 characters and a post of 20,001, saying the limit', () => {
    const long = postInputSchema.safeParse({ title: 'x'.repeat(201), content: 'y'.repeat(20_001) });
    expect(long.success || long.error.issues.map((issue) => [issue.path[0], issue.message])).toEqual([
      ['title', 'Keep the title to 200 characters or fewer.'],
      ['content', 'Keep the post to 20,000 characters or fewer.'],
    ]);
  });

  it('refuses empty and blank fields, saying which', () => {
    const blank = postInputSchema.safeParse({ title: '   ', content: '' });
    expect(blank.success || blank.error.issues.map((issue) => [issue.path[0], issue.message])).toEqual([
      ['title', 'Enter a title.'],
      ['content', 'Write something.'],
    ]);
  });

  it('refuses control characters beside their field, keeping line breaks and tabs in the content', () => {
    const message = 'Remove the invisible control characters (such as NUL) from this field.';
    const nul = postInputSchema.safeParse({ title: 'Hello\u0000', content: 'a\u0007b' });
    expect(nul.success || nul.error.issues.map((issue) => [issue.path[0], issue.message])).toEqual([
      ['title', message],
      ['content', message],
    ]);
    expect(postInputSchema.safeParse({ title: 'Fine', content: 'one\ntwo\r\n\tthree' }).success).toBe(true);
    expect(postInputSchema.safeParse({ title: 'Lone \uD800 surrogate', content: 'x' }).success).toBe(false);
    expect(postInputSchema.safeParse({ title: 'Emoji 😀 are fine', content: 'x' }).success).toBe(true);
  });
});

describe('hostile ids and cursors', () => {
  it('treat an id that cannot be a post as not found, never sending it to the database', async () => {
    const user = await createUser();
    for (const id of ['\u0000', 'x\u0000y', '../etc', 'x'.repeat(65), '']) {
      expect(await findPost(id)).toBeNull();
      expect(await findOwnPost(user.id, id)).toBeNull();
      await expect(updatePost(user.id, id, { title: 't', content: 'c' })).rejects.toBeInstanceOf(PostNotFoundError);
      await expect(deletePost(user.id, id)).rejects.toBeInstanceOf(PostNotFoundError);
    }
  });

  it('treat a cursor carrying control characters as the first page', async () => {
    const user = await createUser();
    await postsAt(user.id, 3);
    const poisoned = encodeCursor({ createdAt: new Date(), id: 'x\u0000' });
    expect(decodeCursor(poisoned)).toBeNull();
    expect((await listUserPosts(user.id, poisoned)).items).toHaveLength(3);
    expect((await listFeed(poisoned)).items.length).toBeGreaterThanOrEqual(3);
  });
});

describe('pagination', () => {
  it('pages a user\'s posts newest first with no gap or repeat, ending with no cursor', async () => {
    const user = await createUser();
    await postsAt(user.id, 23);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listUserPosts(user.id, cursor, 10);
      seen.push(...page.items.map((post) => post.title));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `Post ${22 - i}`));
  });

  it('has no next page when the last page is exactly full, and handles no posts at all', async () => {
    const user = await createUser();
    expect(await listUserPosts(user.id)).toEqual({ items: [], nextCursor: null });
    await postsAt(user.id, 10);
    const first = await listUserPosts(user.id, null, 10);
    expect(first.items).toHaveLength(10);
    expect(first.nextCursor).toBeNull();
  });

  it('keeps order among posts created in the same millisecond', async () => {
    const user = await createUser();
    const at = new Date(Date.UTC(2026, 1, 1));
    await prisma().post.createMany({ data: Array.from({ length: 5 }, (_, i) => ({ userId: user.id, title: `Same ${i}`, content: 'x', createdAt: at })) });
    const a = await listUserPosts(user.id, null, 2);
    const b = await listUserPosts(user.id, a.nextCursor, 2);
    const c = await listUserPosts(user.id, b.nextCursor, 2);
    const ids = [...a.items, ...b.items, ...c.items].map((post) => post.id);
    // Ties on createdAt are ordered by id, newest (largest) first: every post once, in that order.
    const all = (await prisma().post.findMany({ where: { userId: user.id }, select: { id: true } })).map((post) => post.id);
    expect(ids).toEqual([...all].sort((x, y) => (x < y ? 1 : x > y ? -1 : 0)));
    expect(c.nextCursor).toBeNull();
  });

  it('treats a tampered cursor as the first page', async () => {
    const user = await createUser();
    await postsAt(user.id, 3);
    for (const cursor of ['garbage', Buffer.from('not-a-date|x').toString('base64url'), 'x'.repeat(500)]) {
      expect((await listUserPosts(user.id, cursor)).items).toHaveLength(3);
    }
  });

  it('shows everyone\'s posts in the feed with their authors\' names', async () => {
    const ada = await createUser({ name: 'Ada Lovelace' });
    const grace = await createUser({ name: 'Grace Hopper' });
    await createPost(ada.id, { title: 'From Ada', content: 'a' });
    await createPost(grace.id, { title: 'From Grace', content: 'g' });
    const feed = await listFeed(null, 50);
    const mine = feed.items.filter((post) => post.userId === ada.id || post.userId === grace.id);
    expect(mine.map((post) => [post.title, post.user.name])).toEqual([
      ['From Grace', 'Grace Hopper'],
      ['From Ada', 'Ada Lovelace'],
    ]);
  });
});

describe('the feed and a single post', () => {
  it('carry the author\'s name and nothing else of them', async () => {
    const ada = await createUser({ name: 'Ada Lovelace' });
    const post = await createPost(ada.id, { title: 'Mine', content: 'body' });
    const found = await findPost(post.id);
    expect(found).toEqual({ ...post, userId: ada.id, user: { name: 'Ada Lovelace' } });
    const feed = await listFeed(null, 50);
    expect(feed.items.find((item) => item.id === post.id)).toEqual({ ...post, userId: ada.id, user: { name: 'Ada Lovelace' } });
  });

  it('finds one\'s own post for editing, and nobody else\'s', async () => {
    const author = await createUser();
    const other = await createUser();
    const post = await createPost(author.id, { title: 'Draft', content: 'text' });
    expect(await findOwnPost(author.id, post.id)).toEqual(post);
    expect(await findOwnPost(other.id, post.id)).toBeNull();
  });

  it('pages the feed with a cursor while more posts follow', async () => {
    const user = await createUser();
    await postsAt(user.id, 3, Date.UTC(2099, 0, 1));
    const first = await listFeed(null, 2);
    expect(first.items.map((post) => post.title)).toEqual(['Post 2', 'Post 1']);
    expect(first.nextCursor).not.toBeNull();
    expect((await listFeed(first.nextCursor, 1)).items.map((post) => post.title)).toEqual(['Post 0']);
  });
});

describe('ownership', () => {
  it('lets the author edit and delete; anyone else changes nothing and learns nothing', async () => {
    const author = await createUser();
    const other = await createUser();
    const post = await createPost(author.id, { title: 'Mine', content: 'original' });

    await expect(updatePost(other.id, post.id, { title: 'Hacked', content: 'hacked' })).rejects.toBeInstanceOf(PostNotFoundError);
    await expect(deletePost(other.id, post.id)).rejects.toBeInstanceOf(PostNotFoundError);
    expect(await findOwnPost(other.id, post.id)).toBeNull();
    expect(await findPost(post.id)).toMatchObject({ title: 'Mine', content: 'original' });

    await updatePost(author.id, post.id, { title: 'Edited', content: 'edited' });
    expect(await findPost(post.id)).toMatchObject({ title: 'Edited', content: 'edited' });
    await deletePost(author.id, post.id);
    expect(await findPost(post.id)).toBeNull();
    await expect(deletePost(author.id, post.id)).rejects.toBeInstanceOf(PostNotFoundError);
  });
});

describe('the dashboard', () => {
  it('shows the profile and the first page of the user\'s own posts only', async () => {
    const user = await createUser({ name: 'Ada Lovelace', email: 'ada-dash@example.com' });
    const other = await createUser();
    await postsAt(user.id, 12);
    await createPost(other.id, { title: 'Not mine', content: 'x' });
    const dashboard = await getDashboard(user);
    expect(dashboard.profile).toEqual({ name: 'Ada Lovelace', email: 'ada-dash@example.com', memberSince: user.createdAt });
    expect(dashboard.posts.items.map((post) => post.title)).toEqual(Array.from({ length: 10 }, (_, i) => `Post ${11 - i}`));
    expect(dashboard.posts.nextCursor).not.toBeNull();
  });
});

describe('an organization\'s posts', () => {
  /** An organization with an admin and a member, and someone outside it. */
  async function team() {
    await createDefaultRoles();
    const [admin, member, outsider] = await Promise.all([createUser(), createUser(), createUser()]);
    const suffix = admin.id.slice(-8);
    const organization = await prisma().organization.create({ data: { clerkId: `org_${suffix}`, name: 'Team', slug: `team-${suffix}`, clerkUpdatedAt: new Date() } });
    const membership = (userId: string, role: string) =>
      prisma().membership.create({ data: { clerkId: `orgmem_${userId}`, organizationId: organization.id, userId, role, clerkCreatedAt: new Date(), clerkUpdatedAt: new Date() } });
    await membership(admin.id, 'org:admin');
    const memberRow = await membership(member.id, 'org:member');
    return { admin, member, outsider, organization, memberRow };
  }

  it('are written and read by members only, and stay out of the personal feed, pages and lists', async () => {
    const { member, outsider, organization } = await team();
    const post = await createOrganizationPost(member.id, organization.id, { title: 'Team news', content: 'x' });
    await expect(createOrganizationPost(outsider.id, organization.id, { title: 'Planted', content: 'x' })).rejects.toBeInstanceOf(PostNotFoundError);
    expect(await prisma().post.count({ where: { organizationId: organization.id } })).toBe(1);

    expect(await findOrganizationPost(member.id, organization.id, post.id)).toMatchObject({ title: 'Team news', userId: member.id });
    expect(await findOrganizationPost(outsider.id, organization.id, post.id)).toBeNull();
    expect((await listOrganizationPosts(member.id, organization.id)).items.map((item) => item.id)).toEqual([post.id]);
    expect((await listOrganizationPosts(outsider.id, organization.id)).items).toEqual([]);

    expect(await findPost(post.id)).toBeNull();
    expect(await findOwnPost(member.id, post.id)).toBeNull();
    expect((await listUserPosts(member.id)).items).toEqual([]);
    expect((await listFeed()).items.map((item) => item.id)).not.toContain(post.id);
    await expect(updatePost(member.id, post.id, { title: 'Via personal', content: 'x' })).rejects.toBeInstanceOf(PostNotFoundError);
    await expect(deletePost(member.id, post.id)).rejects.toBeInstanceOf(PostNotFoundError);
  });

  it('are edited by their author only, and deleted by their author or a role that may delete any post, while a member', async () => {
    const { admin, member, outsider, organization, memberRow } = await team();
    const post = await createOrganizationPost(member.id, organization.id, { title: 'Draft', content: 'x' });
    await expect(updateOrganizationPost(admin.id, organization.id, post.id, { title: 'By the admin', content: 'x' })).rejects.toBeInstanceOf(PostNotFoundError);
    expect(await findOrganizationPost(admin.id, organization.id, post.id, { own: true })).toBeNull();
    await updateOrganizationPost(member.id, organization.id, post.id, { title: 'Final', content: 'y' });
    expect(await findOrganizationPost(member.id, organization.id, post.id, { own: true })).toMatchObject({ title: 'Final' });

    const adminPost = await createOrganizationPost(admin.id, organization.id, { title: 'Admin\'s', content: 'x' });
    await expect(deleteOrganizationPost(member.id, organization.id, adminPost.id)).rejects.toBeInstanceOf(PostNotFoundError);
    await expect(deleteOrganizationPost(outsider.id, organization.id, post.id)).rejects.toBeInstanceOf(PostNotFoundError);
    await deleteOrganizationPost(admin.id, organization.id, post.id);
    expect(await prisma().post.count({ where: { id: post.id } })).toBe(0);

    // A former member keeps authorship but loses every right over the post.
    const left = await createOrganizationPost(member.id, organization.id, { title: 'Before leaving', content: 'x' });
    await prisma().membership.delete({ where: { id: memberRow.id } });
    await expect(updateOrganizationPost(member.id, organization.id, left.id, { title: 'After', content: 'x' })).rejects.toBeInstanceOf(PostNotFoundError);
    await expect(deleteOrganizationPost(member.id, organization.id, left.id)).rejects.toBeInstanceOf(PostNotFoundError);
    expect(await findOrganizationPost(member.id, organization.id, left.id)).toBeNull();
    expect(await prisma().post.count({ where: { id: left.id } })).toBe(1);
  });
});
