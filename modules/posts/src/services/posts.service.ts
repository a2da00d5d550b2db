/**
 * Posts. Every write carries ownership in its query (`where: { id, userId }`):
 * a post that is not yours is indistinguishable from one that does not exist,
 * and so is an id that cannot be one (it is never sent to the database).
 */
import { getPrisma } from '@/modules/cores/db/prisma';
import { afterCursor, decodeCursor, NEWEST_FIRST, type Page, PAGE_SIZE, toPage } from '@/modules/cores/pagination';
import { isPostId, type PostInput } from '../interfaces/post.schema';

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

export function createPost(userId: string, input: PostInput): Promise<PostSummary> {
  return getPrisma().post.create({ data: { userId, title: input.title, content: input.content }, select: summary });
}

export async function updatePost(userId: string, postId: string, input: PostInput): Promise<void> {
  if (!isPostId(postId)) throw new PostNotFoundError(postId);
  const { count } = await getPrisma().post.updateMany({ where: { id: postId, userId }, data: { title: input.title, content: input.content } });
  if (count === 0) throw new PostNotFoundError(postId);
}

export async function deletePost(userId: string, postId: string): Promise<void> {
  if (!isPostId(postId)) throw new PostNotFoundError(postId);
  const { count } = await getPrisma().post.deleteMany({ where: { id: postId, userId } });
  if (count === 0) throw new PostNotFoundError(postId);
}

/** One of your own posts, for editing; null when it is not yours or does not exist. */
export async function findOwnPost(userId: string, postId: string): Promise<PostSummary | null> {
  if (!isPostId(postId)) return null;
  return getPrisma().post.findFirst({ where: { id: postId, userId }, select: summary });
}

export async function findPost(postId: string): Promise<PostWithAuthor | null> {
  if (!isPostId(postId)) return null;
  return getPrisma().post.findUnique({ where: { id: postId }, select: { ...summary, userId: true, user: { select: { name: true } } } });
}

/** A user's posts, newest first: one indexed query on (userId, createdAt). */
export async function listUserPosts(userId: string, cursor?: string | null, size = PAGE_SIZE): Promise<Page<PostSummary>> {
  const rows = await getPrisma().post.findMany({
    where: { userId, ...afterCursor(decodeCursor(cursor)) },
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: summary,
  });
  return toPage(rows, size);
}

/** Everyone's posts with their authors' names, newest first: the page and its authors in two indexed queries. */
export async function listFeed(cursor?: string | null, size = PAGE_SIZE): Promise<Page<PostWithAuthor>> {
  const rows = await getPrisma().post.findMany({
    where: afterCursor(decodeCursor(cursor)),
    orderBy: NEWEST_FIRST,
    take: size + 1,
    select: { ...summary, userId: true, user: { select: { name: true } } },
  });
  return toPage(rows, size);
}
