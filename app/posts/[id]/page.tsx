import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { deletePostAction } from '@/app/posts/actions';
import { requirePersonalSpaceUser } from '@/modules/auth/src/services/require-user';
import { Notice } from '@/modules/cores/ui/notice';
import { PostArticle } from '@/modules/posts/components/post-article';
import { findPost } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Post' };

export default async function PostPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ saved?: string }> }) {
  const [{ id }, { saved }] = await Promise.all([params, searchParams]);
  const user = await requirePersonalSpaceUser();
  // A personal post; an organization's posts are only found on its own pages, by its members.
  const post = await findPost(id);
  if (!post) notFound();
  const mine = post.userId === user.id;
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-4 px-6 py-10">
      {saved && mine ? <Notice>Post saved.</Notice> : null}
      <PostArticle post={post} editHref={mine ? `/posts/${post.id}/edit` : null} deleteForm={mine ? { action: deletePostAction } : null} />
      <Link href="/posts" className="text-sm font-medium text-indigo-700 hover:underline">
        ← All posts
      </Link>
    </main>
  );
}
