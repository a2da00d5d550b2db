/**
 * `npm run bench [-- --quick] [--only ingestion,dashboard,reconcile] [--users 100000,1000000] [--concurrency 32] [--runs 3] [--into-latest] [--tracing-baseline <ref>]`:
 * every figure measured side by side in one run, on this machine, against
 * real PostgreSQL (with pg_stat_statements, to count statements), the Clerk
 * emulator and `next start`, logs at their default level everywhere.
 *
 * - Ingestion: ours against the ceiling (an empty route handler in the same
 *   build), a correct floor (bare `node:http` + `pg` doing our work) and the
 *   one-upsert floor, at concurrency 1, 8, 32 and 64, with two instances,
 *   first deliveries and duplicates apart, and at a fixed rate.
 * - Dashboard: ours against the tutorial's page built into the same app and
 *   against the pages' ceiling (a signed-in page of the same build and layout
 *   that does nothing of its own), at 0, 10 and 1,000 posts, with the Backend
 *   API 0 ms and 75 ms away.
 * - Tracing: ingestion and /dashboard with OpenTelemetry off (the app above:
 *   no OTLP endpoint, the SDK never loaded) and on (a second instance of the
 *   same build exporting traces and metrics to a receiver in this process),
 *   against the app before OpenTelemetry (its commit built in the same run;
 *   a full run only, or `--tracing-baseline <ref>`), side by side
 *   (docs/decisions/026).
 * - Reconcile: from drift, through 429s, at 10,000, 100,000 and 1,000,000
 *   emulated users, time, peak memory and where that memory is; and of 10,000
 *   organizations with their memberships.
 *
 * Every figure is the median of several runs (5; 2 with --quick) with its
 * range, the contenders in another order each run, every answer checked.
 * Statements per delivery and per dashboard render and Backend API calls per
 * render are checked against bench/expected-counts.ts: the run fails (exit 1)
 * when one rose above its expectation.
 * BENCH_PROFILE_DIR=<dir> makes the app write a CPU profile there (`--cpu-prof`).
 *
 * Writes bench/results/latest.md, .json and the charts (.svg); quick.* with
 * --quick; only-<sections>.* for a partial run (--only, --users, --concurrency, --runs);
 * with `--only <sections> --into-latest`, those sections at full size replace
 * theirs in latest.* (the report says which sections were run again, when).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmulatorProcess } from '../scripts/lib/clerk-emulator-process';
import { ROOT } from '../scripts/lib/paths';
import { freePort, makeTempClusterDir, newClusterPassword, startCluster, STATEMENT_STATISTICS_SETTINGS } from '../scripts/lib/postgres-cluster';
import { applyMigrations } from '../scripts/lib/schema-engine';
import { type RunningApp, startApp } from '../tests/helpers/app';
import { EmulatorControl } from '../tests/helpers/emulator-control';
import { delivery, newClerkUser, signedHeaders } from '../tests/helpers/webhooks';
import { appMetrics, inSpan } from '../modules/cores/telemetry/telemetry';
import { startOtlpReceiver } from '../tests/helpers/otlp-receiver';
import { ensureProductionBuild, TEST_SERVER_ACTIONS_KEY } from '../tests/setup/production-build';
import { type CountName, EXPECTED_COUNTS } from './expected-counts';
import { buildBaseline } from './lib/baseline-build';
import { barChart, lineChart } from './lib/charts';
import { describeCommit, type MeasuredCommit, measuredCommit } from './lib/commit';
import { compareCounts, type MeasuredCount } from './lib/counts';
import { closedLoop, type LoadResult, openLoop, rotated, type Shot, type Spread, spread } from './lib/load';

const SECTIONS = ['ingestion', 'dashboard', 'tracing', 'reconcile', 'organizations'] as const;
type Section = (typeof SECTIONS)[number];
const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, users: { type: 'string' }, concurrency: { type: 'string' }, runs: { type: 'string' }, 'into-latest': { type: 'boolean', default: false }, 'tracing-baseline': { type: 'string' } },
});
const only = new Set((values.only?.split(',') ?? SECTIONS) as Section[]);
for (const section of only) if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section ${section} (one of ${SECTIONS.join(', ')})`);
const SIZES = values.quick
  ? { runs: 2, deliveries: 150, warmup: 200, concurrencies: [1, 32], fixedRate: { perSecond: 50, shots: 100 }, dashboardRequests: 40, dashboardRate: { perSecond: 10, shots: 30 }, latencies: [0, 75], reconcile: [1_000, 5_000], organizations: 500 }
  : { runs: 5, deliveries: 1_000, warmup: 3_000, concurrencies: [1, 8, 32, 64], fixedRate: { perSecond: 150, shots: 600 }, dashboardRequests: 200, dashboardRate: { perSecond: 20, shots: 100 }, latencies: [0, 75], reconcile: [10_000, 100_000, 1_000_000], organizations: 10_000 };
// Partial runs: --users 100000,1000000 (reconcile sizes), --concurrency 32 (ingestion), --runs 3.
if (values.users) SIZES.reconcile = values.users.split(',').map(Number);
if (values.concurrency) SIZES.concurrencies = values.concurrency.split(',').map(Number);
if (values.runs) SIZES.runs = Number(values.runs);
const partial = Boolean(values.only || values.users || values.concurrency || values.runs);
// --only <sections> --into-latest: run those sections at full size and put them into latest.* in place of
// the last full run's (a section can be rerun without the rest of an hour-long run).
const intoLatest = values['into-latest'];
if (intoLatest && (!values.only || values.quick || values.users || values.concurrency || values.runs)) {
  throw new Error('--into-latest goes with --only and full sizes (no --quick, --users, --concurrency or --runs)');
}
const DASHBOARD_CONCURRENCY = 8;
/**
 * The tracing section's third contender: the app before OpenTelemetry was
 * added (main as it was just before issue 23 merged), built from its commit
 * beside this checkout, so that "tracing off" is measured against the app
 * with no telemetry at all. `--tracing-baseline <ref>` picks another commit;
 * a quick run (CI) builds it only when asked, for the build's minutes.
 */
const TRACING_BASELINE = values['tracing-baseline'] ?? (values.quick ? null : 'd900aff');
/** Members of each organization in the organizations' reconcile bench. */
const MEMBERS_PER_ORGANIZATION = 3;
const POSTS = [0, 10, 1000];
/** When the reconcile worker reads its memory, and what it reads (bench/reconcile-worker.ts). */
const MOMENTS = ['afterImports', 'beforeFirstPage', 'atPeak'] as const;
const MEMORY_FIELDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const OUT = path.join(ROOT, 'bench', 'results');
const NAME = intoLatest ? 'latest' : partial ? `only-${[...only].join('-')}${values.quick ? '-quick' : ''}` : values.quick ? 'quick' : 'latest';
/** Node's flags in `npm run users:reconcile`, so that the measured process runs as the command does. */
/** The charts of a full run are bench/results/<chart>.svg (the README shows them); others carry the run's name. */
const chartFile = (chart: string) => (NAME === 'latest' ? `${chart}.svg` : `${NAME}-${chart}.svg`);
const RECONCILE_NODE_FLAGS = (() => {
  const command = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['users:reconcile']!;
  const [, ...words] = command.split(' ');
  return words.slice(0, words.indexOf('scripts/users-reconcile.ts'));
})();

async function startServer(script: string, args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [TSX, script, String(port), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let ready = false;
    // Its log lines keep coming: read and drop them.
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!ready && chunk.toString().includes('ready')) {
        ready = true;
        resolve();
      }
    });
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

/** Figures of one kind from several runs: median and range of each. */
const summarise = (results: LoadResult[]) => ({
  perSecond: spread(results.map((r) => r.perSecond)),
  p50: spread(results.map((r) => r.p50)),
  p99: spread(results.map((r) => r.p99)),
  errors: results.reduce((sum, r) => sum + r.errors, 0),
  errorSamples: results.flatMap((r) => r.errorSamples).slice(0, 3),
});
type Summary = ReturnType<typeof summarise>;

