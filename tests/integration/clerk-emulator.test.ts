/**
 * The emulator as the real `@clerk/backend` client and Clerk's own webhook
 * verification see it.
 */
import { request as httpRequest } from 'node:http';
import { createClerkClient, type UserWebhookEvent } from '@clerk/backend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { COOKIES } from '../../tools/clerk-emulator/src/tokens';
import { EmulatorControl, type ReceivedDelivery, verifiedEvent, WebhookReceiver } from '../helpers/emulator-control';

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20 });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);

afterEach(async () => {
  await control().reset();
  receiver.clear();
});

const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url, publishableKey: emulator.publishableKey });

/** Until no delivery is pending; fails the test if they do not settle. */
async function settle(): Promise<void> {
  await expect.poll(() => emulator.webhooks.pending(), { timeout: 10_000, interval: 20 }).toBe(0);
}

async function verified(delivery: ReceivedDelivery): Promise<UserWebhookEvent> {
  return (await verifiedEvent(delivery, emulator.keys.webhookSecret)) as UserWebhookEvent;
}

describe('Backend API through the real SDK', () => {
  it('creates, gets, updates and deletes a user', async () => {
    const created = await clerk().users.createUser({ emailAddress: ['ada@example.com'], firstName: 'Ada', lastName: 'Lovelace' });
    expect(created.id).toMatch(/^user_/);
    expect(created.primaryEmailAddress?.emailAddress).toBe('ada@example.com');

    const fetched = await clerk().users.getUser(created.id);
    expect(fetched.raw).toMatchObject({ object: 'user', id: created.id, first_name: 'Ada', last_name: 'Lovelace' });

    const updated = await clerk().users.updateUser(created.id, { firstName: 'Augusta' });
    expect(updated.firstName).toBe('Augusta');
    expect(updated.updatedAt).toBeGreaterThan(created.updatedAt);

    const deleted = await clerk().users.deleteUser(created.id);
    expect(deleted.id).toBe(created.id);
    await expect(clerk().users.getUser(created.id)).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 'resource_not_found' })] });
  });

  it('lists users with limit, offset, order and a total count', async () => {
    for (let i = 0; i < 7; i++) await clerk().users.createUser({ emailAddress: [`user${i}@example.com`], firstName: `User${i}` });
    const newestFirst = await clerk().users.getUserList({ limit: 3, offset: 0 });
    expect(newestFirst.totalCount).toBe(7);
    expect(newestFirst.data.map((user) => user.firstName)).toEqual(['User6', 'User5', 'User4']);

    const oldestFirst = await clerk().users.getUserList({ limit: 3, offset: 6, orderBy: '+created_at' });
    expect(oldestFirst.data.map((user) => user.firstName)).toEqual(['User6']);

    const pages = [];
    for (let offset = 0; offset < 7; offset += 2) pages.push(...(await clerk().users.getUserList({ limit: 2, offset, orderBy: '+created_at' })).data);
    expect(pages.map((user) => user.firstName)).toEqual(['User0', 'User1', 'User2', 'User3', 'User4', 'User5', 'User6']);

    const byEmail = await clerk().users.getUserList({ emailAddress: ['user3@example.com'] });
    expect(byEmail.data.map((user) => user.firstName)).toEqual(['User3']);
  });

  it('lists what changed since the last page: a new user, a deletion, a new order by updated_at', async () => {
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await clerk().users.createUser({ emailAddress: [`listed${i}@example.com`], firstName: `Listed${i}` }));
    const names = async (orderBy: '+created_at' | '-updated_at') => (await clerk().users.getUserList({ limit: 10, orderBy })).data.map((user) => user.firstName);
    expect(await names('+created_at')).toEqual(['Listed0', 'Listed1', 'Listed2']);
    await clerk().users.createUser({ emailAddress: ['listed3@example.com'], firstName: 'Listed3' });
    expect(await names('+created_at')).toEqual(['Listed0', 'Listed1', 'Listed2', 'Listed3']);
    await clerk().users.deleteUser(users[1]!.id);
    expect(await names('+created_at')).toEqual(['Listed0', 'Listed2', 'Listed3']);
    expect(await names('-updated_at')).toEqual(['Listed3', 'Listed2', 'Listed0']);
    await clerk().users.updateUser(users[0]!.id, { firstName: 'Renamed0' });
    expect(await names('-updated_at')).toEqual(['Renamed0', 'Listed3', 'Listed2']);
    expect((await clerk().users.getUserList({ limit: 1 })).totalCount).toBe(3);
  });

  it('answers the Backend API as late as told to, as a network call to Clerk would, until reset', async () => {
    expect(await control().backendApiLatency(200)).toMatchObject({ backendApiLatencyMs: 200 });
    const started = performance.now();
    await clerk().users.getUserList();
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    await control().reset();
    expect(await control().request('GET', '/_control/config')).toMatchObject({ backendApiLatencyMs: 0 });
  });

  it('logs each Backend API request: route, query string, arrival, answer, status and how many were in flight', async () => {
    const mark = await control().backendApiMark();
    await control().backendApiLatency(300);
    const user = await clerk().users.createUser({ emailAddress: ['logged@example.com'] });
    // Three at once: each arrives while the ones before it wait out their latency.
    await Promise.all([clerk().users.getUser(user.id), clerk().users.getUser(user.id), clerk().users.getUser('user_nobody').catch(() => null)]);
    const requests = await control().backendApiRequests(mark);
    expect(requests.map(({ seq, route, query, status }) => ({ seq: seq - mark, route, query, status }))).toEqual([
      { seq: 1, route: 'POST /v1/users', query: '', status: 200 },
      { seq: 2, route: 'GET /v1/users/:id', query: '', status: 200 },
      { seq: 3, route: 'GET /v1/users/:id', query: '', status: 200 },
      { seq: 4, route: 'GET /v1/users/:id', query: '', status: 404 },
    ]);
    expect(requests.map((request) => request.inFlight)).toEqual([1, 1, 2, 3]);
    for (const request of requests) expect(request.answeredAt! - request.arrivedAt).toBeGreaterThanOrEqual(295);
    // The query string as the SDK sends it (its count call takes none); `since` gives only what came after.
    await clerk().users.getUserList({ limit: 2, offset: 4, orderBy: '+created_at' });
    const listed = await control().backendApiRequests(mark + 4);
    expect(listed.map((request) => [request.route, request.query]).sort()).toEqual([
      ['GET /v1/users', '?limit=2&offset=4&order_by=%2Bcreated_at'],
      ['GET /v1/users/count', ''],
    ]);
    expect(await control().backendApiMark()).toBe(mark + 6);
    // Reset empties the log; the numbering goes on.
    await control().reset();
    expect(await control().backendApiRequests()).toEqual([]);
    await clerk().users.getUserList({ limit: 1 });
    expect((await control().backendApiRequests()).map((request) => request.seq)).toEqual([mark + 7, mark + 8]);
  });

  it('refuses a second user with a taken email, in Clerk\'s error shape', async () => {
    await clerk().users.createUser({ emailAddress: ['taken@example.com'] });
    await expect(clerk().users.createUser({ emailAddress: ['taken@example.com'] })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_identifier_exists' })],
    });
  });

  it('answers 429 with Retry-After when told to', async () => {
    await control().rateLimit(1, 7);
    await expect(clerk().users.getUserList()).rejects.toMatchObject({ status: 429, retryAfter: 7 });
    await expect(clerk().users.getUserList()).resolves.toMatchObject({ totalCount: 0 });
  });

  it('rejects a wrong secret key', async () => {
    const wrong = createClerkClient({ secretKey: 'sk_live_wrong', apiUrl: emulator.url });
    await expect(wrong.users.getUserList()).rejects.toMatchObject({ status: 401 });
  });

  it('serves the signing key as JWKS', async () => {
    const response = await fetch(`${emulator.url}/v1/jwks`, { headers: { authorization: `Bearer ${emulator.keys.secretKey}` } });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ keys: [expect.objectContaining({ kty: 'RSA', e: 'AQAB', kid: emulator.keys.kid })] });
  });
});

