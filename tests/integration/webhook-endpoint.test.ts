/**
 * POST /api/webhooks/clerk over HTTP against `next start`: hostile input,
 * concurrency, and the emulator's own deliveries.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_MAX_BODY_BYTES } from '@/modules/clerk-sync/src/webhook/webhook';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';
import { concurrentDeliveries } from '../helpers/scenarios';
import { type Delivery, delivery, newClerkUser, post, signedHeaders } from '../helpers/webhooks';

let stack: Stack;
let endpoint: string;

beforeAll(async () => {
  stack = await startStack();
  endpoint = `${stack.app.url}/api/webhooks/clerk`;
});
afterAll(async () => {
  await stack?.stop();
});

const secret = () => stack.emulator.webhookSecret;
const send = (d: Delivery, options: { timestamp?: Date; secret?: string } = {}) => post(endpoint, d, { secret: secret(), ...options });

async function counts() {
  const [users, deliveries, tombstones] = await Promise.all([prisma().user.count(), prisma().webhookDelivery.count(), prisma().deletedClerkUser.count()]);
  return { users, deliveries, tombstones };
}

describe('hostile input', () => {
  const valid = () => delivery('user.created', newClerkUser());
  const raw = (headers: Record<string, string>, body: string) => fetch(endpoint, { method: 'POST', headers, body });

  /** [name, request, status, reason, whether Clerk signed it: then the ledger records it as rejected] */
  const cases: [string, () => Promise<{ response: Response; svixId?: string } | Response>, number, RegExp, boolean?][] = [
    ['a tampered body', async () => {
      const d = valid();
      return raw(signedHeaders(d, { secret: secret() }), d.body.replace('Lovelace', 'Mallory'));
    }, 400, /signature/],
    ['the wrong secret', async () => send(valid(), { secret: `whsec_${Buffer.from(randomUUID()).toString('base64')}` }), 400, /signature/],
    ['a stale timestamp', async () => send(valid(), { timestamp: new Date(Date.now() - 10 * 60_000) }), 400, /too old/],
    ['a future timestamp', async () => send(valid(), { timestamp: new Date(Date.now() + 10 * 60_000) }), 400, /too new/],
    ['a garbage timestamp', async () => {
      const d = valid();
      return raw({ ...signedHeaders(d, { secret: secret() }), 'svix-timestamp': 'yesterday' }, d.body);
    }, 400, /timestamp/],
    ...(['svix-id', 'svix-timestamp', 'svix-signature'] as const).map((header): [string, () => Promise<Response>, number, RegExp] => [
      `no ${header} header`,
      async () => {
        const d = valid();
        const headers = signedHeaders(d, { secret: secret() });
        delete headers[header];
        return raw(headers, d.body);
      },
      400,
      new RegExp(`missing ${header}`),
    ]),
    ['a signed body that is not JSON', async () => {
      const d = { svixId: `msg_${randomUUID()}`, body: 'this is not json' };
      return { response: await raw(signedHeaders(d, { secret: secret() }), d.body), svixId: d.svixId };
    }, 400, /not JSON/, true],
    ['signed JSON that is not an event', async () => {
      const d = { svixId: `msg_${randomUUID()}`, body: '{"hello":"world"}' };
      return { response: await raw(signedHeaders(d, { secret: secret() }), d.body), svixId: d.svixId };
    }, 400, /not a Clerk event/, true],
    ['a signed user event with a NUL character', async () => {
      const d = valid();
      const body = d.body.replace('"last_name":"Lovelace"', '"last_name":"Love\\u0000lace"');
      return { response: await raw(signedHeaders({ svixId: d.svixId, body }, { secret: secret() }), body), svixId: d.svixId };
    }, 400, /malformed user.created payload/, true],
    ['an svix-id that is no Svix id', async () => {
      const d = { ...valid(), svixId: `msg_${'x'.repeat(300)}` };
      return raw(signedHeaders(d, { secret: secret() }), d.body);
    }, 400, /invalid svix-id/],
    ['an empty body', async () => {
      const d = { svixId: `msg_${randomUUID()}`, body: '' };
      return raw(signedHeaders(d, { secret: secret() }), '');
    }, 400, /empty/],
    ['an oversized body', async () => {
      const d = { svixId: `msg_${randomUUID()}`, body: JSON.stringify({ type: 'user.created', data: { pad: 'x'.repeat(WEBHOOK_MAX_BODY_BYTES) } }) };
      return raw(signedHeaders(d, { secret: secret() }), d.body);
    }, 413, /body over/],
    ['an oversized body sent in chunks without a length', async () => {
      // The server's own answer, read while the body is still being sent (chunked, no Content-Length):
      // it refuses once 256 KiB have come, without waiting for the rest.
      const { port } = new URL(endpoint);
      const answer = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/webhooks/clerk', headers: { 'svix-id': 'msg_x', 'svix-timestamp': '1', 'svix-signature': 'v1,x', 'content-type': 'application/json' } });
        let answered = false;
        request.on('response', (response) => {
          answered = true;
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection }));
        });
        request.on('error', (error) => {
          if (!answered) reject(error);
        });
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const next = () => {
          if (answered || sent >= 16) return void request.end();
          sent++;
          request.write(chunk, () => setTimeout(next, 5));
        };
        next();
      });
      expect(answer.connection).toBe('close');
      // Either way, the server is still there for the next request.
      expect((await fetch(`${stack.app.url}/api/health`)).status).toBe(200);
      return new Response(answer.body, { status: answer.status });
    }, 413, /body over/],
  ];

  it.each(cases)('refuses %s with a 4xx and a reason, changing no row (a signed one is recorded as rejected)', async (_name, request, status, reason, signed) => {
    const before = await counts();
    const answer = await request();
    const { response, svixId } = answer instanceof Response ? { response: answer, svixId: undefined } : answer;
    expect(response.status).toBe(status);
    const error = ((await response.json()) as { error: string }).error;
    expect(error).toMatch(reason);
    expect(await counts()).toEqual({ ...before, deliveries: before.deliveries + (signed ? 1 : 0) });
    if (signed) {
      expect(await prisma().webhookDelivery.findUnique({ where: { svixId: svixId! } })).toMatchObject({ outcome: 'rejected', error, payload: null, processedAt: expect.any(Date) });
    }
  });
});

