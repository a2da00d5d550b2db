/** One reconcile run in its own process, so its peak memory is its own. */
import { createClerkClient } from '@clerk/backend';

const [apiUrl, secretKey, what = 'users'] = process.argv.slice(2) as [string, string, ('users' | 'organizations' | 'all')?];
const { reconcileOrganizations, reconcileUsers } = await import('../modules/auth/src/services/reconcile.service');
const { disconnectPrisma } = await import('../modules/cores/db/prisma');
// `--warm`: load and exit, so that tsx's compile cache is filled and no measured run pays for compiling.
if (apiUrl === '--warm') process.exit(0);
const started = performance.now();
// Where the memory is when RSS peaks: V8's heap, memory outside it (Prisma's query compiler is WebAssembly), buffers.
let peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let progress = '';
let lastMaxRss = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peak.rss) peak = usage;
  // BENCH_MEMORY_TRACE=1: a line on stderr whenever the peak RSS grows, with where the run was.
  const maxRss = process.resourceUsage().maxRSS;
  if (process.env.BENCH_MEMORY_TRACE && maxRss > lastMaxRss + 1024) {
    lastMaxRss = maxRss;
    console.error(`reconcile-worker: ${((performance.now() - started) / 1000).toFixed(1)} s, max RSS ${Math.round(maxRss / 1024)} MB, rss ${Math.round(usage.rss / 2 ** 20)} MB, heap ${Math.round(usage.heapUsed / 2 ** 20)}/${Math.round(usage.heapTotal / 2 ** 20)} MB, ${progress}`);
  }
}, 20);
// users (the default), organizations (organizations, then memberships), or all (users, then both).
const clerk = createClerkClient({ secretKey, apiUrl });
const options = { onProgress: ({ phase, done }: { phase: string; done: number }) => (progress = `${phase} ${done}`) };
const users = what === 'organizations' ? null : await reconcileUsers(clerk, options);
const teams = what === 'users' ? null : await reconcileOrganizations(clerk, options);
const brief = <T extends { failures: string[] }>(s: T) => ({ ...s, failures: s.failures.length });
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
await disconnectPrisma();
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const atPeak = { rss: mb(peak.rss), heapTotal: mb(peak.heapTotal), heapUsed: mb(peak.heapUsed), external: mb(peak.external), arrayBuffers: mb(peak.arrayBuffers) };
const summary = teams ? { organizations: brief(teams.organizations), memberships: brief(teams.memberships), ...(users ? { users: brief(users) } : {}) } : brief(users!);
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, atPeakMb: atPeak, summary }));
process.exit(0);
