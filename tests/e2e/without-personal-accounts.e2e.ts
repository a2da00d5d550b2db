/**
 * Clerk's default once Organizations are on: no personal accounts. In a real
 * browser against `next start` and the emulator with "Allow personal
 * accounts" off (and the app told so): sign-up ends in a pending session
 * whose `choose-organization` task creates the user's organization, home is
 * that organization, sign-in again lands there; a pending session on any
 * signed-in URL is sent to its task, never a loop or a 500.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, watchForErrors } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({ allowPersonalAccounts: false }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  errors = watchForErrors(context);
  page = await context.newPage();
});
afterEach(async () => {
  await context?.close();
  expect(errors).toEqual([]);
});

const taskPage = () => `${stack.emulator.url}/tasks/choose-organization**`;

describe('an instance without personal accounts', () => {
  it('signs up into a pending session, creates an organization as its task, lands in it, and comes back to it after signing in again', async () => {
    const email = `ada-${randomUUID().slice(0, 6)}@example.com`;
    const slug = `lab-${randomUUID().slice(0, 6)}`;
    await page.goto(stack.app.url);
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.waitForURL(`${stack.emulator.url}/sign-up**`);
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Sign up' }).click();

    // Signed up, the session is pending: its token says so, and the task asks for an organization.
    await page.waitForURL(taskPage());
    const token = (await context.cookies(stack.app.url)).find((cookie) => cookie.name === '__session')!.value;
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject({ sts: 'pending' });
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))).not.toHaveProperty('o');
    await screenshot(page, 'choose-organization-task');
    await page.getByLabel('Create your organization').fill(slug);
    await page.getByRole('button', { name: 'Create organization' }).click();

    // Its space is home: /dashboard (where sign-up was headed) sends the user to the active organization.
    await page.waitForURL(`${stack.app.url}/orgs/${slug}`);
    await expect.poll(async () => (await page.reload(), page.getByRole('heading', { level: 1 }).textContent()), { timeout: 15_000 }).toBe(slug);
    // No personal space is offered anywhere in the header.
    await page.getByTestId('space-switcher').click();
    expect(await page.getByRole('list', { name: 'Spaces' }).getByRole('link').allTextContents()).toEqual([slug]);
    expect(await page.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
    await screenshot(page, 'organization-home-without-personal-accounts');

    await page.getByTestId('user-menu').click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.app.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    // Signing in again starts the session in that organization: no task, straight home.
    await page.waitForURL(`${stack.app.url}/orgs/${slug}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(slug);
  });

  it('sends a pending session on every signed-in URL to its task, with no loop and no 500', async () => {
    const { cookies, status } = await stack.control.request<{ cookies: string[]; status: string; userId: string }>('POST', '/_control/sessions', { userId: await newUserId() });
    expect(status).toBe('pending');
    await context.addCookies(
      cookies.map((cookie) => {
        const [pair] = cookie.split(';');
        const index = pair!.indexOf('=');
        return { name: pair!.slice(0, index), value: pair!.slice(index + 1), url: stack.app.url };
      }),
    );
    for (const path of ['/dashboard', '/posts', '/account', '/organizations/new', '/orgs/nowhere', '/sign-in']) {
      const response = await page.goto(`${stack.app.url}${path}`);
      expect(page.url(), path).toMatch(new RegExp(`^${stack.emulator.url}/tasks/choose-organization`));
      expect(response?.status(), path).toBe(200);
    }
  });
});

/** A user made through the Backend API, as the dashboard would. */
async function newUserId(): Promise<string> {
  const response = await fetch(`${stack.emulator.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.emulator.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email_address: [`grace-${randomUUID().slice(0, 6)}@example.com`], first_name: 'Grace' }),
  });
  return ((await response.json()) as { id: string }).id;
}
