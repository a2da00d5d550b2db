/**
 * Pruning (docs/decisions/008): what `npm run data:prune` and the app's
 * schedule remove, and what they keep, on real PostgreSQL; and the schedule
 * itself (`schedulePruning`, which each `next start` runs from its
 * `register()`), on a clock the test turns by hand.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { pruneExpiredData, RECONCILE_RUN_STALE_SECONDS } from '@/modules/clerk-sync/src/engine/data-retention.service';
import { type PruneTimers, schedulePruning } from '../../instrumentation-node';
import { ROOT } from '../../scripts/lib/paths';
import { memoryLogger } from '../helpers/memory-logger';
import { prisma } from '../helpers/prisma';

const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms);

/** A ledger row received `age` ago, with a payload. */
function ledgerRow(svixId: string, age: number, extra: { processedAt?: Date | null; outcome?: string } = {}) {
  return prisma().webhookDelivery.create({
    data: { svixId, type: 'user.updated', clerkUserId: 'user_x', outcome: 'applied', processedAt: ago(age), receivedAt: ago(age), payload: { type: 'user.updated', data: { id: 'user_x' } }, ...extra },
  });
}

async function seed() {
  await ledgerRow('msg_fresh', 1 * DAY);
  await ledgerRow('msg_week_old', 8 * DAY);
  await ledgerRow('msg_failed_week_old', 8 * DAY, { outcome: 'failed', processedAt: null });
  await ledgerRow('msg_month_old', 31 * DAY);
  await prisma().rateLimitWindow.createMany({
    data: [
      { key: 'user_a:post.create', windowStart: ago(30_000), count: 3 },
      { key: 'user_a:post.edit', windowStart: ago(2 * 3_600_000), count: 9 },
    ],
  });
  await prisma().reconcileRun.create({ data: { id: 'run-live', host: os.hostname(), pid: process.pid, heartbeatAt: new Date(), seen: { create: [{ clerkId: 'user_1' }] } } });
  await prisma().reconcileRun.create({
    data: { id: 'run-silent', host: 'another-host', pid: 1, heartbeatAt: ago((RECONCILE_RUN_STALE_SECONDS + 60) * 1000), seen: { create: [{ clerkId: 'user_1' }, { clerkId: 'user_2' }] } },
  });
  await prisma().reconcileReport.createMany({
    data: [
      { id: 'report-fresh', startedAt: ago(1 * DAY), finishedAt: ago(1 * DAY), result: 'completed', report: {} },
      { id: 'report-month-old', startedAt: ago(31 * DAY), finishedAt: ago(31 * DAY), result: 'completed', report: {} },
    ],
  });
}

beforeEach(async () => {
  await prisma().$executeRawUnsafe('TRUNCATE "WebhookDelivery", "RateLimitWindow", "ReconcileRun", "ReconcileSeen", "ReconcileReport" CASCADE');
});

