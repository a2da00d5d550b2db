/**
 * What reconcile sends, counted where it lands: statements by PostgreSQL
 * itself (tests/helpers/statements.ts), Backend API requests by the emulator
 * (its request log: what was asked, when, how many at once). A page of 500
 * users is one statement; the next page is fetched while this one is
 * written; rows Clerk no longer lists are confirmed eight at a time;
 * memberships are listed instance-wide, 500 per call. In this process,
 * through the real SDK, against an emulator of its own.
 */
import { createClerkClient } from '@clerk/backend';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordClerkInstance } from '@/modules/clerk-sync/src/engine/clerk-instance.service';
import { reconcileOrganizations, reconcileUsers } from '@/modules/clerk-sync/src/reconcile/reconcile.service';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl } from '../helpers/emulator-control';
import { prisma } from '../helpers/prisma';
import { callsOf, listStatements, StatementCounter } from '../helpers/statements';

const counter = await StatementCounter.open();

let emulator: RunningEmulator;
let control: EmulatorControl;
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });

/** The top-level statement that applies a page of users: every user of it through `clerk_apply_user_version`. */
const APPLY_USERS = 'CROSS JOIN LATERAL clerk_apply_user_version';
/** The one that applies a page of organizations or memberships through `clerk_apply_change`. */
const APPLY_CHANGES = 'CROSS JOIN LATERAL (SELECT clerk_apply_change';
/** The one that records a page's ids as seen. */
const SEEN = 'INSERT INTO "ReconcileSeen"';
/** A running reconcile's sign of life, every 15 s. */
const HEARTBEAT = 'UPDATE "ReconcileRun" SET "heartbeatAt"';

