/**
 * `npm run users:reconcile [-- --dry-run] [-- --keep-missing]`: bring our
 * User table back to Clerk's truth (missed webhooks, or a first backfill).
 * Uses DATABASE_URL (or the embedded database) and the Clerk keys in the
 * environment; under `npm run dev`, the emulator's (read from .data).
 */
import './lib/load-env';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClerkClient } from '@clerk/backend';
import { DATA_DIR, openLocalDatabase } from './lib/local-database';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'keep-missing': { type: 'boolean', default: false },
    'page-size': { type: 'string' },
  },
});

/** Real keys from the environment, or the running emulator's (npm run dev keeps them in .data). */
async function clerkConfig(): Promise<{ secretKey: string; apiUrl?: string }> {
  const secretKey = process.env.CLERK_SECRET_KEY;
  if (secretKey) return { secretKey, apiUrl: process.env.CLERK_API_URL || undefined };
  const keysFile = path.join(DATA_DIR, 'clerk-emulator', 'keys.json');
  const keys = JSON.parse(await readFile(keysFile, 'utf8').catch(() => {
    throw new Error('No Clerk keys: set CLERK_SECRET_KEY (and CLERK_API_URL for the emulator), or run npm run dev first.');
  })) as { secretKey: string };
  return { secretKey: keys.secretKey, apiUrl: `http://localhost:${process.env.CLERK_EMULATOR_PORT || 3001}` };
}

const config = await clerkConfig();
const database = await openLocalDatabase();
process.env.DATABASE_URL = database.url;
const { reconcileUsers } = await import('../modules/auth/src/services/reconcile.service');
const { disconnectPrisma } = await import('../modules/cores/db/prisma');

const tty = process.stdout.isTTY;
let lastLine = 0;
const started = Date.now();
let exitCode = 0;
try {
  const clerk = createClerkClient({ secretKey: config.secretKey, apiUrl: config.apiUrl });
  const summary = await reconcileUsers(clerk, {
    dryRun: values['dry-run'],
    keepMissing: values['keep-missing'],
    pageSize: values['page-size'] ? Number(values['page-size']) : undefined,
    onProgress({ phase, done, total, summary: s }) {
      const text = phase === 'users' ? `users ${done}${total ? `/${total}` : ''}` : `checking rows not in Clerk: ${done}`;
      if (tty) {
        const width = 30;
        const filled = total ? Math.round((done / total) * width) : 0;
        process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}  created ${s.created} updated ${s.updated} unchanged ${s.unchanged}   `);
      } else if (Date.now() - lastLine > 2000 || (total !== null && done >= total)) {
        lastLine = Date.now();
        console.log(`${text} (created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged})`);
      }
    },
  });
  if (tty) process.stdout.write('\n');
  const verb = values['dry-run'] ? 'would be ' : '';
  console.log(
    `${values['dry-run'] ? 'Dry run: nothing written. ' : ''}Reconciled ${summary.seen} Clerk users in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `${summary.created} ${verb}created, ${summary.updated} ${verb}updated, ${summary.deleted} ${verb}deleted, ${summary.unchanged} unchanged, ` +
      `${summary.failed} failed${summary.missing ? `, ${summary.missing} missing from Clerk (kept)` : ''}${summary.rateLimited ? `; waited out ${summary.rateLimited} rate limits` : ''}.`,
  );
  for (const failure of summary.failures.slice(0, 20)) console.error(`  failed: ${failure}`);
  if (summary.failed > 0) exitCode = 1;
} catch (error) {
  console.error(`Reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await disconnectPrisma();
  await database.close();
}
process.exit(exitCode);
