import type { Metadata } from 'next';
import { replayDeliveryAction, replayFailedAction } from '@/app/ops/actions';
import { requireOperator } from '@/modules/auth/src/services/require-operator';
import { ReplayDeliveryForm, ReplayFailedForm } from '@/modules/ops/components/ops-forms';
import { formatLag, formatTime, OpsHeader } from '@/modules/ops/components/ops-parts';
import { type DeliveryRow, deliveriesView, DELIVERIES_SHOWN } from '@/modules/ops/src/services/ops-console.service';

/** The title too is for operators only: a 404 names nothing of the console. */
export async function generateMetadata(): Promise<Metadata> {
  await requireOperator();
  return { title: 'Deliveries · Operator console' };
}

function DeliveryTable({ rows, replay, testId }: { rows: DeliveryRow[]; replay: boolean; testId: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid={testId}>
        <thead>
          <tr className="border-b border-slate-300">
            <th className="py-2 pr-3">Received</th>
            <th className="py-2 pr-3">Type</th>
            <th className="py-2 pr-3">Outcome</th>
            <th className="py-2 pr-3">Attempts</th>
            <th className="py-2 pr-3">Lag</th>
            <th className="py-2 pr-3">About</th>
            <th className="py-2 pr-3">Delivery</th>
            {replay ? <th className="py-2">Replay</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.svixId} className="border-b border-slate-200 align-top" data-outcome={row.outcome}>
              <td className="py-2 pr-3 whitespace-nowrap">{formatTime(row.receivedAt)}</td>
              <td className="py-2 pr-3">{row.type}</td>
              <td className="py-2 pr-3">
                <span className={row.outcome === 'failed' || row.outcome === 'rejected' ? 'font-semibold text-red-800' : ''}>{row.outcome}</span>
                {row.error ? <p className="mt-1 max-w-xs text-xs break-words text-red-800">{row.error}</p> : null}
              </td>
              <td className="py-2 pr-3">{row.attempts}</td>
              <td className="py-2 pr-3 whitespace-nowrap">{formatLag(row.lagMs)}</td>
              <td className="py-2 pr-3 font-mono text-xs break-all">{[row.clerkUserId, row.clerkObjectId].filter(Boolean).join(' ') || '—'}</td>
              <td className="py-2 pr-3 font-mono text-xs break-all">{row.svixId}</td>
              {replay ? (
                <td className="py-2">
                  <ReplayDeliveryForm action={replayDeliveryAction} svixId={row.svixId} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The webhook ledger: failed deliveries with their errors (replay one or all), then the latest (operators only). */
export default async function OpsDeliveriesPage() {
  await requireOperator();
  const { recent, failed, failedCount } = await deliveriesView();
  return (
    <main className="mx-auto flex max-w-6xl flex-col gap-8 px-6 py-10">
      <OpsHeader current="deliveries" />
      <section aria-labelledby="failed-heading" className="flex flex-col gap-3">
        <h2 id="failed-heading" className="text-lg font-semibold" data-testid="failed-count">
          Failed deliveries ({failedCount})
        </h2>
        <p className="text-sm text-slate-600">
          {failedCount === 0
            ? 'None: every delivery the ledger holds was processed.'
            : `Failed and not processed since${failedCount > DELIVERIES_SHOWN ? `; the oldest ${DELIVERIES_SHOWN} shown` : ''}. Replay runs them through the webhook's own code, after checking that the app's Clerk keys read the instance this data follows.`}
        </p>
        <ReplayFailedForm action={replayFailedAction} count={failedCount} />
        {failedCount === 0 ? null : <DeliveryTable rows={failed} replay testId="failed-deliveries" />}
      </section>
      <section aria-labelledby="recent-heading" className="flex flex-col gap-3">
        <h2 id="recent-heading" className="text-lg font-semibold">
          Latest deliveries
        </h2>
        <p className="text-sm text-slate-600">Lag: from the event&apos;s time at Clerk to the sync applying it.</p>
        <DeliveryTable rows={recent} replay={false} testId="recent-deliveries" />
      </section>
    </main>
  );
}
