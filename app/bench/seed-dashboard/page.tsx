import { currentUser } from '@clerk/nextjs/server';
import { notFound, redirect } from 'next/navigation';
import { getPrisma } from '@/modules/cores/db/prisma';
import { benchRoutesEnabled } from '@/modules/cores/env/bench';

export const dynamic = 'force-dynamic';

/**
 * The tutorial's dashboard, kept for `npm run bench` only (404 otherwise): a
 * Backend API call on every render (`currentUser()`), then the user with all
 * of their posts (`include: { posts: true }`). Our /dashboard is measured
 * against it under the same `next start`, proxy, layout and emulator.
 */
export default async function SeedDashboardPage() {
  if (!benchRoutesEnabled()) notFound();
  const clerkUser = await currentUser();
  if (!clerkUser) redirect('/sign-in');
  const user = await getPrisma().user.findUnique({ where: { clerkId: clerkUser.id }, include: { posts: true } });
  if (!user) return <p>User not found</p>;
  return (
    <main className="mx-auto max-w-3xl px-6 py-10">
      <h1 className="text-2xl font-bold">Welcome, {user.name}</h1>
      <p>{user.email}</p>
      <ul>
        {user.posts.map((post) => (
          <li key={post.id}>
            <h2>{post.title}</h2>
            <p>{post.content}</p>
          </li>
        ))}
      </ul>
    </main>
  );
}
