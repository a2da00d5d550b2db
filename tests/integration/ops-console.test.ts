/**
 * The operator console (/ops, docs/decisions/025) against `next start` and
 * the emulator: operators are the Clerk users listed in
 * OPS_OPERATOR_CLERK_IDS; everyone else, signed in or not, gets a 404 for
 * every page and every action, and nothing runs. Replay from the console goes
 * through the instance guard of `npm run webhooks:replay`; `npm run
 * users:reconcile` stores its report, which the console shows; a dry run
 * from the console writes nothing. What each page costs is counted where it
 * lands (statements by PostgreSQL, Backend API calls by the emulator).
 */
import { randomUUID } from 'node:crypto';
import type { UserJSON } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/cookie-jar';
import { databaseDigest } from '../helpers/database-digest';
import { runNpmScript } from '../helpers/npm-script';
import { prisma } from '../helpers/prisma';
import { builtActions, callAction } from '../helpers/server-actions';
import { StatementCounter } from '../helpers/statements';
import { startStack, type Stack } from '../helpers/stack';

const counter = await StatementCounter.open();
const suffix = () => randomUUID().slice(0, 8);
const PAGES = ['/ops', '/ops/deliveries', '/ops/reconcile'];
const ACTIONS = builtActions().filter((action) => action.file === 'app/ops/actions.ts');

let stack: Stack;
let operator: UserJSON;
let operatorJar: CookieJar;
let someone: UserJSON;
let someoneJar: CookieJar;

beforeAll(async () => {
  stack = await startStack({
    // The prune off: the statement counts see only the requests.
    env: { DATA_PRUNE_INTERVAL_MINUTES: '0' },
    async beforeApp(control) {
      operator = await control.createUser({ email: `operator-${suffix()}@example.com`, firstName: 'Olga', lastName: 'Operator' });
      return { OPS_OPERATOR_CLERK_IDS: ` ${operator.id} , user_2someoneElse000000000000000` };
    },
  });
  someone = await stack.control.createUser({ email: `someone-${suffix()}@example.com`, firstName: 'Sam', lastName: 'Someone' });
  await stack.control.settleWebhooks();
  operatorJar = new CookieJar((await stack.control.signIn(operator.id, { organizationId: null })).cookies);
  someoneJar = new CookieJar((await stack.control.signIn(someone.id, { organizationId: null })).cookies);
});
afterAll(async () => {
  await stack?.stop();
});

const get = async (path: string, jar: CookieJar) => {
  const response = await fetch(`${stack.app.url}${path}`, { headers: { cookie: jar.header(), accept: 'text/html' }, redirect: 'manual' });
  return { status: response.status, html: await response.text() };
};

/** The action `name` of the console, posted from its page with `jar`'s session. */
const act = (name: string, jar: CookieJar, fields: Record<string, string> = {}, page = '/ops/deliveries') => callAction(stack.app.url, jar, { file: 'app/ops/actions.ts', name }, fields, page);

