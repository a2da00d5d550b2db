/**
 * Every route under app/ checks the session itself (Clerk's resource-based
 * checks: the proxy protects nothing), proven by behaviour against the
 * production build: every protected page sends the signed-out visitor to
 * sign-in, every server action of the build refuses them and writes nothing,
 * every route handler not listed as public answers them without doing
 * anything. Every page also carries the security headers and a
 * Content-Security-Policy with a fresh nonce, and paths that look like files
 * are clean 404s. Against `next start` and the emulator.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/paths';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { databaseDigest } from '../helpers/database-digest';
import { builtActions, callAction } from '../helpers/server-actions';
import { startStack, type Stack } from '../helpers/stack';

const APP_DIR = path.join(ROOT, 'app');

/** Route files that answer anyone, each with the reason; everything else must check the session. */
const PUBLIC: Record<string, string> = {
  'page.tsx': 'the home page',
  'layout.tsx': 'the root layout: it shows the auth state, and each page checks its own',
  'not-found.tsx': 'the 404 page',
  'error.tsx': 'the error boundary',
  'sign-in/[[...sign-in]]/page.tsx': 'signing in',
  'sign-up/[[...sign-up]]/page.tsx': 'signing up',
  'invitations/accept/page.tsx': 'where an invitation\'s email link lands, before the invitee has an account or a session: it only hands Clerk\'s ticket on to signing up or in',
  'pricing/page.tsx': 'the organization plans, for anyone: the instance\'s plan catalogue, no personal data',
  'api/health/route.ts': 'the health check (names no error)',
  'api/auth/keepalive/route.ts': 'the session keep-alive: it only lets the proxy refresh a token',
  'api/auth/end-session/route.ts': 'ends a session whose user is gone: it acts only then',
  'api/webhooks/clerk/route.ts': 'Clerk\'s webhook: authenticated by its signature',
  'api/bench/empty/route.ts': 'the bench\'s empty handler: 404 unless BENCH_ROUTES=1, and it touches nothing',
  'bench/seed-dashboard/page.tsx': 'the bench\'s copy of the tutorial page: 404 unless BENCH_ROUTES=1, then it checks the session the tutorial\'s way',
  'bench/page-ceiling/page.tsx': 'the bench\'s pages\' ceiling: 404 unless BENCH_ROUTES=1, then the session from auth() and nothing else',
  // The build's file-based metadata routes.
  'favicon.ico': 'an icon',
  'icon.svg': 'an icon',
  'apple-icon.png': 'an icon',
};

/** Server actions in the build that answer anyone: Clerk's SDK's own, each with the reason. */
const PUBLIC_ACTIONS: Record<string, string> = {
  'node_modules/@clerk/nextjs/dist/esm/app-router/server-actions.js#invalidateCacheAction': 'Clerk\'s: deletes a cookie of its own, touches nothing of ours',
  'node_modules/@clerk/nextjs/dist/esm/app-router/keyless-actions.js#deleteKeylessAction': 'Clerk\'s: acts only in keyless development mode, never in a production build',
};

/**
 * The operator console (docs/decisions/025): a 404 for everyone but an operator, the signed out
 * included, so that it is not even known to exist (tests/integration/ops-console.test.ts checks
 * operators and the signed in).
 */
const operatorsOnly = (file: string) => file.startsWith('ops/') || file.startsWith('app/ops/');

const ROUTE_FILE = /^(page|layout|route|template|default|not-found|error|actions)\.tsx?$/;

function routeFiles(dir = APP_DIR): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return ROUTE_FILE.test(entry) ? [path.relative(APP_DIR, full)] : [];
  });
}

/** The URL of a route, with a sample value for each dynamic segment. */
function urlOf(file: string): string {
  const segments = path.dirname(file).split(path.sep).filter((segment) => segment !== '.' && !/^\(.*\)$/.test(segment));
  return `/${segments.map((segment) => (segment.startsWith('[') ? 'cabc123' : segment)).join('/')}`;
}

