import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { updateOrganizationPostAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { getOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { PostForm } from '@/modules/posts/components/post-form';
import { findOrganizationPost } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Edit post' };

export default async function EditOrganizationPostPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  // Only its author edits a post, admins included: someone else's is "not found".
  const post = await findOrganizationPost(user.id, space.organization.id, id, { own: true });
  if (!post) notFound();
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-4 px-6 py-10">
      <h1 className="text-2xl font-bold tracking-tight">Edit post</h1>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <PostForm
          action={updateOrganizationPostAction}
          postId={post.id}
          organizationId={space.organization.id}
          initial={{ title: post.title, content: post.content }}
          contentMax={space.plan.postContentMax ?? undefined}
          submitLabel="Save"
          pendingLabel="Saving…"
        />
      </div>
    </main>
  );
}
