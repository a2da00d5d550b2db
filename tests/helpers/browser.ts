/**
 * A real browser: Debian's Chromium (`apt-get install chromium`) driven by
 * playwright-core, which cannot download browsers here. Screenshots are kept
 * in test-results/screenshots as artifacts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/lib/paths';

export const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'screenshots');

function installedChromium(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function chromiumPath(): string {
  const found = installedChromium();
  if (!found) throw new Error('Chromium is not installed: run `apt-get install -y chromium` (Debian), as .ci/run does.');
  return found;
}

/** Whether the browser tests inside `npm test` run: always in CI (where a missing Chromium is a failure), elsewhere when it is installed. */
export const browserTestsRun = Boolean(process.env.CI) || installedChromium() !== null;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Sign up through the app and the emulator's page; resolves on the dashboard. */
export async function signUpInBrowser(page: Page, appUrl: string, emulatorUrl: string, firstName: string, lastName: string): Promise<string> {
  const email = `${firstName.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await page.goto(appUrl);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.waitForURL(`${emulatorUrl}/sign-up**`);
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`${appUrl}/dashboard`);
  return email;
}

/**
 * Everything a browser context reports as an error: console errors (Chromium
 * logs every Content-Security-Policy violation there), uncaught page errors,
 * and CSP violation events. A journey ends with none.
 */
export function watchForErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  context.on('weberror', (error) => errors.push(`page error: ${error.error().message}`));
  // Runs before any page script, outside the page's CSP (Playwright injects it).
  void context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} on ${location.href} (${event.sourceFile}:${event.lineNumber}:${event.columnNumber})`);
    });
  });
  return errors;
}
