import type { Metadata } from 'next';
import { reconcileDryRunAction } from '@/app/ops/actions';
import { requireOperator } from '@/modules/auth/src/services/require-operator';
import { ReconcileDryRunForm } from '@/modules/ops/components/ops-forms';
import { formatTime, OpsHeader } from '@/modules/ops/components/ops-parts';
import { reconcileRunsView } from '@/modules/ops/src/services/ops-console.service';

/** The title too is for operators only: a 404 names nothing of the console. */
export async function generateMetadata(): Promise<Metadata> {
  await requireOperator();
  return { title: 'Reconcile · Operator console' };
}

/** Reconcile runs and what each did, and a dry run on demand (operators only). */
export default async function OpsReconcilePage() {
  await requireOperator();
  const runs = await reconcileRunsView();
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-6 py-10">
      <OpsHeader current="reconcile" />
      <section aria-labelledby="dry-run-heading" className="flex flex-col gap-3">
        <h2 id="dry-run-heading" className="text-lg font-semibold">
          Dry run
        </h2>
        <p className="text-sm text-slate-600">
          What <code>npm run users:reconcile</code> would change in users, organizations and memberships, computed against Clerk now; it writes nothing. To apply it, run the command.
        </p>
        <ReconcileDryRunForm action={reconcileDryRunAction} />
      </section>
      <section aria-labelledby="runs-heading" className="flex flex-col gap-3">
        <h2 id="runs-heading" className="text-lg font-semibold">
          Runs ({runs.length})
        </h2>
        {runs.length === 0 ? <p>No reconcile run recorded yet.</p> : null}
        <ul className="flex flex-col gap-3" data-testid="reconcile-runs">
          {runs.map((run) => (
            <li key={run.id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-result={run.result}>
              <p className="font-medium">
                {formatTime(run.finishedAt)}: {run.result}
                {run.instanceId ? <span className="ml-2 font-mono text-xs text-slate-600">{run.instanceId}</span> : null}
              </p>
              {run.report.message ? <p className="mt-1 text-sm text-red-800">{run.report.message}</p> : null}
              <dl className="mt-2 grid grid-cols-[8rem_1fr] gap-x-4 gap-y-1 text-sm">
                {Object.entries(run.report.kinds).map(([kind, counts]) => (
                  <div key={kind} className="contents">
                    <dt className="font-medium capitalize">{kind}</dt>
                    <dd>
                      {Object.entries(counts)
                        .filter(([, value]) => typeof value !== 'object')
                        .map(([name, value]) => `${name} ${String(value)}`)
                        .join(', ')}
                    </dd>
                  </div>
                ))}
              </dl>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
