/**
 * `npm run test:chaos [-- --full] [-- --pgbouncer]`: two app instances (`next
 * start` on two ports) share one PostgreSQL; the Clerk emulator sends them
 * thousands of events round-robin (users, organizations and memberships:
 * members added, promoted, removed, organizations renamed and deleted), with
 * duplicates, reordering and drops, while the database is restarted in the
 * middle. Dropped and failed
 * deliveries are redelivered at the end, as Svix's recovery would. With
 * --pgbouncer the apps reach the database through a real PgBouncer in
 * transaction mode, as most production apps do. The database stays down until
 * the outage has refused deliveries (and, through PgBouncer, until its 08P01
 * has reached an app), so that no run passes without meeting one. The run
 * passes when our users, organizations and memberships equal the emulator's
 * truth, the outage refused deliveries (503, never 500) and only while it
 * lasted, with --pgbouncer PgBouncer's 08P01 reached the apps, and every
 * refused delivery, by svix-id, was processed afterwards; it prints how many
 * 5xx it saw, why, and for how long.
 */
import { parseArgs } from 'node:util';
import { createClerkClient, type UserJSON } from '@clerk/backend';
import pg from 'pg';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { startApp } from '../helpers/app';
import { EmulatorControl } from '../helpers/emulator-control';
import { startOwnDatabase } from '../helpers/own-database';
import { startPgBouncer } from '../helpers/pgbouncer';
import { ensureProductionBuild } from '../setup/production-build';

const { values } = parseArgs({
  options: { full: { type: 'boolean', default: false }, pgbouncer: { type: 'boolean', default: false }, seed: { type: 'string', default: '42' } },
});
const SIZE = values.full ? { users: 1_500, updates: 3_000, deletes: 300, organizations: 150 } : { users: 150, updates: 300, deletes: 30, organizations: 15 };
const CONCURRENCY = 16;
/** The whole run, start to verdict: a stuck run fails instead of hanging CI. */
const DEADLINE_MS = values.full ? 20 * 60_000 : 5 * 60_000;
/** After the database is back: the pooler's login retry and in-flight retries may still see it down this long. */
const OUTAGE_GRACE_MS = 5_000;
/** The database stays down at least this long, and until the outage has refused deliveries (at most OUTAGE_MAX_MS). */
const OUTAGE_MIN_MS = 2_000;
const OUTAGE_MAX_MS = 30_000;
/** What PgBouncer answers while the database is down (FACTS.md), as the app logs it. */
const PGBOUNCER_LOGIN_FAILING = 'Code: `08P01`. Message: `server login has been failing, try again later (server_login_retry)`';

let seed = Number(values.seed);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

