/**
 * The reconcile's drift metrics as a collector receives them: `npm run
 * users:reconcile` with an OTLP endpoint set exports
 * `clerk.reconcile.drift.found` / `.fixed` before it exits (docs/decisions/026).
 * Each run exports to a receiver of its own: the counters are cumulative per
 * process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { runNpmScript } from '../helpers/npm-script';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver';
import { prisma } from '../helpers/prisma';

const clerk = emulatorAsAppsClerk();
const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.stop()));
});

/** One run of the command, exporting to a fresh receiver. */
async function reconcile(args: string[]) {
  const receiver = await startOtlpReceiver();
  receivers.push(receiver);
  const result = await runNpmScript('users:reconcile', args, { ...process.env, CLERK_SECRET_KEY: clerk.emulator.keys.secretKey, CLERK_API_URL: clerk.emulator.url, ...receiver.appEnv });
  expect(result.status, result.stderr).toBe(0);
  return receiver;
}

describe('npm run users:reconcile with an OTLP endpoint set', () => {
  it('counts the drift it found (2 users missing here, 1 stale) and, unless a dry run, what it fixed', async () => {
    await clerk.control.bulkUsers(3, 'drift', false);
    const [stale] = await clerk.control.exportUsers();
    await prisma().user.create({ data: { clerkId: stale![0], email: stale![1]!, name: 'Stale Name', clerkUpdatedAt: new Date(stale![4] - 1000) } });
    const drift = [
      { attributes: { kind: 'users', change: 'created' }, value: 2 },
      { attributes: { kind: 'users', change: 'updated' }, value: 1 },
    ];
    const byChange = (points: { attributes: Record<string, unknown> }[]) => [...points].sort((a, b) => String(a.attributes.change).localeCompare(String(b.attributes.change)));

    // The process has exited: what it counted was exported before, by its shutdown.
    const dry = await reconcile(['--dry-run']);
    expect(byChange(dry.sum('clerk.reconcile.drift.found'))).toEqual(drift);
    expect(dry.sum('clerk.reconcile.drift.fixed')).toEqual([]);
    expect(await prisma().user.count()).toBe(1);

    const run = await reconcile([]);
    expect(byChange(run.sum('clerk.reconcile.drift.found'))).toEqual(drift);
    expect(byChange(run.sum('clerk.reconcile.drift.fixed'))).toEqual(drift);
    expect(await prisma().user.count()).toBe(3);
  }, 120_000);
});