const fmt = (s: Spread, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

ensureProductionBuild();
const dir = await makeTempClusterDir('clerk-prisma-bench-');
const cluster = await startCluster({ dataDir: path.join(dir, 'data'), password: newClusterPassword(), ephemeral: false, removeOnOrphan: dir, settings: [...STATEMENT_STATISTICS_SETTINGS, 'max_connections=300'] });
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

async function database(name: string): Promise<string> {
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = cluster.url(name);
  await applyMigrations(url);
  return url;
}
/** Top-level statements the database has run (pg_stat_statements): round trips, not what runs inside a function. */
async function statements(name: string): Promise<number> {
  const { rows } = await admin.query<{ calls: string | null }>(
    `SELECT sum(calls) AS calls FROM pg_stat_statements WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [name],
  );
  return Number(rows[0]?.calls ?? 0);
}

let results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  at: new Date().toISOString(),
  ...measuredCommit(),
  quick: values.quick,
  runs: SIZES.runs,
};
const charts: Record<string, string> = {};
/** The app's environment (emulator keys, our database, the bench routes on): a second instance gets the same. */
let appEnv: Record<string, string> = {};
const stops: (() => Promise<void>)[] = [];
try {
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 4 * 3600, allowPersonalAccounts: true, output: 'pipe' });
  stops.push(() => emulator.stop());
  const control = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
  const oursUrl = await database('bench_ours');
  // Logs at their default level (info: one line per delivery), as in production. No hourly prune: its
  // statements would be counted with a measurement's.
  appEnv = { ...emulator.appEnv, DATABASE_URL: oursUrl, BENCH_ROUTES: '1', DATA_PRUNE_INTERVAL_MINUTES: '0' };
  // BENCH_PROFILE_DIR=/some/dir: the app writes a CPU profile there when it stops (where a delivery's time goes).
  const nodeArgs = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const app = await startApp(appEnv, { port: appPort, keepOutputAfterReady: false, nodeArgs });
  stops.push(() => app.stop());

  if (only.has('ingestion')) results.ingestion = await benchIngestion(app, emulator.webhookSecret);
  if (only.has('dashboard')) results.dashboard = await benchDashboard(appUrl, control, emulator.url, emulator.secretKey);
  if (only.has('tracing')) results.tracing = await benchTracing(app, emulator.webhookSecret, control, emulator.url, emulator.secretKey);
  await app.stop();
  stops.pop();
  if (only.has('reconcile')) results.reconcile = await benchReconcile(appUrl);
  if (only.has('organizations')) results.organizations = await benchOrganizations(appUrl);

  await mkdir(OUT, { recursive: true });
  if (intoLatest) {
    const last = JSON.parse(await readFile(path.join(OUT, 'latest.json'), 'utf8')) as Record<string, unknown>;
    const rerun = Object.fromEntries([...only].map((section) => [section, `${String(results.at)} at ${describeCommit(results as unknown as MeasuredCommit)}`]));
    results = { ...last, ...Object.fromEntries([...only].map((section) => [section, results[section]])), rerun: { ...(last.rerun as object), ...rerun } };
  }
  await writeFile(path.join(OUT, `${NAME}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(OUT, `${NAME}.md`), markdown(results));
  for (const [chart, svg] of Object.entries(charts)) await writeFile(path.join(OUT, chartFile(chart)), svg);
  console.log(`bench: wrote bench/results/${NAME}.md, ${NAME}.json${Object.keys(charts).length ? ' and the charts' : ''}`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await admin.end().catch(() => {});
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(checkCounts(results) ? 0 : 1);

// Tracing off and on -----------------------------------------------------------------

/**
 * The same build twice on the same database: off (no OTLP endpoint) and on
 * (traces and metrics exported to a receiver in this process, over
 * http/json, with the SDK's default batching and export interval). The same
 * deliveries and the same signed-in dashboard (10 posts, Backend API 0 ms)
 * to each, the order rotated each run.
 */
async function benchTracing(app: RunningApp, secret: string, control: EmulatorControl, emulatorUrl: string, secretKey: string) {
  const concurrency = 32;
  console.log(`bench: tracing off and on, ${SIZES.runs} runs of ${SIZES.deliveries} deliveries at concurrency ${concurrency} and ${SIZES.dashboardRequests} /dashboard renders at concurrency ${DASHBOARD_CONCURRENCY}`);
  const receiver = await startOtlpReceiver();
  stops.push(() => receiver.stop());
  const { OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL } = receiver.appEnv;
  const traced = await startApp({ ...appEnv, OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT!, OTEL_EXPORTER_OTLP_PROTOCOL: OTEL_EXPORTER_OTLP_PROTOCOL! }, { keepOutputAfterReady: false });
  stops.push(() => traced.stop());
  const apps = [
    { name: 'tracing off', url: app.url },
    { name: 'tracing on', url: traced.url },
  ];
  let baselineCommit: string | null = null;
  if (TRACING_BASELINE) {
    const baseline = await buildBaseline(TRACING_BASELINE, { NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: TEST_SERVER_ACTIONS_KEY });
    stops.push(() => baseline.remove());
    const before = await startApp(appEnv, { root: baseline.root, keepOutputAfterReady: false });
    stops.push(() => before.stop());
    baselineCommit = baseline.commit;
    apps.unshift({ name: 'before OpenTelemetry', url: before.url });
  }

  const email = `bench-tracing-${Date.now()}@example.test`;
  const created = await fetch(`${emulatorUrl}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email_address: [email], first_name: 'Bench', last_name: 'Tracing' }),
  });
  const clerkUser = (await created.json()) as { id: string };
  const cookie = (await control.signIn(clerkUser.id)).cookies.map((c) => c.split(';')[0]).join('; ');
  if ((await fetch(`${app.url}/dashboard`, { headers: { cookie }, redirect: 'manual' })).status !== 200) throw new Error('/dashboard refused the signed-in user');
  const db = new pg.Client({ connectionString: appEnv.DATABASE_URL });
  await db.connect();
  await db.query(
    `INSERT INTO "Post" (id, "userId", title, content, "createdAt") SELECT md5(random()::text || g), (SELECT id FROM "User" WHERE "clerkId" = $1), 'Post ' || g, repeat('text ', 40), now() - (g || ' seconds')::interval FROM generate_series(1, 10) g`,
    [clerkUser.id],
  );
  await db.end();

  const deliveries = (url: string, count: number) =>
    Array.from({ length: count }, (): Shot => {
      const d = delivery('user.created', newClerkUser());
      const headers = signedHeaders(d, { secret });
      return { send: () => fetch(`${url}/api/webhooks/clerk`, { method: 'POST', headers, body: d.body, redirect: 'manual' }), check: expectBody('{"outcome":"applied"}') };
    });
  const renders = (url: string, count: number) =>
    Array.from({ length: count }, (): Shot => ({
      send: () => fetch(`${url}/dashboard`, { headers: { cookie }, redirect: 'manual' }),
      check: (status, body) => (status === 200 && body.includes(email) && (body.match(/<li/g)?.length ?? 0) >= 10 ? null : `${status}`),
    }));
  for (const target of apps) {
    await closedLoop(deliveries(target.url, SIZES.warmup), concurrency);
    await closedLoop(renders(target.url, 40), DASHBOARD_CONCURRENCY);
  }
  const spansBefore = receiver.spans().length;
  const ingestion = new Map<string, LoadResult[]>();
  const dashboard = new Map<string, LoadResult[]>();
  for (let run = 0; run < SIZES.runs; run++) {
    for (const target of rotated(apps, run)) {
      ingestion.set(target.name, [...(ingestion.get(target.name) ?? []), await closedLoop(deliveries(target.url, SIZES.deliveries), concurrency)]);
      dashboard.set(target.name, [...(dashboard.get(target.name) ?? []), await closedLoop(renders(target.url, SIZES.dashboardRequests), DASHBOARD_CONCURRENCY)]);
    }
  }
  // Proof that "on" traced: what reached the receiver (the last batch may still be on its way).
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const exportedSpans = receiver.spans().length - spansBefore;
  // What this section started, stopped in reverse (the sections after it find `stops` as it was).
  for (let started = baselineCommit ? 4 : 2; started > 0; started--) await stops.pop()!();
  const result = {
    noOp: noOpCost(),
    baselineCommit,
    concurrency,
    dashboardConcurrency: DASHBOARD_CONCURRENCY,
    deliveriesPerRun: SIZES.deliveries,
    rendersPerRun: SIZES.dashboardRequests,
    ingestion: Object.fromEntries([...ingestion].map(([name, list]) => [name, summarise(list)])),
    dashboard: Object.fromEntries([...dashboard].map(([name, list]) => [name, summarise(list)])),
    exportedSpans,
    spansPerRequest: exportedSpans / (SIZES.runs * (SIZES.deliveries + SIZES.dashboardRequests)),
  };
  for (const [section, figures] of [['ingestion', result.ingestion], ['dashboard', result.dashboard]] as const) {
    for (const [name, x] of Object.entries(figures)) {
      console.log(`  ${section}: ${name} ${fmt(x.perSecond)}/s p50 ${fmt(x.p50, 1)} p99 ${fmt(x.p99, 1)} ms`);
      if (x.errors > 0) throw new Error(`wrong answers (${section}, ${name}): ${JSON.stringify(x.errorSamples)}`);
    }
  }
  console.log(`  ${exportedSpans} spans exported with tracing on (${result.spansPerRequest.toFixed(1)} per request)`);
  return result;
}

/**
 * What the app's telemetry calls cost with no SDK registered (this process
 * registers none): one span and one counter add, through the same functions
 * the app calls, in nanoseconds (the median of 5 rounds of 200,000).
 */
function noOpCost(): { spanNs: number; counterAddNs: number } {
  const time = (rounds: number, once: () => void) => {
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) once();
      samples.push(Number(process.hrtime.bigint() - started) / rounds);
    }
    return spread(samples).median;
  };
  let sink = 0;
  const spanNs = time(200_000, () => {
    sink += inSpan('bench', { 'clerk.svix_id': 'msg_x' }, (span) => (span.setAttribute('clerk.webhook.outcome', 'applied'), 1));
  });
  const counterAddNs = time(200_000, () => appMetrics().deliveries.add(1, { type: 'user.created', outcome: 'applied' }));
  if (sink === 0) throw new Error('no-op spans did not run');
  return { spanNs, counterAddNs };
}

// The counts against their expectations -------------------------------------------

/** The counts this run measured (sections that ran only), each where it was measured. */
function measuredCounts(r: Record<string, unknown>): MeasuredCount<CountName>[] {
  const counts: MeasuredCount<CountName>[] = [];
  const ingestion = r.ingestion as Awaited<ReturnType<typeof benchIngestion>> | undefined;
  for (const [concurrency, field] of Object.entries(ingestion?.byConcurrency ?? {})) {
    for (const [name, x] of Object.entries(field).filter(([name]) => name.startsWith('ours'))) {
      const where = `${name}, concurrency ${concurrency}`;
      counts.push({ name: 'statements per first delivery', where, value: x.statementsPerFirst }, { name: 'statements per duplicate delivery', where, value: x.statementsPerDuplicate });
    }
  }
  const dashboard = r.dashboard as Awaited<ReturnType<typeof benchDashboard>> | undefined;
  for (const [label, pages] of Object.entries(dashboard?.cases ?? {})) {
    counts.push(
      { name: 'statements per dashboard render', where: label, value: pages.ours!.statementsPerRequest },
      { name: 'Backend API calls per dashboard render', where: label, value: pages.ours!.backendApiCallsPerRequest },
    );
  }
  return counts;
}

/**
 * Fails (false) when a count rose above its expectation, naming it; says so
 * when one fell below, so that the expectation follows it down.
 */
function checkCounts(r: Record<string, unknown>): boolean {
  const measured = measuredCounts(r);
  if (measured.length === 0) return true;
  const { risen, lowered } = compareCounts(measured, EXPECTED_COUNTS);
  for (const line of lowered) console.log(`bench: lower than expected, lower the expectation in bench/expected-counts.ts: ${line}`);
  if (risen.length === 0) {
    console.log(`bench: ${measured.length} counts checked against bench/expected-counts.ts, none above its expectation`);
    return true;
  }
  console.error(`bench: FAILED: ${risen.length} count${risen.length > 1 ? 's' : ''} above ${risen.length > 1 ? 'their' : 'its'} expectation (bench/expected-counts.ts):`);
  for (const line of risen) console.error(`  ${line}`);
  console.error('Find what added the statements or calls; raise an expectation only on purpose, with the tests that pin it (tests/integration/*-counts.test.ts).');
  return false;
}

// 1. Webhook ingestion ------------------------------------------------------------

interface Contender {
  name: string;
  /** Where each delivery goes (two URLs: the client alternates, as a load balancer would). */
  urls: string[];
  database: string | null;
  /** The answer each delivery must get, first and as a duplicate. */
  first: (status: number, body: string) => string | null;
  duplicate: (status: number, body: string) => string | null;
}

function expectBody(wanted: string) {
  return (status: number, body: string) => (status === 200 && body === wanted ? null : `${status} ${body.slice(0, 120)}`);
}

async function benchIngestion(app: RunningApp, secret: string) {
  console.log(`bench: webhook ingestion, ${SIZES.runs} runs of ${SIZES.deliveries} new users then the same again as duplicates, at concurrency ${SIZES.concurrencies.join(', ')}`);
  const correctFloorDb = await database('bench_floor_correct');
  const upsertFloorDb = await database('bench_floor_upsert');
  const correctFloor = await startServer('bench/servers/correct-floor-webhook.ts', [correctFloorDb, secret]);
  stops.push(() => correctFloor.stop());
  const upsertFloor = await startServer('bench/servers/floor-webhook.ts', [upsertFloorDb, secret]);
  stops.push(() => upsertFloor.stop());
  // A second instance of ours on the same database (the chaos test's setup), for the two-instance figure.
  const second = await startApp(appEnv, { keepOutputAfterReady: false });
  stops.push(() => second.stop());

  const contenders: Contender[] = [
    { name: 'ours', urls: [`${app.url}/api/webhooks/clerk`], database: 'bench_ours', first: expectBody('{"outcome":"applied"}'), duplicate: expectBody('{"outcome":"duplicate"}') },
    { name: 'ceiling', urls: [`${app.url}/api/bench/empty`], database: null, first: expectBody('{"outcome":"ignored"}'), duplicate: expectBody('{"outcome":"ignored"}') },
    { name: 'correct floor', urls: [correctFloor.url], database: 'bench_floor_correct', first: expectBody('{"outcome":"applied"}'), duplicate: expectBody('{"outcome":"duplicate"}') },
    { name: 'one-upsert floor', urls: [upsertFloor.url], database: 'bench_floor_upsert', first: expectBody('ok'), duplicate: expectBody('ok') },
  ];
  const twoInstances: Contender = { ...contenders[0]!, name: 'ours, two instances', urls: [`${app.url}/api/webhooks/clerk`, `${second.url}/api/webhooks/clerk`] };

  const shotsFor = (contender: Contender, count: number) => {
    const deliveries = Array.from({ length: count }, () => delivery('user.created', newClerkUser()));
    const make = (check: Contender['first']) =>
      deliveries.map((d, i): Shot => {
        const headers = signedHeaders(d, { secret });
        return { send: () => fetch(contender.urls[i % contender.urls.length]!, { method: 'POST', headers, body: d.body, redirect: 'manual' }), check };
      });
    return { firsts: make(contender.first), duplicates: make(contender.duplicate) };
  };
  const measure = async (contender: Contender, concurrency: number) => {
    const { firsts, duplicates } = shotsFor(contender, SIZES.deliveries);
    const before = contender.database ? await statements(contender.database) : 0;
    const first = await closedLoop(firsts, concurrency);
    const middle = contender.database ? await statements(contender.database) : 0;
    const duplicate = await closedLoop(duplicates, concurrency);
    const after = contender.database ? await statements(contender.database) : 0;
    return { first, duplicate, statementsPerFirst: (middle - before) / firsts.length, statementsPerDuplicate: (after - middle) / duplicates.length };
  };

  // Warm every contender up (JIT, pools, route compilation) before measuring.
  // Long enough for V8 to have optimised the hot code: after 500 deliveries its compiler still took a seventh
  // of ours' CPU time (bench/profile.ts), a bigger handicap for Next.js's large code than for a bare receiver.
  for (const contender of [...contenders, twoInstances]) await closedLoop(shotsFor(contender, SIZES.warmup).firsts, 32);

  const byConcurrency: Record<string, Record<string, { first: Summary; duplicate: Summary; statementsPerFirst: number; statementsPerDuplicate: number }>> = {};
  for (const concurrency of SIZES.concurrencies) {
    const field = concurrency === 32 ? [...contenders, twoInstances] : contenders;
    const runs = new Map<string, Awaited<ReturnType<typeof measure>>[]>();
    for (let run = 0; run < SIZES.runs; run++) {
      for (const contender of rotated(field, run)) {
        const result = await measure(contender, concurrency);
        runs.set(contender.name, [...(runs.get(contender.name) ?? []), result]);
      }
    }
    byConcurrency[concurrency] = Object.fromEntries(
      [...runs].map(([name, list]) => [
        name,
        {
          first: summarise(list.map((r) => r.first)),
          duplicate: summarise(list.map((r) => r.duplicate)),
          statementsPerFirst: spread(list.map((r) => r.statementsPerFirst)).median,
          statementsPerDuplicate: spread(list.map((r) => r.statementsPerDuplicate)).median,
        },
      ]),
    );
    for (const [name, x] of Object.entries(byConcurrency[concurrency]!)) {
      console.log(`  c=${concurrency} ${name}: firsts ${fmt(x.first.perSecond)}/s p99 ${fmt(x.first.p99, 1)} ms; duplicates ${fmt(x.duplicate.perSecond)}/s; ${x.statementsPerFirst.toFixed(1)} statements/first; ${x.first.errors + x.duplicate.errors} wrong answers`);
    }
  }

  // Latency at a fixed rate, below every contender's capacity: what a delivery waits when the server is not saturated.
  // First deliveries, then the same again as duplicates.
  const fixedRuns = new Map<string, { first: LoadResult; duplicate: LoadResult }[]>();
  for (let run = 0; run < SIZES.runs; run++) {
    for (const contender of rotated(contenders, run)) {
      const { firsts, duplicates } = shotsFor(contender, SIZES.fixedRate.shots);
      const first = await openLoop(firsts, SIZES.fixedRate.perSecond);
      const duplicate = await openLoop(duplicates, SIZES.fixedRate.perSecond);
      fixedRuns.set(contender.name, [...(fixedRuns.get(contender.name) ?? []), { first, duplicate }]);
    }
  }
  const fixedRate = Object.fromEntries([...fixedRuns].map(([name, list]) => [name, { first: summarise(list.map((x) => x.first)), duplicate: summarise(list.map((x) => x.duplicate)) }]));
  for (const [name, x] of Object.entries(fixedRate)) {
    console.log(`  at ${SIZES.fixedRate.perSecond}/s ${name}: firsts p50 ${fmt(x.first.p50, 1)} ms, p99 ${fmt(x.first.p99, 1)} ms; duplicates p50 ${fmt(x.duplicate.p50, 1)} ms, p99 ${fmt(x.duplicate.p99, 1)} ms`);
  }

  const wrong = [...Object.values(byConcurrency), fixedRate].flatMap((field) => Object.entries(field).filter(([, x]) => x.first.errors + x.duplicate.errors > 0));
  if (wrong.length > 0) throw new Error(`wrong answers during ingestion: ${JSON.stringify(wrong.map(([name, x]) => [name, x.first.errorSamples, x.duplicate.errorSamples]))}`);

  const names = contenders.map((c) => c.name);
  charts['ingestion-by-concurrency'] = lineChart({
    title: 'Webhook ingestion: first deliveries per second (median, range of runs)',
    xLabel: 'concurrency',
    yLabel: 'deliveries / s',
    xs: SIZES.concurrencies,
    series: names.map((name) => ({
      name,
      points: SIZES.concurrencies.map((c) => {
        const s = byConcurrency[c]![name]!.first.perSecond;
        return { x: c, y: s.median, low: s.min, high: s.max };
      }),
    })),
  });
  await Promise.all([correctFloor.stop(), upsertFloor.stop(), second.stop()]);
  stops.splice(-3);
  return { deliveriesPerRun: SIZES.deliveries, byConcurrency, fixedRate: { perSecond: SIZES.fixedRate.perSecond, shots: SIZES.fixedRate.shots, results: fixedRate } };
}

// 2. Dashboard ---------------------------------------------------------------------

async function benchDashboard(appUrl: string, control: EmulatorControl, emulatorUrl: string, secretKey: string) {
  console.log(`bench: /dashboard against the tutorial's page and the pages' ceiling, ${SIZES.runs} runs of ${SIZES.dashboardRequests} requests at concurrency ${DASHBOARD_CONCURRENCY}, Backend API ${SIZES.latencies.join(' and ')} ms away`);
  const db = new pg.Client({ connectionString: appEnv.DATABASE_URL });
  await db.connect();
  const cases: Record<string, Record<string, Summary & { statementsPerRequest: number; backendApiCallsPerRequest: number }>> = {};
  const fixed: Record<string, Record<string, Summary>> = {};
  for (const postCount of POSTS) {
    const email = `bench-${postCount}-${Date.now()}@example.test`;
    const created = await fetch(`${emulatorUrl}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email_address: [email], first_name: 'Bench', last_name: `Posts${postCount}` }),
    });
    const clerkUser = (await created.json()) as { id: string };
    const session = await control.signIn(clerkUser.id);
    const cookie = session.cookies.map((c) => c.split(';')[0]).join('; ');
    // The first visit provisions the row just in time; then the posts.
    const provisioned = await fetch(`${appUrl}/dashboard`, { headers: { cookie }, redirect: 'manual' });
    if (provisioned.status !== 200) throw new Error(`/dashboard answered ${provisioned.status} to a signed-in user`);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM "User" WHERE "clerkId" = $1', [clerkUser.id]);
    if (postCount > 0) {
      await db.query(
        `INSERT INTO "Post" (id, "userId", title, content, "createdAt") SELECT md5(random()::text || g), $1, 'Post ' || g, repeat('text ', 40), now() - (g || ' seconds')::interval FROM generate_series(1, $2) g`,
        [rows[0]!.id, postCount],
      );
    }
    // Every answer: 200 (no redirect to sign-in), this user's page, and as many posts as each page shows.
    const shows = (body: string, posts: number) => body.includes(email) && (body.match(/<li/g)?.length ?? 0) >= posts;
    const pages = [
      { name: 'ours', url: `${appUrl}/dashboard`, check: (status: number, body: string) => (status === 200 && shows(body, Math.min(postCount, 10)) ? null : `${status}`) },
      { name: 'tutorial page', url: `${appUrl}/bench/seed-dashboard`, check: (status: number, body: string) => (status === 200 && shows(body, postCount) ? null : `${status}`) },
      // The pages' ceiling: signed in, the same layout (its header shows this user), nothing of its own.
      { name: 'page ceiling', url: `${appUrl}/bench/page-ceiling`, check: (status: number, body: string) => (status === 200 && shows(body, 0) ? null : `${status}`) },
    ];
    const shots = (page: (typeof pages)[number], count: number) => Array.from({ length: count }, (): Shot => ({ send: () => fetch(page.url, { headers: { cookie }, redirect: 'manual' }), check: page.check }));
    for (const latency of SIZES.latencies) {
      await control.backendApiLatency(latency);
      const label = `${postCount} posts, Backend API ${latency} ms`;
      const runs = new Map<string, { result: LoadResult; statements: number; calls: number }[]>();
      for (const page of pages) await closedLoop(shots(page, 20), 4); // warm
      for (let run = 0; run < SIZES.runs; run++) {
        for (const page of rotated(pages, run)) {
          const [statementsBefore, callsBefore] = [await statements('bench_ours'), (await control.backendApiCalls()).total];
          const result = await closedLoop(shots(page, SIZES.dashboardRequests), DASHBOARD_CONCURRENCY);
          const [statementsAfter, callsAfter] = [await statements('bench_ours'), (await control.backendApiCalls()).total];
          runs.set(page.name, [...(runs.get(page.name) ?? []), { result, statements: (statementsAfter - statementsBefore) / SIZES.dashboardRequests, calls: (callsAfter - callsBefore) / SIZES.dashboardRequests }]);
        }
      }
      cases[label] = Object.fromEntries(
        [...runs].map(([name, list]) => [
          name,
          {
            ...summarise(list.map((x) => x.result)),
            statementsPerRequest: spread(list.map((x) => x.statements)).median,
            // The counter read itself is not a Backend API call (control API), so this is the page's own.
            backendApiCallsPerRequest: spread(list.map((x) => x.calls)).median,
          },
        ]),
      );
      const fixedRuns = new Map<string, LoadResult[]>();
      for (let run = 0; run < SIZES.runs; run++) {
        for (const page of rotated(pages, run)) fixedRuns.set(page.name, [...(fixedRuns.get(page.name) ?? []), await openLoop(shots(page, SIZES.dashboardRate.shots), SIZES.dashboardRate.perSecond)]);
      }
      fixed[label] = Object.fromEntries([...fixedRuns].map(([name, list]) => [name, summarise(list)]));
      for (const [name, x] of Object.entries(cases[label]!)) {
        console.log(`  ${label}: ${name} ${fmt(x.perSecond)}/s p50 ${fmt(x.p50, 1)} p99 ${fmt(x.p99, 1)} ms, ${x.statementsPerRequest.toFixed(1)} statements and ${x.backendApiCallsPerRequest.toFixed(2)} Backend API calls per request; at ${SIZES.dashboardRate.perSecond}/s p99 ${fmt(fixed[label]![name]!.p99, 1)} ms`);
      }
      const wrong = Object.entries(cases[label]!).filter(([, x]) => x.errors > 0);
      if (wrong.length > 0) throw new Error(`wrong answers from the dashboard (${label}): ${JSON.stringify(wrong.map(([name, x]) => [name, x.errorSamples]))}`);
    }
  }
  await control.backendApiLatency(0);
  await db.end();
  charts['dashboard-by-posts'] = barChart({
    title: 'Dashboard: requests per second (median of runs)',
    yLabel: 'requests / s',
    groups: POSTS.map((posts) => ({
      label: `${posts} posts`,
      bars: SIZES.latencies.flatMap((latency) =>
        ['ours', 'tutorial page', 'page ceiling'].map((name) => ({ name: `${name}, Backend API ${latency} ms`, value: cases[`${posts} posts, Backend API ${latency} ms`]![name]!.perSecond.median })),
      ),
    })),
  });
  // Ours as a fraction of the tutorial page and of the pages' ceiling, by requests per second (medians).
  const ratios = Object.fromEntries(
    Object.entries(cases).map(([label, pages]) => [
      label,
      { oursPerTutorialPage: pages.ours!.perSecond.median / pages['tutorial page']!.perSecond.median, oursPerPageCeiling: pages.ours!.perSecond.median / pages['page ceiling']!.perSecond.median },
    ]),
  );
  return { requestsPerRun: SIZES.dashboardRequests, concurrency: DASHBOARD_CONCURRENCY, cases, ratios, fixedRate: { perSecond: SIZES.dashboardRate.perSecond, shots: SIZES.dashboardRate.shots, results: fixed } };
}

