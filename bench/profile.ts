/**
 * `node --import tsx bench/profile.ts [--deliveries 6000] [--concurrency 32] [--warmup 3000]`:
 * where a webhook delivery's time goes. Ours (one `next start` of the
 * production build) and the correct floor (bench/servers/correct-floor-webhook.ts:
 * bare `node:http` + `pg` doing the same checks in one transaction) each
 * take first deliveries (new users) at a fixed concurrency, as the ingestion
 * bench sends them, under Linux perf (`perf record -g` of the receiver, with
 * `node --perf-basic-prof` for the JIT's symbols): the CPU time of the
 * measured deliveries by owner (Next.js, Prisma's client, the pg driver,
 * verification, parsing, the log line, ...: bench/lib/perf-profile.ts),
 * and the CPU time of the receiver, of PostgreSQL's processes and of this
 * load generator, from /proc: every process is on this machine.
 *
 * Needs `perf` (Debian: `apt-get install -y linux-perf`) and the right to
 * attach to a process (root, or kernel.perf_event_paranoid <= 1). Writes
 * bench/results/profile.md and .json. Run it alone: other work on the two
 * cores distorts every figure.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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
import { describeCommit, measuredCommit } from './lib/commit';
import { closedLoop, type Shot } from './lib/load';
import { type PerfSummary, summarisePerfScript } from './lib/perf-profile';

const { values } = parseArgs({ options: { deliveries: { type: 'string', default: '6000' }, concurrency: { type: 'string', default: '32' }, warmup: { type: 'string', default: '3000' } } });
const DELIVERIES = Number(values.deliveries);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const OUT = path.join(ROOT, 'bench', 'results');
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
const SAMPLES_PER_SECOND = 999;
/** The JIT's symbols for perf (/tmp/perf-<pid>.map), and no V8 log file of its own in the working directory. */
const PERF_NODE_FLAGS = ['--perf-basic-prof', '--logfile=/dev/null', '--no-logfile-per-isolate'];

try {
  execFileSync('perf', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench/profile.ts needs Linux perf: apt-get install -y linux-perf (Debian), then run it again.');
  process.exit(2);
}

/** CPU seconds (user + system) of one process so far, its threads included. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** The process listening on `port` (for `next start`, its server process), from /proc/net/tcp and the processes' sockets. */
function listeningPid(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
      readFileSync(table, 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')
        .map((f) => f[9]!),
    ),
  );
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`))?.[1];
        if (inode && inodes.has(inode)) return Number(entry);
      }
    } catch {
      // not ours to read, or gone
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

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

/** `perf record -g` of `pid` until stopped, its clock CLOCK_MONOTONIC (process.hrtime's), so that samples can be cut to a window. */
function recordPerf(pid: number, file: string): { stop(): Promise<void> } {
  const perf: ChildProcess = spawn('perf', ['record', '-F', String(SAMPLES_PER_SECOND), '-g', '-k', 'CLOCK_MONOTONIC', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  perf.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => perf.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    async stop() {
      perf.kill('SIGINT');
      // Interrupted, perf writes what it recorded and ends on the signal.
      const { code, signal } = await exited;
      if (code !== 0 && signal !== 'SIGINT') throw new Error(`perf record exited with ${code ?? signal}:\n${output}`);
    },
  };
}

/** perf's samples between two process.hrtime.bigint() readings, as `perf script` prints them. */
function perfScriptBetween(file: string, from: bigint, to: bigint): string {
  const seconds = (ns: bigint) => (Number(ns) / 1e9).toFixed(6);
  return execFileSync('perf', ['script', '-i', file, '-F', 'tid,period,ip,sym', '--time', `${seconds(from)},${seconds(to)}`], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

ensureProductionBuild();
const dir = await makeTempClusterDir('clerk-prisma-profile-');
const cluster = await startCluster({ dataDir: path.join(dir, 'data'), password: newClusterPassword(), ephemeral: false, removeOnOrphan: dir, settings: ['max_connections=300'] });
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
const postmasterPid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

/** A receiver run with the JIT's symbols for perf: ours (`next start`) or the correct floor. */
interface Contender {
  name: string;
  start(databaseUrl: string): Promise<{ url: string; port: number; secret: string; stop(): Promise<void> }>;
}

const OURS: Contender = {
  name: 'ours',
  async start(databaseUrl) {
    const port = await freePort();
    const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: `http://localhost:${port}`, webhookUrl: null, tokenTtlSeconds: 3600, allowPersonalAccounts: true, output: 'pipe' });
    // `next start` passes Node's flags on to the server process it runs.
    const app = await startApp({ ...emulator.appEnv, DATABASE_URL: databaseUrl }, { port, keepOutputAfterReady: false, nodeArgs: PERF_NODE_FLAGS });
    return {
      url: `${app.url}/api/webhooks/clerk`,
      port,
      secret: emulator.webhookSecret,
      async stop() {
        await app.stop();
        await emulator.stop();
      },
    };
  },
};

