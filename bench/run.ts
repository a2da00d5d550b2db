/**
 * `npm run bench [-- --quick]`: every figure measured side by side in one run,
 * on this machine, against real PostgreSQL (with pg_stat_statements, to count
 * queries), the Clerk emulator and `next start`. Writes bench/results/latest.md
 * and latest.json. --quick uses small sizes (a smoke run, not for the README).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmulatorProcess } from '../scripts/lib/clerk-emulator-process';
import { ROOT } from '../scripts/lib/paths';
import { freePort, makeTempClusterDir, startCluster } from '../scripts/lib/postgres-cluster';
import { applyMigrations } from '../scripts/lib/schema-engine';
import { startApp } from '../tests/helpers/app';
import { EmulatorControl } from '../tests/helpers/emulator-control';
import { delivery, newClerkUser, signedHeaders } from '../tests/helpers/webhooks';
import { ensureProductionBuild } from '../tests/setup/production-build';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SIZES = values.quick
  ? { events: 300, dashboardRequests: 60, reconcile: [1_000, 5_000] }
  : { events: 2_000, dashboardRequests: 300, reconcile: [10_000, 100_000] };
const INGEST_CONCURRENCY = 32;
const DASHBOARD_CONCURRENCY = 8;
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function load(requests: (() => Promise<Response>)[], concurrency: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const t = performance.now();
        const response = await request().catch(() => null);
        if (!response || !response.ok) errors++;
        await response?.arrayBuffer().catch(() => undefined);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: requests.length, errors, seconds, perSecond: requests.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function startServer(script: string, args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [TSX, script, String(port), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

ensureProductionBuild();
const dir = await makeTempClusterDir('clerk-prisma-bench-');
const cluster = await startCluster({ dataDir: path.join(dir, 'data'), ephemeral: false, removeOnOrphan: dir, settings: ['shared_preload_libraries=pg_stat_statements', 'max_connections=300'] });
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

async function database(name: string): Promise<string> {
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = cluster.url(name);
  await applyMigrations(url);
  return url;
}
async function statements(name: string): Promise<number> {
  const { rows } = await admin.query<{ calls: string | null }>(
    `SELECT sum(calls) AS calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [name],
  );
  return Number(rows[0]?.calls ?? 0);
}

const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, at: new Date().toISOString(), quick: values.quick };
const stops: (() => Promise<void>)[] = [];
try {
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 3600, output: 'pipe' });
  stops.push(() => emulator.stop());
  const oursUrl = await database('bench_ours');
  const app = await startApp({ ...emulator.appEnv, DATABASE_URL: oursUrl, LOG_LEVEL: 'warn' }, { port: appPort });
  stops.push(() => app.stop());

  // 1. Webhook ingestion --------------------------------------------------------
  console.log(`bench: webhook ingestion, ${SIZES.events} users + 20% duplicates at concurrency ${INGEST_CONCURRENCY}`);
  const secret = emulator.webhookSecret;
  const makeEvents = () => {
    const unique = Array.from({ length: SIZES.events }, () => delivery('user.created', newClerkUser()));
    const all = [...unique, ...unique.slice(0, Math.floor(SIZES.events * 0.2))];
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return { unique: unique.length, all: all.map((d) => ({ d, headers: signedHeaders(d, { secret }) })) };
  };
  const ingest = async (label: string, url: string, db: string) => {
    const events = makeEvents();
    const before = await statements(db);
    const result = await load(events.all.map(({ d, headers }) => () => fetch(url, { method: 'POST', headers, body: d.body })), INGEST_CONCURRENCY);
    const queries = ((await statements(db)) - before) / events.all.length;
    console.log(`  ${label}: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${queries.toFixed(1)} queries/event, ${result.errors} errors`);
    return { ...result, queriesPerEvent: queries };
  };
  const seedUrl = await database('bench_seed');
  const floorUrl = await database('bench_floor');
  const seed = await startServer('bench/servers/seed-webhook.ts', [seedUrl, secret]);
  stops.push(() => seed.stop());
  const floor = await startServer('bench/servers/floor-webhook.ts', [floorUrl, secret]);
  stops.push(() => floor.stop());
  // Warm each up (JIT, pools, Next's route compilation) before measuring.
  for (const url of [`${appUrl}/api/webhooks/clerk`, seed.url, floor.url]) {
    const warm = makeEvents().all.slice(0, 50);
    await load(warm.map(({ d, headers }) => () => fetch(url, { method: 'POST', headers, body: d.body })), 8);
  }
  const ingestion = {
    ours: await ingest('ours (next start)', `${appUrl}/api/webhooks/clerk`, 'bench_ours'),
    seed: await ingest('seed handler', seed.url, 'bench_seed'),
    floor: await ingest('floor (node:http + pg)', floor.url, 'bench_floor'),
  };
  results.ingestion = ingestion;

  // 2. Dashboard ----------------------------------------------------------------
  console.log(`bench: /dashboard, ${SIZES.dashboardRequests} requests per user at concurrency ${DASHBOARD_CONCURRENCY}`);
  const dashboardDb = new pg.Client({ connectionString: oursUrl });
  await dashboardDb.connect();
  const seedDashboard = await startServer('bench/servers/seed-dashboard.ts', [oursUrl, emulator.url, emulator.secretKey, emulator.jwtKey]);
  stops.push(() => seedDashboard.stop());
  const dashboard: Record<string, unknown> = {};
  for (const postCount of [0, 10, 1000]) {
    const createResponse = await fetch(`${emulator.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email_address: [`bench-${postCount}-${Date.now()}@example.test`], first_name: 'Bench', last_name: `${postCount}` }),
    });
    const clerkUser = (await createResponse.json()) as { id: string };
    const session = await new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken).signIn(clerkUser.id);
    const cookie = session.cookies.map((c) => c.split(';')[0]).join('; ');
    // First visit provisions the row just in time; then add the posts.
    await fetch(`${appUrl}/dashboard`, { headers: { cookie } });
    const { rows } = await dashboardDb.query<{ id: string }>('SELECT id FROM "User" WHERE "clerkId" = $1', [clerkUser.id]);
    if (postCount > 0) {
      await dashboardDb.query(
        `INSERT INTO "Post" (id, "userId", title, content, "createdAt") SELECT md5(random()::text || g), $1, 'Post ' || g, repeat('text ', 40), now() - (g || ' seconds')::interval FROM generate_series(1, $2) g`,
        [rows[0]!.id, postCount],
      );
    }
    const run = async (url: string) => {
      await load(Array.from({ length: 20 }, () => () => fetch(url, { headers: { cookie } })), 4);
      const before = await statements('bench_ours');
      const result = await load(Array.from({ length: SIZES.dashboardRequests }, () => () => fetch(url, { headers: { cookie } })), DASHBOARD_CONCURRENCY);
      return { ...result, queriesPerRequest: ((await statements('bench_ours')) - before) / SIZES.dashboardRequests };
    };
    const ours = await run(`${appUrl}/dashboard`);
    const seedWay = await run(`${seedDashboard.url}/`);
    dashboard[`${postCount} posts`] = { ours, seed: seedWay };
    console.log(`  ${postCount} posts: ours ${ours.perSecond.toFixed(0)}/s p99 ${ours.p99.toFixed(1)} ms ${ours.queriesPerRequest.toFixed(1)} q/req; seed ${seedWay.perSecond.toFixed(0)}/s p99 ${seedWay.p99.toFixed(1)} ms ${seedWay.queriesPerRequest.toFixed(1)} q/req`);
  }
  await dashboardDb.end();
  results.dashboard = dashboard;

  // 3. Reconcile, from a database seeded with drift, through injected 429s ---------------
  const reconcile: Record<string, unknown> = {};
  for (const count of SIZES.reconcile) {
    console.log(`bench: reconcile of ${count} emulated users, from drift, with 429s`);
    const recon = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 3600, output: 'pipe' });
    const reconControl = new EmulatorControl(recon.url, recon.secretKey, recon.controlToken);
    await reconControl.bulkUsers(count, `recon${count}`);
    type Exported = [string, string | null, string | null, string | null, number];
    const truth = await reconControl.exportUsers();
    const dbName = `bench_reconcile_${count}`;
    const url = await database(dbName);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    // Drift: 40% missing, 30% stale (old version, wrong name), 30% current; 1% extra rows with posts; 0.5% tombstoned.
    const insertUsers = async (rows: (string | null | Date)[][]) => {
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const placeholders = chunk.map((_, j) => `($${j * 5 + 1}, $${j * 5 + 2}, $${j * 5 + 3}, $${j * 5 + 4}, $${j * 5 + 5}, now())`).join(',');
        await db.query(`INSERT INTO "User" (id, "clerkId", email, name, "clerkUpdatedAt", "updatedAt") VALUES ${placeholders}`, chunk.flat());
      }
    };
    const stale = truth.slice(Math.floor(count * 0.4), Math.floor(count * 0.7));
    const current = truth.slice(Math.floor(count * 0.7));
    const tombstoned = current.slice(0, Math.floor(count * 0.005));
    const fullName = (u: Exported) => [u[2], u[3]].filter(Boolean).join(' ') || null;
    await insertUsers([
      ...stale.map((u) => [`s_${u[0]}`, u[0], u[1], 'Stale Name', new Date(u[4] - 1000)]),
      ...current.slice(tombstoned.length).map((u) => [`c_${u[0]}`, u[0], u[1], fullName(u), new Date(u[4])]),
      ...Array.from({ length: Math.floor(count * 0.01) }, (_, i) => [`x_${i}`, `user_extra_${i}`, `extra-${i}@example.test`, 'Extra', new Date(0)]),
    ]);
    await db.query(`INSERT INTO "Post" (id, "userId", title, content) SELECT 'p_' || id, id, 'orphan', 'x' FROM "User" WHERE "clerkId" LIKE 'user_extra_%'`);
    for (const u of tombstoned) await db.query(`INSERT INTO "DeletedClerkUser" ("clerkId", "deletedAt") VALUES ($1, now())`, [u[0]]);
    await reconControl.rateLimit(6, 1);

    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [TSX, 'bench/reconcile-worker.ts', recon.url, recon.secretKey], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`reconcile worker exited with ${code}`))));
    });
    await recon.stop();
    const parsed = JSON.parse(output.trim().split('\n').pop()!) as { seconds: number; maxRssMb: number; summary: Record<string, number> };

    // Equal to the emulator's truth?
    const tombstonedIds = new Set(tombstoned.map((u) => u[0]));
    const expected = new Map(truth.filter((u) => !tombstonedIds.has(u[0])).map((u) => [u[0], `${u[1]}|${fullName(u) ?? ''}`]));
    const { rows } = await db.query<{ clerkId: string; email: string; name: string | null }>('SELECT "clerkId", email, name FROM "User"');
    const orphans = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "Post"`)).rows[0]!.n);
    await db.end();
    let mismatches = rows.length === expected.size ? 0 : Math.abs(rows.length - expected.size);
    for (const row of rows) if (expected.get(row.clerkId) !== `${row.email}|${row.name ?? ''}`) mismatches++;
    const equal = mismatches === 0 && orphans === 0;
    reconcile[`${count}`] = { ...parsed, drift: { missing: Math.floor(count * 0.4), stale: stale.length, extra: Math.floor(count * 0.01), tombstoned: tombstoned.length }, equalToTruth: equal, mismatches };
    console.log(`  ${count} users: ${parsed.seconds.toFixed(1)} s, peak RSS ${parsed.maxRssMb.toFixed(0)} MB, ${JSON.stringify(parsed.summary)}, equal to Clerk's truth: ${equal}`);
    if (!equal) throw new Error(`reconcile of ${count} users left ${mismatches} mismatches and ${orphans} orphan posts`);
  }
  results.reconcile = reconcile;

  await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const name = values.quick ? 'quick' : 'latest';
  await writeFile(path.join(ROOT, 'bench', 'results', `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(ROOT, 'bench', 'results', `${name}.md`), markdown(results));
  console.log(`bench: wrote bench/results/${name}.md and ${name}.json`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await admin.end().catch(() => {});
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

function markdown(r: Record<string, unknown>): string {
  const ingestion = r.ingestion as Record<'ours' | 'seed' | 'floor', LoadResult & { queriesPerEvent: number }>;
  const dashboard = r.dashboard as Record<string, { ours: LoadResult & { queriesPerRequest: number }; seed: LoadResult & { queriesPerRequest: number } }>;
  const reconcile = r.reconcile as Record<string, { seconds: number; maxRssMb: number; summary: Record<string, number>; equalToTruth: boolean }>;
  const machine = r.machine as Record<string, unknown>;
  const row = (label: string, x: LoadResult, extra: string) => `| ${label} | ${x.perSecond.toFixed(0)} | ${x.p50.toFixed(1)} | ${x.p99.toFixed(1)} | ${extra} | ${x.errors} |`;
  const lines = [
    `# Benchmarks`,
    '',
    `Run ${String(r.at)} on ${String(machine.cpus)} cores (${String(machine.cpu)}), ${String(machine.memoryGb)} GiB, Node ${String(machine.node)}. All figures from one run, side by side.`,
    '',
    `## Webhook ingestion (${ingestion.ours.requests} deliveries: distinct users + 20% duplicates, concurrency ${INGEST_CONCURRENCY})`,
    '',
    '| handler | deliveries/s | p50 ms | p99 ms | queries/event | errors (non-2xx) |',
    '|---|---|---|---|---|---|',
    row('ours (`next start`)', ingestion.ours, ingestion.ours.queriesPerEvent.toFixed(1)),
    row('seed handler (plain create)', ingestion.seed, ingestion.seed.queriesPerEvent.toFixed(1)),
    row('floor (`node:http` + one `pg` upsert)', ingestion.floor, ingestion.floor.queriesPerEvent.toFixed(1)),
    '',
    `Ours / floor: ${(ingestion.ours.perSecond / ingestion.floor.perSecond).toFixed(2)}× the throughput, ${(ingestion.ours.p99 / ingestion.floor.p99).toFixed(1)}× the p99. Ours / seed: ${(ingestion.ours.perSecond / ingestion.seed.perSecond).toFixed(2)}× the throughput; the seed answers every duplicate with a 500 (its "errors").`,
    '',
    `## /dashboard (${dashboard['0 posts']?.ours.requests} requests per case, concurrency ${DASHBOARD_CONCURRENCY})`,
    '',
    '| posts | ours req/s | ours p99 ms | ours queries/req | seed req/s | seed p99 ms | seed queries/req |',
    '|---|---|---|---|---|---|---|',
    ...Object.entries(dashboard).map(([label, { ours, seed }]) => `| ${label} | ${ours.perSecond.toFixed(0)} | ${ours.p99.toFixed(1)} | ${ours.queriesPerRequest.toFixed(1)} | ${seed.perSecond.toFixed(0)} | ${seed.p99.toFixed(1)} | ${seed.queriesPerRequest.toFixed(1)} |`),
    '',
    'Ours: the full Next.js page (proxy, layout, header, server components) through `next start`, no Backend API call. Seed: a bare `node:http` handler with `currentUser()` (one Backend API call to the emulator) and all of the user\'s posts, no framework rendering.',
    '',
    '## Reconcile',
    '',
    'Each run starts from drift: 40% of the users missing, 30% stale, 1% extra rows (with posts), 0.5% tombstoned, and six 429 answers injected (the SDK lists and counts in parallel, so each wait covers two).',
    '',
    '| emulated users | seconds | peak RSS MB | created | updated | deleted | unchanged | 429s waited | failed | equal to Clerk |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(reconcile).map(([count, x]) => `| ${count} | ${x.seconds.toFixed(1)} | ${x.maxRssMb.toFixed(0)} | ${x.summary.created} | ${x.summary.updated} | ${x.summary.deleted} | ${x.summary.unchanged} | ${x.summary.rateLimited} | ${x.summary.failed} | ${x.equalToTruth ? 'yes' : 'NO'} |`),
    '',
  ];
  return lines.join('\n');
}
