/**
 * The operator console in a real browser, after a storm of deliveries with
 * a database restart in the middle (docs/decisions/025).
 *
 * A delivery that meets the database down is answered 503 and leaves no
 * ledger row (its failure cannot be written either: the database is what
 * failed), or, cut while the database comes back, a `failed` row; either
 * way Svix's retry applies it, and none stays failed. What the ledger holds as
 * failed are deliveries whose processing failed while the database was up:
 * here memberships of users whose `user.created` never came, fetched from a
 * Backend API answering 503 throughout the storm, until Svix gave up on
 * them. The operator sees them with their errors, replays them from the
 * console once Clerk answers again, and they end processed. A non-operator
 * gets a 404 for every page of the console (every action: the integration
 * test, over HTTP).
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signUpInBrowser, watchForErrors } from '../helpers/browser';
import type { EmulatorControl } from '../helpers/emulator-control';
import { type OwnDatabase, startOwnDatabase } from '../helpers/own-database';
import { startStack, type Stack } from '../helpers/stack';
import pg from 'pg';

const USERS = 40;
const GHOSTS = 8;
const suffix = () => randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: OwnDatabase;
let stack: Stack;
let browser: Browser;
let operatorId: string;
let context: BrowserContext | undefined;
let errors: string[] = [];
const expectedErrors: RegExp[] = [];

beforeAll(async () => {
  database = await startOwnDatabase('clerk-prisma-e2e-ops-');
  [stack, browser] = await Promise.all([
    startStack({
      databaseUrl: database.url(),
      async beforeApp(control: EmulatorControl) {
        operatorId = (await control.createUser({ email: `operator-${suffix()}@example.com`, firstName: 'Olga', lastName: 'Operator' })).id;
        return { OPS_OPERATOR_CLERK_IDS: operatorId };
      },
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await database?.remove();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  const unexpected = errors.filter((error) => {
    const index = expectedErrors.findIndex((pattern) => pattern.test(error));
    if (index >= 0) expectedErrors.splice(index, 1);
    return index < 0;
  });
  errors = [];
  expect(unexpected).toEqual([]);
  expect(expectedErrors.splice(0), 'expected console errors that never came').toEqual([]);
});

async function newPage(): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  errors = watchForErrors(context);
  return context.newPage();
}

/** The browser signed in as `userId`, as the emulator's sign-in would leave it. */
async function signedInAs(page: Page, userId: string): Promise<void> {
  const { cookies } = await stack.control.signIn(userId, { organizationId: null });
  await page.context().addCookies(
    cookies.map((cookie) => {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      return { name: pair!.slice(0, index), value: pair!.slice(index + 1), url: stack.app.url };
    }),
  );
}

