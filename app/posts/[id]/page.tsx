import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { deletePostAction } from '@/app/posts/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { Notice } from '@/modules/cores/ui/notice';
import { DeletePostForm } from '@/modules/posts/components/delete-post-form';
import { formatDate } from '@/modules/posts/components/post-list';
import { findPost } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Post' };

export default async function PostPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ saved?: string }> }) {
  const [{ id }, { saved }] = await Promise.all([params, searchParams]);
  const user = await requireUser();
  const post = await findPost(id);
  if (!post) notFound();
  const mine = post.userId === user.id;
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-4 px-6 py-10">
      {saved && mine ? <Notice>Post saved.</Notice> : null}
      <article className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-2xl font-bold tracking-tight break-words">{post.title}</h1>
        <p className="mt-1 text-sm text-slate-600">
          by {post.user.name ?? 'Anonymous'} · <time dateTime={post.createdAt.toISOString()}>{formatDate(post.createdAt)}</time>
        </p>
        <div className="mt-4 whitespace-pre-line break-words text-slate-800" data-testid="post-content">
          {post.content}
        </div>
      </article>
      {mine ? (
        <div className="flex flex-wrap items-center gap-3">
          <Link href={`/posts/${post.id}/edit`} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
            Edit
          </Link>
          <DeletePostForm action={deletePostAction} postId={post.id} title={post.title} />
        </div>
      ) : null}
      <Link href="/posts" className="text-sm font-medium text-indigo-700 hover:underline">
        ← All posts
      </Link>
    </main>
  );
}
