import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../helpers/app';
import { type OwnDatabase, startOwnDatabase } from '../helpers/own-database';
import { startStack, type Stack } from '../helpers/stack';

async function getHealth(app: RunningApp) {
  // A hanging endpoint fails this test through the abort, not a test timeout.
  const response = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, cacheControl: response.headers.get('cache-control') };
}

/** The reasons the app logged for a down database. */
function healthLogReasons(app: RunningApp): string[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"component":"health"'))
    .map((line) => (JSON.parse(line) as { reason: string }).reason);
}

describe('GET /api/health', () => {
  describe('with a live database', () => {
    let stack: Stack;
    let app: RunningApp;
    beforeAll(async () => {
      stack = await startStack();
      app = stack.app;
    });
    afterAll(() => stack?.stop());

    it('answers 200 with the database ok, never cached', async () => {
      expect(await getHealth(app)).toEqual({ status: 200, body: { status: 'ok', database: 'ok' }, cacheControl: 'no-store' });
    });
  });

  describe('when the database stops and comes back', () => {
    let database: OwnDatabase;
    let stack: Stack;
    let app: RunningApp;
    beforeAll(async () => {
      database = await startOwnDatabase('clerk-prisma-test-health-');
      stack = await startStack({ databaseUrl: database.url() });
      app = stack.app;
    });
    afterAll(async () => {
      await stack?.stop();
      await database?.remove();
    });

    it('answers 503 naming no error while it is down (the log has the reason), and 200 again once it is back', async () => {
      expect((await getHealth(app)).status).toBe(200);

      await database.stop();
      const down = await getHealth(app);
      expect(down.status).toBe(503);
      // Anonymous callers learn up or down, nothing about the database.
      expect(down.body).toEqual({ status: 'error', database: 'down' });
      await expect.poll(() => healthLogReasons(app).length).toBeGreaterThan(0);
      expect(healthLogReasons(app)[0]).toMatch(/^(connection refused|query failed|database is shutting down or starting up)$/);

      await database.restart();
      expect(await getHealth(app)).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok' } });
    });
  });

  describe('when the database accepts connections but never answers', () => {
    let silent: net.Server;
    const sockets = new Set<net.Socket>();
    let stack: Stack;
    let app: RunningApp;
    beforeAll(async () => {
      silent = net.createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as net.AddressInfo;
      stack = await startStack({ databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres` });
      app = stack.app;
    });
    afterAll(async () => {
      await stack?.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('answers 503 within its bounded wait instead of hanging', async () => {
      const down = await getHealth(app);
      expect(down).toMatchObject({ status: 503, body: { status: 'error', database: 'down' } });
      await expect.poll(() => healthLogReasons(app).join()).toMatch(/no answer within \d+ ms/);
    });
  });
});
