/**
 * The harness of the product's browser journeys: one stack (`next start` and
 * the emulator) and one Chromium per file, a fresh browser context per page,
 * and every journey ending with no console error (a CSP violation is one)
 * but those it causes on purpose, each matched once.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, signUpInBrowser, watchForErrors } from './browser';
import { startStack, type Stack, type StackOptions } from './stack';

export interface Journeys {
  readonly stack: Stack;
  /** A page in a context of its own (its own cookies: its own person). */
  newPage(): Promise<Page>;
  /** Sign up a new person on `page`; resolves on the dashboard with their email. */
  signUp(page: Page, firstName: string, lastName: string): Promise<string>;
  /** A console error this journey causes on purpose, e.g. a 404 it asks for. */
  expectError(pattern: RegExp): void;
}

/** Registers the file's hooks; call once at the top of a journey file. */
export function browserJourneys(options: StackOptions = {}): Journeys {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const expectedErrors: RegExp[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(options), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    const unexpected = errors.splice(0).filter((error) => {
      const index = expectedErrors.findIndex((pattern) => pattern.test(error));
      if (index >= 0) expectedErrors.splice(index, 1);
      return index < 0;
    });
    expect(unexpected).toEqual([]);
    expect(expectedErrors.splice(0), 'expected console errors that never came').toEqual([]);
  });

  return {
    get stack() {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    async newPage() {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const found = watchForErrors(context);
      context.on('close', () => errors.push(...found));
      return context.newPage();
    },
    signUp(page, firstName, lastName) {
      return signUpInBrowser(page, stack!.app.url, stack!.emulator.url, firstName, lastName);
    },
    expectError(pattern) {
      expectedErrors.push(pattern);
    },
  };
}

/** Publish a post with the form on the page (dashboard or an organization's). */
export async function publish(page: Page, title: string, content: string): Promise<void> {
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill(content);
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('status').filter({ hasText: 'Post published.' }).waitFor();
}
