import { Notice } from '@/modules/cores/ui/notice';

const FEATURES = [
  {
    title: 'Clerk signs people in',
    body: 'The real Clerk SDK verifies every request. Locally it talks to a Clerk emulator, so nothing needs an account.',
  },
  {
    title: 'PostgreSQL keeps a synced copy',
    body: 'Prisma 7 stores each Clerk user and their posts. A signed webhook keeps the copy in step, safely under retries, duplicates and reordering.',
  },
  {
    title: 'Runs anywhere',
    body: '`npm install && npm run dev` starts an embedded PostgreSQL and the app. `npm test` runs against a real database it starts itself.',
  },
];

/** Text with `code` spans, as the features above write commands. */
function withCode(text: string) {
  return text.split(/`([^`]+)`/).map((part, index) =>
    index % 2 === 1 ? (
      <code key={index} className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.85em] text-slate-900">
        {part}
      </code>
    ) : (
      part
    ),
  );
}

export default async function HomePage({ searchParams }: { searchParams: Promise<{ account?: string }> }) {
  const { account } = await searchParams;
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-10 px-6 py-16">
      {account === 'deleted' ? <Notice>Your account and your posts were deleted. You are signed out.</Notice> : null}
      <header className="flex flex-col gap-4">
        <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">Reference implementation</p>
        <h1 className="text-4xl font-bold tracking-tight text-balance">Clerk authentication with Prisma ORM 7 in Next.js</h1>
        <p className="text-lg text-slate-700">
          A small SaaS-shaped app done right: people sign in with Clerk, and the app keeps its own PostgreSQL copy of
          every user and the posts they write, correct under retries, duplicates, reordering, concurrency and outages.
        </p>
      </header>
      <ul className="grid gap-4 sm:grid-cols-3">
        {FEATURES.map((feature) => (
          <li key={feature.title} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 className="font-semibold">{feature.title}</h2>
            <p className="mt-2 text-sm text-slate-700">{withCode(feature.body)}</p>
          </li>
        ))}
      </ul>
      <p className="text-sm text-slate-600">
        Service status: <a className="font-medium text-indigo-700 underline" href="/api/health">/api/health</a>
      </p>
    </main>
  );
}
