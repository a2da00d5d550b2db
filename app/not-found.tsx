import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="mx-auto flex max-w-xl flex-col items-start gap-4 px-6 py-16">
      <h1 className="text-2xl font-bold tracking-tight">Not found</h1>
      <p className="text-slate-700">There is nothing here, or it is not yours to see.</p>
      <Link href="/dashboard" className="font-medium text-indigo-700 hover:underline">
        Go to your dashboard
      </Link>
    </main>
  );
}