// 3. Reconcile, from a database seeded with drift, through injected 429s ------------------


type Exported = [string, string | null, string | null, string | null, number];
/** Where a reconcile process's memory is (MB), from `process.memoryUsage()`. */
interface MemoryComposition { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number }
/** After its imports, before its first page (Prisma loaded and connected), at its peak RSS. */
interface MemoryMoments { afterImports: MemoryComposition; beforeFirstPage: MemoryComposition; atPeak: MemoryComposition }
interface WorkerResult<Summary> { seconds: number; maxRssMb: number; memoryMb: MemoryMoments; summary: Summary }
type ReconcileRun = WorkerResult<Record<string, number>>;


/** The median of each figure over the runs, each moment and field on its own. */
function medianMemory(runs: MemoryMoments[]): MemoryMoments {
  const of = (moment: (typeof MOMENTS)[number]) =>
    Object.fromEntries(MEMORY_FIELDS.map((field) => [field, spread(runs.map((run) => run[moment][field])).median])) as unknown as MemoryComposition;
  return { afterImports: of('afterImports'), beforeFirstPage: of('beforeFirstPage'), atPeak: of('atPeak') };
}

/**
 * One reconcile from drift against `truth` (the emulator's users): a fresh
 * database seeded with 40% missing, 30% stale, 1% extra rows with posts and
 * 0.5% tombstoned users, six 429s injected; throws unless the result equals
 * the truth.
 */
