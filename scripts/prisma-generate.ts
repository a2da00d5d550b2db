/**
 * `npm run db:generate` (also run after `npm install`): `prisma generate`,
 * offline. The Prisma CLI fetches its native schema engine before any command,
 * even though generating the client never runs it; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at a stand-in that refuses to run skips that
 * download. Only generate gets this: migrations go through scripts/lib/schema-engine.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './lib/paths';

const standIn = path.join(ROOT, 'scripts', 'lib', 'no-schema-engine.sh');
const result = spawnSync('npx', ['prisma', 'generate', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: standIn, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
