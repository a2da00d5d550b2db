/** One reconcile run in its own process, so its peak memory is its own. */
import { createClerkClient } from '@clerk/backend';

const [apiUrl, secretKey] = process.argv.slice(2) as [string, string];
const { reconcileUsers } = await import('../modules/auth/src/services/reconcile.service');
const { disconnectPrisma } = await import('../modules/cores/db/prisma');
const started = performance.now();
const summary = await reconcileUsers(createClerkClient({ secretKey, apiUrl }));
const seconds = (performance.now() - started) / 1000;
await disconnectPrisma();
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, summary: { ...summary, failures: summary.failures.length } }));
process.exit(0);