/** The route handlers of the production build, as their source files under app/ (`api/health/route.ts`; `favicon.ico` for metadata). */
function builtRouteHandlers(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, '.next', 'server', 'app-paths-manifest.json'), 'utf8')) as Record<string, string>;
  return Object.keys(manifest)
    .filter((route) => route.endsWith('/route'))
    .map((route) => {
      const dir = route.slice(1, -'/route'.length);
      return ['route.ts', 'route.tsx'].map((name) => path.join(dir, name)).find((file) => existsSync(path.join(APP_DIR, file))) ?? dir;
    });
}

const actionKey = (action: { file: string; name: string }) => `${action.file}#${action.name}`;

describe('every route checks the session itself', () => {
  const files = routeFiles();
  const actions = builtActions();
  const handlers = builtRouteHandlers();

  it('finds the app\'s routes, actions and handlers, and every public one still exists', () => {
    expect(files).toEqual(expect.arrayContaining(['dashboard/page.tsx', 'posts/actions.ts', 'account/actions.ts', 'posts/[id]/edit/page.tsx', 'invitations/accept/page.tsx']));
    for (const file of Object.keys(PUBLIC)) expect([...files, ...handlers]).toContain(file);
    expect(actions.map(actionKey)).toEqual(
      expect.arrayContaining([
        'app/posts/actions.ts#createPostAction',
        'app/account/actions.ts#deleteAccountAction',
        'app/orgs/actions.ts#removeMemberAction',
        'app/orgs/actions.ts#inviteAction',
        'app/orgs/actions.ts#revokeInvitationAction',
        ...Object.keys(PUBLIC_ACTIONS),
      ]),
    );
    expect(handlers).toEqual(expect.arrayContaining(['api/health/route.ts', 'api/webhooks/clerk/route.ts', 'favicon.ico']));
    // Every actions file of app/ has its actions in the build.
    for (const file of files.filter((f) => f.endsWith('actions.ts'))) expect(actions.map((action) => action.file)).toContain(`app/${file}`);
  });

  describe('over HTTP, signed out', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it.each(files.filter((file) => file.endsWith('page.tsx') && operatorsOnly(file)))('%s, the operator console\'s, is a 404 for the visitor', async (file) => {
      expect((await navigate(`${stack.app.url}${urlOf(file)}`, new CookieJar())).status).toBe(404);
    });

    it.each(files.filter((file) => file.endsWith('page.tsx') && !(file in PUBLIC) && !operatorsOnly(file)))('%s sends the visitor to sign-in', async (file) => {
      const response = await navigate(`${stack.app.url}${urlOf(file)}`, new CookieJar());
      expect(response.status).toBe(307);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(`${stack.app.url}/sign-in`);
    });

    it.each(actions.filter((action) => !(actionKey(action) in PUBLIC_ACTIONS)).map((action) => [actionKey(action), action] as const))(
      'server action %s sends the caller to sign-in (the console\'s: a 404) and writes nothing',
      async (_key, action) => {
        const before = await databaseDigest();
        // From a page whose form calls it, with fields a form would send.
        const answer = await callAction(stack.app.url, new CookieJar(), { id: action.id }, { title: 'Signed out', content: 'x', postId: 'cabc123', organizationId: 'cabc123', membershipId: 'cabc123', invitationId: 'cabc123', svixId: 'msg_abc', email: 'someone@example.com', role: 'org:member', name: 'x', confirmation: 'x' }, urlOf(action.pages[0]!.replace(/^app\//, '') + '.tsx'));
        expect(answer.status, answer.text).toBeLessThan(500);
        if (operatorsOnly(action.file)) {
          expect(answer.status, answer.text).toBe(404);
        } else {
          expect(answer.redirect, answer.text).not.toBeNull();
          expect(new URL(answer.redirect!, stack.app.url).pathname).toBe('/sign-in');
        }
        expect(await databaseDigest()).toEqual(before);
      },
    );

    it.each(Object.keys(PUBLIC_ACTIONS))('Clerk\'s server action %s answers the signed out and writes nothing', async (key) => {
      const action = actions.find((candidate) => actionKey(candidate) === key)!;
      const before = await databaseDigest();
      const answer = await callAction(stack.app.url, new CookieJar(), { id: action.id }, {}, '/');
      expect(answer.status, answer.text).toBeLessThan(500);
      expect(await databaseDigest()).toEqual(before);
    });

    it('route handlers not listed as public answer the signed out without doing anything', async () => {
      const guarded = handlers.filter((file) => !(file in PUBLIC));
      for (const file of guarded) {
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
          const before = await databaseDigest();
          const response = await fetch(`${stack.app.url}${urlOf(file)}`, { method, redirect: 'manual', body: method === 'GET' ? undefined : '{}', headers: { 'content-type': 'application/json' } });
          const location = response.headers.get('location');
          const refused = [401, 403, 404, 405].includes(response.status) || (response.status === 307 && new URL(location!, stack.app.url).pathname === '/sign-in');
          expect(refused, `${method} ${file}: ${response.status}`).toBe(true);
          expect(await databaseDigest(), `${method} ${file}`).toEqual(before);
        }
      }
      // Today every handler is public, each for its reason above.
      expect(guarded).toEqual([]);
    });

    it('answers asset-like paths and probes with a 404, never a 500', async () => {
      for (const probe of ['/x.png', '/favicon.icox', '/.env', '/wp-login.php', '/api/webhooks/nope', '/api/nope.json', '/_next/static/nope.js']) {
        const response = await navigate(`${stack.app.url}${probe}`, new CookieJar());
        expect(response.status, probe).toBe(404);
      }
      // A protected page under an asset-like path is protected, not broken.
      expect((await navigate(`${stack.app.url}/posts/x.png`, new CookieJar())).status).toBe(307);
    });

    it('has no bench routes outside `npm run bench`', async () => {
      expect((await navigate(`${stack.app.url}/bench/seed-dashboard`, new CookieJar())).status).toBe(404);
      expect((await navigate(`${stack.app.url}/bench/page-ceiling`, new CookieJar())).status).toBe(404);
      const empty = await fetch(`${stack.app.url}/api/bench/empty`, { method: 'POST', body: '{}', redirect: 'manual' });
      expect(empty.status).toBe(404);
      expect(await empty.text()).toBe('');
    });

    it('renders the home page\'s commands as code', async () => {
      const home = await (await navigate(`${stack.app.url}/`, new CookieJar())).text();
      expect(home).toMatch(/<code[^>]*>npm install &amp;&amp; npm run dev<\/code>/);
      expect(home).not.toContain('`');
    });

    it('serves a favicon and app icons', async () => {
      for (const [icon, type] of [['/favicon.ico', 'image/x-icon'], ['/icon.svg', 'image/svg+xml'], ['/apple-icon.png', 'image/png']]) {
        const response = await fetch(`${stack.app.url}${icon}`);
        expect(response.status, icon).toBe(200);
        expect(response.headers.get('content-type'), icon).toBe(type);
      }
      const home = await (await navigate(`${stack.app.url}/`, new CookieJar())).text();
      expect(home).toMatch(/<link rel="icon" href="\/favicon\.ico[^"]*"/);
      expect(home).toMatch(/<link rel="icon" href="\/icon\.svg[^"]*"/);
    });

    it('puts the security headers and a CSP with a fresh nonce on every page, and the nonce on every script', async () => {
      const nonces = new Set<string>();
      for (const page of ['/', '/', '/sign-in', '/nope']) {
        const response = await navigate(`${stack.app.url}${page}`, new CookieJar());
        const csp = response.headers.get('content-security-policy') ?? '';
        const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
        expect(nonce, page).toBeDefined();
        nonces.add(nonce!);
        for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]) expect(csp).toContain(directive);
        expect(csp).toMatch(/script-src [^;]*'strict-dynamic'/);
        // Local mode only: the sign-out form posts to the emulator.
        expect(csp).toContain(`form-action 'self' ${stack.emulator.url}`);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
        if (page.startsWith('/sign-in')) continue; // a redirect to the emulator
        const html = await response.text();
        const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
        expect(scripts.length, page).toBeGreaterThan(0);
        for (const script of scripts) expect(script, page).toContain(`nonce="${nonce}"`);
      }
      expect(nonces.size).toBe(4);
    });
  });
});
