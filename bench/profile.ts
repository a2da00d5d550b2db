/**
 * `node --import tsx bench/profile.ts [--deliveries 4000] [--concurrency 32]`:
 * where a webhook delivery's time goes. One `next start` of the production
 * build, under `--cpu-prof`, takes first deliveries (new users) at a fixed
 * concurrency, as the ingestion bench sends them; the same is done with only
 * the warm-up, and the difference of the two profiles, divided by the
 * deliveries, is the cost of one delivery by owner (Next.js, Prisma's client,
 * verification, parsing, the log line, ...: bench/lib/cpu-profile.ts). The
 * CPU time of PostgreSQL's processes and of this load generator, read from
 * /proc, completes the picture: every process is on this machine.
 *
 * Writes bench/results/profile.md and .json. Run it alone: other work on the
 * two cores distorts every figure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmulatorProcess } from '../scripts/lib/clerk-emulator-process';
import { ROOT } from '../scripts/lib/paths';
import { freePort, makeTempClusterDir, newClusterPassword, startCluster } from '../scripts/lib/postgres-cluster';
import { applyMigrations } from '../scripts/lib/schema-engine';
import { startApp } from '../tests/helpers/app';
import { delivery, newClerkUser, signedHeaders } from '../tests/helpers/webhooks';
import { ensureProductionBuild } from '../tests/setup/production-build';
import { type CpuProfile, type ProfileSummary, summariseProfile } from './lib/cpu-profile';
import { closedLoop, type Shot } from './lib/load';

const { values } = parseArgs({ options: { deliveries: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '32' }, warmup: { type: 'string', default: '500' } } });
const DELIVERIES = Number(values.deliveries);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const OUT = path.join(ROOT, 'bench', 'results');
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** CPU seconds (user + system) of the PostgreSQL server's processes so far, including exited backends (cutime, cstime). */
function postgresCpuSeconds(postmasterPid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number) as [number, number, number, number, number];
      if (Number(entry) === postmasterPid) ticks += utime + stime + cutime + cstime;
      else if (ppid === postmasterPid) ticks += utime + stime;
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS;
}

interface Run {
  summary: ProfileSummary;
  seconds: number;
  perSecond: number;
  postgresCpuSeconds: number;
  loadCpuSeconds: number;
}

ensureProductionBuild();
const dir = await makeTempClusterDir('clerk-prisma-profile-');
const cluster = await startCluster({ dataDir: path.join(dir, 'data'), password: newClusterPassword(), ephemeral: false, removeOnOrphan: dir, settings: ['max_connections=300'] });
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
const postmasterPid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

