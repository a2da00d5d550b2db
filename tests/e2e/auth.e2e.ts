/**
 * Sign-up, session refresh and sign-out in a real browser, against
 * `next start` and the local Clerk emulator.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, watchForErrors } from '../helpers/browser';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';

/** Short tokens, so a test can outlive one (the SDK adds 5 s of clock skew). */
const TOKEN_TTL_SECONDS = 5;
const PAST_EXPIRY_MS = (TOKEN_TTL_SECONDS + 6) * 1000;

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({ tokenTtlSeconds: TOKEN_TTL_SECONDS }), launchBrowser()]);
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
  // Every journey runs under the CSP with zero violations and no console error.
  expect(errors).toEqual([]);
});

async function signUp(firstName: string, lastName: string): Promise<string> {
  const email = `${firstName.toLowerCase()}-${randomUUID().slice(0, 6)}@example.com`;
  await page.goto(stack.app.url);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.waitForURL(`${stack.emulator.url}/sign-up**`);
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Email address').fill(email);
  return email;
}

const sessionCookie = async () => (await context.cookies(stack.app.url)).find((cookie) => cookie.name === '__session')?.value;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('signing up through the emulator', () => {
  it('lands on the dashboard showing the new user, whose webhook then arrives', async () => {
    const email = await signUp('Ada', 'Lovelace');
    await screenshot(page, 'emulator-sign-up');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.waitForURL(`${stack.app.url}/dashboard`);
    await expect.poll(() => page.getByTestId('profile-name').textContent()).toBe('Ada Lovelace');
    expect(await page.getByTestId('profile-email').textContent()).toBe(email);
    await screenshot(page, 'dashboard-after-sign-up');

    await stack.control.settleWebhooks();
    expect(await prisma().user.findMany({ where: { email }, select: { name: true } })).toEqual([{ name: 'Ada Lovelace' }]);
  });
});

describe('a session across token expiry', () => {
  it('stays signed in: refreshed in the background, on page loads, and through the handshake', async () => {
    await signUp('Grace', 'Hopper');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard`);
    const first = await sessionCookie();

    // The keep-alive (as Clerk's browser SDK would) refreshes the token without a navigation.
    await wait(PAST_EXPIRY_MS);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect.poll(sessionCookie, { timeout: 10_000 }).not.toBe(first);

    // A page load with an expired token is refreshed server-side through the refresh cookie.
    await wait(PAST_EXPIRY_MS);
    await page.reload();
    expect(await page.getByTestId('profile-name').textContent()).toBe('Grace Hopper');

    // Without the refresh cookie, the SDK's handshake with the emulator does it.
    const refresh = (await context.cookies(stack.app.url)).find((cookie) => cookie.name.startsWith('__refresh_'))!;
    await context.clearCookies({ name: refresh.name });
    await wait(PAST_EXPIRY_MS);
    const handshakes: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${stack.emulator.url}/v1/client/handshake`)) handshakes.push(request.url());
    });
    await page.goto(`${stack.app.url}/dashboard`);
    expect(handshakes).toHaveLength(1);
    expect(page.url()).toBe(`${stack.app.url}/dashboard`);
    expect(await page.getByTestId('profile-name').textContent()).toBe('Grace Hopper');
  });
});

describe('signing out', () => {
  it('signs the browser out and keeps it out', async () => {
    await signUp('Mary', 'Jackson');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard`);

    await page.getByTestId('user-menu').click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.app.url}/`);
    await expect.poll(() => page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);

    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    await screenshot(page, 'emulator-sign-in-after-sign-out');

    // Past any token's lifetime, a page load still finds the browser signed out.
    await wait(PAST_EXPIRY_MS);
    await page.goto(`${stack.app.url}/`);
    expect(await page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});

describe('a user deleted in Clerk while signed in', () => {
  it('lands on sign-in at the next navigation, with no 500 and no Backend API call per request after', async () => {
    const email = await signUp('Gone', 'Soon');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard`);
    await stack.control.settleWebhooks();
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(stack.app.url)) statuses.push(response.status());
    });

    // Deleted on the emulator's admin page, as someone would in Clerk's dashboard.
    const admin = await context.newPage();
    await admin.goto(`${stack.emulator.url}/admin`);
    const row = admin.getByRole('row').filter({ has: admin.getByLabel(/^Email of /).and(admin.locator(`[value="${email}"]`)) });
    await row.getByRole('button', { name: 'Delete' }).click();
    await admin.waitForURL(`${stack.emulator.url}/admin`);
    await admin.close();
    await stack.control.settleWebhooks();

    const before = (await stack.control.backendApiCalls()).total;
    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    for (const path of ['/', '/posts', '/dashboard']) await page.goto(`${stack.app.url}${path}`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect((await stack.control.backendApiCalls()).total).toBe(before);
    await screenshot(page, 'deleted-user-signed-out');
  });
});
