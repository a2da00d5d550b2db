/**
 * Several instances behind one load balancer, each built separately (as
 * separate containers or hosts build them), sharing one
 * NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: a form rendered by one instance posts
 * to another, and a write limit holds across them (it is counted in the
 * database, on its clock). docs/deploy.md says to set the key; this shows why.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';
import { type RunningApp, startApp } from '../helpers/app';
import { launchBrowser, signUpInBrowser, watchForErrors } from '../helpers/browser';
import { withinOneDatabaseMinute } from '../helpers/clock';
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
});
