import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { updatePostAction } from '@/app/posts/actions';
import { requirePersonalSpaceUser } from '@/modules/auth/src/services/require-user';
import { PostForm } from '@/modules/posts/components/post-form';
import { findOwnPost } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Edit post' };

export default async function EditPostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePersonalSpaceUser();
  // Someone else's post is "not found" for you: no hint that it exists.
  const post = await findOwnPost(user.id, id);
  if (!post) notFound();
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-4 px-6 py-10">
      <h1 className="text-2xl font-bold tracking-tight">Edit post</h1>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <PostForm action={updatePostAction} postId={post.id} initial={{ title: post.title, content: post.content }} submitLabel="Save" pendingLabel="Saving…" />
      </div>
    </main>
  );
}
