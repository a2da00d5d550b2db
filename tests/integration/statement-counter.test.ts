/**
 * The instrument the counting tests rely on (tests/helpers/statements.ts):
 * it counts every round trip this file's database receives, the statements
 * run inside functions apart, the WAL a write produces, and nothing that
 * reaches another database.
 */
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createUser } from '../helpers/factories';
import { prisma } from '../helpers/prisma';
import { callsOf, StatementCounter } from '../helpers/statements';

const counter = await StatementCounter.open();

describe.runIf(counter)('the statement counter', () => {
  it('counts a transaction as its round trips: BEGIN, each statement, COMMIT', async () => {
    await prisma().$queryRaw`SELECT 1`; // the pool's connection, before measuring
    const { counts } = await counter!.measure(() => prisma().$transaction([prisma().user.count(), prisma().post.count()]));
    expect(counts).toMatchObject({ topLevel: 4, nested: 0 });
    expect(callsOf(counts, 'BEGIN')).toEqual({ calls: 1, rows: 0 });
    expect(callsOf(counts, 'COMMIT')).toEqual({ calls: 1, rows: 0 });
  });

  it('counts the statements inside a function apart from the one that calls it', async () => {
    const { counts } = await counter!.measure(() => prisma().$queryRaw`SELECT clerk_apply_user_deletion('user_never_seen', now()::timestamp(3))`);
    expect(counts.topLevel).toBe(1);
    // The lock, the tombstone, the row, the ledger's payloads, the invitations' addresses (in the ledger and the rows),
    // the user's own Billing (its subscription items, then its subscriptions), the rate-limit counters, and (new: 10, it was 9)
    // the audit log's events naming them, their ids replaced by the erasure's placeholder.
    expect(counts.nested).toBe(10);
    expect(counts.walRecords).toBeGreaterThan(0);
  });

  it('sees a write in its WAL records, and a read that writes nothing, with the rows of each', async () => {
    const user = await createUser();
    const write = await counter!.measure(() => prisma().user.update({ where: { id: user.id }, data: { name: 'Renamed' } }));
    expect(write.counts.walRecords).toBeGreaterThan(0);
    const read = () => prisma().user.findMany({ where: { id: user.id } });
    // The first read after a write may tidy the page up (PostgreSQL prunes dead row versions on
    // access, and logs it): once read, the same read writes nothing.
    await read();
    const again = await counter!.measure(read);
    expect(again.counts).toMatchObject({ topLevel: 1, rows: 1, walRecords: 0 });
  });

  it('counts nothing that another database receives', async () => {
    const other = new pg.Client({ connectionString: inject('databaseServerUrl') });
    await other.connect();
    try {
      const { counts } = await counter!.measure(() => other.query('SELECT count(*) FROM pg_database'));
      expect(counts).toMatchObject({ topLevel: 0, nested: 0, statements: [] });
    } finally {
      await other.end();
    }
  });
});