const FLOOR_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

const CORRECT_FLOOR: Contender = {
  name: 'correct floor',
  async start(databaseUrl) {
    const port = await freePort();
    const child = spawn(process.execPath, [...PERF_NODE_FLAGS, '--import', 'tsx', 'bench/servers/correct-floor-webhook.ts', String(port), databaseUrl, FLOOR_SECRET], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the correct floor exited with ${code}`)));
    });
    child.stdout.resume();
    return {
      url: `http://127.0.0.1:${port}/`,
      port,
      secret: FLOOR_SECRET,
      async stop() {
        child.kill('SIGINT');
        await new Promise((resolve) => child.once('exit', resolve));
      },
    };
  },
};

async function profile(contender: Contender, name: string) {
  await admin.query(`CREATE DATABASE "${name}"`);
  const databaseUrl = cluster.url(name);
  await applyMigrations(databaseUrl);
  const server = await contender.start(databaseUrl);
  const shots = (count: number): Shot[] =>
    Array.from({ length: count }, () => {
      const d = delivery('user.created', newClerkUser());
      const headers = signedHeaders(d, { secret: server.secret });
      return { send: () => fetch(server.url, { method: 'POST', headers, body: d.body, redirect: 'manual' }), check: (status, body) => (status === 200 && body === '{"outcome":"applied"}' ? null : `${status} ${body}`) };
    });
  // Warm up until the hot code is optimised: V8's compiler is still at work for a while.
  await closedLoop(shots(WARMUP), CONCURRENCY);
  const pid = listeningPid(server.port);
  const perfDir = await mkdtemp(path.join(os.tmpdir(), 'clerk-prisma-perf-'));
  const perfFile = path.join(perfDir, 'perf.data');
  const perf = recordPerf(pid, perfFile);
  const measured = shots(DELIVERIES);
  // perf needs a moment to attach; the window below is cut from its samples by time, so it may not start late.
  await closedLoop(shots(200), CONCURRENCY);
  const cpuBefore = processCpuSeconds(pid);
  const postgresBefore = postgresCpuSeconds(postmasterPid);
  const loadBefore = process.cpuUsage();
  const from = process.hrtime.bigint();
  const result = await closedLoop(measured, CONCURRENCY);
  const to = process.hrtime.bigint();
  const load = process.cpuUsage(loadBefore);
  const postgres = postgresCpuSeconds(postmasterPid) - postgresBefore;
  const cpu = processCpuSeconds(pid) - cpuBefore;
  await perf.stop();
  if (result.errors > 0) throw new Error(`wrong answers from ${contender.name}: ${JSON.stringify(result.errorSamples)}`);
  const summary: PerfSummary = summarisePerfScript(perfScriptBetween(perfFile, from, to), pid);
  await server.stop();
  await rm(perfDir, { recursive: true, force: true });
  await admin.query(`DROP DATABASE "${name}"`);
  const per = (x: number) => x / DELIVERIES;
  return {
    deliveriesPerSecond: result.perSecond,
    wallMsPerDelivery: per(result.seconds * 1000),
    cpuMsPerDelivery: per(cpu * 1000),
    sampledMsPerDelivery: per(summary.totalMs),
    postgresCpuMsPerDelivery: per(postgres * 1000),
    loadGeneratorCpuMsPerDelivery: per(((load.user + load.system) / 1e6) * 1000),
    perDelivery: summary.byOwner.map((o) => ({ owner: o.owner, ms: per(o.ms) })),
    hottest: summary.hottest.slice(0, 30).map((h) => ({ ...h, ms: per(h.ms) })),
  };
}

