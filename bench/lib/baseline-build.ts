/**
 * Another commit of this app, built beside this checkout, to measure against
 * in the same run (the bench's tracing section: the app before OpenTelemetry
 * against the app with it off). The commit's files come from `git archive`
 * into a temporary directory; this checkout's node_modules are hard-linked in,
 * which is sound only when every package the commit's package.json names is
 * installed here at the very version it pins (checked: a commit that pinned
 * another version would be measured with the wrong one); then its Prisma
 * client is generated and `npm run build` runs there, as in a deployment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/paths';
import { runBuild } from '../../scripts/lib/production-build';

export interface BaselineBuild {
  /** The commit built, in full. */
  commit: string;
  /** Its checkout: pass it as `startApp`'s `root`. */
  root: string;
  remove(): Promise<void>;
}

type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

const pinned = (manifest: Manifest) => ({ ...manifest.dependencies, ...manifest.devDependencies });

/** The packages `manifest` pins at a version other than the one installed here (empty when node_modules can be shared). */
export function versionMismatches(manifest: Manifest, installedVersion: (name: string) => string | null): string[] {
  return Object.entries(pinned(manifest)).flatMap(([name, version]) => {
    const installed = installedVersion(name);
    return installed === version ? [] : [`${name}: the commit pins ${version}, installed here ${installed ?? 'nothing'}`];
  });
}

function installedVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

export async function buildBaseline(ref: string, env: Record<string, string>): Promise<BaselineBuild> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`).trim();
  const manifest = JSON.parse(git('show', `${commit}:package.json`)) as Manifest;
  const mismatches = versionMismatches(manifest, installedVersion);
  if (mismatches.length > 0) throw new Error(`cannot build ${ref} with this checkout's node_modules:\n  ${mismatches.join('\n  ')}`);

  const root = await mkdtemp(path.join(os.tmpdir(), `bench-baseline-${commit.slice(0, 12)}-`));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${root}"`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(root, 'node_modules')]);
    // Its own Prisma client (its schema), not ours: the hard-linked packages hold no generated code.
    const generated = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prisma-generate.ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (generated.status !== 0) throw new Error(`prisma generate failed in the build of ${ref}`);
    console.log(`bench: building ${ref} (${commit.slice(0, 12)}) in ${root}`);
    runBuild(undefined, env, root);
    return { commit, root, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