describe('pruning expired data', () => {
  it('drops payloads past their window, deletes ledger rows past theirs, ended rate-limit windows, dead reconcile runs and old reconcile reports; keeps the rest', async () => {
    await seed();
    const summary = await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, RECONCILE_REPORT_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365 });
    expect(summary).toEqual({ payloadsDropped: 3, deliveriesDeleted: 1, rateLimitWindowsDeleted: 1, invitationAddressesErased: 0, reconcileRunsDeleted: 1, reconcileReportsDeleted: 1, auditEventsDeleted: 0 });

    const ledger = await prisma().webhookDelivery.findMany({ orderBy: { svixId: 'asc' }, select: { svixId: true, payload: true } });
    expect(ledger).toEqual([
      { svixId: 'msg_failed_week_old', payload: null },
      { svixId: 'msg_fresh', payload: { type: 'user.updated', data: { id: 'user_x' } } },
      { svixId: 'msg_week_old', payload: null },
    ]);
    expect(await prisma().rateLimitWindow.findMany({ select: { key: true } })).toEqual([{ key: 'user_a:post.create' }]);
    expect(await prisma().reconcileRun.findMany({ select: { id: true } })).toEqual([{ id: 'run-live' }]);
    expect(await prisma().reconcileSeen.count()).toBe(1);
    expect(await prisma().reconcileReport.findMany({ select: { id: true } })).toEqual([{ id: 'report-fresh' }]);

    // Nothing left to do: a second run (or another instance at the same time) changes nothing.
    expect(await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, RECONCILE_REPORT_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365 })).toEqual({
      payloadsDropped: 0,
      deliveriesDeleted: 0,
      rateLimitWindowsDeleted: 0,
      invitationAddressesErased: 0,
      reconcileRunsDeleted: 0,
      reconcileReportsDeleted: 0,
      auditEventsDeleted: 0,
    });
  });

  it('works through a backlog larger than one batch', async () => {
    await prisma().$executeRaw`
      INSERT INTO "WebhookDelivery" ("svixId", "type", "outcome", "receivedAt", "processedAt", "payload")
      SELECT 'msg_old_' || g, 'user.updated', 'applied', now() - interval '40 days', now() - interval '40 days', '{"type":"user.updated"}'::jsonb
      FROM generate_series(1, 12000) g`;
    expect(await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, RECONCILE_REPORT_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365 })).toMatchObject({ payloadsDropped: 12_000, deliveriesDeleted: 12_000 });
    expect(await prisma().webhookDelivery.count()).toBe(0);
  });

  it('runs as npm run data:prune with the windows from the environment', async () => {
    await seed();
    const result = spawnSync('npm', ['run', '--silent', 'data:prune'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WEBHOOK_PAYLOAD_RETENTION_DAYS: '2', WEBHOOK_LEDGER_RETENTION_DAYS: '5' },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /3 webhook payloads dropped \(older than 2 days\), 3 webhook ledger rows deleted \(older than 5 days\), 1 rate-limit windows, 0 addresses of expired invitations, 1 abandoned reconcile runs, 1 reconcile reports, 0 audit events \(older than 365 days\)\./,
    );
    expect((await prisma().webhookDelivery.findMany({ select: { svixId: true } })).map((row) => row.svixId)).toEqual(['msg_fresh']);
  }, 60_000);
});