ensureProductionBuild();
const started = Date.now();
const deadline = setTimeout(() => {
  console.log(`chaos: FAIL, not finished within ${DEADLINE_MS / 1000} s`);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();
const database = await startOwnDatabase('clerk-prisma-chaos-');
const pooler = values.pgbouncer ? await startPgBouncer(database.url()) : null;
const appDatabaseUrl = pooler ? pooler.url(database.url()) : database.url();

const [portA, portB] = [await freePort(), await freePort()];
const appUrlA = `http://localhost:${portA}`;
const appUrlB = `http://localhost:${portB}`;
const emulator = await startEmulatorProcess({
  port: 0,
  dataDir: null,
  appUrl: appUrlA,
  webhookUrl: `${appUrlA}/api/webhooks/clerk,${appUrlB}/api/webhooks/clerk`,
  tokenTtlSeconds: 300,
  webhookRetryBaseMs: 100,
  allowPersonalAccounts: true,
  output: 'pipe',
});
const env = { ...emulator.appEnv, DATABASE_URL: appDatabaseUrl, LOG_LEVEL: 'warn' };
const apps = await Promise.all([startApp(env, { port: portA }), startApp({ ...env, APP_URL: appUrlB }, { port: portB })]);
const emulatorControl = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
const control = (method: string, route: string, body?: unknown) => emulatorControl.request<Record<string, unknown>>(method, route, body);

let exitCode = 1;
try {
  await control('PUT', '/_control/webhooks', { duplicates: 1, reorder: true, delayMs: 300, dropRate: 0.05, maxAttempts: 12, seed: Number(values.seed) });
  const clerk = createClerkClient({ secretKey: emulator.secretKey, apiUrl: emulator.url });
  console.log(
    `chaos: ${SIZE.users} users, ${SIZE.organizations} organizations, ${SIZE.updates} changes, ${SIZE.deletes} user deletions; 2 app instances${pooler ? ' through PgBouncer (transaction mode)' : ''}; duplicates, reordering, 5% drops; seed ${values.seed}`,
  );

  const users: UserJSON[] = [];
  await inBatches(Array.from({ length: SIZE.users }, (_, i) => i), CONCURRENCY, async (i) => {
    const user = await clerk.users.createUser({ emailAddress: [`chaos-${i}@example.test`], firstName: `User`, lastName: `${i}` });
    users.push(user.raw!);
  });

  // A tenth of the changes move a user's email: a new primary address (one another user gave up, when
  // there is one), then the old address deleted and so freed for someone else.
  const primary = new Map(users.map((user) => [user.id, user.primary_email_address_id!]));
  const freed: string[] = [];
  let refused = 0;
  let n = 0;
  const organizations: string[] = [];
  await inBatches(Array.from({ length: SIZE.organizations }, (_, i) => i), CONCURRENCY, async (i) => {
    const organization = await clerk.organizations.createOrganization({ name: `Team ${i}`, slug: `chaos-team-${i}`, createdBy: pick(users).id });
    organizations.push(organization.id);
  });
  /** A member added, promoted or demoted, removed, or the organization renamed. */
  const organizationChange = async (i: number) => {
    const organizationId = pick(organizations);
    const userId = pick(users).id;
    const role = random() < 0.3 ? 'org:admin' : 'org:member';
    const r = random();
    if (r < 0.45) await clerk.organizations.createOrganizationMembership({ organizationId, userId, role });
    else if (r < 0.7) await clerk.organizations.updateOrganizationMembership({ organizationId, userId, role });
    else if (r < 0.9) await clerk.organizations.deleteOrganizationMembership({ organizationId, userId });
    else await clerk.organizations.updateOrganization(organizationId, { name: `Team renamed ${i}` });
  };

  const change = async (user: UserJSON) => {
    const i = n++;
    try {
      if (random() < 0.4) {
        await organizationChange(i);
      } else if (random() < 0.1) {
        const address = freed.shift() ?? `chaos-moved-${i}@example.test`;
        const old = (await clerk.users.getUser(user.id)).emailAddresses.find((email) => email.id === primary.get(user.id));
        const added = await clerk.emailAddresses.createEmailAddress({ userId: user.id, emailAddress: address, verified: true, primary: true });
        primary.set(user.id, added.id);
        if (old) {
          await clerk.emailAddresses.deleteEmailAddress(old.id);
          freed.push(old.emailAddress);
        }
      } else {
        await clerk.users.updateUser(user.id, { firstName: `Renamed${i}` });
      }
    } catch (error) {
      // Clerk refuses what two concurrent changes make impossible (an address just taken, a member
      // added twice, a membership already gone): so does the emulator.
      const status = (error as { status?: number }).status;
      if (status !== 422 && status !== 404 && status !== 400) throw error;
      refused++;
    }
  };

  // Changes, with a database restart in the middle of them.
  const updates = Array.from({ length: SIZE.updates }, () => pick(users));
  const half = Math.floor(updates.length / 2);
  await inBatches(updates.slice(0, half), CONCURRENCY, change);
  console.log('chaos: restarting PostgreSQL');
  const outageFrom = Date.now();
  await database.stop();
  const secondHalf = inBatches(updates.slice(half), CONCURRENCY, change);
  // Down until the outage has been met: deliveries refused (and, through the pooler, its 08P01 seen by an app).
  const outageMet = async () => {
    const { failures } = (await control('GET', '/_control/webhooks/stats')) as { failures: { at: number; status: number | 'network' }[] };
    const refused = failures.some((failure) => failure.at >= outageFrom && failure.status === 503);
    return refused && (!pooler || apps.some((app) => app.output().includes(PGBOUNCER_LOGIN_FAILING)));
  };
  await sleep(OUTAGE_MIN_MS);
  while (!(await outageMet())) {
    if (Date.now() - outageFrom > OUTAGE_MAX_MS) break;
    await sleep(100);
  }
  await database.restart();
  const outageTo = Date.now();
  console.log(`chaos: PostgreSQL back after ${outageTo - outageFrom} ms`);
  await secondHalf;
  console.log(`chaos: ${updates.length} changes, ${[...primary.values()].length} users, ${refused} refused by Clerk as conflicting`);

  const deleted = new Set<string>();
  for (let i = 0; i < SIZE.deletes; i++) deleted.add(pick(users).id);
  await inBatches([...deleted], CONCURRENCY, (id) => clerk.users.deleteUser(id));
  const deletedOrganizations = new Set<string>();
  for (let i = 0; i < SIZE.organizations / 5; i++) deletedOrganizations.add(pick(organizations));
  await inBatches([...deletedOrganizations], CONCURRENCY, (id) => clerk.organizations.deleteOrganization(id));

  // Let retries run out, then redeliver what was dropped or gave up.
  for (let round = 0; round < 5; round++) {
    while ((await control('GET', '/_control/webhooks/stats')).pending !== 0) await sleep(250);
    const { redelivered } = await control('POST', '/_control/webhooks/redeliver', {});
    if (redelivered === 0) break;
    console.log(`chaos: redelivering ${String(redelivered)} dropped or failed deliveries`);
  }

  // Compare with the emulator's truth.
  const truth = new Map<string, { email: string; name: string | null }>();
  for (let offset = 0; ; offset += 500) {
    const page = await clerk.users.getUserList({ limit: 500, offset, orderBy: '+created_at' });
    for (const user of page.data) {
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || null;
      truth.set(user.id, { email: user.primaryEmailAddress!.emailAddress.toLowerCase(), name });
    }
    if (page.data.length < 500) break;
  }
  const db = new pg.Client({ connectionString: database.url() });
  await db.connect();
  const rows = (await db.query<{ clerkId: string; email: string; name: string | null }>('SELECT "clerkId", email, name FROM "User"')).rows;
  const tombstones = Number((await db.query<{ count: string }>('SELECT count(*) FROM "DeletedClerkUser"')).rows[0]!.count);
  const ourOrganizations = (await db.query<{ row: string }>(`SELECT "clerkId" || ' ' || slug || ' ' || name AS row FROM "Organization"`)).rows.map((r) => r.row);
  const ourMemberships = (
    await db.query<{ row: string }>(
      `SELECT m."clerkId" || ' ' || o."clerkId" || ' ' || u."clerkId" || ' ' || m.role AS row FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId" JOIN "User" u ON u.id = m."userId"`,
    )
  ).rows.map((r) => r.row);
  // Every delivery the emulator made is in the ledger, processed: none left processing or failed.
  const sentIds = (await emulatorControl.deliveries()).map((d) => d.id);
  const ledger = await db.query<{ svixId: string; outcome: string; processed: boolean }>(
    'SELECT "svixId", outcome, "processedAt" IS NOT NULL AS processed FROM "WebhookDelivery" WHERE "svixId" = ANY($1)',
    [sentIds],
  );
  await db.end();
  const unprocessed = ledger.rows.filter((row) => !row.processed).map((row) => `${row.svixId} (${row.outcome})`);
  const missingFromLedger = sentIds.length - ledger.rows.length;

  const mismatches: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    seen.add(row.clerkId);
    const expected = truth.get(row.clerkId);
    if (!expected) mismatches.push(`${row.clerkId}: in our table, not in Clerk`);
    else if (expected.email !== row.email || expected.name !== row.name) mismatches.push(`${row.clerkId}: ${JSON.stringify(row)} != ${JSON.stringify(expected)}`);
  }
  for (const id of truth.keys()) if (!seen.has(id)) mismatches.push(`${id}: in Clerk, missing from our table`);
  const sameRows = (what: string, ours: string[], clerks: string[]) => {
    const theirs = new Set(clerks);
    const mine = new Set(ours);
    for (const row of ours) if (!theirs.has(row)) mismatches.push(`${what} ${row}: ours, not Clerk's`);
    for (const row of clerks) if (!mine.has(row)) mismatches.push(`${what} ${row}: Clerk's, not ours`);
  };
  const [clerkOrganizations, clerkMemberships] = await Promise.all([emulatorControl.exportOrganizations(), emulatorControl.exportMemberships()]);
  sameRows('organization', ourOrganizations, clerkOrganizations.map(([id, slug, name]) => `${id} ${slug} ${name}`));
  sameRows('membership', ourMemberships, clerkMemberships.map(([id, organizationId, userId, role]) => `${id} ${organizationId} ${userId} ${role}`));

  const stats = await control('GET', '/_control/webhooks/stats');
  const responses = stats.responses as Record<string, number>;
  const errors = Object.entries(responses).filter(([status]) => status === 'network' || Number(status) >= 500).reduce((sum, [, count]) => sum + count, 0);
  const window = stats.first5xxAt && stats.last5xxAt ? `${((Number(stats.last5xxAt) - Number(stats.first5xxAt)) / 1000).toFixed(1)} s` : 'none';
  console.log(`chaos: deliveries by status ${JSON.stringify(stats.byStatus)}; HTTP answers ${JSON.stringify(responses)}`);
  console.log(`chaos: ${errors} 5xx or failed connections, over ${window} (the database restart)`);
  const reasons = new Map<string, number>();
  let pgbouncerRefusals = 0;
  for (const app of apps) {
    for (const line of app.output().split('\n')) {
      if (!line.startsWith('{') || !line.includes('"status":5')) continue;
      const entry = JSON.parse(line) as { status: number; err?: { message?: string; code?: string; type?: string } };
      // Prisma's messages start with a blank line and the call that failed: the cause is the last line that says something.
      const said = (entry.err?.message ?? '').split('\n').map((part) => part.trim()).filter(Boolean).pop();
      const reason = `${entry.status} ${(said ?? entry.err?.code ?? entry.err?.type ?? 'no error logged').slice(0, 120)}`;
      if (entry.status === 503 && (entry.err?.message ?? '').includes(PGBOUNCER_LOGIN_FAILING)) pgbouncerRefusals++;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  for (const [reason, count] of reasons) console.log(`  ${count} × ${reason}`);
  console.log(`chaos: ${clerkOrganizations.length} organizations and ${clerkMemberships.length} memberships in Clerk, ${ourOrganizations.length} and ${ourMemberships.length} rows`);
  console.log(`chaos: ${truth.size} live users in Clerk, ${rows.length} rows, ${tombstones} tombstones, ${mismatches.length} mismatches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const mismatch of mismatches.slice(0, 20)) console.log(`  ${mismatch}`);
  const internalErrors = responses['500'] ?? 0;
  if (internalErrors > 0) console.log(`chaos: ${internalErrors} deliveries answered 500: an outage must be a 503`);
  // A 5xx is an outage only while there is one, and the outage must have refused deliveries.
  const failures = stats.failures as { at: number; status: number | 'network'; svixId: string }[];
  const outside = failures.filter((failure) => failure.at < outageFrom || failure.at > outageTo + OUTAGE_GRACE_MS);
  if (outside.length > 0) console.log(`chaos: ${outside.length} 5xx outside the outage: ${JSON.stringify(outside.slice(0, 5))}`);
  const duringOutage = failures.filter((failure) => failure.at >= outageFrom && failure.at <= outageTo + OUTAGE_GRACE_MS);
  const refusedIds = new Set(duringOutage.map((failure) => failure.svixId));
  const answered503 = duringOutage.filter((failure) => failure.status === 503).length;
  console.log(`chaos: the outage refused ${refusedIds.size} deliveries (${answered503} answers 503)${pooler ? `, ${pgbouncerRefusals} of them with PgBouncer's 08P01` : ''}`);
  if (answered503 === 0) console.log('chaos: the outage refused no delivery with a 503: the run proved nothing about it');
  if (pooler && pgbouncerRefusals === 0) console.log('chaos: no 08P01 from PgBouncer reached the apps');
  // Every refused delivery was processed afterwards (Svix's retries, or the redelivery of those that gave up).
  const processedIds = new Set(ledger.rows.filter((row) => row.processed).map((row) => row.svixId));
  const refusedUnprocessed = [...refusedIds].filter((id) => !processedIds.has(id));
  if (refusedUnprocessed.length > 0) console.log(`chaos: ${refusedUnprocessed.length} refused deliveries never processed: ${refusedUnprocessed.slice(0, 10).join(', ')}`);
  if (unprocessed.length > 0) console.log(`chaos: ${unprocessed.length} deliveries left unprocessed: ${unprocessed.slice(0, 10).join(', ')}`);
  if (missingFromLedger > 0) console.log(`chaos: ${missingFromLedger} deliveries never reached the ledger`);
  const ok =
    mismatches.length === 0 &&
    tombstones === deleted.size &&
    internalErrors === 0 &&
    outside.length === 0 &&
    unprocessed.length === 0 &&
    missingFromLedger === 0 &&
    answered503 > 0 &&
    (!pooler || pgbouncerRefusals > 0) &&
    refusedUnprocessed.length === 0;
  exitCode = ok ? 0 : 1;
  console.log(exitCode === 0 ? 'chaos: PASS, final state equals Clerk\'s truth' : 'chaos: FAIL');
} finally {
  await Promise.all(apps.map((app) => app.stop()));
  await emulator.stop();
  await pooler?.stop();
  await database.remove();
}
process.exit(exitCode);