describe('webhooks', () => {
  it('delivers user.created, user.updated and user.deleted, signed so that verifyWebhook accepts them', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['ada@example.com'], firstName: 'Ada' });
    await clerk().users.updateUser(user.id, { lastName: 'Lovelace' });
    await clerk().users.deleteUser(user.id);
    await settle();

    expect(receiver.received).toHaveLength(3);
    const events = await Promise.all(receiver.received.map(verified));
    expect(events.map((event) => event.type)).toEqual(['user.created', 'user.updated', 'user.deleted']);
    expect(events[1]!.data).toMatchObject({ id: user.id, first_name: 'Ada', last_name: 'Lovelace' });
    expect(events[2]!.data).toEqual({ object: 'user', id: user.id, deleted: true });
    // verifyWebhook drops the envelope's timestamp and instance_id; the raw body has them (FACTS.md).
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ object: 'event', type: 'user.created', timestamp: expect.any(Number), instance_id: expect.stringMatching(/^ins_/) });
    expect(receiver.received[0]!.headers['svix-id']).toMatch(/^msg_/);
  });

  it('retries a failed delivery with the same svix-id and a fresh signature', async () => {
    receiver.failNext = 3;
    await clerk().users.createUser({ emailAddress: ['retry@example.com'] });
    // Three attempts answered 500, the fourth 200: four in all, then no more.
    await settle();
    const ids = new Set(receiver.received.map((delivery) => delivery.headers['svix-id']));
    expect(ids.size).toBe(1);
    expect(receiver.received).toHaveLength(4);
    expect(emulator.webhooks.deliveries[0]).toMatchObject({ attempts: 4, lastStatus: 200 });
    // Each refused attempt is in the stats, under its svix-id.
    const svixId = receiver.received[0]!.headers['svix-id'];
    expect(emulator.webhooks.stats.failures.map(({ status, svixId: id }) => [status, id])).toEqual([
      [500, svixId],
      [500, svixId],
      [500, svixId],
    ]);
    expect(emulator.webhooks.deliveries[0]).toMatchObject({ status: 'delivered' });
    for (const delivery of receiver.received) await expect(verified(delivery)).resolves.toMatchObject({ type: 'user.created' });
  });

  it('holds deliveries back and releases them reordered, or duplicated', async () => {
    emulator.webhooks.configure({ hold: true, reorder: true, seed: 7 });
    const created = [];
    for (let i = 0; i < 6; i++) created.push(await clerk().users.createUser({ emailAddress: [`held${i}@example.com`] }));
    // Nothing is scheduled or in flight (settled at once), each one is held, never tried, and none arrived.
    await settle();
    expect(emulator.webhooks.deliveries.map((delivery) => [delivery.status, delivery.attempts])).toEqual(Array(6).fill(['held', 0]));
    expect(receiver.received).toHaveLength(0);

    emulator.webhooks.configure({ hold: false, duplicates: 1 });
    expect(emulator.webhooks.release()).toBe(6);
    await settle();
    expect(receiver.received).toHaveLength(12);
    // Every user, each twice (a duplicate shares the svix-id), in another order than they were made.
    const order = [...new Set(receiver.received.map((delivery) => JSON.parse(delivery.body).data.id as string))];
    const made = created.map((user) => user.id);
    expect([...order].sort()).toEqual([...made].sort());
    expect(order).not.toEqual(made);
    const perId = new Map<string, number>();
    for (const delivery of receiver.received) perId.set(delivery.headers['svix-id']!, (perId.get(delivery.headers['svix-id']!) ?? 0) + 1);
    expect([...perId.values()]).toEqual(Array(6).fill(2));
    emulator.webhooks.configure({ reorder: false, duplicates: 0 });
  });

  it('drops deliveries when told to, and redelivers them later', async () => {
    emulator.webhooks.configure({ dropRate: 1 });
    await clerk().users.createUser({ emailAddress: ['dropped@example.com'] });
    await settle();
    expect(receiver.received).toHaveLength(0);
    expect(emulator.webhooks.deliveries[0]).toMatchObject({ status: 'dropped' });
    emulator.webhooks.configure({ dropRate: 0 });
    expect(emulator.webhooks.redeliver()).toBe(1);
    await settle();
    expect(receiver.received).toHaveLength(1);
  });
});

