/**
 * Clerk's default once Organizations are on, "Allow personal accounts" off,
 * as the emulator serves it and the SDK reads it: a session without an
 * active organization is pending (`sts: "pending"`), which `auth()` reads as
 * signed out, until its `choose-organization` task is done; the app's
 * organization sync never asks for a personal account then.
 */
import { createClerkClient } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { organizationSyncOptions, PERSONAL_SPACE_PATTERNS } from '@/modules/cores/clerk/clerk-config';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { COOKIES } from '../../tools/clerk-emulator/src/tokens';
import { EmulatorControl } from '../helpers/emulator-control';

const APP = 'http://localhost:3000';
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await control().reset();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url, publishableKey: emulator.publishableKey });

/** What `authenticateRequest` (the app's middleware) makes of a browser holding this token. */
async function stateOf(token: string) {
  const cookie = `${COOKIES.session}=${token}; ${COOKIES.clientUat}=${decodeJwt(token).iat}`;
  const request = new Request(`${APP}/dashboard`, { headers: { cookie, 'sec-fetch-dest': 'document', accept: 'text/html' } });
  return clerk().authenticateRequest(request, { jwtKey: emulator.keys.publicKeyPem, authorizedParties: [APP], proxyUrl: emulator.url, organizationSyncOptions: organizationSyncOptions(false) });
}

describe('an instance without personal accounts', () => {
  it("is the emulator's default, as it is Clerk's", async () => {
    expect((await control().request<{ settings: { organizations: boolean; allowPersonalAccounts: boolean } }>('GET', '/_control/config')).settings).toMatchObject({ organizations: true, allowPersonalAccounts: false });
  });

  it('makes a session without an organization pending, which auth() reads as signed out, and active once one is chosen', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['ada@example.com'] });
    const pending = await control().request<{ sessionId: string; token: string; status: string }>('POST', '/_control/sessions', { userId: user.id });
    expect(pending.status).toBe('pending');
    expect(decodeJwt(pending.token)).toMatchObject({ sts: 'pending', sub: user.id });
    expect(decodeJwt(pending.token)).not.toHaveProperty('o');
    const state = await stateOf(pending.token);
    expect(state.status).toBe('signed-in');
    expect(state.toAuth()).toMatchObject({ isAuthenticated: false, userId: null, sessionStatus: 'pending' });
    expect(state.toAuth({ treatPendingAsSignedOut: false })).toMatchObject({ userId: user.id, sessionStatus: 'pending' });

    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: user.id });
    const chosen = await control().request<{ token: string; status: string }>('PUT', '/_control/sessions/active-organization', { sessionId: pending.sessionId, organizationId: acme.id });
    expect(chosen.status).toBe('active');
    expect(decodeJwt(chosen.token)).toMatchObject({ sts: 'active', o: { id: acme.id, slg: 'acme', rol: 'admin' } });
    expect((await stateOf(chosen.token)).toAuth()).toMatchObject({ isAuthenticated: true, userId: user.id, orgId: acme.id, sessionStatus: 'active' });
  });

  it('keeps the organization when asked for the personal account, through the handshake or the session touch', async () => {
    const user = await clerk().users.createUser({ emailAddress: ['grace@example.com'] });
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: user.id });
    const { sessionId, cookies } = await control().request<{ sessionId: string; cookies: string[] }>('POST', '/_control/sessions', { userId: user.id, organizationId: acme.id });
    const cookie = cookies.map((directive) => directive.split(';')[0]).join('; ');
    const handshake = await fetch(`${emulator.url}/v1/client/handshake?redirect_url=${encodeURIComponent(`${APP}/dashboard`)}&organization_id=`, { headers: { cookie }, redirect: 'manual' });
    expect(handshake.status).toBe(307);
    const touch = await fetch(`${emulator.url}/v1/client/sessions/${sessionId}/touch`, {
      method: 'POST',
      headers: { cookie, origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ active_organization_id: '' }),
    });
    expect(touch.status).toBe(200);
    expect(((await touch.json()) as { response: { status: string; last_active_organization_id: string; tasks: unknown[] } }).response).toMatchObject({ status: 'active', last_active_organization_id: acme.id, tasks: [] });
  });
});

describe("the app's organization sync", () => {
  it('asks Clerk for the personal account only where the instance has personal accounts', () => {
    expect(organizationSyncOptions(false)).not.toHaveProperty('personalAccountPatterns');
    expect(organizationSyncOptions(true)).toMatchObject({ personalAccountPatterns: PERSONAL_SPACE_PATTERNS });
    expect(organizationSyncOptions(false).organizationPatterns).toEqual(organizationSyncOptions(true).organizationPatterns);
  });
});
