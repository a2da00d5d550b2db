import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, MIGRATIONS_DIR, readMigrations } from '../../scripts/lib/schema-engine';
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
    expect(await diffMigrationsToSchema(serverUrl)).toBe('');
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
