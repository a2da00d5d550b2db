/**
 * One reconcile run in its own process, so that its peak memory is its own,
 * and where that memory is: `process.memoryUsage()` after the imports, before
 * the first page (Prisma's client loaded and connected) and at the peak.
 */
import { createClerkClient } from '@clerk/backend';

const [apiUrl, secretKey, what = 'users'] = process.argv.slice(2) as [string, string, ('users' | 'organizations' | 'all')?];
const { reconcileOrganizations, reconcileUsers } = await import('@/modules/clerk-sync/src/reconcile/reconcile.service');
const { disconnectPrisma, getPrisma } = await import('../modules/cores/db/prisma');
// `--warm`: load and exit, so that tsx's compile cache is filled and no measured run pays for compiling.
if (apiUrl === '--warm') process.exit(0);

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
/** All of it (rss), V8's heap (total, used), memory outside the heap that JavaScript objects hold (external, of it buffers), in MB. */
const composition = (usage: NodeJS.MemoryUsage) => ({
  rss: mb(usage.rss),
  heapTotal: mb(usage.heapTotal),
  heapUsed: mb(usage.heapUsed),
  external: mb(usage.external),
  arrayBuffers: mb(usage.arrayBuffers),
});
const afterImports = composition(process.memoryUsage());
// The run's own first query (which instance our data follows), made here so that Prisma's engine and pool are
// in place when memory is read "before the first page".
await getPrisma().clerkInstance.findUnique({ where: { slot: 'current' } });
const beforeFirstPage = composition(process.memoryUsage());

const started = performance.now();
// Where the memory is when RSS peaks.
let peak = process.memoryUsage();
let progress = '';
let lastMaxRss = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peak.rss) peak = usage;
  // BENCH_MEMORY_TRACE=1: a line on stderr whenever the peak RSS grows, with where the run was.
  const maxRss = process.resourceUsage().maxRSS;
  if (process.env.BENCH_MEMORY_TRACE && maxRss > lastMaxRss + 1024) {
    lastMaxRss = maxRss;
    console.error(`reconcile-worker: ${((performance.now() - started) / 1000).toFixed(1)} s, max RSS ${Math.round(maxRss / 1024)} MB, rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} MB, ${progress}`);
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
const memoryMb = { afterImports, beforeFirstPage, atPeak: composition(peak) };
const summary = teams ? { organizations: brief(teams.organizations), memberships: brief(teams.memberships), ...(users ? { users: brief(users) } : {}) } : brief(users!);
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, memoryMb, summary }));
process.exit(0);