async function reconcileOnce(count: number, run: number, recon: { url: string; secretKey: string }, reconControl: EmulatorControl, truth: Exported[]) {
  const dbName = `bench_reconcile_${count}_${run}`;
  const url = await database(dbName);
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => {}); // the cluster stopping under a failed run must not hide why it failed
  await db.connect();
  const insertUsers = async (rows: (string | null | Date)[][]) => {
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      await db.query(
        `INSERT INTO "User" (id, "clerkId", email, name, "clerkUpdatedAt", "updatedAt")
         SELECT id, clerk_id, email, name, version, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamp[]) AS t(id, clerk_id, email, name, version)`,
        [0, 1, 2, 3, 4].map((column) => chunk.map((row) => (column === 4 ? (row[4] as Date).toISOString().replace('Z', '') : row[column]))),
      );
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
  await db.query(`INSERT INTO "DeletedClerkUser" ("clerkId", "deletedAt") SELECT unnest($1::text[]), now()`, [tombstoned.map((u) => u[0])]);
  await reconControl.rateLimit(6, 1);

  const parsed: ReconcileRun = await runReconcileWorker<Record<string, number>>(url, recon, 'users');

  // Equal to the emulator's truth?
  const tombstonedIds = new Set(tombstoned.map((u) => u[0]));
  const expected = new Map(truth.filter((u) => !tombstonedIds.has(u[0])).map((u) => [u[0], `${u[1]}|${fullName(u) ?? ''}`]));
  let mismatches = 0;
  let rowCount = 0;
  const cursor = 'SELECT "clerkId", email, name FROM "User" WHERE "clerkId" > $1 ORDER BY "clerkId" LIMIT 20000';
  for (let after = ''; ; ) {
    const { rows } = await db.query<{ clerkId: string; email: string; name: string | null }>(cursor, [after]);
    if (rows.length === 0) break;
    rowCount += rows.length;
    for (const row of rows) if (expected.get(row.clerkId) !== `${row.email}|${row.name ?? ''}`) mismatches++;
    after = rows[rows.length - 1]!.clerkId;
  }
  mismatches += Math.abs(rowCount - expected.size);
  const orphans = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "Post"`)).rows[0]!.n);
  await db.end();
  console.log(`  run ${run + 1}: ${parsed.seconds.toFixed(1)} s, peak RSS ${parsed.maxRssMb.toFixed(0)} MB (memory, MB: ${JSON.stringify(parsed.memoryMb)}), ${JSON.stringify(parsed.summary)}`);
  if (mismatches !== 0 || orphans !== 0) throw new Error(`reconcile of ${count} users left ${mismatches} mismatches and ${orphans} orphan posts`);
  await admin.query(`DROP DATABASE "${dbName}"`);
  return { ...parsed, drift: { missing: Math.floor(count * 0.4), stale: stale.length, extra: Math.floor(count * 0.01), tombstoned: tombstoned.length } };
}

async function benchReconcile(appUrl: string) {
  const reconcile: Record<string, { seconds: Spread; maxRssMb: Spread; memoryMb: MemoryMoments; memoryRunsMb: MemoryMoments[]; summary: Record<string, number>; drift: Record<string, number>; equalToTruth: boolean }> = {};
  // Compile once before measuring: the first start after a change compiles the TypeScript, and that peak is not reconcile's.
  await new Promise((resolve) => spawn(process.execPath, [...RECONCILE_NODE_FLAGS, 'bench/reconcile-worker.ts', '--warm'], { cwd: ROOT, stdio: 'inherit' }).once('exit', resolve));
  for (const count of SIZES.reconcile) {
    console.log(`bench: reconcile of ${count} emulated users, from drift, with 429s, ${SIZES.runs} runs`);
    const recon = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 3600, allowPersonalAccounts: true, output: 'pipe', heapMb: count > 200_000 ? 12_288 : undefined });
    try {
      const reconControl = new EmulatorControl(recon.url, recon.secretKey, recon.controlToken);
      for (let made = 0; made < count; made += 100_000) await reconControl.bulkUsers(Math.min(100_000, count - made), `recon${count}-${made}`);
      const truth = (await reconControl.exportUsers()) as Exported[];
      // Reconcile only reads Clerk: the emulator's users stay the truth of every run.
      const runs: Awaited<ReturnType<typeof reconcileOnce>>[] = [];
      for (let run = 0; run < SIZES.runs; run++) runs.push(await reconcileOnce(count, run, recon, reconControl, truth));
      // Every run ended equal to the truth (reconcileOnce throws otherwise), from the same drift: the same counts.
      reconcile[`${count}`] = {
        seconds: spread(runs.map((r) => r.seconds)),
        maxRssMb: spread(runs.map((r) => r.maxRssMb)),
        memoryMb: medianMemory(runs.map((r) => r.memoryMb)),
        memoryRunsMb: runs.map((r) => r.memoryMb),
        summary: runs[0]!.summary,
        drift: runs[0]!.drift,
        equalToTruth: true,
      };
      console.log(`  ${count} users: ${fmt(reconcile[`${count}`]!.seconds, 1)} s, peak RSS ${fmt(reconcile[`${count}`]!.maxRssMb)} MB, equal to Clerk's truth every run`);
    } finally {
      await recon.stop();
    }
  }
  const sizes = Object.keys(reconcile);
  const of = (count: string) => reconcile[count]!;
  charts['reconcile-time'] = barChart({ title: 'Reconcile from drift: seconds (median of runs)', yLabel: 'seconds', groups: sizes.map((count) => ({ label: `${Number(count).toLocaleString('en')} users`, bars: [{ name: 'reconcile', value: of(count).seconds.median }] })) });
  charts['reconcile-memory'] = barChart({ title: 'Reconcile from drift: peak RSS of the process (median of runs)', yLabel: 'MB', groups: sizes.map((count) => ({ label: `${Number(count).toLocaleString('en')} users`, bars: [{ name: 'peak RSS', value: of(count).maxRssMb.median }] })) });
  return reconcile;
}

