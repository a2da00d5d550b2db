/**
 * Webhook scenarios run against the app over HTTP, directly and through a
 * connection pooler: the sync must be exactly as correct either way.
 */
import { expect } from 'vitest';
import type { PrismaClient } from '@/generated/prisma/client';
import type { RunningApp } from './app';
import { withAdminClient } from './databases';
import type { OwnDatabase } from './own-database';
import { changedClerkUser, type Delivery, delivery, newClerkUser } from './webhooks';

type Send = (d: Delivery) => Promise<Response>;

/** The app's JSON log lines about these deliveries. */
export function deliveryLogLines(app: RunningApp, deliveries: Delivery[]): Record<string, unknown>[] {
  const ids = new Set(deliveries.map((d) => d.svixId));
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.svixId === 'string' && ids.has(line.svixId));
}

/**
 * 50 deliveries at once: 10 users, three versions each, two deletions, and
 * duplicates of the first 8. Every answer 2xx; the newest version wins, the
 * deleted stay deleted, every delivery processed once and logged once.
 */
export async function concurrentDeliveries({ app, send, db }: { app: RunningApp; send: Send; db: PrismaClient }): Promise<void> {
  const base = Date.now() - 60_000;
  const users = Array.from({ length: 10 }, (_, i) => newClerkUser({ firstName: `User${i}` }, base + i));
  const versions = users.map((user, i) => [1, 2, 3].map((n) => changedClerkUser(user, { lastName: `v${n}` }, base + 1000 * n + i)));
  const unique: Delivery[] = [...users.map((user) => delivery('user.created', user)), ...versions.flat().map((version) => delivery('user.updated', version))];
  const deleted = users.slice(0, 2);
  unique.push(...deleted.map((user) => delivery('user.deleted', user, base + 10_000)));
  const all = [...unique, ...unique.slice(0, 8)];
  expect(all).toHaveLength(50);

  const responses = await Promise.all(all.map((d) => send(d))).catch((error: unknown) => {
    console.log(app.output().slice(-4000));
    throw error;
  });
  expect(responses.map((response) => response.status).filter((status) => status >= 300)).toEqual([]);

  for (const [i, user] of users.entries()) {
    const row = await db.user.findUnique({ where: { clerkId: user.id } });
    if (i < 2) expect(row).toBeNull();
    else expect(row).toMatchObject({ name: `User${i} v3` });
  }
  expect(await db.webhookDelivery.count({ where: { svixId: { in: unique.map((d) => d.svixId) }, processedAt: { not: null } } })).toBe(unique.length);

  // One structured log line per delivery, with ids and never personal data.
  await expect.poll(() => deliveryLogLines(app, all).length).toBe(50);
  for (const line of deliveryLogLines(app, all)) {
    expect(line).toMatchObject({ svixId: expect.any(String), type: expect.stringMatching(/^user\./), clerkUserId: expect.stringMatching(/^user_/), ms: expect.any(Number) });
    expect(['applied', 'stale', 'duplicate']).toContain(line.outcome);
  }
  // No email address or name of these users anywhere in the app's output.
  for (const user of users) {
    expect(app.output()).not.toContain(user.email_addresses[0]!.email_address);
    expect(app.output()).not.toContain(`User${users.indexOf(user)} v`);
  }
}

/**
 * The database goes away mid-stream: every delivery meanwhile is a 503 with
 * Retry-After (never a 500: Svix must retry, and operators must see an
 * outage, not a bug), and redelivery afterwards ends in the right state.
 * Returns the deliveries sent while the database was down.
 */
export async function outageAndRedelivery({ send, database }: { send: Send; database: OwnDatabase }): Promise<{ during: Delivery[] }> {
  const base = Date.now() - 60_000;
  const users = Array.from({ length: 6 }, (_, i) => newClerkUser({ firstName: `User${i}` }, base + i));
  const before = users.slice(0, 3).map((user) => delivery('user.created', user));
  const during = [
    ...users.slice(3).map((user) => delivery('user.created', user)),
    delivery('user.updated', changedClerkUser(users[0]!, { lastName: 'Renamed' }, base + 5_000)),
    delivery('user.deleted', users[1]!, base + 6_000),
  ];
  for (const d of before) expect((await send(d)).status).toBe(200);

  await database.stop();
  for (const d of during) {
    const response = await send(d);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({ error: 'database unavailable, retry later' });
  }

  await database.restart();
  // Svix retries everything that did not get a 2xx, and may resend the rest too. The first
  // attempts after the restart may still find the database (or the pooler) catching up: 503, retried.
  const retries: number[] = [];
  for (const d of [...during, ...before]) {
    const deadline = Date.now() + 15_000;
    for (let status = (await send(d)).status; status !== 200; status = (await send(d)).status) {
      retries.push(status);
      expect(Date.now(), `still ${status} 15 s after the database came back`).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  expect(retries.filter((status) => status !== 503)).toEqual([]);
  const names = await withAdminClient(database.url(), (client) => client.query<{ name: string }>('SELECT name FROM "User" ORDER BY name'));
  expect(names.rows.map((row) => row.name)).toEqual(['User0 Renamed', 'User2 Lovelace', 'User3 Lovelace', 'User4 Lovelace', 'User5 Lovelace']);
  return { during };
}
