import type { Metadata } from 'next';
import { requireOperator } from '@/modules/auth/src/services/require-operator';
import { formatTime, OpsHeader } from '@/modules/ops/components/ops-parts';
import { overviewView } from '@/modules/ops/src/services/ops-console.service';

/** The title too is for operators only: a 404 names nothing of the console. */
export async function generateMetadata(): Promise<Metadata> {
  await requireOperator();
  return { title: 'Operator console' };
}

/** The Clerk instance our data follows, and our counts against Clerk's (operators only; a 404 for anyone else). */
export default async function OpsOverviewPage() {
  await requireOperator();
  const { instance, ours, clerk } = await overviewView();
  const rows = [
    { label: 'Users', ours: ours.users, clerk: clerk?.users, tombstones: ours.tombstones.users },
    { label: 'Organizations', ours: ours.organizations, clerk: clerk?.organizations, tombstones: ours.tombstones.organizations },
    { label: 'Memberships', ours: ours.memberships, clerk: clerk?.memberships, tombstones: ours.tombstones.memberships },
  ];
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OpsHeader current="overview" />
      <section aria-labelledby="instance-heading" className="flex flex-col gap-2">
        <h2 id="instance-heading" className="text-lg font-semibold">
          Clerk instance
        </h2>
        {instance ? (
          <p data-testid="clerk-instance">
            This database follows <code className="font-mono">{instance.instanceId}</code>, recorded by the first {instance.recordedBy} on {formatTime(instance.recordedAt)}.
          </p>
        ) : (
          <p data-testid="clerk-instance">No instance recorded yet: the first webhook, reconcile or replay records it.</p>
        )}
      </section>
      <section aria-labelledby="counts-heading" className="flex flex-col gap-2">
        <h2 id="counts-heading" className="text-lg font-semibold">
          Our copy against Clerk
        </h2>
        {clerk ? null : <p role="status">Clerk did not answer: its totals are missing.</p>}
        <table className="w-full text-left text-sm" data-testid="sync-counts">
          <thead>
            <tr className="border-b border-slate-300">
              <th className="py-2">Object</th>
              <th className="py-2">Ours</th>
              <th className="py-2">Clerk&apos;s</th>
              <th className="py-2">Difference</th>
              <th className="py-2">Tombstones</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.label} className="border-b border-slate-200">
                <th scope="row" className="py-2 font-medium">
                  {row.label}
                </th>
                <td className="py-2">{row.ours}</td>
                <td className="py-2">{row.clerk ?? '—'}</td>
                <td className="py-2">{row.clerk === undefined ? '—' : row.ours - row.clerk}</td>
                <td className="py-2">{row.tombstones}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="text-sm text-slate-600">A difference that stays after the webhooks have landed is drift: a reconcile dry run says what it would change.</p>
      </section>
    </main>
  );
}