describe('who may use the console', () => {
  it('finds the console\'s actions in the build', () => {
    expect(ACTIONS.map((action) => action.name).sort()).toEqual(['reconcileDryRunAction', 'replayDeliveryAction', 'replayFailedAction']);
  });

  it.each(PAGES)('%s shows to an operator', async (path) => {
    const { status, html } = await get(path, operatorJar);
    expect(status).toBe(200);
    expect(html).toContain('Operator console');
  });

  it.each(PAGES)('%s is a 404 for someone signed in who is not an operator, and for the signed out', async (path) => {
    for (const jar of [someoneJar, new CookieJar()]) {
      const { status, html } = await get(path, jar);
      expect(status).toBe(404);
      expect(html).not.toContain('Operator console');
    }
  });

  it.each(ACTIONS.map((action) => [action.name] as const))('%s is a 404 for a non-operator and the signed out, and nothing runs', async (name) => {
    // Something to replay, had it run.
    await prisma().webhookDelivery.create({ data: { svixId: `msg_${suffix()}`, type: 'user.updated', outcome: 'failed', error: 'x', payload: { type: 'user.updated', data: { id: someone.id } } } });
    for (const jar of [someoneJar, new CookieJar()]) {
      const before = await databaseDigest();
      const answer = await act(name, jar, { svixId: 'msg_abc' });
      expect(answer.status, answer.text).toBe(404);
      // Not even the action's rate limit was counted.
      expect(await databaseDigest()).toEqual(before);
    }
    await prisma().webhookDelivery.deleteMany({ where: { outcome: 'failed' } });
  });

  it('refuses a malformed delivery id beside its field, having replayed nothing', async () => {
    const answer = await act('replayDeliveryAction', operatorJar, { svixId: 'msg_1; DROP TABLE' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Not a delivery id.');
  });
});

describe('what the pages cost', () => {
  /** A render after a first one: the steady state. */
  async function steady(path: string) {
    await get(path, operatorJar);
    const mark = await stack.control.backendApiMark();
    const { result, counts } = await counter!.measure(() => get(path, operatorJar));
    const backendApi = (await stack.control.backendApiRequests(mark)).map((request) => request.route);
    return { status: result.status, statements: counts.topLevel, backendApi };
  }

  it('the overview: the operator\'s row, the header\'s spaces, the instance and our counts, and three counts from Clerk', async () => {
    expect(await steady('/ops')).toEqual({
      status: 200,
      statements: 4,
      backendApi: expect.arrayContaining(['GET /v1/users/count', 'GET /v1/organizations', 'GET /v1/organization_memberships']),
    });
    expect((await steady('/ops')).backendApi).toHaveLength(3);
  });

  it('the deliveries: the operator\'s row, the header\'s spaces, the latest, the failed and their count; no Backend API call', async () => {
    expect(await steady('/ops/deliveries')).toEqual({ status: 200, statements: 5, backendApi: [] });
  });

  it('the reconcile runs: the operator\'s row, the header\'s spaces and the reports; no Backend API call', async () => {
    expect(await steady('/ops/reconcile')).toEqual({ status: 200, statements: 3, backendApi: [] });
  });

  it('a non-operator\'s 404 costs no Backend API call, and only the not-found page\'s header statements', async () => {
    await get('/ops', someoneJar);
    const mark = await stack.control.backendApiMark();
    const { result, counts } = await counter!.measure(() => get('/ops', someoneJar));
    expect(result.status).toBe(404);
    expect(await stack.control.backendApiRequests(mark)).toEqual([]);
    // The not-found page's own layout still reads the header's user and spaces.
    expect(counts.topLevel).toBe(2);
  });
});

/** A membership delivery that failed: its user was never delivered, and Clerk's Backend API answered 503 when the sync fetched them. */
async function failedMembershipDelivery() {
  const organization = await stack.control.createOrganization({ name: `Ops ${suffix()}`, slug: `ops-${suffix()}`, createdBy: someone.id });
  await stack.control.settleWebhooks();
  const prefix = `ghost-${suffix()}`;
  await stack.control.bulkUsers(1, prefix, false);
  const ghost = (await stack.control.exportUsers()).find(([, email]) => email === `${prefix}-0@example.test`)![0];
  await stack.control.serverErrors(100, 503, 'GET /v1/users/:id');
  // Svix gives up on this one at once: what is left is the ledger's failed row.
  await stack.control.configureWebhooks({ maxAttempts: 1 });
  try {
    await stack.control.addMembership(organization.id, ghost);
    await stack.control.settleWebhooks();
  } finally {
    await stack.control.serverErrors(0);
    await stack.control.configureWebhooks({ maxAttempts: 8 });
  }
  const [delivery] = await prisma().webhookDelivery.findMany({ where: { type: 'organizationMembership.created', outcome: 'failed', processedAt: null } });
  return { ghost, delivery: delivery! };
}

describe('replay from the console', () => {
  it('goes through the instance guard: another instance\'s keys replay nothing; then the failed delivery is replayed and processed', async () => {
    const { ghost, delivery } = await failedMembershipDelivery();
    expect(delivery.error).toBe('Service Unavailable');
    const page = await get('/ops/deliveries', operatorJar);
    expect(page.html).toContain(delivery.svixId);
    expect(page.html).toContain('Failed deliveries (<!-- -->1<!-- -->)');

    const recorded = await prisma().clerkInstance.findUniqueOrThrow({ where: { slot: 'current' } });
    await prisma().clerkInstance.update({ where: { slot: 'current' }, data: { instanceId: 'ins_anotherInstance0000000000000' } });
    try {
      const refused = await act('replayFailedAction', operatorJar);
      expect(refused.status).toBe(200);
      expect(refused.text).toContain('but this database follows instance ins_anotherInstance0000000000000');
      expect(refused.text).toContain('No delivery was replayed.');
      expect(await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: delivery.svixId } })).toMatchObject({ outcome: 'failed', processedAt: null });
      // Refused: nothing done, nothing audited.
      expect(await prisma().auditEvent.count({ where: { action: 'ops.replay' } })).toBe(0);
    } finally {
      await prisma().clerkInstance.update({ where: { slot: 'current' }, data: { instanceId: recorded.instanceId } });
    }

    const replayed = await act('replayFailedAction', operatorJar);
    expect(replayed.text).toContain('Replayed 1, 0 failed again.');
    expect(await prisma().auditEvent.findMany({ where: { action: 'ops.replay' }, select: { actorClerkUserId: true, impersonatorClerkUserId: true, targetType: true, targetId: true, details: true } })).toEqual([
      { actorClerkUserId: operator.id, impersonatorClerkUserId: null, targetType: null, targetId: null, details: { selection: 'failed', replayed: 1, failedAgain: 0, nothingToReplay: 0, missing: 0 } },
    ]);
    const after = await prisma().webhookDelivery.findUniqueOrThrow({ where: { svixId: delivery.svixId } });
    expect(after.outcome).toBe('applied');
    expect(after.processedAt).not.toBeNull();
    expect(await prisma().membership.count({ where: { clerkId: delivery.clerkObjectId! } })).toBe(1);
    expect(await prisma().user.count({ where: { clerkId: ghost } })).toBe(1);
    expect((await get('/ops/deliveries', operatorJar)).html).toContain('Failed deliveries (<!-- -->0<!-- -->)');
  });

  it('replays one delivery by its id, and says when there is no such delivery', async () => {
    const [latest] = await prisma().webhookDelivery.findMany({ where: { outcome: 'applied', payload: { not: { equals: null } } as never }, orderBy: { receivedAt: 'desc' }, take: 1 });
    const one = await act('replayDeliveryAction', operatorJar, { svixId: latest!.svixId });
    expect(one.text).toContain('Replayed 1, 0 failed again.');
    expect(await prisma().auditEvent.count({ where: { action: 'ops.replay', targetType: 'delivery', targetId: latest!.svixId, actorClerkUserId: operator.id } })).toBe(1);
    const missing = await act('replayDeliveryAction', operatorJar, { svixId: 'msg_noSuchDelivery' });
    expect(missing.text).toContain('Replayed 0, 0 failed again, 1 not found.');
  });
});

