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

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
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

/**
 * The cookies of a browser that signed in ten minutes ago and was idle since,
 * without waiting ten minutes: `__session` holds a token for the same user
 * and session issued then and expired long ago (far past the SDK's 5 s of
 * clock skew), signed by the emulator, and `__client_uat` says when it was
 * issued (a token older than `__client_uat` is sent to the handshake, never
 * refreshed). Returns that token.
 */
async function expireSessionToken(): Promise<string> {
  const current = await sessionCookie();
  if (!current) throw new Error('no __session cookie to expire');
  const claims = JSON.parse(Buffer.from(current.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; sid: string; azp: string };
  const issuedAt = Math.floor(Date.now() / 1000) - 600;
  const { token } = await stack.control.mintToken({ sub: claims.sub, sid: claims.sid, azp: claims.azp, issuedAt, ttlSeconds: 60 });
  await context.addCookies([
    { name: '__session', value: token, url: stack.app.url },
    { name: '__client_uat', value: String(issuedAt), url: stack.app.url },
  ]);
  expect(await sessionCookie()).toBe(token);
  return token;
}

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

    // The keep-alive (as Clerk's browser SDK would) refreshes the token without a navigation.
    const expiredInTab = await expireSessionToken();
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect.poll(sessionCookie, { timeout: 10_000 }).not.toBe(expiredInTab);

    // A page load with an expired token is refreshed server-side through the refresh cookie.
    const expiredOnLoad = await expireSessionToken();
    await page.reload();
    expect(await page.getByTestId('profile-name').textContent()).toBe('Grace Hopper');
    expect(await sessionCookie()).not.toBe(expiredOnLoad);

    // Without the refresh cookie, the SDK's handshake with the emulator does it.
    const refresh = (await context.cookies(stack.app.url)).find((cookie) => cookie.name.startsWith('__refresh_'))!;
    await context.clearCookies({ name: refresh.name });
    const expiredNoRefresh = await expireSessionToken();
    const handshakes: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${stack.emulator.url}/v1/client/handshake`)) handshakes.push(request.url());
    });
    await page.goto(`${stack.app.url}/dashboard`);
    expect(handshakes).toHaveLength(1);
    expect(page.url()).toBe(`${stack.app.url}/dashboard`);
    expect(await page.getByTestId('profile-name').textContent()).toBe('Grace Hopper');
    expect(await sessionCookie()).not.toBe(expiredNoRefresh);
  });
});

describe('signing out', () => {
  it('signs the browser out and keeps it out', async () => {
    await signUp('Mary', 'Jackson');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard`);
    const signedIn = await context.cookies();

    await page.getByTestId('user-menu').click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.app.url}/`);
    await expect.poll(() => page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);

    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    await screenshot(page, 'emulator-sign-in-after-sign-out');

    // Every cookie of the signed-in browser put back (the emulator's client
    // cookie too), its token past its lifetime: the ended session is not
    // refreshed, neither through the refresh cookie nor the handshake.
    await context.clearCookies();
    await context.addCookies(signedIn);
    await expireSessionToken();
    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);
    await page.goto(`${stack.app.url}/`);
    await expect.poll(() => page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
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
