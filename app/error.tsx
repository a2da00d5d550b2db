'use client';

/** The error boundary: something a person can act on, never a stack trace. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="mx-auto flex max-w-xl flex-col items-start gap-4 px-6 py-16">
      <h1 className="text-2xl font-bold tracking-tight">Something went wrong</h1>
      <p className="text-slate-700">
        We could not finish that. Nothing you wrote was half-saved. Try again in a moment; if it keeps happening, the service may be
        briefly unavailable.
      </p>
      {error.digest ? <p className="text-xs text-slate-500">Reference: {error.digest}</p> : null}
      <button type="button" onClick={reset} className="rounded-md bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-600">
        Try again
      </button>
    </main>
  );
}
