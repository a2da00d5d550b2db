/**
 * `npm run webhooks:replay -- <svix-id> [<svix-id> …]` or `-- --failed`:
 * re-process stored webhook deliveries through the same code as the endpoint,
 * for operators after a fix. Stored payloads were verified when received,
 * and are checked again. Named deliveries are re-applied even if processed
 * (the ordering rules keep that safe); --failed takes every delivery whose
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
const { getPrisma, disconnectPrisma } = await import('../modules/cores/db/prisma');
const { setClerkClient } = await import('@/modules/cores/clerk/clerk-client');
const { checkKeysInstance, ClerkInstanceRefusal } = await import('@/modules/clerk-sync/src/engine/clerk-instance.service');
const { instanceOfStoredPayload, processClerkWebhook } = await import('@/modules/clerk-sync/src/webhook/clerk-webhook.service');
const { parseHandledEvent } = await import('@/modules/clerk-sync/src/webhook/webhook-verification');

let failures = 0;
let exitCode = 0;
try {
  const deliveries = await getPrisma().webhookDelivery.findMany({
    where: values.failed ? { outcome: 'failed', processedAt: null } : { svixId: { in: positionals } },
    orderBy: { receivedAt: 'asc' },
  });
  const missing = positionals.filter((id) => !deliveries.some((d) => d.svixId === id));
  for (const id of missing) {
    console.error(`${id}: no such delivery`);
    failures++;
  }
  // Clerk's keys only when there is something to process: an empty ledger needs none.
  if (deliveries.some((stored) => stored.payload !== null)) {
    const keys = await scriptClerkKeys('replay with');
    console.log(`Checking that ${keys.description} is the instance this database follows.`);
    const clerk = createClerkClient({ secretKey: keys.secretKey, apiUrl: keys.apiUrl });
    setClerkClient(clerk);
    await checkKeysInstance(clerk, {
      recordAs: 'replay',
      switchAdvice: (instanceId) => `run \`npm run users:reconcile -- --switch-instance=${instanceId}\` first, then replay again.`,
    });
  }
  for (const stored of deliveries) {
    if (stored.payload === null) {
      console.log(`${stored.svixId} ${stored.type}: no payload kept (ignored type, deleted user, or past retention): nothing to replay`);
      continue;
    }
    try {
      const event = parseHandledEvent(stored.type, (stored.payload as { data?: unknown }).data);
      const { outcome } = await processClerkWebhook(
        { svixId: stored.svixId, type: stored.type, event, eventAt: stored.eventAt ?? stored.receivedAt, instanceId: instanceOfStoredPayload(stored.payload) },
        { force: !values.failed },
      );
      console.log(`${stored.svixId} ${stored.type}: ${outcome}`);
    } catch (error) {
      failures++;
      console.error(`${stored.svixId} ${stored.type}: failed again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log(`Replayed ${deliveries.length} deliver${deliveries.length === 1 ? 'y' : 'ies'}, ${failures} failed.`);
  if (failures > 0) exitCode = 1;
} catch (error) {
  if (!(error instanceof ClerkKeysMissing || error instanceof ClerkInstanceRefusal)) throw error;
  console.error(`${error.message}${error instanceof ClerkInstanceRefusal ? ' No delivery was replayed.' : ''}`);
  exitCode = 2;
} finally {
  await disconnectPrisma();
  await database.close();
}
process.exit(exitCode);
