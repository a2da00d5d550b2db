/**
 * The app at start: an incomplete or emulator-only environment stops it with
 * the fix; against the emulator it says so once and schedules its pruning;
 * with real Clerk keys it says nothing of the emulator and renders Clerk's
 * own components (their server-rendered references: clerk-js, which mounts
 * them, loads from Clerk's host, unreachable offline).
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../helpers/app';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { createUser } from '../helpers/factories';
import { clientComponents } from '../helpers/rsc';
import { startStack, type Stack } from '../helpers/stack';
import { startEmulatorProcess } from '../../scripts/lib/clerk-emulator-process';
import { freePort } from '../../scripts/lib/postgres-cluster';

async function startFailure(env: Record<string, string>): Promise<string> {
  const error = await startApp(env).then(
    async (app) => {
      await app.stop();
      return null;
    },
    (reason: Error) => reason,
  );
  expect(error, 'the app started although its environment is incomplete').not.toBeNull();
  return error!.message;
}

describe('the app started with an incomplete environment', () => {
  it('stops at start with a message naming DATABASE_URL and the fix', async () => {
    expect(await startFailure({ DATABASE_URL: '' })).toMatch(
      /DATABASE_URL is missing: set it to a PostgreSQL connection string, or run `npm run dev`/,
    );
  });

  it('stops at start when the webhook signing secret is missing, naming the variable', async () => {
    const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 60, allowPersonalAccounts: true, output: 'pipe' });
    try {
      const message = await startFailure({ ...emulator.appEnv, CLERK_WEBHOOK_SIGNING_SECRET: '', DATABASE_URL: process.env.DATABASE_URL! });
      expect(message).toMatch(/CLERK_WEBHOOK_SIGNING_SECRET is missing: copy the signing secret/);
      expect(message).not.toMatch(/DATABASE_URL|CLERK_SECRET_KEY/);
    } finally {
      await emulator.stop();
    }
  });
});

describe('the emulator in production', () => {
  it('next start with the emulator\'s settings and no opt-in refuses to start, saying what to do', async () => {
    const emulator = await startEmulatorProcess({ port: 0, dataDir: null, appUrl: 'http://localhost:1', webhookUrl: null, tokenTtlSeconds: 60, allowPersonalAccounts: true, output: 'pipe' });
    try {
      const { CLERK_EMULATOR_ALLOWED: _optIn, ...withoutOptIn } = emulator.appEnv;
      const message = await startFailure({ ...withoutOptIn, DATABASE_URL: process.env.DATABASE_URL! });
      expect(message).toMatch(/local Clerk emulator's configuration \(CLERK_EMULATOR_URL is set; NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is the emulator's; CLERK_SECRET_KEY is the emulator's\)/);
      expect(message).toMatch(/set CLERK_EMULATOR_ALLOWED=true/);
      // The emulator's keys without its URL are refused too.
      const { CLERK_EMULATOR_URL: _url, CLERK_API_URL: _api, ...keysOnly } = withoutOptIn;
      expect(await startFailure({ ...keysOnly, DATABASE_URL: process.env.DATABASE_URL! })).toMatch(/CLERK_SECRET_KEY is the emulator's/);
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});

/** The app's JSON log lines with this message. */
const logLines = (app: RunningApp, msg: string) =>
  app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
const EMULATOR_WARNING = 'Running against the local Clerk emulator, not Clerk: for development and tests only. Set real Clerk keys to use Clerk.';
const PRUNING_SCHEDULED = 'data pruning scheduled';

describe('against the emulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('says so once, at start, naming the emulator', async () => {
    // Pages served meanwhile do not repeat it.
    for (const page of ['/', '/posts', '/api/health']) expect((await fetch(`${stack.app.url}${page}`)).status).toBe(200);
    expect(logLines(stack.app, EMULATOR_WARNING)).toEqual([{ level: 40, time: expect.any(Number), service: 'app', clerkEmulatorUrl: stack.emulator.url, msg: EMULATOR_WARNING }]);
  });

  it('schedules its own pruning from register(), once: the first run 30 to 90 s after start, then every 60 minutes', () => {
    const [line, ...more] = logLines(stack.app, PRUNING_SCHEDULED);
    expect(more).toEqual([]);
    expect(line).toEqual({ level: 30, time: expect.any(Number), service: 'app', component: 'data-prune', firstRunInSeconds: expect.any(Number), intervalMinutes: 60, msg: PRUNING_SCHEDULED });
    expect(line!.firstRunInSeconds).toBeGreaterThanOrEqual(30);
    expect(line!.firstRunInSeconds).toBeLessThanOrEqual(90);
  });
});

