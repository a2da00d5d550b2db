import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { deleteOrganizationPostAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { Notice } from '@/modules/cores/ui/notice';
import { can, getOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { DELETE_ANY_POST } from '@/modules/posts/src/interfaces/post.limits';
import { PostArticle } from '@/modules/posts/components/post-article';
import { findOrganizationPost } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Post' };

/** A post of an organization, for its members: Edit for its author, Delete for its author and for roles that may delete any post (`org:posts:delete`). */
export default async function OrganizationPostPage({ params, searchParams }: { params: Promise<{ slug: string; id: string }>; searchParams: Promise<{ saved?: string }> }) {
  const [{ slug, id }, { saved }] = await Promise.all([params, searchParams]);
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  const post = await findOrganizationPost(user.id, space.organization.id, id);
  if (!post) notFound();
  const base = `/orgs/${space.organization.slug}`;
  const mine = post.userId === user.id;
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-4 px-6 py-10">
      {saved && mine ? <Notice>Post saved.</Notice> : null}
      <PostArticle
        post={post}
        context={space.organization.name}
        editHref={mine ? `${base}/posts/${post.id}/edit` : null}
        deleteForm={mine || can(space, DELETE_ANY_POST) ? { action: deleteOrganizationPostAction, organizationId: space.organization.id } : null}
      />
      <Link href={base} className="text-sm font-medium text-indigo-700 hover:underline">
        ← {space.organization.name}
      </Link>
    </main>
  );
}
