/**
 * Several instances behind one load balancer, each built separately (as
 * separate containers or hosts build them), sharing one
 * NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: a form rendered by one instance posts
 * to another, and a write limit holds across them (it is counted in the
 * database, on its clock). docs/deploy.md says to set the key; this shows why.
 * And the same webhooks delivered many times at once to both instances end
 * in Clerk's state.
 */
import { createClerkClient } from '@clerk/backend';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { type RunningApp, startApp } from '../helpers/app';
import { launchBrowser, signUpInBrowser, watchForErrors } from '../helpers/browser';
import { withinOneDatabaseMinute } from '../helpers/clock';
import { DEFAULT_SETTINGS } from '../../tools/clerk-emulator/src/webhooks';
import { EmulatorControl } from '../helpers/emulator-control';
import { type LoadBalancer, startLoadBalancer } from '../helpers/load-balancer';
import { prisma } from '../helpers/prisma';
import { SECOND_INSTANCE_DIST_DIR } from '../setup/production-build';

let balancer: LoadBalancer;
let emulator: EmulatorProcess;
let apps: RunningApp[] = [];
let browser: Browser;
let context: BrowserContext;
let errors: string[];

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  balancer = await startLoadBalancer(ports.map((port) => `http://localhost:${port}`));
  emulator = await startEmulatorProcess({
    port: 0,
    dataDir: null,
    appUrl: balancer.url,
    webhookUrl: `${balancer.url}/api/webhooks/clerk`,
    tokenTtlSeconds: 300,
    allowPersonalAccounts: true,
    output: 'pipe',
  });
  const env = { ...emulator.appEnv, APP_URL: balancer.url, DATABASE_URL: process.env.DATABASE_URL! };
  apps = await Promise.all([startApp(env, { port: ports[0] }), startApp(env, { port: ports[1], distDir: SECOND_INSTANCE_DIST_DIR })]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(apps.map((app) => app.stop()));
  await emulator?.stop();
  await balancer?.close();
});
afterEach(async () => {
  await context?.close();
  expect(errors).toEqual([]);
});

async function signedInPage(first: string, last: string): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  errors = watchForErrors(context);
  const page = await context.newPage();
  await signUpInBrowser(page, balancer.url, emulator.url, first, last);
  return page;
}

describe('two separately built instances behind one load balancer', () => {
  it('take a form rendered by one and posted to the other', async () => {
    // Every page from instance 0; every server action to instance 1.
    balancer.route = (request) => (request.headers['next-action'] ? 1 : 0);
    const page = await signedInPage('Ada', 'Across');
    const before = [...balancer.served];
    await page.getByLabel('Title').fill('Posted across instances');
    await page.getByLabel('Content').fill('Rendered by one, taken by the other.');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('status').filter({ hasText: 'Post published.' }).waitFor();
    expect(balancer.served[1]! - before[1]!).toBeGreaterThan(0);
    expect(await prisma().post.count({ where: { title: 'Posted across instances' } })).toBe(1);
    // The list the action's answer carried back shows it too.
    await page.getByTestId('post-list').getByRole('link', { name: 'Posted across instances' }).waitFor();
  });

  it('hold a write limit across instances', async () => {
    // Server actions alternate between the instances.
    let actions = 0;
    balancer.route = (request) => (request.headers['next-action'] ? actions++ % 2 : 0);
    const page = await signedInPage('Nina', 'Renamer');
    await page.goto(`${balancer.url}/account`);
    await withinOneDatabaseMinute(30);
    const outcomes: string[] = [];
    for (let i = 1; i <= 6; i++) {
      await page.getByLabel('First name').fill(`Nina${i}`);
      await page.getByRole('button', { name: 'Save name' }).click();
      const answer = page.getByText(/^(Saved\.|You are changing your name too often\..*)$/);
      await answer.waitFor();
      outcomes.push((await answer.textContent()) ?? '');
      await page.goto(`${balancer.url}/account`);
    }
    expect(actions).toBe(6);
    expect(outcomes.slice(0, 5)).toEqual(Array(5).fill('Saved.'));
    expect(outcomes[5]).toMatch(/^You are changing your name too often\. Try again in \d+ seconds\.$/);
  });

  it('end in Clerk state when users, organizations and memberships arrive four times each, shuffled, at once on both', async () => {
    balancer.route = (_request, count) => count % 2;
    const control = new EmulatorControl(emulator.url, emulator.secretKey, emulator.controlToken);
    const clerk = createClerkClient({ secretKey: emulator.secretKey, apiUrl: emulator.url });
    const before = [...balancer.served];
    await control.configureWebhooks({ hold: true, duplicates: 3, reorder: true });
    try {
      const users = [];
      for (let i = 0; i < 6; i++) users.push(await control.createUser({ email: `instances-${i}@example.com`, firstName: `Member${i}` }));
      const organizations = [];
      for (let i = 0; i < 3; i++) organizations.push(await clerk.organizations.createOrganization({ name: `Team ${i}`, slug: `instances-team-${i}`, createdBy: users[i]!.id }));
      for (const [i, organization] of organizations.entries()) {
        for (const user of users.slice(3)) await clerk.organizations.createOrganizationMembership({ organizationId: organization.id, userId: user.id, role: 'org:member' });
        await clerk.organizations.updateOrganizationMembership({ organizationId: organization.id, userId: users[3]!.id, role: 'org:admin' });
        await clerk.organizations.deleteOrganizationMembership({ organizationId: organization.id, userId: users[4]!.id });
        await clerk.organizations.updateOrganization(organization.id, { name: `Team ${i} renamed`, slug: `instances-team-${i}-renamed` });
      }
      await clerk.organizations.deleteOrganization(organizations[2]!.id);
      await clerk.users.deleteUser(users[5]!.id);
      expect((await control.releaseWebhooks()).released).toBeGreaterThan(30);
      await control.settleWebhooks(60_000);

      const stats = await control.request<{ responses: Record<string, number> }>('GET', '/_control/webhooks/stats');
      expect(Object.keys(stats.responses)).toEqual(['200']);
      expect(balancer.served[0]! - before[0]!).toBeGreaterThan(10);
      expect(balancer.served[1]! - before[1]!).toBeGreaterThan(10);
      const ids = new Set(organizations.map((organization) => organization.id));
      const [clerkOrganizations, clerkMemberships] = await Promise.all([control.exportOrganizations(), control.exportMemberships()]);
      const ours = await prisma().organization.findMany({
        where: { clerkId: { in: [...ids] } },
        select: { clerkId: true, name: true, slug: true, memberships: { select: { clerkId: true, role: true, user: { select: { clerkId: true } } } } },
      });
      expect(ours.map((o) => `${o.clerkId} ${o.slug} ${o.name}`).sort()).toEqual(clerkOrganizations.filter(([id]) => ids.has(id)).map(([id, slug, name]) => `${id} ${slug} ${name}`).sort());
      expect(ours.flatMap((o) => o.memberships.map((m) => `${m.clerkId} ${o.clerkId} ${m.user.clerkId} ${m.role}`)).sort()).toEqual(
        clerkMemberships.filter(([, organizationId]) => ids.has(organizationId)).map(([id, organizationId, userId, role]) => `${id} ${organizationId} ${userId} ${role}`).sort(),
      );
      expect(ours).toHaveLength(2);
      expect(await prisma().user.count({ where: { clerkId: { in: users.map((user) => user.id) } } })).toBe(5);
    } finally {
      await control.configureWebhooks(DEFAULT_SETTINGS);
    }
  });
});
