import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { usageText } from '@/modules/billing/components/plan-badge';
import { billingPath } from '@/modules/billing/src/interfaces/billing.limits';
import { atPostLimit } from '@/modules/billing/src/services/organization-plan';
import { createOrganizationPostAction } from '@/app/orgs/actions';
import { requireUser } from '@/modules/auth/src/services/require-user';
import { Notice } from '@/modules/cores/ui/notice';
import { OrganizationHeader } from '@/modules/organizations/components/organization-header';
import { getOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { PostForm } from '@/modules/posts/components/post-form';
import { PostList } from '@/modules/posts/components/post-list';
import { listOrganizationPosts } from '@/modules/posts/src/services/posts.service';

export const metadata: Metadata = { title: 'Organization' };

/** An organization's dashboard: its posts, newest first, and a form to post in it. Members only: anyone else gets a 404. */
export default async function OrganizationPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ cursor?: string; deleted?: string; created?: string }> }) {
  const [{ slug }, { cursor, deleted, created }] = await Promise.all([params, searchParams]);
  const user = await requireUser();
  const space = await getOrganizationSpace(user, slug);
  if (!space) notFound();
  const posts = await listOrganizationPosts(user.id, space.organization.id, cursor);
  const base = `/orgs/${space.organization.slug}`;
  return (
    <main className="mx-auto grid max-w-5xl gap-8 px-6 py-10 lg:grid-cols-[1fr_22rem]">
      <div className="flex min-w-0 flex-col gap-6">
        <OrganizationHeader space={space} current="posts" />
        {created ? <Notice>Organization created. You are its admin: invite people from the Members page.</Notice> : null}
        {deleted ? <Notice>Post deleted.</Notice> : null}
        <section aria-labelledby="organization-posts" className="flex flex-col gap-3">
          <h2 id="organization-posts" className="text-lg font-semibold">
            Posts
          </h2>
          <PostList
            page={posts}
            emptyText="Nobody has posted here yet. Only members of this organization see its posts."
            olderHref={(next) => `${base}?cursor=${next}`}
            postHref={(id) => `${base}/posts/${id}`}
          />
        </section>
      </div>
      <aside className="flex flex-col gap-6">
        <section aria-labelledby="new-post" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="new-post" className="mb-1 text-lg font-semibold">
            New post
          </h2>
          <p className="mb-3 text-sm text-slate-600">Visible to the members of {space.organization.name} only.</p>
          <p className="mb-3 text-sm text-slate-700" data-testid="post-usage">
            {usageText(space.plan.usage.posts, space.plan.postLimit, 'posts')} on {space.plan.name}
            {space.plan.postContentMax === null ? '' : `, each up to ${space.plan.postContentMax.toLocaleString('en-US')} characters`}.
            {atPostLimit(space.plan) ? (
              <>
                {' '}
                <Link href={billingPath(space.organization.slug)} className="font-medium text-indigo-700 underline">
                  Upgrade to post more
                </Link>
              </>
            ) : null}
          </p>
          <PostForm
            action={createOrganizationPostAction}
            organizationId={space.organization.id}
            contentMax={space.plan.postContentMax ?? undefined}
            submitLabel="Publish"
            pendingLabel="Publishing…"
          />
        </section>
      </aside>
    </main>
  );
}
