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
import { concurrentDeliveries, deliveryLogLines, outageAndRedelivery } from '../helpers/scenarios';
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

    it('answers 503 with Retry-After (never 500) while it is down, PgBouncer\'s 08P01 included, and redelivery ends in the right state', async () => {
      const { during } = await outageAndRedelivery({ send: (d) => post(`${stack.app.url}/api/webhooks/clerk`, d, { secret: stack.emulator.webhookSecret }), database });
      // What the app was told, from its log line of each refused delivery. A connection the app held
      // when the database went away waits inside PgBouncer for a server until the app's 10 s deadline;
      // every connection opened after that is refused at login with PgBouncer's 08P01 (FACTS.md).
      const lines = deliveryLogLines(stack.app, during);
      // The first line of each is its answer during the outage (the later ones, its redeliveries).
      const causes = during
        .map((d) => lines.find((line) => line.svixId === d.svixId)!)
        .map((line) => {
          expect(line.status).toBe(503);
          const message = (line.err as { message: string }).message;
          if (message.includes('Code: `08P01`. Message: `server login has been failing, try again later (server_login_retry)`')) return '08P01';
          return message === 'the database did not answer within 10 s' ? 'deadline' : message;
        });
      expect(causes).toHaveLength(during.length);
      // The app's pool holds at most two connections here (the sequential deliveries before, and a prune).
      const firstRefusal = causes.indexOf('08P01');
      expect(causes.slice(0, firstRefusal), 'before the first 08P01').toEqual(Array(firstRefusal).fill('deadline'));
      expect(firstRefusal).toBeLessThanOrEqual(2);
      expect(causes.slice(firstRefusal)).toEqual(Array(during.length - firstRefusal).fill('08P01'));
      expect(pooler.output()).toContain('closing because: server login has been failing, try again later (server_login_retry)');
    }, 90_000);
  });
});
