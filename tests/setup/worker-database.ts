/**
 * Before each test file: a database of its own, cloned from the migrated
 * template, set as DATABASE_URL so the app's modules use it. Dropped after.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { createDatabase, dropDatabase } from '../helpers/databases';

const serverUrl = inject('databaseServerUrl');
const name = `test_w${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
process.env.DATABASE_URL = await createDatabase(serverUrl, name, inject('templateDatabase'));

afterAll(async () => {
  const { disconnectPrisma } = await import('@/modules/cores/db/prisma');
  await disconnectPrisma();
  await dropDatabase(serverUrl, name);
});
