/** One reconcile run in its own process, so its peak memory is its own. */
import { createClerkClient } from '@clerk/backend';

const [apiUrl, secretKey] = process.argv.slice(2) as [string, string];
const { reconcileUsers } = await import('../modules/auth/src/services/reconcile.service');
const { disconnectPrisma } = await import('../modules/cores/db/prisma');
const started = performance.now();
// Where the memory is when RSS peaks: V8's heap, memory outside it (Prisma's query compiler is WebAssembly), buffers.
let peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peak.rss) peak = usage;
}, 100);
const summary = await reconcileUsers(createClerkClient({ secretKey, apiUrl }));
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
await disconnectPrisma();
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const atPeak = { rss: mb(peak.rss), heapTotal: mb(peak.heapTotal), heapUsed: mb(peak.heapUsed), external: mb(peak.external), arrayBuffers: mb(peak.arrayBuffers) };
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, atPeakMb: atPeak, summary: { ...summary, failures: summary.failures.length } }));
process.exit(0);
