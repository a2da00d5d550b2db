/**
 * `npm run db:migrate`: apply pending migrations from prisma/migrations to
 * DATABASE_URL, or to the embedded PostgreSQL when it is unset. Offline, and
 * recorded in `_prisma_migrations` exactly as `prisma migrate deploy` does.
 */
import './lib/load-env';
import { openLocalDatabase, redactUrl } from './lib/local-database';
import { applyMigrations } from './lib/schema-engine';

const database = await openLocalDatabase();
try {
  const applied = await applyMigrations(database.url);
  const target = database.embedded ? 'the embedded PostgreSQL (.data/postgres)' : redactUrl(database.url);
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