// 4. Reconcile of organizations and memberships, from drift ---------------------------

/** The reconcile worker on `url`: its JSON line (seconds, peak RSS, where the memory is, summary). */
async function runReconcileWorker<Summary = Record<string, Record<string, number>>>(url: string, recon: { url: string; secretKey: string }, what: 'users' | 'organizations' | 'all') {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...RECONCILE_NODE_FLAGS, 'bench/reconcile-worker.ts', recon.url, recon.secretKey, what], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`reconcile worker exited with ${code}`))));
  });
  return JSON.parse(output.trim().split('\n').pop()!) as WorkerResult<Summary>;
}

async function benchOrganizations(appUrl: string) {
  const count = SIZES.organizations;
  console.log(`bench: reconcile of ${count} organizations with ${MEMBERS_PER_ORGANIZATION} members each, from drift, with 429s, ${SIZES.runs} runs`);
  const recon = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 3600, allowPersonalAccounts: true, output: 'pipe' });
  try {
    const control = new EmulatorControl(recon.url, recon.secretKey, recon.controlToken);
    await control.bulkUsers(count, 'orgbench');
    await control.bulkOrganizations(count, MEMBERS_PER_ORGANIZATION, 'orgbench');
    const [organizations, memberships] = await Promise.all([control.exportOrganizations(), control.exportMemberships()]);
    const truth = {
      organizations: organizations.map(([id, slug, name]) => `${id} ${slug} ${name}`).sort(),
      memberships: memberships.map(([id, organizationId, userId, role]) => `${id} ${organizationId} ${userId} ${role}`).sort(),
    };
    // A template in Clerk's state (users, organizations, memberships), then drift: 40% of the organizations
    // missing (their memberships with them), 30% stale, 10% of the remaining memberships missing and 10% with
    // a stale role, 1% extra organizations with a member and a post.
    const template = 'bench_organizations_template';
    const templateUrl = await database(template);
    await runReconcileWorker(templateUrl, recon, 'all');
    const db = new pg.Client({ connectionString: templateUrl });
    await db.connect();
    await db.query(`DELETE FROM "Organization" WHERE id IN (SELECT id FROM "Organization" ORDER BY "clerkId" LIMIT $1)`, [Math.floor(count * 0.4)]);
    await db.query(
      `UPDATE "Organization" SET name = 'Stale', "clerkUpdatedAt" = "clerkUpdatedAt" - interval '1 second' WHERE id IN (SELECT id FROM "Organization" ORDER BY "clerkId" DESC LIMIT $1)`,
      [Math.floor(count * 0.3)],
    );
    const memberRows = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM "Membership"')).rows[0]!.n);
    await db.query(`DELETE FROM "Membership" WHERE id IN (SELECT id FROM "Membership" ORDER BY "clerkId" LIMIT $1)`, [Math.floor(memberRows * 0.1)]);
    await db.query(
      `UPDATE "Membership" SET role = CASE role WHEN 'org:admin' THEN 'org:member' ELSE 'org:admin' END, "clerkUpdatedAt" = "clerkUpdatedAt" - interval '1 second'
       WHERE id IN (SELECT id FROM "Membership" ORDER BY "clerkId" DESC LIMIT $1)`,
      [Math.floor(memberRows * 0.1)],
    );
    await db.query(
      `WITH extra AS (
         INSERT INTO "Organization" (id, "clerkId", name, slug, "clerkUpdatedAt", "updatedAt")
         SELECT 'x_' || i, 'org_extra_' || i, 'Extra', 'extra-' || i, now(), now() FROM generate_series(1, $1) AS i RETURNING id
       ), member AS (SELECT id FROM "User" ORDER BY id LIMIT 1)
       INSERT INTO "Membership" (id, "clerkId", "organizationId", "userId", role, "clerkCreatedAt", "clerkUpdatedAt", "updatedAt")
       SELECT 'xm_' || extra.id, 'orgmem_extra_' || extra.id, extra.id, member.id, 'org:admin', now(), now(), now() FROM extra, member`,
      [Math.floor(count * 0.01)],
    );
    await db.query(`INSERT INTO "Post" (id, "userId", "organizationId", title, content) SELECT 'xp_' || m.id, m."userId", m."organizationId", 'orphan', 'x' FROM "Membership" m WHERE m."clerkId" LIKE 'orgmem_extra_%'`);
    await db.end();

    const runs: WorkerResult<Record<string, Record<string, number>>>[] = [];
    for (let run = 0; run < SIZES.runs; run++) {
      const name = `bench_organizations_${run}`;
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      const url = cluster.url(name);
      await control.rateLimit(6, 1);
      const result = await runReconcileWorker(url, recon, 'organizations');
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      const ours = {
        organizations: (await check.query<{ row: string }>(`SELECT "clerkId" || ' ' || slug || ' ' || name AS row FROM "Organization"`)).rows.map((r) => r.row).sort(),
        memberships: (
          await check.query<{ row: string }>(
            `SELECT m."clerkId" || ' ' || o."clerkId" || ' ' || u."clerkId" || ' ' || m.role AS row FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId" JOIN "User" u ON u.id = m."userId"`,
          )
        ).rows.map((r) => r.row).sort(),
      };
      const orphans = Number((await check.query<{ n: string }>(`SELECT count(*) AS n FROM "Post" WHERE title = 'orphan'`)).rows[0]!.n);
      await check.end();
      const equal = JSON.stringify(ours) === JSON.stringify(truth) && orphans === 0;
      console.log(`  run ${run + 1}: ${result.seconds.toFixed(1)} s, peak RSS ${result.maxRssMb.toFixed(0)} MB, ${JSON.stringify(result.summary)}, equal to Clerk's truth: ${equal}`);
      if (!equal) throw new Error(`reconcile of ${count} organizations did not end equal to the emulator's truth`);
      await admin.query(`DROP DATABASE "${name}"`);
      runs.push(result);
    }
    await admin.query(`DROP DATABASE "${template}"`);
    return {
      organizations: count,
      memberships: memberships.length,
      seconds: spread(runs.map((r) => r.seconds)),
      maxRssMb: spread(runs.map((r) => r.maxRssMb)),
      memoryMb: medianMemory(runs.map((r) => r.memoryMb)),
      memoryRunsMb: runs.map((r) => r.memoryMb),
      summary: runs[0]!.summary,
      equalToTruth: true,
    };
  } finally {
    await recon.stop();
  }
}

