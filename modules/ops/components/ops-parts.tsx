/** The operator console's shared pieces: its navigation, times and lags as an operator reads them. */
import Link from 'next/link';

const PAGES = [
  { href: '/ops', label: 'Overview', key: 'overview' },
  { href: '/ops/deliveries', label: 'Deliveries', key: 'deliveries' },
  { href: '/ops/reconcile', label: 'Reconcile', key: 'reconcile' },
] as const;

export function OpsHeader({ current }: { current: (typeof PAGES)[number]['key'] }) {
  return (
    <header className="flex flex-col gap-3">
      <h1 className="text-2xl font-semibold">Operator console</h1>
      <nav aria-label="Operator console" className="flex gap-4 text-sm">
        {PAGES.map((page) => (
          <Link key={page.key} href={page.href} aria-current={page.key === current ? 'page' : undefined} className={page.key === current ? 'font-semibold text-indigo-800 underline' : 'text-indigo-700 hover:underline'}>
            {page.label}
          </Link>
        ))}
      </nav>
    </header>
  );
}

/** A time in UTC, to the second: what logs and Clerk's dashboard line up with. */
export function formatTime(at: Date | null): string {
  return at ? `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';
}

export function formatLag(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
