/**
 * Every route under app/ checks the session itself (Clerk's resource-based
 * checks: the proxy protects nothing), every page carries the security
 * headers and a Content-Security-Policy with a fresh nonce, and paths that
 * look like files are clean 404s. Against `next start` and the emulator.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/paths';
import { CookieJar, navigate } from '../helpers/cookie-jar';
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
  'api/health/route.ts': 'the health check (names no error)',
  'api/auth/keepalive/route.ts': 'the session keep-alive: it only lets the proxy refresh a token',
  'api/auth/end-session/route.ts': 'ends a session whose user is gone: it acts only then',
  'api/webhooks/clerk/route.ts': 'Clerk\'s webhook: authenticated by its signature',
  'api/bench/empty/route.ts': 'the bench\'s empty handler: 404 unless BENCH_ROUTES=1, and it touches nothing',
  'bench/seed-dashboard/page.tsx': 'the bench\'s copy of the tutorial page: 404 unless BENCH_ROUTES=1, then it checks the session the tutorial\'s way',
  'bench/page-ceiling/page.tsx': 'the bench\'s pages\' ceiling: 404 unless BENCH_ROUTES=1, then the session from auth() and nothing else',
};

const ROUTE_FILE = /^(page|layout|route|template|default|not-found|error|actions)\.tsx?$/;

function routeFiles(dir = APP_DIR): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return ROUTE_FILE.test(entry) ? [path.relative(APP_DIR, full)] : [];
  });
}

/** The URL of a page file, with a sample value for each dynamic segment. */
function urlOf(file: string): string {
  const segments = path.dirname(file).split(path.sep).filter((segment) => segment !== '.' && !/^\(.*\)$/.test(segment));
  return `/${segments.map((segment) => (segment.startsWith('[') ? 'cabc123' : segment)).join('/')}`;
}

describe('every route checks the session itself', () => {
  const files = routeFiles();

  it('finds the app\'s routes, and every public one still exists', () => {
    expect(files).toEqual(expect.arrayContaining(['dashboard/page.tsx', 'posts/actions.ts', 'account/actions.ts', 'posts/[id]/edit/page.tsx']));
    for (const file of Object.keys(PUBLIC)) expect(files).toContain(file);
  });

  it.each(files.filter((file) => !(file in PUBLIC)))('%s checks it', (file) => {
    const source = readFileSync(path.join(APP_DIR, file), 'utf8');
    if (file.endsWith('actions.ts')) {
      // Server actions: every export goes through the one wrapper (session, user row, schema, rate limit).
      expect(source).toMatch(/^'use server';/);
      const exports = [...source.matchAll(/^export (const|async function|function) (\w+)/gm)];
      expect(exports.length).toBeGreaterThan(0);
      for (const [line, kind, name] of exports) {
        expect(kind, `${name} in ${file}`).toBe('const');
        expect(source, `${name} in ${file}`).toMatch(new RegExp(`export const ${name} = authedAction\\(`));
        void line;
      }
    } else {
      expect(source, `${file} must call requireUser() (or be listed as public, with a reason)`).toMatch(/await requireUser\(\)/);
    }
  });

  describe('over HTTP, signed out', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it.each(files.filter((file) => file.endsWith('page.tsx') && !(file in PUBLIC)))('%s sends the visitor to sign-in', async (file) => {
      const response = await navigate(`${stack.app.url}${urlOf(file)}`, new CookieJar());
      expect(response.status).toBe(307);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(`${stack.app.url}/sign-in`);
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
