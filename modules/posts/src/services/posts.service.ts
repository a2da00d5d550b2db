/**
 * Posts, in a personal space (`organizationId` null) or in an organization.
 * Every read and write carries its permission in its query: ownership
 * (`where: { id, userId }`), and for an organization's posts the reader's
 * membership of it (and, to delete others' posts, the `org:posts:delete`
 * permission of their role, from our copy of Clerk's roles) in the same
 * statement, never a check after a fetch. A post that is not yours to
 * see is indistinguishable from one that does not exist, and so is an id
 * that cannot be one (it is never sent to the database).
 */
import { getPrisma } from '@/modules/cores/db/prisma';
import { afterCursor, decodeCursor, NEWEST_FIRST, type Page, PAGE_SIZE, toPage } from '@/modules/cores/pagination';
import { newRowId } from '@/modules/clerk-sync/src/engine/sync-statement';
import { FREE_POST_CONTENT_MAX, FREE_POST_LIMIT, LONG_POSTS, UNLIMITED_POSTS } from '@/modules/billing/src/interfaces/billing.limits';
import { DELETE_ANY_POST, isPostId, type PostInput } from '../interfaces/post.schema';

export interface PostSummary {
  id: string;
  title: string;
  content: string;
  createdAt: Date;
}

export interface PostWithAuthor extends PostSummary {
  userId: string;
  user: { name: string | null };
}

export class PostNotFoundError extends Error {
  override name = 'PostNotFoundError';
}

const summary = { id: true, title: true, content: true, createdAt: true } as const;

const withAuthor = { ...summary, userId: true, user: { select: { name: true } } } as const;

/** Posts of an organization that `userId` is a member of: the membership is part of every query. */
const inOrganizationOf = (userId: string, organizationId: string) => ({ organizationId, organization: { memberships: { some: { userId } } } });

export function createPost(userId: string, input: PostInput): Promise<PostSummary> {
  return getPrisma().post.create({ data: { userId, title: input.title, content: input.content }, select: summary });
}

/** Your own post in your personal space. */
export async function updatePost(userId: string, postId: string, input: PostInput): Promise<void> {
  if (!isPostId(postId)) throw new PostNotFoundError(postId);
  const { count } = await getPrisma().post.updateMany({ where: { id: postId, userId, organizationId: null }, data: { title: input.title, content: input.content } });
  if (count === 0) throw new PostNotFoundError(postId);
}

export async function deletePost(userId: string, postId: string): Promise<void> {
  if (!isPostId(postId)) throw new PostNotFoundError(postId);
  const { count } = await getPrisma().post.deleteMany({ where: { id: postId, userId, organizationId: null } });
  if (count === 0) throw new PostNotFoundError(postId);
}

/** One of your own personal posts, for editing; null when it is not yours or does not exist. */
export async function findOwnPost(userId: string, postId: string): Promise<PostSummary | null> {
  if (!isPostId(postId)) return null;
  return getPrisma().post.findFirst({ where: { id: postId, userId, organizationId: null }, select: summary });
}

/** A post of someone's personal space (an organization's posts are only found through their organization). */
export async function findPost(postId: string): Promise<PostWithAuthor | null> {
  if (!isPostId(postId)) return null;
  return getPrisma().post.findFirst({ where: { id: postId, organizationId: null }, select: withAuthor });
}

/** The organization's plan does not allow this post (its post limit, or its length); `limit` says which. */
export class PostLimitError extends Error {
  override name = 'PostLimitError';
  constructor(readonly limit: 'posts' | 'length') {
    super(limit === 'posts' ? 'post limit reached' : 'post too long for the plan');
  }
}

/**
 * A post in an organization, by a member of it, within its plan
 * (docs/decisions/023): one call of `app_create_organization_post`, which
 * inserts nothing unless the membership exists at that moment and the
 * organization's plan (our copy of Clerk Billing) allows one more post of
 * this length; serialized per organization, so that parallel writers cannot
 * pass the limit together.
 */