try {
  console.log(`profile: ours (next start) and the correct floor under perf, ${WARMUP} deliveries to warm up, then ${DELIVERIES} first deliveries at concurrency ${CONCURRENCY}`);
  const ours = await profile(OURS, 'profile_ours');
  const floor = await profile(CORRECT_FLOOR, 'profile_floor');
  const report = { at: new Date().toISOString(), ...measuredCommit(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, deliveries: DELIVERIES, concurrency: CONCURRENCY, warmup: WARMUP, ours, correctFloor: floor };
  const owners = [...new Set([...ours.perDelivery, ...floor.perDelivery].map((o) => o.owner))];
  const msOf = (x: typeof ours, owner: string) => x.perDelivery.find((o) => o.owner === owner)?.ms ?? 0;
  const ms = (value: number) => value.toFixed(3);
  const lines = [
    "# Where a webhook delivery's time goes",
    '',
    `Run ${report.at} at ${describeCommit(report)} on ${report.machine.cpus} cores (${report.machine.cpu}), Node ${report.machine.node}: ${DELIVERIES} first deliveries (new users) at concurrency ${CONCURRENCY}, after ${WARMUP} to warm up, ` +
      `to ours (\`next start\`: ${ours.deliveriesPerSecond.toFixed(0)} a second while profiled) and to the correct floor (bare \`node:http\` + \`pg\` doing the same checks in one transaction of seven statements, ` +
      `bench/servers/correct-floor-webhook.ts: ${floor.deliveriesPerSecond.toFixed(0)} a second), PostgreSQL and the load generator on the same two cores. ` +
      `Each receiver is sampled by Linux perf ${SAMPLES_PER_SECOND} times a second on every thread, kernel and native code included, and each sample charged to the nearest JavaScript frame of a known owner on its stack (bench/lib/perf-profile.ts); ` +
      "the CPU time of each process is the kernel's count (/proc). Per delivery:",
    '',
    '| where | ours: CPU ms | ours: share | correct floor: CPU ms |',
    '|---|---|---|---|',
    ...owners.map((owner) => `| ${owner} | ${ms(msOf(ours, owner))} | ${((msOf(ours, owner) / ours.sampledMsPerDelivery) * 100).toFixed(1)}% | ${ms(msOf(floor, owner))} |`),
    `| **the receiver, sampled** | **${ms(ours.sampledMsPerDelivery)}** | 100% | **${ms(floor.sampledMsPerDelivery)}** |`,
    `| the receiver, as /proc counts it | ${ms(ours.cpuMsPerDelivery)} | | ${ms(floor.cpuMsPerDelivery)} |`,
    `| PostgreSQL (its processes, /proc) | ${ms(ours.postgresCpuMsPerDelivery)} | | ${ms(floor.postgresCpuMsPerDelivery)} |`,
    `| the load generator (this process) | ${ms(ours.loadGeneratorCpuMsPerDelivery)} | | ${ms(floor.loadGeneratorCpuMsPerDelivery)} |`,
    '',
    ...(
      [
        ['ours', ours],
        ['the correct floor', floor],
      ] as const
    ).flatMap(([name, x]) => [
      `## The hottest functions of ${name} (CPU ms per delivery: the function's own frames and the native work under them, charged to the owner of its samples)`,
      '',
      '| owner | function | ms |',
      '|---|---|---|',
      ...x.hottest.map((h) => `| ${h.owner} | \`${h.frame.replace(/\|/g, '\\|')}\` | ${h.ms.toFixed(3)} |`),
      '',
    ]),
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
