/**
 * Tests that talk to the app over HTTP run `next start`, which needs a
 * production build of the current sources. Rebuild when anything the build
 * reads is newer than the last build (directory mtimes catch deletions).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';

const BUILD_INPUTS = ['app', 'modules', 'generated', 'public', 'proxy.ts', 'instrumentation.ts', 'instrumentation-node.ts', 'next.config.ts', 'postcss.config.mjs', 'package-lock.json', 'tsconfig.json'];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

export function ensureProductionBuild(): void {
  const buildId = path.join(ROOT, '.next', 'BUILD_ID');
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(ROOT, input))));
  if (builtAt > sourcesAt) return;
  const nextCli = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
  console.log('Building the app for tests (next build)...');
  const result = spawnSync(process.execPath, [nextCli, 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new Error('next build failed: see its output above');
}
