import type { Metadata } from 'next';
import { requirePersonalSpaceUser } from '@/modules/auth/src/services/require-user';
import { PostList } from '@/modules/posts/components/post-list';
import { listFeed } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'All posts' };

export default async function FeedPage({ searchParams }: { searchParams: Promise<{ cursor?: string }> }) {
  const { cursor } = await searchParams;
  await requirePersonalSpaceUser();
  const feed = await listFeed(cursor);
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-6 py-10">
      <h1 className="text-2xl font-bold tracking-tight">All posts</h1>
      <PostList page={feed} emptyText="Nobody has posted yet." olderHref={(next) => `/posts?cursor=${next}`} />
    </main>
  );
}
