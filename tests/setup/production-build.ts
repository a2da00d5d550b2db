/**
 * Tests that talk to the app over HTTP run `next start`, which needs a
 * production build of the current sources: `npm run build`, as a deployment
 * runs it. Rebuild when anything the build reads is newer than the last build
 * (directory mtimes catch deletions), or when that build was made otherwise.
 *
 * Every test build uses one NEXT_SERVER_ACTIONS_ENCRYPTION_KEY, as every
 * instance of a deployment must (docs/deploy.md): a second build, in its own
 * directory, is a second instance built separately.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';

const BUILD_INPUTS = ['app', 'modules', 'generated', 'public', 'proxy.ts', 'instrumentation.ts', 'instrumentation-node.ts', 'next.config.ts', 'postcss.config.mjs', 'package-lock.json', 'tsconfig.json'];

/** Not a secret: the tests' own builds share it, so that their instances agree on server actions. */
export const TEST_SERVER_ACTIONS_KEY = Buffer.alloc(32, 'clerk-prisma-tests').toString('base64');

export const DEFAULT_DIST_DIR = '.next';
/** Where the build of a second, separately built instance goes. */
export const SECOND_INSTANCE_DIST_DIR = '.next-instance-b';

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

const keyFingerprint = createHash('sha256').update(TEST_SERVER_ACTIONS_KEY).digest('hex').slice(0, 16);

export function ensureProductionBuild(distDir = DEFAULT_DIST_DIR): void {
  const buildId = path.join(ROOT, distDir, 'BUILD_ID');
  const marker = path.join(ROOT, distDir, 'test-build.json');
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(ROOT, input))));
  const sameKey = existsSync(marker) && (JSON.parse(readFileSync(marker, 'utf8')) as { key?: string }).key === keyFingerprint;
  if (builtAt > sourcesAt && sameKey) return;
  console.log(`Building the app for tests (npm run build, into ${distDir})...`);
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: distDir, NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: TEST_SERVER_ACTIONS_KEY },
  });
  if (result.status !== 0) throw new Error('next build failed: see its output above');
  writeFileSync(marker, JSON.stringify({ key: keyFingerprint }));
}
