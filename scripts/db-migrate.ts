/**
 * `npm run db:migrate`: apply pending migrations from prisma/migrations to
 * DIRECT_URL (a direct connection, when DATABASE_URL goes through a
 * transaction pooler), else DATABASE_URL, else the embedded PostgreSQL.
 * Offline, and recorded in `_prisma_migrations` exactly as `prisma migrate
 * deploy` does.
 */
import './lib/load-env';
import { getToolEnv } from '../modules/cores/env/env';
import { openLocalDatabase, redactUrl } from './lib/local-database';
import { applyMigrations } from './lib/schema-engine';

const env = getToolEnv();
const database = await openLocalDatabase();
// Migrations take a session-level advisory lock: through a transaction pooler it would not hold.
const url = env.DIRECT_URL ?? database.url;
try {
  const applied = await applyMigrations(url);
  const target = database.embedded ? 'the embedded PostgreSQL (.data/postgres)' : `${redactUrl(url)}${env.DIRECT_URL ? ' (DIRECT_URL)' : ''}`;
  if (applied.length === 0) console.log(`No pending migrations for ${target}.`);
  else console.log(`Applied ${applied.length} migration(s) to ${target}:\n${applied.map((name) => `  - ${name}`).join('\n')}`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
// The wasm engine leaves a 10 s timer behind after taking its migration lock;
// everything is closed by now, so do not wait for it.
process.exit();