describe('with real Clerk keys', () => {
  // A Clerk instance of its own (the emulator's host is refused in production), and session tokens
  // verified with a local key, so that nothing goes to the network.
  const host = 'clerk.reference-app.example.com';
  let app: RunningApp;
  let signingKey: CryptoKey;
  beforeAll(async () => {
    const port = await freePort();
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    signingKey = privateKey;
    app = await startApp(
      {
        APP_URL: `http://localhost:${port}`,
        NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from(`${host}$`).toString('base64')}`,
        CLERK_SECRET_KEY: 'sk_live_reference_app_test_key',
        CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${Buffer.from('reference-app-test-secret').toString('base64')}`,
        CLERK_JWT_KEY: await exportSPKI(publicKey),
        // The instance has "Allow personal accounts" on: the personal dashboard exists.
        CLERK_ALLOW_PERSONAL_ACCOUNTS: 'true',
        DATA_PRUNE_INTERVAL_MINUTES: '0',
        DATABASE_URL: process.env.DATABASE_URL!,
      },
      { port },
    );
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  /** A browser signed in as our user `clerkId`, with a session token as Clerk would mint it. */
  async function signedIn(clerkId: string): Promise<CookieJar> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sid: 'sess_reference', azp: app.url, v: 2 })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'ins_reference' })
      .setSubject(clerkId)
      .setIssuer(`https://${host}`)
      .setIssuedAt(now - 5)
      .setNotBefore(now - 10)
      .setExpirationTime(now + 300)
      .sign(signingKey);
    return new CookieJar().set('__session', token).set('__client_uat', String(now - 5));
  }

  const CLERK_UI = '[project]/node_modules/@clerk/nextjs/dist/esm/client-boundary/uiComponents.js';
  /** Nothing of the emulator's own UI: its menus, its keep-alive, its sign-in redirect. */
  function expectNoEmulatorUi(html: string) {
    expect(html).not.toContain('data-testid="user-menu"');
    expect(html).not.toContain('local Clerk emulator');
    expect(clientComponents(html).filter((component) => component.module.includes('modules/auth/components/'))).toEqual([]);
  }

  it('says nothing of the emulator at start, and schedules no pruning with DATA_PRUNE_INTERVAL_MINUTES=0', () => {
    expect(logLines(app, EMULATOR_WARNING)).toEqual([]);
    expect(logLines(app, PRUNING_SCHEDULED)).toEqual([]);
    expect(app.output()).toContain('Ready in');
  });

  it('renders Clerk\'s <SignIn/> and <SignUp/> on the sign-in and sign-up pages', async () => {
    const signIn = await navigate(`${app.url}/sign-in`, new CookieJar());
    expect(signIn.status).toBe(200);
    const signInHtml = await signIn.text();
    expect(clientComponents(signInHtml).filter((component) => component.module === CLERK_UI)).toEqual([
      { module: CLERK_UI, name: 'SignIn', props: { forceRedirectUrl: `${app.url}/dashboard`, signUpUrl: '/sign-up' } },
    ]);
    expectNoEmulatorUi(signInHtml);
    const signUp = await navigate(`${app.url}/sign-up?redirect_url=${encodeURIComponent(`${app.url}/posts`)}`, new CookieJar());
    expect(signUp.status).toBe(200);
    const signUpHtml = await signUp.text();
    expect(clientComponents(signUpHtml).filter((component) => component.module === CLERK_UI)).toEqual([
      { module: CLERK_UI, name: 'SignUp', props: { forceRedirectUrl: `${app.url}/posts`, signInUrl: '/sign-in' } },
    ]);
    expectNoEmulatorUi(signUpHtml);
  });

  it('renders Clerk\'s <TaskChooseOrganization/> on the page taskUrls names, and <SignIn/> for the session\'s current task', async () => {
    const task = await navigate(`${app.url}/sign-in/tasks/choose-organization?redirect_url=${encodeURIComponent(`${app.url}/dashboard`)}`, new CookieJar());
    expect(task.status).toBe(200);
    const taskHtml = await task.text();
    expect(clientComponents(taskHtml).filter((component) => component.module === CLERK_UI)).toEqual([
      { module: CLERK_UI, name: 'TaskChooseOrganization', props: { redirectUrlComplete: `${app.url}/dashboard` } },
    ]);
    const current = await navigate(`${app.url}/sign-in/tasks`, new CookieJar());
    expect(clientComponents(await current.text()).filter((component) => component.module === CLERK_UI).map((component) => component.name)).toEqual(['SignIn']);
  });

  it('renders Clerk\'s <UserButton/> and <OrganizationSwitcher/> in a signed-in page\'s header', async () => {
    const user = await createUser({ name: 'Real Clerk Person' });
    const dashboard = await navigate(`${app.url}/dashboard`, await signedIn(user.clerkId));
    expect(dashboard.status).toBe(200);
    const html = await dashboard.text();
    expect(html).toContain('Real Clerk Person');
    expect(clientComponents(html).filter((component) => component.module === CLERK_UI)).toEqual([
      { module: CLERK_UI, name: 'UserButton', props: {} },
      {
        module: CLERK_UI,
        name: 'OrganizationSwitcher',
        props: { hidePersonal: false, afterSelectOrganizationUrl: '/orgs/:slug', afterSelectPersonalUrl: '/dashboard', afterCreateOrganizationUrl: '/orgs/:slug', afterLeaveOrganizationUrl: '/dashboard' },
      },
    ]);
    expectNoEmulatorUi(html);
  });

  it('serves a CSP that allows what Clerk\'s own components load, and gives Clerk\'s script the nonce', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    const directive = (name: string) => csp.split('; ').find((part) => part.startsWith(`${name} `)) ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(directive('script-src')).toMatch(/'strict-dynamic'/);
    expect(directive('connect-src')).toContain(host);
    expect(directive('img-src')).toContain('https://img.clerk.com');
    expect(directive('worker-src')).toBe("worker-src 'self' blob:");
    expect(directive('frame-src')).toContain('https://challenges.cloudflare.com');
    expect(directive('style-src')).toContain("'unsafe-inline'");
    expect(directive('form-action')).toBe("form-action 'self'");
    const html = await response.text();
    const clerkScript = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]).find((tag) => tag.includes(`https://${host}/npm/@clerk/`));
    expect(clerkScript).toBeDefined();
    expect(clerkScript).toContain(`nonce="${nonce}"`);
  });
});