describe('bulk users for load tests', () => {
  it('creates many users quickly, without webhooks unless asked', async () => {
    expect(await control().bulkUsers(5000, 'bulk')).toEqual({ created: 5000, total: 5000 });
    expect((await clerk().users.getUserList({ limit: 1 })).totalCount).toBe(5000);
    expect(emulator.webhooks.deliveries).toHaveLength(0);
  });
});

describe('the emulator defends itself', () => {
  /** A raw request, so that Host and Origin can be anything (fetch forbids setting Host). */
  function raw(options: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
    const { port } = new URL(emulator.url);
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.once('error', reject);
      request.end(options.body);
    });
  }
  const host = () => new URL(emulator.url).host;

  it('hands out nothing on the control API without the run\'s token', async () => {
    for (const token of [undefined, 'guess']) {
      const response = await fetch(`${emulator.url}/_control/config`, { headers: token ? { 'x-emulator-control-token': token } : {} });
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain(emulator.keys.secretKey);
    }
    const reset = await fetch(`${emulator.url}/_control/reset`, { method: 'POST', body: '{}' });
    expect(reset.status).toBe(401);
    expect(await control().request('GET', '/_control/config')).toMatchObject({ secretKey: emulator.keys.secretKey });
  });

  it('answers only to its own host names (no DNS rebinding)', async () => {
    const rebound = await raw({ method: 'GET', path: '/admin', headers: { host: `attacker.example:${new URL(emulator.url).port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('<table');
    expect((await raw({ method: 'GET', path: '/admin', headers: { host: host() } })).status).toBe(200);
    expect((await raw({ method: 'GET', path: '/admin', headers: { host: `127.0.0.1:${new URL(emulator.url).port}` } })).status).toBe(200);
  });

  it('refuses cross-site form posts to its admin and sign-up pages', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['target@example.com'] });
    const form = { 'content-type': 'application/x-www-form-urlencoded', host: host() };
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const response = await raw({ method: 'POST', path: `/admin/users/${user.id}/delete`, headers: { ...form, ...(origin ? { origin } : {}) } });
      expect(response.status, String(origin)).toBe(403);
    }
    expect((await clerk().users.getUser(user.id)).id).toBe(user.id);
    const signUp = await raw({ method: 'POST', path: '/sign-up', headers: { ...form, origin: 'https://evil.example' }, body: 'email=planted%40example.com' });
    expect(signUp.status).toBe(403);
    expect(emulator.store.findUserByEmail('planted@example.com')).toBeUndefined();

    // Its own page may.
    const own = await raw({ method: 'POST', path: `/admin/users/${user.id}/delete`, headers: { ...form, origin: emulator.url } });
    expect(own.status).toBe(303);
    await expect(clerk().users.getUser(user.id)).rejects.toMatchObject({ status: 404 });
  });

  it('signs out only on a POST: a link or an image from any site cannot sign anyone out', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['staying@example.com'] });
    const { clientId, sessionId } = await control().signIn(user.id);
    const link = await raw({ method: 'GET', path: '/sign-out?redirect_url=http%3A%2F%2Flocalhost%3A3000%2F', headers: { host: host(), cookie: `${COOKIES.client}=${clientId}` } });
    expect(link.status).toBe(405);
    expect(emulator.store.getSession(sessionId)).toMatchObject({ status: 'active' });
    const form = await raw({
      method: 'POST',
      path: '/sign-out',
      headers: { host: host(), cookie: `${COOKIES.client}=${clientId}`, origin: 'http://localhost:3000', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'redirect_url=http%3A%2F%2Flocalhost%3A3000%2F',
    });
    expect(form.status).toBe(303);
    expect(emulator.store.getSession(sessionId)).toMatchObject({ status: 'ended' });
  });

  it('reports its instance as the Backend API does, the same id its webhooks carry', async () => {
    const instance = await clerk().instance.get();
    expect(instance).toMatchObject({ id: emulator.instanceId, environmentType: 'development' });
    await clerk().users.createUser({ emailAddress: ['instance@example.com'] });
    await settle();
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ instance_id: emulator.instanceId });
  });

  it('refuses names as Clerk does: too long, or turned off for the instance', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['names@example.com'] });
    await expect(clerk().users.updateUser(user.id, { firstName: 'x'.repeat(257) })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_param_max_length_exceeded', longMessage: 'first_name should not exceed 256 characters.', meta: expect.objectContaining({ paramName: 'first_name' }) })],
    });
    await control().configureInstance({ names: false });
    await expect(clerk().users.updateUser(user.id, { lastName: 'King' })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_param_unknown', longMessage: 'last_name is not a valid parameter for this request.', meta: expect.objectContaining({ paramName: 'last_name' }) })],
    });
  });
});

describe('email addresses through the real SDK', () => {
  it('adds an address (primary if asked) and deletes one, each a user.updated, and frees it for anyone', async () => {
    const ada = await clerk().users.createUser({ emailAddress: ['first@example.com'] });
    const added = await clerk().emailAddresses.createEmailAddress({ userId: ada.id, emailAddress: 'second@example.com', verified: true, primary: true });
    expect(added).toMatchObject({ emailAddress: 'second@example.com', verification: expect.objectContaining({ status: 'verified' }) });
    expect((await clerk().users.getUser(ada.id)).primaryEmailAddress?.emailAddress).toBe('second@example.com');
    // The primary cannot go; another can, and then it is free.
    await expect(clerk().emailAddresses.deleteEmailAddress(added.id)).rejects.toMatchObject({ status: 422 });
    const first = (await clerk().users.getUser(ada.id)).emailAddresses.find((address) => address.emailAddress === 'first@example.com')!;
    await expect(clerk().users.createUser({ emailAddress: ['first@example.com'] })).rejects.toMatchObject({ status: 422 });
    await clerk().emailAddresses.deleteEmailAddress(first.id);
    const grace = await clerk().users.createUser({ emailAddress: ['first@example.com'] });
    expect(grace.primaryEmailAddress?.emailAddress).toBe('first@example.com');
    const unverified = await clerk().emailAddresses.createEmailAddress({ userId: grace.id, emailAddress: 'maybe@example.com' });
    expect(unverified.verification?.status).toBe('unverified');
    await settle();
    const types = (await Promise.all(receiver.received.map(verified))).map((event) => event.type);
    expect(types).toEqual(['user.created', 'user.updated', 'user.updated', 'user.created', 'user.updated']);
  });
});
