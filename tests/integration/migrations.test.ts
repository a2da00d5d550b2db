import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, MIGRATIONS_DIR, readMigrations, SCHEMA_PATH } from '../../scripts/lib/schema-engine';
import { createDatabase, dropDatabase, withAdminClient } from '../helpers/databases';

const serverUrl = inject('databaseServerUrl');
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `test_migrate_${randomBytes(4).toString('hex')}`;
  created.push(name);
  return createDatabase(serverUrl, name);
}

afterAll(async () => {
  for (const name of created) await dropDatabase(serverUrl, name);
});

describe('migrations', () => {
  it('agree with schema.prisma (no drift)', async () => {
    // The engine replays prisma/migrations on a shadow database and diffs it
    // against the schema: any model change without a migration shows here.
    expect(await diffMigrationsToSchema(await freshDatabase())).toBe('');
  });

  it('disagree with a schema that changed without a migration (the drift check can fail)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'drift-'));
    const changed = path.join(dir, 'schema.prisma');
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    // A field no one would add, so that a schema changed as the README shows (say, a `bio`) never collides with it.
    await writeFile(changed, schema.replace(/(\n\s*name\s+String\?)/, '$1\n  zzDriftProbeNotAField String?'));
    try {
      expect(await diffMigrationsToSchema(await freshDatabase(), changed)).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"zzDriftProbeNotAField" TEXT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('are replayed on a shadow database that is dropped after, never on the target', async () => {
    const url = await freshDatabase();
    await diffMigrationsToSchema(url);
    const tables = await withAdminClient(url, (client) =>
      client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"),
    );
    expect(tables.rows).toEqual([]);
    const shadows = await withAdminClient(serverUrl, (client) =>
      client.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'"),
    );
    expect(shadows.rows).toEqual([]);
  });

  it('are recorded in _prisma_migrations as prisma migrate deploy records them', async () => {
    const url = await freshDatabase();
    const { migrationDirectories } = await readMigrations();

    const applied = await applyMigrations(url);

    expect(applied).toEqual(migrationDirectories.map((directory) => directory.path));
    const rows = await withAdminClient(url, (client) =>
      client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number }>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      ),
    );
    expect(rows.rows).toHaveLength(migrationDirectories.length);
    for (const row of rows.rows) {
      const file = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('apply nothing the second time', async () => {
    const url = await freshDatabase();
    await applyMigrations(url);
    expect(await applyMigrations(url)).toEqual([]);
  });
});
