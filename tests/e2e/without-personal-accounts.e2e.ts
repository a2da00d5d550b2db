/**
 * Clerk's default once Organizations are on: no personal accounts. In a real
 * browser against `next start` and the emulator with "Allow personal
 * accounts" off (and the app told so): sign-up ends in a pending session
 * whose `choose-organization` task creates the user's organization, home is
 * that organization, sign-in again lands there, deleting it leads back to
 * the task; a pending member chooses one of theirs; a pending session on any
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

    // Deleting their only organization leaves no space: on to the task, to choose or create another.
    await page.goto(`${stack.app.url}/orgs/${slug}/members`);
    await page.getByLabel(`Type ${slug} to confirm`).fill(slug);
    await page.getByRole('button', { name: 'Delete organization' }).click();
    await page.waitForURL(taskPage());
    expect(await page.getByLabel('Create your organization').count()).toBe(1);
  });

  it('lets a pending member choose one of their organizations, and lands in it', async () => {
    const userId = await newUserId();
    const name = `Guild ${randomUUID().slice(0, 6)}`;
    const organization = await backendApi<{ id: string; slug: string }>('POST', '/v1/organizations', { name, created_by: userId });
    // A session that starts with no organization active: pending, as a new session of a member can be.
    await usePendingSession(userId, null);
    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(taskPage());
    await page.getByRole('button', { name: `Continue with ${name}` }).click();
    await page.waitForURL(`${stack.app.url}/orgs/${organization.slug}`);
    await expect.poll(async () => (await page.reload(), page.getByRole('heading', { level: 1 }).textContent()), { timeout: 15_000 }).toBe(name);
  });

  it('sends a pending session on every signed-in URL to its task, with no loop and no 500', async () => {
    await usePendingSession(await newUserId());
    for (const path of ['/dashboard', '/posts', '/account', '/organizations/new', '/orgs/nowhere', '/sign-in']) {
      const response = await page.goto(`${stack.app.url}${path}`);
      expect(page.url(), path).toMatch(new RegExp(`^${stack.emulator.url}/tasks/choose-organization`));
      expect(response?.status(), path).toBe(200);
    }
  });
});

async function backendApi<T>(method: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${stack.emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.emulator.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** A user made through the Backend API, as the dashboard would. */
async function newUserId(): Promise<string> {
  return (await backendApi<{ id: string }>('POST', '/v1/users', { email_address: [`grace-${randomUUID().slice(0, 6)}@example.com`], first_name: 'Grace' })).id;
}

/** The browser signed in as `userId` with a session that is pending (no organization active). */
async function usePendingSession(userId: string, organizationId?: null): Promise<void> {
  const { cookies, status } = await stack.control.request<{ cookies: string[]; status: string }>('POST', '/_control/sessions', { userId, organizationId });
  expect(status).toBe('pending');
  await context.addCookies(
    cookies.map((cookie) => {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      return { name: pair!.slice(0, index), value: pair!.slice(index + 1), url: stack.app.url };
    }),
  );
}
