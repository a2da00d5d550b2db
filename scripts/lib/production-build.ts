/**
 * Whether a production build (`npm run build`) is as new as the sources it
 * is made from, and making one when it is not: for `npm run start:local`,
 * the tests and the bench. Directory mtimes catch deletions too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths';

const BUILD_INPUTS = ['app', 'modules', 'generated', 'public', 'proxy.ts', 'instrumentation.ts', 'instrumentation-node.ts', 'next.config.ts', 'postcss.config.mjs', 'package-lock.json', 'tsconfig.json'];

export const DEFAULT_DIST_DIR = '.next';

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/** True when `distDir` holds a build newer than every source it is made from. */
export function buildIsFresh(distDir = DEFAULT_DIST_DIR): boolean {
  const buildId = path.join(ROOT, distDir, 'BUILD_ID');
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  return builtAt > Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(ROOT, input))));
}

/** `npm run build` into `distDir` (of the checkout at `root`, this one by default), its output shown; throws when it fails. */
export function runBuild(distDir = DEFAULT_DIST_DIR, env: Record<string, string> = {}, root = ROOT): void {
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...(distDir === DEFAULT_DIST_DIR ? {} : { NEXT_DIST_DIR: distDir }), ...env },
  });
  if (result.status !== 0) throw new Error('npm run build failed: see its output above');
}