// The report ------------------------------------------------------------------------

function markdown(r: Record<string, unknown>): string {
  const machine = r.machine as Record<string, unknown>;
  const lines = [
    '# Benchmarks',
    '',
    `Run ${String(r.at)} at ${describeCommit(r as unknown as MeasuredCommit)} on ${String(machine.cpus)} cores (${String(machine.cpu)}), ${String(machine.memoryGb)} GiB, Node ${String(machine.node)}; every process of the benchmark on this one machine. ` +
      `Each figure is the median of ${String(r.runs)} runs, with the range in brackets; the contenders ran in a different order each run; every answer was checked (status and body, no redirect followed). Logs at their default level everywhere.` +
      Object.entries((r.rerun ?? {}) as Record<string, string>)
        .map(([section, at]) => ` The ${section} section was run again on its own at ${at} (\`--only ${section} --into-latest\`).`)
        .join(''),
    '',
  ];
  const ingestion = r.ingestion as Awaited<ReturnType<typeof benchIngestion>> | undefined;
  if (ingestion) {
    const at = (c: number, name: string) => ingestion.byConcurrency[c]?.[name];
    lines.push(
      `## Webhook ingestion (${ingestion.deliveriesPerRun} new users per run, then the same deliveries again as duplicates)`,
      '',
      'Contenders: **ours** (`/api/webhooks/clerk` under `next start`); the **ceiling**, an empty route handler in the same build that reads the body and answers (what the framework itself costs); the **correct floor**, a bare `node:http` + `pg` receiver doing our work (signature, svix-id ledger, per-user advisory lock, tombstone check, upsert ordered by `updated_at`, one transaction, a log line); the **one-upsert floor** (signature and one upsert, nothing else: not correct under retries or reordering).',
      '',
      `![Ingestion by concurrency](${chartFile('ingestion-by-concurrency')})`,
      '',
      '| concurrency | contender | first deliveries/s | p50 ms | p99 ms | duplicates/s | statements per first / duplicate |',
      '|---|---|---|---|---|---|---|',
    );
    for (const [c, field] of Object.entries(ingestion.byConcurrency)) {
      for (const [name, x] of Object.entries(field)) {
        lines.push(`| ${c} | ${name} | ${fmt(x.first.perSecond)} | ${fmt(x.first.p50, 1)} | ${fmt(x.first.p99, 1)} | ${fmt(x.duplicate.perSecond)} | ${x.statementsPerFirst.toFixed(1)} / ${x.statementsPerDuplicate.toFixed(1)} |`);
      }
    }
    lines.push('', '| concurrency | ours / ceiling | ours / correct floor | ours / one-upsert floor | ours: duplicates / firsts |', '|---|---|---|---|---|');
    for (const c of Object.keys(ingestion.byConcurrency).map(Number)) {
      const ours = at(c, 'ours')!.first.perSecond.median;
      const ratio = (name: string) => `${(ours / at(c, name)!.first.perSecond.median).toFixed(2)}×`;
      lines.push(`| ${c} | ${ratio('ceiling')} | ${ratio('correct floor')} | ${ratio('one-upsert floor')} | ${(at(c, 'ours')!.duplicate.perSecond.median / ours).toFixed(2)}× |`);
    }
    lines.push(
      '',
      `At a fixed rate of ${ingestion.fixedRate.perSecond} deliveries a second (${ingestion.fixedRate.shots} new users per run, then the same again as duplicates; latency from when each was due):`,
      '',
      '| contender | firsts p50 ms | firsts p99 ms | duplicates p50 ms | duplicates p99 ms | first p50 / duplicate p50 |',
      '|---|---|---|---|---|---|',
    );
    for (const [name, x] of Object.entries(ingestion.fixedRate.results)) {
      lines.push(`| ${name} | ${fmt(x.first.p50, 1)} | ${fmt(x.first.p99, 1)} | ${fmt(x.duplicate.p50, 1)} | ${fmt(x.duplicate.p99, 1)} | ${(x.first.p50.median / x.duplicate.p50.median).toFixed(2)}× |`);
    }
    lines.push('');
  }
  const dashboard = r.dashboard as Awaited<ReturnType<typeof benchDashboard>> | undefined;
  if (dashboard) {
    lines.push(
      `## /dashboard (${dashboard.requestsPerRun} requests per run, concurrency ${dashboard.concurrency})`,
      '',
      "Ours: `/dashboard` (the session from the token, the row by Clerk id, one page of 10 posts). The tutorial page: the same app, proxy, layout and emulator, with `currentUser()` (a Backend API call) on every render and the user's posts through `include: { posts: true }`. The **page ceiling**: a signed-in page of the same build that does nothing of its own (the proxy, `auth()`, the same root layout, whose header reads the user's row and organizations as on every page): what any signed-in page of this app costs. The emulator's Backend API answers at once, or 75 ms later as a network call to Clerk would.",
      '',
      `![Dashboard by posts](${chartFile('dashboard-by-posts')})`,
      '',
      `| case | page | requests/s | p50 ms | p99 ms | statements/request | Backend API calls/request | p99 ms at ${dashboard.fixedRate.perSecond}/s |`,
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [label, pages] of Object.entries(dashboard.cases)) {
      for (const [name, x] of Object.entries(pages)) {
        lines.push(`| ${label} | ${name} | ${fmt(x.perSecond)} | ${fmt(x.p50, 1)} | ${fmt(x.p99, 1)} | ${x.statementsPerRequest.toFixed(1)} | ${x.backendApiCallsPerRequest.toFixed(2)} | ${fmt(dashboard.fixedRate.results[label]![name]!.p99, 1)} |`);
      }
    }
    lines.push('', '| case | ours / tutorial page (requests/s) | ours / page ceiling (requests/s) |', '|---|---|---|');
    for (const [label, pages] of Object.entries(dashboard.cases)) {
      const ratio = (page: string) => `${(pages.ours!.perSecond.median / pages[page]!.perSecond.median).toFixed(2)}×`;
      lines.push(`| ${label} | ${ratio('tutorial page')} | ${ratio('page ceiling')} |`);
    }
    lines.push('');
  }
  /** Where a reconcile process's memory is, at three moments of its run (medians of the runs). */
  const memoryTable = (rows: [string, MemoryMoments | undefined][]) => {
    const moments = { afterImports: 'after its imports', beforeFirstPage: 'before the first page', atPeak: 'at the peak' } as const;
    return [
      `| ${rows.length > 1 ? 'size | ' : ''}moment | rss | V8 heap total | V8 heap used | external | array buffers |`,
      `|${rows.length > 1 ? '---|' : ''}---|---|---|---|---|---|`,
      ...rows.flatMap(([size, memory]) =>
        memory ? MOMENTS.map((moment) => `| ${rows.length > 1 ? `${size} | ` : ''}${moments[moment]} | ${MEMORY_FIELDS.map((field) => memory[moment][field]).join(' | ')} |`) : [],
      ),
    ];
  };
  const memoryNote =
    'Where its memory is (MB, `process.memoryUsage()`; each figure the median of the runs): after its imports (Node, tsx, the modules), before the first page (Prisma\'s client loaded and connected by the run\'s first query), and at the sample (every 20 ms) with the highest RSS. *External* is memory outside V8\'s heap that JavaScript objects hold, *array buffers* the buffers among it; the rest of RSS is what V8 does not account for: code (Node\'s, V8\'s, compiled JavaScript and WebAssembly, such as Prisma\'s query compiler) and native allocations.';
  const tracing = r.tracing as Awaited<ReturnType<typeof benchTracing>> | undefined;
  if (tracing) {
    lines.push(
      '## Tracing off and on (OpenTelemetry, docs/decisions/026)',
      '',
      (tracing.baselineCommit
        ? `Three instances on the same database: **before OpenTelemetry** (commit \`${tracing.baselineCommit.slice(0, 12)}\`, main just before the telemetry landed, built in the same run: no telemetry code at all), and this build twice: `
        : 'The same build twice on the same database: ') +
        `**tracing off** (no OTLP endpoint: the SDK is never loaded, the app's spans and metrics go to \`@opentelemetry/api\`'s no-op) and **tracing on** (a second instance exporting traces and metrics over OTLP http/json to a receiver in the benchmark's process, the SDK's default batching). ` +
        `Ingestion: ${tracing.deliveriesPerRun} new users per run at concurrency ${tracing.concurrency}; dashboard: ${tracing.rendersPerRun} signed-in renders of /dashboard (10 posts, Backend API 0 ms) per run at concurrency ${tracing.dashboardConcurrency}. ` +
        `With tracing on, ${tracing.exportedSpans} spans reached the receiver (${tracing.spansPerRequest.toFixed(1)} per request).`,
      '',
      `Off, what the app's telemetry calls cost (\`@opentelemetry/api\` with no SDK, measured in the benchmark's process): ${tracing.noOp.spanNs.toFixed(0)} ns a span, ${tracing.noOp.counterAddNs.toFixed(0)} ns a counter add; a webhook delivery makes 4 spans and 1 to 3 counter or histogram records.`,
      '',
      '| | contender | per second | p50 ms | p99 ms |',
      '|---|---|---|---|---|',
    );
    for (const [section, figures] of [['ingestion', tracing.ingestion], ['dashboard', tracing.dashboard]] as const) {
      for (const [name, x] of Object.entries(figures)) lines.push(`| ${section} | ${name} | ${fmt(x.perSecond)} | ${fmt(x.p50, 1)} | ${fmt(x.p99, 1)} |`);
    }
    const ratio = (figures: Record<string, Summary>, a: string, b: string) => (figures[a]!.perSecond.median / figures[b]!.perSecond.median).toFixed(2);
    const both = (a: string, b: string) => `ingestion ${ratio(tracing.ingestion, a, b)}×, dashboard ${ratio(tracing.dashboard, a, b)}×`;
    lines.push(
      '',
      (tracing.baselineCommit ? `Tracing off / before OpenTelemetry, requests per second (medians): ${both('tracing off', 'before OpenTelemetry')}. ` : '') +
        `Tracing on / off: ${both('tracing on', 'tracing off')}. ` +
        "The SDK's default span queue (2,048 spans) drops spans when it is full rather than slow requests down: the spans counted are those exported.",
      '',
    );
  }
  const reconcile = r.reconcile as Record<string, { seconds: Spread; maxRssMb: Spread; memoryMb?: MemoryMoments; summary: Record<string, number>; equalToTruth: boolean }> | undefined;
  if (reconcile) {
    lines.push(
      '## Reconcile',
      '',
      'Each run starts from drift: 40% of the users missing, 30% stale, 1% extra rows (with posts), 0.5% tombstoned, and six 429 answers injected. Peak RSS is the reconcile process\'s own. Seconds and peak RSS are the median of the runs, with the range; the counts are those of every run (the same drift each time).',
      '',
      `![Reconcile time](${chartFile('reconcile-time')}) ![Reconcile memory](${chartFile('reconcile-memory')})`,
      '',
      '| emulated users | seconds | peak RSS MB | created | updated | deleted | unchanged | 429s waited | failed | equal to Clerk |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...Object.entries(reconcile).map(([count, x]) => `| ${count} | ${fmt(x.seconds, 1)} | ${fmt(x.maxRssMb)} | ${x.summary.created} | ${x.summary.updated} | ${x.summary.deleted} | ${x.summary.unchanged} | ${x.summary.rateLimited} | ${x.summary.failed} | ${x.equalToTruth ? 'yes' : 'NO'} |`),
      '',
      memoryNote,
      '',
      ...memoryTable(Object.entries(reconcile).map(([count, x]) => [`${count} users`, x.memoryMb])),
      '',
    );
  }
  const teams = r.organizations as { organizations: number; memberships: number; seconds: Spread; maxRssMb: Spread; memoryMb?: MemoryMoments; summary: Record<string, Record<string, number>>; equalToTruth: boolean } | undefined;
  if (teams) {
    const row = (what: string, x: Record<string, number>) => `| ${what} | ${x.seen} | ${x.created} | ${x.updated} | ${x.deleted} | ${x.unchanged} | ${x.rateLimited} | ${x.failed} |`;
    lines.push(
      '## Reconcile of organizations and memberships',
      '',
      `${teams.organizations} organizations with ${teams.memberships} memberships (${MEMBERS_PER_ORGANIZATION} each), from drift: 40% of the organizations missing, 30% stale, 10% of the other memberships missing and 10% with a stale role, 1% extra organizations with a member and a post; six 429 answers injected. Users are in place (reconciled before). Seconds and peak RSS of the reconcile process: median of ${String(r.runs)} runs, with the range; equal to the emulator's truth every run.`,
      '',
      `Seconds: ${fmt(teams.seconds, 1)}; peak RSS MB: ${fmt(teams.maxRssMb)}.`,
      '',
      '| kind | seen | created | updated | deleted | unchanged | 429s waited | failed |',
      '|---|---|---|---|---|---|---|---|',
      row('organizations', teams.summary.organizations!),
      row('memberships', teams.summary.memberships!),
      '',
      memoryNote.replace('Where its memory is', "Where the reconcile process's memory is"),
      '',
      ...memoryTable([['', teams.memoryMb]]),
      '',
    );
  }
  return lines.join('\n');
}