describe('the answer', () => {
  it('is sent as it is, never gzipped, whether it is a success or a refusal', async () => {
    const d = delivery('user.created', newClerkUser());
    for (const headers of [signedHeaders(d, { secret: secret() }), {}]) {
      const response = await fetch(endpoint, { method: 'POST', headers: { ...headers, 'accept-encoding': 'gzip, deflate, br' }, body: d.body });
      expect(response.headers.get('content-encoding')).toBeNull();
      expect(response.headers.get('cache-control')).toBe('no-store, no-transform');
    }
  });
});

describe('concurrent deliveries', () => {
  it('50 at once, with duplicates and conflicting versions of the same users: all 2xx, final state correct', async () => {
    await concurrentDeliveries({ app: stack.app, send, db: prisma() });
  });
});

describe('deliveries from the Clerk emulator', () => {
  it('keep the copy in step with changes made through the Backend API', async () => {
    const clerk = createClerkClient({ secretKey: stack.emulator.secretKey, apiUrl: stack.emulator.url });
    const user = await clerk.users.createUser({ emailAddress: [`${randomUUID().slice(0, 8)}@example.com`], firstName: 'Ada' });
    await stack.control.settleWebhooks();
    expect((await prisma().user.findUnique({ where: { clerkId: user.id } }))?.name).toBe('Ada');

    await clerk.users.updateUser(user.id, { firstName: 'Augusta', lastName: 'King' });
    await stack.control.settleWebhooks();
    expect((await prisma().user.findUnique({ where: { clerkId: user.id } }))?.name).toBe('Augusta King');

    await clerk.users.deleteUser(user.id);
    await stack.control.settleWebhooks();
    expect(await prisma().user.findUnique({ where: { clerkId: user.id } })).toBeNull();
    expect(await prisma().deletedClerkUser.findUnique({ where: { clerkId: user.id } })).not.toBeNull();
  });
});
