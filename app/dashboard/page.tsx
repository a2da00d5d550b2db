import type { Metadata } from 'next';
import { createPostAction } from '@/app/posts/actions';
import { requirePersonalSpaceUser } from '@/modules/auth/src/services/require-user';
import { Notice } from '@/modules/cores/ui/notice';
import { getDashboard } from '@/modules/dashboard/src/services/dashboard.service';
import { PostForm } from '@/modules/posts/components/post-form';
import { formatDate, PostList } from '@/modules/posts/components/post-list';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function DashboardPage({ searchParams }: { searchParams: Promise<{ cursor?: string; deleted?: string; left?: string; organization?: string }> }) {
  const { cursor, deleted, left, organization } = await searchParams;
  const user = await requirePersonalSpaceUser();
  const { profile, posts } = await getDashboard(user, cursor);
  return (
    <main className="mx-auto grid max-w-5xl gap-8 px-6 py-10 lg:grid-cols-[1fr_22rem]">
      <div className="flex min-w-0 flex-col gap-6">
        <h1 className="text-2xl font-bold tracking-tight">Dashboard</h1>
        {deleted ? <Notice>Post deleted.</Notice> : null}
        {left ? <Notice>You left the organization.</Notice> : null}
        {organization === 'deleted' ? <Notice>The organization and its posts were deleted.</Notice> : null}
        <section aria-labelledby="your-posts" className="flex flex-col gap-3">
          <h2 id="your-posts" className="text-lg font-semibold">
            Your posts
          </h2>
          <PostList page={posts} emptyText="You have not written anything yet. Your first post is one form away." olderHref={(next) => `/dashboard?cursor=${next}`} />
        </section>
      </div>
      <aside className="flex flex-col gap-6">
        <section aria-labelledby="profile" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="profile" className="text-sm font-semibold tracking-wide text-slate-600 uppercase">
            Your profile
          </h2>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="font-medium text-slate-600">Name</dt>
            <dd data-testid="profile-name" className="break-words">{profile.name ?? 'No name yet'}</dd>
            <dt className="font-medium text-slate-600">Email</dt>
            <dd data-testid="profile-email" className="break-all">{profile.email ?? 'No email address'}</dd>
            <dt className="font-medium text-slate-600">Member since</dt>
            <dd>
              <time dateTime={profile.memberSince.toISOString()}>{formatDate(profile.memberSince)}</time>
            </dd>
          </dl>
        </section>
        <section aria-labelledby="new-post" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="new-post" className="mb-3 text-lg font-semibold">
            New post
          </h2>
          <PostForm action={createPostAction} submitLabel="Publish" pendingLabel="Publishing…" />
        </section>
      </aside>
    </main>
  );
}