describe('reconcile runs', () => {
  const reconcile = (args: string[]) => runNpmScript('users:reconcile', args, { ...process.env, CLERK_SECRET_KEY: stack.emulator.secretKey, CLERK_API_URL: stack.emulator.url });

  it('a dry run from the console reports the drift and writes nothing but its rate limit and its audit event', async () => {
    const prefix = `drift-${suffix()}`;
    await stack.control.bulkUsers(2, prefix, false);
    const before = await databaseDigest();
    const answer = await act('reconcileDryRunAction', operatorJar, {}, '/ops/reconcile');
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/Dry run against instance ins_[\w-]+: nothing written\. Users: \d+ in Clerk, 2 would be created/);
    const { RateLimitWindow: _limit, AuditEvent: _audit, ...after } = await databaseDigest();
    const { RateLimitWindow: _limitBefore, AuditEvent: _auditBefore, ...expected } = before;
    expect(after).toEqual(expected);
    expect(await prisma().auditEvent.findMany({ where: { action: 'ops.reconcile' }, select: { actorClerkUserId: true, targetType: true, details: true } })).toEqual([
      { actorClerkUserId: operator.id, targetType: 'reconcile', details: { dryRun: true, userChanges: 2, organizationChanges: 0, membershipChanges: 0 } },
    ]);
    expect(await prisma().user.count({ where: { email: { startsWith: prefix } } })).toBe(0);
  });

  it('npm run users:reconcile stores its report, which the console shows; its dry run stores none', async () => {
    const dry = await reconcile(['--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(await prisma().reconcileReport.count()).toBe(0);

    const run = await reconcile([]);
    expect(run.status, run.stderr).toBe(0);
    const [report] = await prisma().reconcileReport.findMany();
    const instance = await prisma().clerkInstance.findUniqueOrThrow({ where: { slot: 'current' } });
    expect(report).toMatchObject({ result: 'completed', instanceId: instance.instanceId });
    expect(Object.keys((report!.report as { kinds: object }).kinds).sort()).toEqual(['billing', 'invitations', 'memberships', 'organizations', 'roles', 'users']);
    expect((report!.report as { kinds: { users: { created: number } } }).kinds.users.created).toBe(2);
    // Ids and counts only.
    expect(JSON.stringify(report!.report)).not.toMatch(/@example/);

    const page = await get('/ops/reconcile', operatorJar);
    expect(page.html).toContain('Runs (<!-- -->1<!-- -->)');
    expect(page.html).toContain('completed');
  });
});