/** Our database, directly (the test's own server, which it stops and restarts). */
async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url() });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('the operator console', () => {
  it('is a 404 for someone who is not an operator', async () => {
    const page = await newPage();
    await signUpInBrowser(page, stack.app.url, stack.emulator.url, 'Nora', 'Nobody');
    for (const path of ['/ops', '/ops/deliveries', '/ops/reconcile']) {
      expectedErrors.push(new RegExp(`status of 404 \\(Not Found\\) \\(${stack.app.url}${path}\\)`));
      const response = await page.goto(`${stack.app.url}${path}`);
      expect(response?.status(), path).toBe(404);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(await page.title()).not.toMatch(/operator/i);
    }
  });

  it('shows the deliveries that failed in a storm with a database restart; replayed from the console, they end processed', async () => {
    const { control } = stack;
    const organization = await control.createOrganization({ name: `Storm ${suffix()}`, slug: `storm-${suffix()}`, createdBy: operatorId });
    await control.settleWebhooks(30_000);

    // Svix's retries, shortened: four attempts over seven seconds.
    await control.configureWebhooks({ maxAttempts: 4, retryBaseMs: 1_000 });
    // Users whose user.created never comes: their memberships make the sync fetch them, and Clerk answers 503 all storm long.
    const ghostPrefix = `ghost-${suffix()}`;
    await control.bulkUsers(GHOSTS, ghostPrefix, false);
    const ghosts = (await control.exportUsers()).filter(([, email]) => email?.startsWith(`${ghostPrefix}-`)).map(([id]) => id);
    await control.serverErrors(100_000, 503, 'GET /v1/users/:id');

    const storm: Promise<unknown>[] = [];
    for (let i = 0; i < USERS; i++) storm.push(control.createUser({ email: `storm-${i}-${suffix()}@example.com`, firstName: 'Storm', lastName: `User ${i}` }));
    for (const ghost of ghosts) storm.push(control.addMembership(organization.id, ghost));
    await Promise.all(storm.slice(0, USERS / 2));
    // The database goes away in the middle of the storm, and stays away until deliveries have met it.
    await database.stop();
    await Promise.all(storm);
    const deadline = Date.now() + 20_000;
    while (!(await control.deliveries()).some((delivery) => delivery.lastStatus === 503 && delivery.type === 'user.created') && Date.now() < deadline) await sleep(100);
    await database.restart();
    const deliveries = (await control.settleWebhooks(60_000)).filter((delivery) => delivery.type === 'user.created' || delivery.type === 'organizationMembership.created');
    await control.serverErrors(0);
    await control.configureWebhooks({ maxAttempts: 8, retryBaseMs: 500 });

    // The outage met deliveries: refused (503, never 500), then applied by a retry; none stays failed in the ledger.
    const retried = deliveries.filter((delivery) => delivery.type === 'user.created' && delivery.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    expect(deliveries.filter((delivery) => delivery.type === 'user.created').every((delivery) => delivery.status === 'delivered')).toBe(true);
    const ledger = await query<{ type: string; outcome: string; processed: boolean }>(`SELECT "type", "outcome", "processedAt" IS NOT NULL AS "processed" FROM "WebhookDelivery" WHERE "svixId" = ANY($1)`, [deliveries.map((delivery) => delivery.id)]);
    expect(ledger.filter((row) => row.type === 'user.created').every((row) => row.outcome === 'applied' && row.processed)).toBe(true);
    // Svix gave up on the ghosts' memberships: the ledger holds them as failed, unprocessed.
    const failed = ledger.filter((row) => row.outcome === 'failed');
    expect(failed).toHaveLength(GHOSTS);
    expect(failed.every((row) => row.type === 'organizationMembership.created' && !row.processed)).toBe(true);

    const page = await newPage();
    await signedInAs(page, operatorId);
    await page.goto(`${stack.app.url}/ops/deliveries`);
    await page.getByRole('heading', { name: `Failed deliveries (${GHOSTS})` }).waitFor();
    const failedRows = page.getByTestId('failed-deliveries').locator('tbody tr');
    expect(await failedRows.count()).toBe(GHOSTS);
    await expect.poll(() => failedRows.first().textContent()).toContain('Service Unavailable');
    await screenshot(page, 'ops-deliveries-failed');

    await page.getByRole('button', { name: `Replay all ${GHOSTS} failed` }).click();
    await page.getByRole('status').filter({ hasText: `Replayed ${GHOSTS}, 0 failed again.` }).waitFor();
    await page.getByRole('heading', { name: 'Failed deliveries (0)' }).waitFor();
    await screenshot(page, 'ops-deliveries-replayed');
    await page.reload();
    await page.getByRole('heading', { name: 'Failed deliveries (0)' }).waitFor();

    const after = await query<{ outcome: string; processed: boolean }>(`SELECT "outcome", "processedAt" IS NOT NULL AS "processed" FROM "WebhookDelivery" WHERE "type" = 'organizationMembership.created' AND "clerkUserId" = ANY($1)`, [ghosts]);
    expect(after).toHaveLength(GHOSTS);
    expect(after.every((row) => row.outcome === 'applied' && row.processed)).toBe(true);
    const [{ members }] = (await query<{ members: number }>(`SELECT count(*)::int AS "members" FROM "Membership" m JOIN "User" u ON u."id" = m."userId" WHERE u."clerkId" = ANY($1)`, [ghosts])) as [{ members: number }];
    expect(members).toBe(GHOSTS);

    // The overview agrees with Clerk now.
    await page.goto(`${stack.app.url}/ops`);
    const counts = page.getByTestId('sync-counts');
    await expect.poll(() => counts.locator('tr', { hasText: 'Users' }).locator('td').nth(2).textContent()).toBe('0');
  }, 240_000);
});