async function profileOnce(name: string, measured: number): Promise<Run> {
  await admin.query(`CREATE DATABASE "${name}"`);
  const databaseUrl = cluster.url(name);
  await applyMigrations(databaseUrl);
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl, webhookUrl: null, tokenTtlSeconds: 3600, output: 'pipe' });
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'clerk-prisma-cpuprofile-'));
  // If `next start` serves from another Node process than its own, each writes a profile: the busiest is the server's.
  const app = await startApp({ ...emulator.appEnv, DATABASE_URL: databaseUrl }, { port: appPort, keepOutputAfterReady: false, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
  const shots = (count: number): Shot[] =>
    Array.from({ length: count }, () => {
      const d = delivery('user.created', newClerkUser());
      const headers = signedHeaders(d, { secret: emulator.webhookSecret });
      return { send: () => fetch(`${appUrl}/api/webhooks/clerk`, { method: 'POST', headers, body: d.body, redirect: 'manual' }), check: (status, body) => (status === 200 && body === '{"outcome":"applied"}' ? null : `${status} ${body}`) };
    });
  await closedLoop(shots(WARMUP), 8);
  const postgresBefore = postgresCpuSeconds(postmasterPid);
  const loadBefore = process.cpuUsage();
  const result = measured > 0 ? await closedLoop(shots(measured), CONCURRENCY) : { seconds: 0, perSecond: 0, errors: 0, errorSamples: [] };
  const load = process.cpuUsage(loadBefore);
  const postgres = postgresCpuSeconds(postmasterPid) - postgresBefore;
  if (result.errors > 0) throw new Error(`wrong answers: ${JSON.stringify(result.errorSamples)}`);
  await app.stop();
  await emulator.stop();
  const profiles = readdirSync(profileDir).map((file) => JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile);
  await rm(profileDir, { recursive: true, force: true });
  if (profiles.length === 0) throw new Error('next start wrote no CPU profile');
  const busiest = profiles.map(summariseProfile).sort((a, b) => b.totalMs - (b.byOwner.find((o) => o.owner === 'idle')?.ms ?? 0) - (a.totalMs - (a.byOwner.find((o) => o.owner === 'idle')?.ms ?? 0)))[0]!;
  await admin.query(`DROP DATABASE "${name}"`);
  return { summary: busiest, seconds: result.seconds, perSecond: result.perSecond, postgresCpuSeconds: postgres, loadCpuSeconds: (load.user + load.system) / 1e6 };
}

try {
  console.log(`profile: next start under --cpu-prof, ${WARMUP} deliveries to warm up, then ${DELIVERIES} first deliveries at concurrency ${CONCURRENCY}; and a run of the warm-up alone`);
  const baseline = await profileOnce('profile_baseline', 0);
  const loaded = await profileOnce('profile_loaded', DELIVERIES);
  const owners = new Set([...loaded.summary.byOwner, ...baseline.summary.byOwner].map((o) => o.owner));
  const msOf = (run: Run, owner: string) => run.summary.byOwner.find((o) => o.owner === owner)?.ms ?? 0;
  const perDelivery = [...owners]
    .filter((owner) => owner !== 'idle')
    .map((owner) => ({ owner, ms: (msOf(loaded, owner) - msOf(baseline, owner)) / DELIVERIES }))
    .sort((a, b) => b.ms - a.ms);
  const appMs = perDelivery.reduce((sum, o) => sum + o.ms, 0);
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    deliveries: DELIVERIES,
    concurrency: CONCURRENCY,
    deliveriesPerSecond: loaded.perSecond,
    wallMsPerDelivery: (loaded.seconds * 1000) / DELIVERIES,
    appCpuMsPerDelivery: appMs,
    postgresCpuMsPerDelivery: (loaded.postgresCpuSeconds * 1000) / DELIVERIES,
    loadGeneratorCpuMsPerDelivery: (loaded.loadCpuSeconds * 1000) / DELIVERIES,
    perDelivery,
    hottest: loaded.summary.hottest,
  };
  const lines = [
    '# Where a webhook delivery\'s time goes',
    '',
    `Run ${report.at} on ${report.machine.cpus} cores (${report.machine.cpu}), Node ${report.machine.node}: ${DELIVERIES} first deliveries at concurrency ${CONCURRENCY} to one \`next start\` under \`--cpu-prof\`, ` +
      `${report.deliveriesPerSecond.toFixed(0)} a second (${report.wallMsPerDelivery.toFixed(2)} ms of wall time each, the two cores shared by the app, PostgreSQL and the load generator). ` +
      'The app\'s CPU time is the profile of that run less the profile of a run with only the warm-up (start, compilation, warm-up), divided by the deliveries; each sample is charged to the nearest frame of a known owner on its stack (`bench/lib/cpu-profile.ts`).',
    '',
    '| where | CPU ms per delivery | share of the app\'s |',
    '|---|---|---|',
    ...perDelivery.map((o) => `| ${o.owner} | ${o.ms.toFixed(3)} | ${((o.ms / appMs) * 100).toFixed(1)}% |`),
    `| **the app in all** | **${appMs.toFixed(3)}** | 100% |`,
    `| PostgreSQL (its processes, from /proc) | ${report.postgresCpuMsPerDelivery.toFixed(3)} | |`,
    `| the load generator (this process) | ${report.loadGeneratorCpuMsPerDelivery.toFixed(3)} | |`,
    '',
    '## The hottest frames (self time in the measured run, ms)',
    '',
    '| owner | frame | ms |',
    '|---|---|---|',
    ...report.hottest.map((h) => `| ${h.owner} | \`${h.frame.replace(/\|/g, '\\|')}\` | ${h.ms.toFixed(0)} |`),
    '',
  ];
  await mkdir(OUT, { recursive: true });
  await writeFile(path.join(OUT, 'profile.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(OUT, 'profile.md'), lines.join('\n'));
  console.log(lines.join('\n'));
} finally {
  await admin.end().catch(() => {});
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
