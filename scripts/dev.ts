/**
 * `npm run dev`: the whole app on one command, stopped by one Ctrl-C.
 *
 * PostgreSQL (DATABASE_URL, or an embedded server with its data in .data/),
 * migrations applied, then `next dev`. On Ctrl-C or SIGTERM the app stops
 * first and the database last, with a clean shutdown so no data is lost and
 * no process is left behind.
 */
import './lib/load-env';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { getToolEnv } from '../modules/cores/env/env';
import { openLocalDatabase, redactUrl } from './lib/local-database';
import { ROOT } from './lib/paths';
import { applyMigrations } from './lib/schema-engine';

const env = getToolEnv();
const database = await openLocalDatabase();
/** Started processes, stopped in reverse order. */
const children: ChildProcess[] = [];
let stopping = false;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) await stopChild(child);
  await database.close();
  if (database.embedded) console.log('\nStopped the app and the embedded PostgreSQL. Data kept in .data/postgres.');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  const applied = await applyMigrations(database.url);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
} catch (error) {
  console.error(`Could not migrate the database: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
  process.exit(1);
}

console.log(
  [
    '',
    `  App       http://localhost:${env.PORT}`,
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
  env: { ...process.env, DATABASE_URL: database.url },
});
children.push(app);
// The app ending on its own (a crash) ends the rest too.
app.once('exit', (code) => void shutdown(code ?? 1));
