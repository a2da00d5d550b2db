/**
 * `npm run webhooks:replay -- <svix-id> [<svix-id> …]` or `-- --failed`:
 * re-process stored webhook deliveries through the same code as the endpoint,
 * for operators after a fix (`replayDeliveries`, which the operator console
 * calls too). Named deliveries are re-applied even if processed (the
 * ordering rules keep that safe); --failed takes every delivery whose
 * processing failed. A delivery whose payload is gone (an ignored type, a
 * deleted user, or past the retention window) has nothing to replay.
 *
 * Replaying may fetch users from Clerk (a membership whose user we do not
 * hold), so before it processes anything it checks, as reconcile does, that
 * the Clerk keys read the instance the data came from (docs/decisions/009,
 * 014): it uses DATABASE_URL and CLERK_SECRET_KEY, or with neither set the
 * database and the emulator of the running `npm run dev`, and refuses (exit
 * code 2, nothing processed) another instance's keys. Exit codes: 0 done, 1
 * some deliveries failed again, 2 refused or misused.
 */
import './lib/load-env';
import { parseArgs } from 'node:util';
import { createClerkClient } from '@clerk/backend';
import { ClerkKeysMissing, scriptClerkKeys } from './lib/clerk-keys';
import { openLocalDatabase } from './lib/local-database';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { failed: { type: 'boolean', default: false } } });
if (!values.failed && positionals.length === 0) {
  console.error('Usage: npm run webhooks:replay -- <svix-id> [<svix-id> …]   or   npm run webhooks:replay -- --failed');
  process.exit(2);
}

const database = await openLocalDatabase();
process.env.DATABASE_URL = database.url;
console.log(`Replaying from ${database.description}.`);
const { disconnectPrisma } = await import('../modules/cores/db/prisma');
const { setClerkClient } = await import('@/modules/cores/clerk/clerk-client');
const { ClerkInstanceRefusal } = await import('@/modules/clerk-sync/src/engine/clerk-instance.service');
const { replayDeliveries } = await import('@/modules/clerk-sync/src/webhook/delivery-replay.service');

let exitCode = 0;
try {
  const report = await replayDeliveries(values.failed ? { failed: true } : { svixIds: positionals }, {
    async clerk() {
      const keys = await scriptClerkKeys('replay with');
      console.log(`Checking that ${keys.description} is the instance this database follows.`);
      const clerk = createClerkClient({ secretKey: keys.secretKey, apiUrl: keys.apiUrl });
      setClerkClient(clerk);
      return clerk;
    },
    switchAdvice: (instanceId) => `run \`npm run users:reconcile -- --switch-instance=${instanceId}\` first, then replay again.`,
  });
  for (const result of report.results) {
    if (result.status === 'missing') console.error(`${result.svixId}: no such delivery`);
    else if (result.status === 'nothing-to-replay') console.log(`${result.svixId} ${result.type}: no payload kept (ignored type, deleted user, or past retention): nothing to replay`);
    else if (result.status === 'replayed') console.log(`${result.svixId} ${result.type}: ${result.outcome}`);
    else console.error(`${result.svixId} ${result.type}: failed again: ${result.error}`);
  }
  const replayed = report.results.filter((result) => result.status !== 'missing').length;
  console.log(`Replayed ${replayed} deliver${replayed === 1 ? 'y' : 'ies'}, ${report.failures} failed.`);
  if (report.failures > 0) exitCode = 1;
} catch (error) {
  if (!(error instanceof ClerkKeysMissing || error instanceof ClerkInstanceRefusal)) throw error;
  console.error(`${error.message}${error instanceof ClerkInstanceRefusal ? ' No delivery was replayed.' : ''}`);
  exitCode = 2;
} finally {
  await disconnectPrisma();
  await database.close();
}
process.exit(exitCode);
