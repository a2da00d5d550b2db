/**
 * Production reaches PostgreSQL through a transaction pooler. The same
 * webhook scenarios as the direct tests, with the app's DATABASE_URL going
 * through a real PgBouncer in transaction mode: the sync must stay exactly as
 * correct, and a database outage seen through the pooler must be a 503
 * (PgBouncer reports it as 08P01, "server login has been failing").
 * Runs in CI always (which installs PgBouncer); elsewhere when it is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnDatabase, startOwnDatabase } from '../helpers/own-database';
import { type PgBouncer, pgbouncerTestsRun, startPgBouncer } from '../helpers/pgbouncer';
import { prisma } from '../helpers/prisma';
import { concurrentDeliveries, outageAndRedelivery } from '../helpers/scenarios';
import { startStack, type Stack } from '../helpers/stack';
import { type Delivery, post } from '../helpers/webhooks';

describe.runIf(pgbouncerTestsRun)('through PgBouncer in transaction mode', () => {
  describe('concurrent deliveries', () => {
    let pooler: PgBouncer;
    let stack: Stack;
    beforeAll(async () => {
      pooler = await startPgBouncer(process.env.DATABASE_URL!);
      stack = await startStack({ databaseUrl: pooler.url(process.env.DATABASE_URL!) });
    });
    afterAll(async () => {
      await stack?.stop();
      await pooler?.stop();
    });

    it('50 at once, with duplicates and conflicting versions: all 2xx, final state correct', async () => {
      const send = (d: Delivery) => post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret });
      await concurrentDeliveries({ app: stack.app, send, db: prisma() });
    }, 60_000);
  });

  describe('the database restarted behind the pooler', () => {
    let database: OwnDatabase;
    let pooler: PgBouncer;
    let stack: Stack;
    beforeAll(async () => {
      database = await startOwnDatabase('clerk-prisma-test-pooled-outage-');
      pooler = await startPgBouncer(database.url());
      stack = await startStack({ databaseUrl: pooler.url(database.url()) });
    });
    afterAll(async () => {
      await stack?.stop();
      await pooler?.stop();
      await database?.remove();
    });

    it('answers 503 with Retry-After (never 500) while it is down, and redelivery ends in the right state', async () => {
      await outageAndRedelivery({ send: (d) => post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret }), database });
      // The pooler did see the outage the way production poolers report it.
      expect(pooler.output()).toMatch(/server login has been failing|closing because: (server conn crashed|database shutdown)|connect failed/i);
    }, 90_000);
  });
});