export async function createOrganizationPost(userId: string, organizationId: string, input: PostInput): Promise<PostSummary> {
  if (!isPostId(organizationId)) throw new PostNotFoundError(organizationId);
  const [row] = await getPrisma().$queryRaw<(PostSummary & { outcome: 'created' | 'not_member' | 'limit' | 'too_long' })[]>`
    SELECT * FROM app_create_organization_post(${newRowId()}, ${userId}, ${organizationId}, ${input.title}, ${input.content},
      ${FREE_POST_LIMIT}::int, ${UNLIMITED_POSTS}, ${FREE_POST_CONTENT_MAX}::int, ${LONG_POSTS})`;
  if (row!.outcome === 'limit') throw new PostLimitError('posts');
  if (row!.outcome === 'too_long') throw new PostLimitError('length');
  if (row!.outcome !== 'created') throw new PostNotFoundError(organizationId);
  return { id: row!.id, title: row!.title, content: row!.content, createdAt: row!.createdAt };
}

/**
 * Your own post in an organization you are (still) a member of. Made longer
 * than the organization's plan allows (`long_posts`), it is refused: the
 * plan is read inside the statement.
 */
export async function updateOrganizationPost(userId: string, organizationId: string, postId: string, input: PostInput): Promise<void> {
  if (!isPostId(postId) || !isPostId(organizationId)) throw new PostNotFoundError(postId);
  const count = await getPrisma().$executeRaw`
    UPDATE "Post" p SET "title" = ${input.title}, "content" = ${input.content}
    FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId"
    WHERE p."id" = ${postId} AND p."userId" = ${userId} AND p."organizationId" = ${organizationId}
      AND m."organizationId" = p."organizationId" AND m."userId" = ${userId}
      AND (char_length(${input.content}) <= ${FREE_POST_CONTENT_MAX} OR ${LONG_POSTS} = ANY (clerk_organization_features(o."clerkId")))`;
  if (count > 0) return;
  if (input.content.length > FREE_POST_CONTENT_MAX && (await findOrganizationPost(userId, organizationId, postId, { own: true }))) throw new PostLimitError('length');
  throw new PostNotFoundError(postId);
}

/** Your own post in an organization you are a member of, or any of its posts if your role may delete any (`org:posts:delete`). */
export async function deleteOrganizationPost(userId: string, organizationId: string, postId: string): Promise<void> {
  if (!isPostId(postId) || !isPostId(organizationId)) throw new PostNotFoundError(postId);
  const count = await getPrisma().$executeRaw`
    DELETE FROM "Post" p WHERE p."id" = ${postId} AND p."organizationId" = ${organizationId}
      AND ((p."userId" = ${userId} AND EXISTS (SELECT 1 FROM "Membership" m WHERE m."organizationId" = p."organizationId" AND m."userId" = ${userId}))
        OR clerk_member_has_permission(${userId}, p."organizationId", ${DELETE_ANY_POST}))`;
  if (count === 0) throw new PostNotFoundError(postId);
}

/** A post of an organization, for a member of it (`own`: only if they wrote it, for editing); null otherwise. */
export async function findOrganizationPost(userId: string, organizationId: string, postId: string, options: { own?: boolean } = {}): Promise<PostWithAuthor | null> {
  if (!isPostId(postId)) return null;
  return getPrisma().post.findFirst({ where: { id: postId, ...(options.own ? { userId } : {}), ...inOrganizationOf(userId, organizationId) }, select: withAuthor });
}

/**
 * An organization's posts with their authors, newest first, for a member of it: one indexed query on
 * (organizationId, createdAt), then the authors' names in a second (Prisma reads a relation in a
 * statement of its own; tests/integration/page-counts.test.ts counts both).
 */
export async function listOrganizationPosts(userId: string, organizationId: string, cursor?: string | null, size = PAGE_SIZE): Promise<Page<PostWithAuthor>> {
  const rows = await getPrisma().post.findMany({
    where: { ...inOrganizationOf(userId, organizationId), ...afterCursor(decodeCursor(cursor)) },
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: withAuthor,
  });
  return toPage(rows, size);
}

/** A user's personal posts, newest first: one indexed query on (userId, createdAt). */
export async function listUserPosts(userId: string, cursor?: string | null, size = PAGE_SIZE): Promise<Page<PostSummary>> {
  const rows = await getPrisma().post.findMany({
    where: { userId, organizationId: null, ...afterCursor(decodeCursor(cursor)) },
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: summary,
  });
  return toPage(rows, size);
}

/** Everyone's personal posts with their authors' names, newest first (an organization's posts are for its members only). */
export async function listFeed(cursor?: string | null, size = PAGE_SIZE): Promise<Page<PostWithAuthor>> {
  const rows = await getPrisma().post.findMany({
    where: { organizationId: null, ...afterCursor(decodeCursor(cursor)) },
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: withAuthor,
  });
  return toPage(rows, size);
}
