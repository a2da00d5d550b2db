/**
 * `npm run dev`: the whole app on one command, stopped by one Ctrl-C.
 *
 * PostgreSQL (DATABASE_URL, or an embedded server with its data in .data/),
 * migrations applied; the local Clerk emulator unless real Clerk keys are
 * set; then `next dev`. On Ctrl-C or SIGTERM the app stops first, the
 * emulator next and the database last, with a clean shutdown so no data is
 * lost and no process is left behind.
 */
import './lib/load-env';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { getToolEnv } from '../modules/cores/env/env';
import { startEmulatorProcess } from './lib/clerk-emulator-process';
import { DATA_DIR, openLocalDatabase, redactUrl } from './lib/local-database';
import { ROOT } from './lib/paths';
import { stopProcess } from './lib/processes';
import { applyMigrations } from './lib/schema-engine';

const env = getToolEnv();
const database = await openLocalDatabase();
/** Started processes, stopped in reverse order. */
const children: { stop(): Promise<void> }[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) await child.stop();
  await database.close();
  console.log(`\nStopped everything.${database.embedded ? ' Data kept in .data/.' : ''}`);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  // Through a transaction pooler, migrations need the direct connection (docs/deploy.md).
  const applied = await applyMigrations(env.DIRECT_URL ?? database.url);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
} catch (error) {
  console.error(`Could not migrate the database: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
  process.exit(1);
}

const appUrl = `http://localhost:${env.PORT}`;
let clerkEnv: Record<string, string> = {};
let clerkLines: string[];
if (env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY && env.CLERK_SECRET_KEY) {
  clerkLines = ['  Clerk     your Clerk instance (keys from the environment)'];
} else {
  try {
    const emulator = await startEmulatorProcess({
      port: env.CLERK_EMULATOR_PORT,
      dataDir: path.join(DATA_DIR, 'clerk-emulator'),
      appUrl,
      webhookUrl: `${appUrl}/api/webhooks/clerk`,
      tokenTtlSeconds: env.CLERK_EMULATOR_TOKEN_TTL_SECONDS,
    });
    children.push({ stop: () => emulator.stop() });
    clerkEnv = emulator.appEnv;
    clerkLines = [
      `  Clerk     local emulator at ${emulator.url} (no Clerk keys set)`,
      `  Admin     ${emulator.url}/admin   (users: edit, delete, watch the webhooks)`,
      `  Webhook   signing secret in .data/clerk-emulator/webhook-secret`,
    ];
  } catch (error) {
    console.error(`Could not start the local Clerk emulator: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`Is port ${env.CLERK_EMULATOR_PORT} taken? Set CLERK_EMULATOR_PORT to another one.`);
    await shutdown(1);
    process.exit(1);
  }
}

console.log(
  [
    '',
    `  App       ${appUrl}`,
    ...clerkLines,
    `  Database  ${redactUrl(database.url)}${database.embedded ? '  (embedded, data in .data/postgres)' : ''}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

// Node runs Next's own CLI directly (no npx in between) so signals reach it.
const nextCli = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
const app = spawn(process.execPath, [nextCli, 'dev', '--port', String(env.PORT)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, ...clerkEnv, APP_URL: appUrl, DATABASE_URL: database.url },
});
children.push({ stop: () => stopProcess(app) });
// The app ending on its own (a crash) ends the rest too.
app.once('exit', (code) => void shutdown(code ?? 1));
