/**
 * Pruning (docs/decisions/008): what `npm run data:prune` and the app's
 * schedule remove, and what they keep, on real PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { pruneExpiredData, RECONCILE_RUN_STALE_SECONDS } from '@/modules/auth/src/services/data-retention.service';
import { ROOT } from '../../scripts/lib/paths';
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
}

beforeEach(async () => {
  await prisma().$executeRawUnsafe('TRUNCATE "WebhookDelivery", "RateLimitWindow", "ReconcileRun", "ReconcileSeen" CASCADE');
});

describe('pruning expired data', () => {
  it('drops payloads past their window, deletes ledger rows past theirs, ended rate-limit windows and dead reconcile runs; keeps the rest', async () => {
    await seed();
    const summary = await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30 });
    expect(summary).toEqual({ payloadsDropped: 3, deliveriesDeleted: 1, rateLimitWindowsDeleted: 1, reconcileRunsDeleted: 1 });

    const ledger = await prisma().webhookDelivery.findMany({ orderBy: { svixId: 'asc' }, select: { svixId: true, payload: true } });
    expect(ledger).toEqual([
      { svixId: 'msg_failed_week_old', payload: null },
      { svixId: 'msg_fresh', payload: { type: 'user.updated', data: { id: 'user_x' } } },
      { svixId: 'msg_week_old', payload: null },
    ]);
    expect(await prisma().rateLimitWindow.findMany({ select: { key: true } })).toEqual([{ key: 'user_a:post.create' }]);
    expect(await prisma().reconcileRun.findMany({ select: { id: true } })).toEqual([{ id: 'run-live' }]);
    expect(await prisma().reconcileSeen.count()).toBe(1);

    // Nothing left to do: a second run (or another instance at the same time) changes nothing.
    expect(await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30 })).toEqual({
      payloadsDropped: 0,
      deliveriesDeleted: 0,
      rateLimitWindowsDeleted: 0,
      reconcileRunsDeleted: 0,
    });
  });

  it('works through a backlog larger than one batch', async () => {
    await prisma().$executeRaw`
      INSERT INTO "WebhookDelivery" ("svixId", "type", "outcome", "receivedAt", "processedAt", "payload")
      SELECT 'msg_old_' || g, 'user.updated', 'applied', now() - interval '40 days', now() - interval '40 days', '{"type":"user.updated"}'::jsonb
      FROM generate_series(1, 12000) g`;
    expect(await pruneExpiredData({ WEBHOOK_PAYLOAD_RETENTION_DAYS: 7, WEBHOOK_LEDGER_RETENTION_DAYS: 30 })).toMatchObject({ payloadsDropped: 12_000, deliveriesDeleted: 12_000 });
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
      /3 webhook payloads dropped \(older than 2 days\), 3 webhook ledger rows deleted \(older than 5 days\), 1 rate-limit windows, 1 abandoned reconcile runs\./,
    );
    expect((await prisma().webhookDelivery.findMany({ select: { svixId: true } })).map((row) => row.svixId)).toEqual(['msg_fresh']);
  }, 60_000);
});