describe.runIf(counter)('what reconcile sends', () => {
  beforeAll(async () => {
    emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: null, tokenTtlSeconds: 60 });
    control = new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  beforeEach(async () => {
    await control.reset();
    await prisma().$executeRawUnsafe(
      'TRUNCATE "User", "Post", "Organization", "Membership", "DeletedClerkUser", "DeletedClerkOrganization", "DeletedClerkMembership", "WebhookDelivery", "ClerkInstance", "ReconcileRun", "ReconcileSeen" CASCADE',
    );
  });

  it('a page of 500 users is one statement; a run is two per page and eight more (ten while no instance is recorded)', async () => {
    await control.bulkUsers(1_200, 'paged');
    const first = await counter!.measure(() => reconcileUsers(clerk()));
    expect(first.result).toMatchObject({ seen: 1_200, created: 1_200, failed: 0 });
    // Per page: its ids recorded (ReconcileSeen), its users applied, one statement each.
    expect(callsOf(first.counts, SEEN)).toEqual({ calls: 3, rows: 1_200 });
    expect(callsOf(first.counts, APPLY_USERS)).toEqual({ calls: 3, rows: 1_200 });
    // Around them: the recorded instance (none yet: a sample of our rows, then the record), stale runs (a read, a
    // delete), the run's row, our row count, the mass-deletion guard's count, one scan for unseen rows, the run's end.
    // (And the run's heartbeat, every 15 s, should a slow machine make the run last that long.)
    expect(first.counts.topLevel - callsOf(first.counts, HEARTBEAT).calls, listStatements(first.counts)).toBe(10 + 2 * 3);

    // Once an instance is recorded, eight: a fourth page costs two more.
    await control.bulkUsers(500, 'more');
    const second = await counter!.measure(() => reconcileUsers(clerk()));
    expect(second.result).toMatchObject({ seen: 1_700, created: 500, unchanged: 1_200, failed: 0 });
    expect(callsOf(second.counts, APPLY_USERS)).toEqual({ calls: 4, rows: 1_700 });
    expect(second.counts.topLevel - callsOf(second.counts, HEARTBEAT).calls, listStatements(second.counts)).toBe(8 + 2 * 4);
  });

  it('writes 500, 500 and 200 users in one statement each, each page fetched while the one before it is written', async () => {
    await control.bulkUsers(1_200, 'prefetch');
    const users = emulator.store.listUsers().sort((a, b) => a.created_at - b.created_at);
    // One user of each page (they are listed oldest first), whose lock that page's statement will wait for.
    const blockers = [users[0]!.id, users[500]!.id, users[1_000]!.id];
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    let run: Promise<unknown> | undefined;
    try {
      for (const id of blockers) await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [id]);
      const waiting = async () =>
        Number((await holder.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows[0]!.n);
      const mark = await counter!.mark();
      const requests = await control.backendApiMark();
      const listed = async () => (await control.backendApiRequests(requests)).filter((r) => r.route === 'GET /v1/users').map((r) => new URLSearchParams(r.query).get('offset') ?? '0');
      run = reconcileUsers(clerk());
      run.catch(() => {}); // awaited below; a failure there is the test's

      for (const [page, blocker] of blockers.entries()) {
        // Page `page` is being written (its statement waits for our lock): the pages before it are written, one statement each.
        await expect.poll(async () => [await waiting(), callsOf(await counter!.counts(mark), APPLY_USERS)], { timeout: 15_000 }).toEqual([1, { calls: page, rows: 500 * page }]);
        // ...and the next page was asked for before this one's write ended (the last page, shorter than 500, asks for none).
        const next = page < 2 ? [String(500 * (page + 1))] : [];
        await expect.poll(listed).toEqual([...['0', '500', '1000'].slice(0, page + 1), ...next]);
        await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [blocker]);
      }
      expect(await run).toMatchObject({ seen: 1_200, created: 1_200, failed: 0 });
      expect(callsOf(await counter!.counts(mark), APPLY_USERS)).toEqual({ calls: 3, rows: 1_200 });
      expect(await listed()).toEqual(['0', '500', '1000']);
    } finally {
      // Our locks go with the connection; a run left behind by a failure must end before the next test starts.
      await holder.end();
      await run?.catch(() => {});
    }
  });

  it('confirms rows Clerk no longer lists eight at a time, each with one getUser', async () => {
    await control.bulkUsers(3, 'listed');
    await recordClerkInstance(emulator.instanceId, 'reconcile');
    await prisma().user.createMany({ data: Array.from({ length: 20 }, (_, i) => ({ clerkId: `user_unlisted_${i}`, email: `unlisted-${i}@example.com`, clerkUpdatedAt: new Date(0) })) });
    // Clerk a network call away: each confirmation is still in flight when the next ones are sent.
    await control.backendApiLatency(300);
    const mark = await control.backendApiMark();
    expect(await reconcileUsers(clerk())).toMatchObject({ seen: 3, created: 3, deleted: 20, failed: 0 });
    const confirmations = (await control.backendApiRequests(mark)).filter((request) => request.route === 'GET /v1/users/:id');
    expect(confirmations.map((request) => request.status)).toEqual(Array(20).fill(404));
    expect(Math.max(...confirmations.map((request) => request.inFlight))).toBe(8);
  });

  it('lists memberships instance-wide, 500 a call, never one call per organization', async () => {
    await control.bulkUsers(400, 'teams');
    await control.bulkOrganizations(400, 3, 'teams');
    await reconcileUsers(clerk());
    const mark = await control.backendApiMark();
    const { result, counts } = await counter!.measure(() => reconcileOrganizations(clerk()));
    expect(result).toMatchObject({ organizations: { seen: 400, created: 400, failed: 0 }, memberships: { seen: 1_200, created: 1_200, failed: 0 } });
    const asked = (await control.backendApiRequests(mark)).map((request) => `${request.route}${request.query}`);
    expect(asked).toEqual([
      'GET /v1/instance',
      // The SDK leaves out offset=0.
      'GET /v1/organizations?limit=500&order_by=%2Bcreated_at',
      'GET /v1/organization_memberships?limit=500&order_by=%2Bcreated_at',
      'GET /v1/organization_memberships?limit=500&offset=500&order_by=%2Bcreated_at',
      'GET /v1/organization_memberships?limit=500&offset=1000&order_by=%2Bcreated_at',
    ]);
    // One statement per page here too: 400 organizations, then 500, 500 and 200 memberships.
    expect(callsOf(counts, APPLY_CHANGES)).toEqual({ calls: 4, rows: 1_600 });
  });
});
