/** What the repository must never take in. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/paths';

const ignored = (file: string) => spawnSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: ROOT }).status === 0;

describe('.gitignore', () => {
  it('keeps every env file out, but the example', () => {
    for (const file of ['.env', '.env.local', '.env.production', '.env.production.local', '.env.development.local', '.env.test', '.env.staging']) {
      expect(ignored(file), file).toBe(true);
    }
    expect(ignored('.env.example')).toBe(false);
  });

  it('keeps local data and builds out', () => {
    for (const file of ['.data/postgres/PG_VERSION', '.next/BUILD_ID', '.next-instance-b/BUILD_ID', 'generated/prisma/client.ts', 'node_modules/x']) expect(ignored(file), file).toBe(true);
  });
});
