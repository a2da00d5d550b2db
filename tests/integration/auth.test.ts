/**
 * The auth layer against `next start` and a running Clerk emulator: the real
 * Clerk SDK verifies every request, nothing is mocked.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const email = () => `person-${randomUUID().slice(0, 8)}@example.com`;

async function signedInJar(firstName = 'Ada', lastName = 'Lovelace') {
  const user = await stack.control.createUser({ email: email(), firstName, lastName });
  const { cookies, sessionId } = await stack.control.signIn(user.id);
  return { user, sessionId, jar: new CookieJar(cookies) };
}

function expectSignInRedirect(response: Response) {
  expect(response.status).toBe(307);
  const location = new URL(response.headers.get('location')!, stack.app.url);
  expect(`${location.origin}${location.pathname}`).toBe(`${stack.app.url}/sign-in`);
  expect(location.searchParams.get('redirect_url')).toBe(`${stack.app.url}/dashboard`);
}

describe('a protected page', () => {
  it('answers 200 for the signed-in user, showing that user', async () => {
    const { jar } = await signedInJar('Grace', 'Hopper');
    const response = await navigate(`${stack.app.url}/dashboard`, jar);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Grace Hopper');
  });

  it('redirects to sign-in without a cookie', async () => {
    expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, new CookieJar()));
  });

  it('treats a token with a forged signature as signed out', async () => {
    const { jar } = await signedInJar();
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const real = JSON.parse(Buffer.from(jar.get('__session')!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const header = JSON.parse(Buffer.from(jar.get('__session')!.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const forged = await new SignJWT(real).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: 'JWT' }).sign(privateKey);
    jar.set('__session', forged).delete('__clerk_emulator_client');
    const response = await navigate(`${stack.app.url}/dashboard`, jar);
    expectSignInRedirect(response);
    expect(await response.text()).not.toContain('Ada Lovelace');
  });

  it('treats a token for another authorized party (azp) as signed out', async () => {
    const { user, jar, sessionId } = await signedInJar();
    const { token } = await stack.control.mintToken({ sub: user.id, sid: sessionId, azp: 'https://evil.example' });
    jar.set('__session', token);
    // Not our authorized party: the token is refused, and the visitor is signed out.
    expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, jar));
  });

  it('treats a malformed cookie as signed out, never a 500', async () => {
    for (const value of ['not-a-jwt', 'a.b.c', '%%%', 'eyJhbGciOiJub25lIn0.e30.']) {
      expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, new CookieJar().set('__session', value).set('__client_uat', '1')));
    }
  });

  it('refreshes an expired token through the handshake with the emulator', async () => {
    const { user, jar, sessionId } = await signedInJar('Katherine', 'Johnson');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const { token } = await stack.control.mintToken({ sub: user.id, sid: sessionId, ttlSeconds: 60, issuedAt: past });
    jar.set('__session', token).set('__client_uat', String(past));
    // Without the refresh cookie the SDK cannot refresh server-side: only the handshake is left.
    jar.delete(jar.names().find((name) => name.startsWith('__refresh_'))!);

    const first = await navigate(`${stack.app.url}/dashboard`, jar);
    expect(first.status).toBe(307);
    const handshakeUrl = new URL(first.headers.get('location')!);
    expect(`${handshakeUrl.origin}${handshakeUrl.pathname}`).toBe(`${stack.emulator.url}/v1/client/handshake`);

    const handshake = await navigate(handshakeUrl.toString(), jar);
    expect(handshake.status).toBe(307);
    expect(handshake.headers.get('location')).toBe(`${stack.app.url}/dashboard`);

    const after = await navigate(`${stack.app.url}/dashboard`, jar);
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Katherine Johnson');
    expect(jar.get('__session')).not.toBe(token);
    expect(jar.get('__clerk_handshake')).toBeUndefined();
  });

  it('refreshes an expired token server-side on any GET with the refresh cookie', async () => {
    const { user, jar, sessionId } = await signedInJar();
    const past = Math.floor(Date.now() / 1000) - 3600;
    const { token } = await stack.control.mintToken({ sub: user.id, sid: sessionId, ttlSeconds: 60, issuedAt: past });
    jar.set('__session', token).set('__client_uat', String(past));
    const response = await fetch(`${stack.app.url}/api/auth/keepalive`, { headers: { cookie: jar.header() } });
    expect(response.status).toBe(204);
    jar.apply(response.headers.getSetCookie());
    expect(jar.get('__session')).not.toBe(token);
    expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200);
  });
});

describe('pages of a signed-in user', () => {
  it('render the dashboard, the feed and a post with no Backend API call', async () => {
    const { user, jar } = await signedInJar('No', 'Calls');
    expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200); // provisioned (or already synced)
    const row = await prisma().user.findUniqueOrThrow({ where: { clerkId: user.id } });
    const post = await prisma().post.create({ data: { userId: row.id, title: 'Counted', content: 'x' } });
    const before = await stack.control.backendApiCalls();
    for (const page of ['/dashboard', '/posts', `/posts/${post.id}`, `/posts/${post.id}/edit`, '/account']) {
      expect((await navigate(`${stack.app.url}${page}`, jar)).status, page).toBe(200);
    }
    expect((await stack.control.backendApiCalls()).total).toBe(before.total);
  });

  it('answer 404 for a post that does not exist, and for the edit page of someone else\'s', async () => {
    const { jar } = await signedInJar('Four', 'OhFour');
    const other = await prisma().user.create({ data: { clerkId: `user_other_${Date.now()}`, email: `other-${Date.now()}@example.com` } });
    const theirs = await prisma().post.create({ data: { userId: other.id, title: 'Theirs', content: 'x' } });
    for (const page of ['/posts/cnotapost0000000000000000', '/posts/cnotapost0000000000000000/edit', `/posts/${theirs.id}/edit`]) {
      const response = await navigate(`${stack.app.url}${page}`, jar);
      expect(response.status, page).toBe(404);
      expect(await response.text(), page).toContain('There is nothing here, or it is not yours to see.');
    }
    expect((await navigate(`${stack.app.url}/posts/${theirs.id}`, jar)).status).toBe(200);
  });
});

describe('sign-out', () => {
  it('ends the session at the emulator, so the next handshake signs the browser out', async () => {
    const { user, jar, sessionId } = await signedInJar();
    const staleToken = jar.get('__session')!;
    const signOut = await fetch(`${stack.emulator.url}/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      // The app's page posts this form: its Origin is the app's.
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: stack.app.url },
      body: new URLSearchParams({ redirect_url: `${stack.app.url}/` }),
    });
    expect(signOut.status).toBe(303);
    jar.apply(signOut.headers.getSetCookie());
    expect(jar.get('__session')).toBeUndefined();
    expect(jar.get('__client_uat')).toBe('0');
    expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, jar));

    // A browser that kept an expired copy of the token is sent to the handshake, which now signs it out.
    const past = Math.floor(Date.now() / 1000) - 3600;
    const { token } = await stack.control.mintToken({ sub: user.id, sid: sessionId, ttlSeconds: 60, issuedAt: past });
    expect(token).not.toBe(staleToken);
    jar.set('__session', token).set('__client_uat', String(past));
    const first = await navigate(`${stack.app.url}/dashboard`, jar);
    expect(first.status).toBe(307);
    const handshake = await navigate(first.headers.get('location')!, jar);
    expect(handshake.status).toBe(307);
    expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, jar));
    expect(jar.get('__session')).toBeUndefined();
  });
});

describe('just-in-time provisioning', () => {
  it('shows a new user their dashboard before the webhook lands, and keeps one row when it does', async () => {
    await stack.control.configureWebhooks({ hold: true });
    try {
      const { user, jar } = await signedInJar('Mary', 'Jackson');
      expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(0);

      const before = await stack.control.backendApiCalls();
      const response = await navigate(`${stack.app.url}/dashboard`, jar);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Mary Jackson');
      expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(1);
      // Exactly one Backend API call, to fetch the user once; none for the renders after.
      const provisioned = await stack.control.backendApiCalls();
      expect(provisioned.total - before.total).toBe(1);
      expect((provisioned.byRoute['GET /v1/users/:id'] ?? 0) - (before.byRoute['GET /v1/users/:id'] ?? 0)).toBe(1);
      for (let i = 0; i < 3; i++) expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200);
      expect((await stack.control.backendApiCalls()).total).toBe(provisioned.total);

      await stack.control.configureWebhooks({ hold: false });
      expect((await stack.control.releaseWebhooks()).released).toBeGreaterThan(0);
      const deliveries = await stack.control.settleWebhooks();
      expect(deliveries.filter((d) => d.userId === user.id).map((d) => [d.type, d.status])).toEqual([['user.created', 'delivered']]);
      expect(await prisma().user.findMany({ where: { clerkId: user.id }, select: { name: true } })).toEqual([{ name: 'Mary Jackson' }]);
    } finally {
      await stack.control.configureWebhooks({ hold: false });
    }
  });
});

describe('a session that outlives its user', () => {
  async function expectEndedSession(jar: CookieJar) {
    const page = await navigate(`${stack.app.url}/dashboard`, jar);
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toBe('/api/auth/end-session');
    const end = await navigate(`${stack.app.url}/api/auth/end-session`, jar);
    expect(end.status).toBe(307);
    expect(new URL(end.headers.get('location')!, stack.app.url).pathname).toBe('/sign-in');
    expect(jar.get('__session')).toBeUndefined();
    expect(jar.get('__client_uat')).toBe('0');
    // From now on, signed out: straight to sign-in.
    expectSignInRedirect(await navigate(`${stack.app.url}/dashboard`, jar));
  }

  it('ends cleanly when Clerk no longer has the user (a 404, not a 500)', async () => {
    await stack.control.configureWebhooks({ hold: true });
    try {
      const { user, jar } = await signedInJar('Gone', 'Before');
      await stack.control.deleteUser(user.id);
      expect(await prisma().user.count({ where: { clerkId: user.id } })).toBe(0);
      await expectEndedSession(jar);
    } finally {
      await stack.control.configureWebhooks({ hold: false });
      await stack.control.releaseWebhooks();
      await stack.control.settleWebhooks();
    }
  });

  it('ends with no Backend API call when we deleted the user, and costs none per request after', async () => {
    const { user, jar } = await signedInJar('Deleted', 'Here');
    expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200);
    await stack.control.deleteUser(user.id);
    await stack.control.settleWebhooks();
    expect(await prisma().deletedClerkUser.count({ where: { clerkId: user.id } })).toBe(1);
    const before = await stack.control.backendApiCalls();
    await expectEndedSession(jar);
    for (const page of ['/', '/posts', '/dashboard', '/account']) await navigate(`${stack.app.url}${page}`, jar);
    expect((await stack.control.backendApiCalls()).total).toBe(before.total);
  });

  it('does not sign out a user who is not gone', async () => {
    const { jar } = await signedInJar('Still', 'Here');
    const end = await navigate(`${stack.app.url}/api/auth/end-session`, jar);
    expect(end.status).toBe(307);
    expect(jar.get('__session')).toBeDefined();
    expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200);
  });
});