describe('each instance\'s schedule', () => {
  const log = memoryLogger<{ level: number; msg: string; component?: string; err?: { message: string } } & Record<string, unknown>>();
  const settings = (minutes: number) => ({ DATA_PRUNE_INTERVAL_MINUTES: minutes, WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30, RECONCILE_REPORT_RETENTION_DAYS: 30, AUDIT_LOG_RETENTION_DAYS: 365 });

  /** A clock turned by hand: the timers asked for, in order, and the jitter it answers (0.5 once `jitter` runs out). */
  function handClock(jitter: number[] = []) {
    const timers: { ms: number; run: () => void }[] = [];
    const clock: PruneTimers = { after: (ms, run) => void timers.push({ ms, run }), random: () => jitter.shift() ?? 0.5 };
    return {
      clock,
      /** To the millisecond (the jitter is floating point). */
      delays: () => timers.map((timer) => Math.round(timer.ms)),
      /** Fire timer `index`, and wait for the run to end, which is when it asks for the next timer. */
      async fire(index: number) {
        timers[index]!.run();
        await expect.poll(() => timers.length, { timeout: 10_000 }).toBe(index + 2);
      },
    };
  }
  const scheduled = () => log.lines().filter((line) => line.msg === 'data pruning scheduled');

  it('runs first 30 to 90 s after start, then every 54 to 66 minutes (60 ± 10%)', async () => {
    const lowest = handClock([0, 0]);
    schedulePruning(settings(60), lowest.clock);
    await lowest.fire(0);
    expect(lowest.delays()).toEqual([30_000, 3_240_000]);
    const middle = handClock([0.5, 0.5]);
    schedulePruning(settings(60), middle.clock);
    await middle.fire(0);
    expect(middle.delays()).toEqual([60_000, 3_600_000]);
    const highest = handClock([0.999, 0.999]);
    schedulePruning(settings(60), highest.clock);
    await highest.fire(0);
    expect(highest.delays()).toEqual([89_940, 3_959_280]);
    // The interval is the setting's: 10 minutes, 9 to 11.
    const ten = handClock([0.5, 0, 0.999]);
    schedulePruning(settings(10), ten.clock);
    await ten.fire(0);
    await ten.fire(1);
    expect(ten.delays()).toEqual([60_000, 540_000, 659_880]);
    expect(scheduled().map(({ firstRunInSeconds, intervalMinutes, component }) => ({ firstRunInSeconds, intervalMinutes, component }))).toEqual([
      { firstRunInSeconds: 30, intervalMinutes: 60, component: 'data-prune' },
      { firstRunInSeconds: 60, intervalMinutes: 60, component: 'data-prune' },
      { firstRunInSeconds: 90, intervalMinutes: 60, component: 'data-prune' },
      { firstRunInSeconds: 60, intervalMinutes: 10, component: 'data-prune' },
    ]);
  });

  it('with the process\'s own jitter, stays within those bounds', async () => {
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const clock = handClock();
      schedulePruning(settings(60), { ...clock.clock, random: Math.random });
      await clock.fire(0);
      delays.push(...clock.delays());
    }
    const [firsts, nexts] = [delays.filter((_, i) => i % 2 === 0), delays.filter((_, i) => i % 2 === 1)];
    for (const ms of firsts) expect(ms >= 30_000 && ms <= 90_000, `first run after ${ms} ms`).toBe(true);
    for (const ms of nexts) expect(ms >= 3_240_000 && ms <= 3_960_000, `next run after ${ms} ms`).toBe(true);
  });

  it('schedules nothing with DATA_PRUNE_INTERVAL_MINUTES=0', () => {
    const clock = handClock();
    schedulePruning(settings(0), clock.clock);
    expect(clock.delays()).toEqual([]);
    expect(scheduled()).toEqual([]);
  });

  it('prunes the database when it runs, and a failed run is logged and the next one prunes', async () => {
    const clock = handClock();
    schedulePruning(settings(60), clock.clock);
    await ledgerRow('msg_month_old', 31 * DAY);
    await clock.fire(0);
    expect(await prisma().webhookDelivery.count({ where: { svixId: 'msg_month_old' } })).toBe(0);
    expect(log.lines().filter((line) => line.msg === 'pruned expired data')).toEqual([
      expect.objectContaining({ level: 30, component: 'data-prune', payloadsDropped: 1, deliveriesDeleted: 1, rateLimitWindowsDeleted: 0, invitationAddressesErased: 0, reconcileRunsDeleted: 0, reconcileReportsDeleted: 0 }),
    ]);

    await ledgerRow('msg_two_months_old', 61 * DAY);
    await prisma().$executeRawUnsafe('ALTER TABLE "WebhookDelivery" RENAME TO "WebhookDelivery_gone"');
    try {
      await clock.fire(1);
    } finally {
      await prisma().$executeRawUnsafe('ALTER TABLE "WebhookDelivery_gone" RENAME TO "WebhookDelivery"');
    }
    expect(log.lines().filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ component: 'data-prune', msg: 'pruning expired data failed; the next run tries again', err: expect.objectContaining({ message: expect.stringContaining('WebhookDelivery') }) }),
    ]);
    expect(await prisma().webhookDelivery.count({ where: { svixId: 'msg_two_months_old' } })).toBe(1);
    // The next one, an interval later, finds the database whole again.
    expect(clock.delays()[2]).toBe(3_600_000);
    await clock.fire(2);
    expect(await prisma().webhookDelivery.count({ where: { svixId: 'msg_two_months_old' } })).toBe(0);
  });
});
