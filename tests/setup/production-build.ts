/**
 * Tests that talk to the app over HTTP run `next start`, which needs a
 * production build of the current sources: `npm run build`, as a deployment
 * runs it, when the last build is older than the sources or was made
 * otherwise.
 *
 * Every test build uses one NEXT_SERVER_ACTIONS_ENCRYPTION_KEY, as every
 * instance of a deployment must (docs/deploy.md): a second build, in its own
 * directory, is a second instance built separately.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';
import { buildIsFresh, DEFAULT_DIST_DIR, runBuild } from '../../scripts/lib/production-build';

/** Not a secret: the tests' own builds share it, so that their instances agree on server actions. */
export const TEST_SERVER_ACTIONS_KEY = Buffer.alloc(32, 'clerk-prisma-tests').toString('base64');

/** Where the build of a second, separately built instance goes. */
export const SECOND_INSTANCE_DIST_DIR = '.next-instance-b';

const keyFingerprint = createHash('sha256').update(TEST_SERVER_ACTIONS_KEY).digest('hex').slice(0, 16);

export function ensureProductionBuild(distDir = DEFAULT_DIST_DIR): void {
  const marker = path.join(ROOT, distDir, 'test-build.json');
  const sameKey = existsSync(marker) && (JSON.parse(readFileSync(marker, 'utf8')) as { key?: string }).key === keyFingerprint;
  if (sameKey && buildIsFresh(distDir)) return;
  console.log(`Building the app for tests (npm run build, into ${distDir})...`);
  runBuild(distDir, { NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: TEST_SERVER_ACTIONS_KEY });
  writeFileSync(marker, JSON.stringify({ key: keyFingerprint }));
}
