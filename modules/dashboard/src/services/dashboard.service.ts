/**
 * What the dashboard shows: the user's profile (from the row `requireUser()`
 * already loaded: no query, no Clerk call) and one page of their posts (one
 * indexed query).
 */
import type { User } from '@/generated/prisma/client';
import { hasRealEmail } from '@/modules/clerk-sync/src/objects/clerk-user';
import type { Page } from '@/modules/cores/pagination';
import { listUserPosts, type PostSummary } from '@/modules/posts/src/services/posts.service';

export interface Dashboard {
  profile: { name: string | null; email: string | null; memberSince: Date };
  posts: Page<PostSummary>;
}

export async function getDashboard(user: User, cursor?: string | null): Promise<Dashboard> {
  return {
    profile: { name: user.name, email: hasRealEmail(user.email) ? user.email : null, memberSince: user.createdAt },
    posts: await listUserPosts(user.id, cursor),
  };
}
