/**
 * The emulator's organizations as the real `@clerk/backend` client, Clerk's
 * own webhook verification and the SDK's request authentication see them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClerkClient } from '@clerk/backend';
import { decodeJwt, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import type { WebhookPayload } from '../../tools/clerk-emulator/src/contract/contract';
import type { EmulatorWebhookEvent } from '../../tools/clerk-emulator/src/webhooks';
import { COOKIES } from '../../tools/clerk-emulator/src/tokens';
import { CookieJar } from '../helpers/cookie-jar';
import { EmulatorControl, verifiedEvent, WebhookReceiver } from '../helpers/emulator-control';

const APP = 'http://localhost:3000';
/** What the app's `clerkMiddleware` would be given: organizations by slug under /orgs, the personal account under /me. */
const ORGANIZATION_SYNC = { organizationPatterns: ['/orgs/:slug', '/orgs/:slug/(.*)'], personalAccountPatterns: ['/me', '/me/(.*)'] };

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: APP, webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20, instance: { allowPersonalAccounts: true } });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url, publishableKey: emulator.publishableKey });

afterEach(async () => {
  await control().reset();
  receiver.clear();
});

async function settle(): Promise<void> {
  await expect.poll(() => emulator.webhooks.pending(), { timeout: 10_000, interval: 20 }).toBe(0);
}

/**
 * The events of an organization made with a creator, joined by a second
 * member who is promoted, renamed, left by that member and deleted (the
 * creator's membership goes with it, reported first).
 */
const LIFE_OF_AN_ORGANIZATION = [
  'organization.created',
  'organizationMembership.created',
  'organizationMembership.created',
  'organizationMembership.updated',
  'organization.updated',
  'organizationMembership.deleted',
  'organizationMembership.deleted',
  'organization.deleted',
];

type OrganizationEvent = EmulatorWebhookEvent;
type OrganizationWebhookEvent = WebhookPayload<'organization.created' | 'organization.updated' | 'organization.deleted'>;
type OrganizationMembershipWebhookEvent = WebhookPayload<'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted'>;

/** Every delivery so far, verified as the app's endpoint would verify it. */
async function events(): Promise<OrganizationEvent[]> {
  await settle();
  return Promise.all(receiver.received.map((delivery) => verifiedEvent(delivery, emulator.keys.webhookSecret)));
}

function person(name: string) {
  return clerk().users.createUser({ emailAddress: [`${name.toLowerCase()}@example.com`], firstName: name });
}

// The SDK's side of a browser request ------------------------------------------

function browserRequest(pathname: string, cookies: string[]): Request {
  const cookie = cookies.map((directive) => directive.split(';')[0]).join('; ');
  return new Request(`${APP}${pathname}`, { headers: { cookie, 'sec-fetch-dest': 'document', accept: 'text/html' } });
}

/** `authenticateRequest` configured as the app's middleware would be in local mode, with organization sync. */
function authenticate(request: Request) {
  return clerk().authenticateRequest(request, { jwtKey: emulator.keys.publicKeyPem, authorizedParties: [APP], proxyUrl: emulator.url, organizationSyncOptions: ORGANIZATION_SYNC });
}

/** What `auth()` returns for a browser holding these cookies. */
async function authOf(cookies: string[]) {
  const state = await authenticate(browserRequest('/dashboard', cookies));
  expect(state.status).toBe('signed-in');
  const auth = state.toAuth();
  if (!auth || !('orgId' in auth) || !auth.userId) throw new Error('not signed in');
  return auth;
}

const sessionCookie = (token: string) => [`${COOKIES.session}=${token}`, `${COOKIES.clientUat}=${decodeJwt(token).iat}`];

/**
 * The session token the emulator's handshake hands this browser (client), optionally asking for an
 * organization; `fetchSite` is the browser's Sec-Fetch-Site (none: a client that is not a browser).
 */
async function handshakeClaims(clientId: string, organization?: string, fetchSite?: string): Promise<JWTPayload> {
  const url = new URL(`${emulator.url}/v1/client/handshake`);
  url.searchParams.set('redirect_url', `${APP}/`);
  if (organization !== undefined) url.searchParams.set('organization_id', organization);
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: `${COOKIES.client}=${clientId}`, ...(fetchSite ? { 'sec-fetch-site': fetchSite } : {}) } });
  const handshake = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${COOKIES.handshake}=`))!;
  const directives = decodeJwt(handshake.split(';')[0]!.slice(COOKIES.handshake.length + 1)).handshake as string[];
  const session = directives.find((directive) => directive.startsWith(`${COOKIES.session}=`))!;
  return decodeJwt(session.split(';')[0]!.slice(COOKIES.session.length + 1));
}

describe('organizations through the real SDK', () => {
  it('creates, gets by id and by slug, updates and deletes an organization', async () => {
    const ada = await person('Ada');
    const created = await clerk().organizations.createOrganization({ name: 'Acme Inc', createdBy: ada.id, publicMetadata: { plan: 'pro' } });
    expect(created).toMatchObject({ name: 'Acme Inc', slug: 'acme-inc', createdBy: ada.id, membersCount: 1, maxAllowedMemberships: 0, adminDeleteEnabled: true });
    expect(created.id).toMatch(/^org_/);
    expect(created.publicMetadata).toEqual({ plan: 'pro' });

    const bySlug = await clerk().organizations.getOrganization({ slug: 'acme-inc', includeMembersCount: true });
    expect(bySlug).toMatchObject({ id: created.id, membersCount: 1 });
    expect((await clerk().organizations.getOrganization({ organizationId: created.id })).membersCount).toBeUndefined();

    const renamed = await clerk().organizations.updateOrganization(created.id, { name: 'Acme Corp', slug: 'acme-corp', maxAllowedMemberships: 5 });
    expect(renamed).toMatchObject({ name: 'Acme Corp', slug: 'acme-corp', maxAllowedMemberships: 5 });
    expect(renamed.updatedAt).toBeGreaterThan(created.updatedAt);
    // Metadata goes to PUT …/metadata, which replaces the field given.
    const withMetadata = await clerk().organizations.updateOrganization(created.id, { privateMetadata: { tier: 2 } });
    expect(withMetadata).toMatchObject({ publicMetadata: { plan: 'pro' }, privateMetadata: { tier: 2 } });
    expect(withMetadata.updatedAt).toBeGreaterThan(renamed.updatedAt);
    const merged = await clerk().organizations.updateOrganizationMetadata(created.id, { publicMetadata: { seats: 3, plan: null } });
    expect(merged.publicMetadata).toEqual({ seats: 3 });

    const deleted = await clerk().organizations.deleteOrganization(created.id);
    expect(deleted).toMatchObject({ object: 'organization', id: created.id, slug: 'acme-corp', deleted: true });
    await expect(clerk().organizations.getOrganization({ slug: 'acme-corp' })).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 'resource_not_found' })] });
  });

  it('refuses a taken or malformed slug in Clerk\'s error shape, and makes a free one from the name', async () => {
    await clerk().organizations.createOrganization({ name: 'Acme', slug: 'acme' });
    await expect(clerk().organizations.createOrganization({ name: 'Other', slug: 'acme' })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_identifier_exists', meta: expect.objectContaining({ paramName: 'slug' }) })],
    });
    await expect(clerk().organizations.createOrganization({ name: 'Other', slug: 'Not A Slug' })).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ code: 'form_param_format_invalid', meta: expect.objectContaining({ paramName: 'slug' }) })],
    });
    const other = await clerk().organizations.createOrganization({ name: 'Other' });
    await expect(clerk().organizations.updateOrganization(other.id, { slug: 'acme' })).rejects.toMatchObject({ status: 422 });
    // Named like a taken slug: a free one is made.
    const second = await clerk().organizations.createOrganization({ name: 'ACME' });
    expect(second.slug).toMatch(/^acme-[a-z0-9]+$/);
  });

  it('lists organizations with limit, offset, query, order and members counts', async () => {
    const ada = await person('Ada');
    for (let i = 0; i < 12; i++) {
      await clerk().organizations.createOrganization({ name: `Team ${String(i).padStart(2, '0')}`, ...(i % 3 === 0 ? { createdBy: ada.id } : {}) });
    }
    const first = await clerk().organizations.getOrganizationList();
    expect(first.totalCount).toBe(12);
    expect(first.data.map((organization) => organization.name)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((i) => `Team ${String(i).padStart(2, '0')}`));
    expect(first.data[0]!.membersCount).toBeUndefined();

    const pages = [];
    for (let offset = 0; offset < 12; offset += 5) pages.push(...(await clerk().organizations.getOrganizationList({ limit: 5, offset, orderBy: '+name' })).data);
    expect(pages.map((organization) => organization.slug)).toEqual(Array.from({ length: 12 }, (_, i) => `team-${String(i).padStart(2, '0')}`));

    const counted = await clerk().organizations.getOrganizationList({ orderBy: '-members_count', includeMembersCount: true, limit: 4 });
    expect(counted.data.map((organization) => organization.membersCount)).toEqual([1, 1, 1, 1]);
    const queried = await clerk().organizations.getOrganizationList({ query: 'team 1' });
    expect(queried.data.map((organization) => organization.name).sort()).toEqual(['Team 10', 'Team 11']);
    const byId = await clerk().organizations.getOrganizationList({ organizationId: [first.data[0]!.id, first.data[1]!.id] });
    expect(byId.totalCount).toBe(2);
  });

  it('adds, lists, changes and removes members; a user lists their memberships', async () => {
    const [ada, grace, alan] = [await person('Ada'), await person('Grace'), await person('Alan')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const globex = await clerk().organizations.createOrganization({ name: 'Globex', createdBy: grace.id });

    const joined = await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    expect(joined).toMatchObject({ role: 'org:member', permissions: ['org:sys_memberships:read', 'org:sys_billing:read'], organization: expect.objectContaining({ id: acme.id, membersCount: 2 }) });
    expect(joined.id).toMatch(/^orgmem_/);
    expect(joined.publicUserData).toMatchObject({ userId: grace.id, identifier: 'grace@example.com', firstName: 'Grace' });
    await expect(clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 'already_a_member_in_organization' })],
    });
    await expect(clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: alan.id, role: 'org:owner' })).rejects.toMatchObject({ status: 422 });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: alan.id, role: 'org:member' });

    const members = await clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id, limit: 2 });
    expect(members.totalCount).toBe(3);
    expect(members.data.map((membership) => membership.publicUserData?.userId)).toEqual([alan.id, grace.id]);
    const rest = await clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id, limit: 2, offset: 2 });
    expect(rest.data.map((membership) => membership.publicUserData?.userId)).toEqual([ada.id]);
    const admins = await clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id, role: ['org:admin'] });
    expect(admins.data.map((membership) => membership.publicUserData?.userId)).toEqual([ada.id]);

    const promoted = await clerk().organizations.updateOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:admin' });
    expect(promoted).toMatchObject({ id: joined.id, role: 'org:admin' });
    expect(promoted.permissions).toContain('org:sys_memberships:manage');
    expect(promoted.updatedAt).toBeGreaterThan(joined.updatedAt);

    await clerk().organizations.updateOrganization(globex.id, { maxAllowedMemberships: 1 });
    await expect(clerk().organizations.createOrganizationMembership({ organizationId: globex.id, userId: alan.id, role: 'org:member' })).rejects.toMatchObject({
      status: 403,
      errors: [expect.objectContaining({ code: 'organization_membership_quota_exceeded' })],
    });

    const graces = await clerk().users.getOrganizationMembershipList({ userId: grace.id });
    expect(graces.totalCount).toBe(2);
    expect(graces.data.map((membership) => membership.organization.id).sort()).toEqual([acme.id, globex.id].sort());

    const removed = await clerk().organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id });
    expect(removed).toMatchObject({ id: joined.id, role: 'org:admin' });
    expect((await clerk().users.getOrganizationMembershipList({ userId: grace.id })).data.map((m) => m.organization.id)).toEqual([globex.id]);
    await expect(clerk().organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id })).rejects.toMatchObject({ status: 404 });
  });

  it('counts organization calls by route, and fails them on request, like the other routes', async () => {
    await clerk().organizations.createOrganization({ name: 'Acme' });
    const acme = await clerk().organizations.getOrganization({ slug: 'acme' });
    await clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id });
    const { byRoute } = await control().backendApiCalls();
    expect(byRoute).toMatchObject({ 'POST /v1/organizations': 1, 'GET /v1/organizations/:id': 1, 'GET /v1/organizations/:id/memberships': 1 });
    await control().serverErrors(1, 503, 'GET /v1/organizations/:id/memberships');
    await expect(clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id })).rejects.toMatchObject({ status: 503 });
    await expect(clerk().organizations.getOrganizationMembershipList({ organizationId: acme.id })).resolves.toMatchObject({ totalCount: 0 });
  });
});

describe('organization webhooks', () => {
  it('delivers every organization and membership change, signed, in @clerk/backend\'s shapes', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    await clerk().organizations.updateOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:admin' });
    await clerk().organizations.updateOrganization(acme.id, { name: 'Acme Corp' });
    await clerk().organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id });
    await clerk().organizations.deleteOrganization(acme.id);

    const received = (await events()).filter((event) => !event.type.startsWith('user.'));
    expect(received.map((event) => event.type)).toEqual(LIFE_OF_AN_ORGANIZATION);
    const [created, adaJoined, graceJoined, promoted, renamed, graceLeft, adaLeft, deleted] = received as [
      OrganizationWebhookEvent,
      OrganizationMembershipWebhookEvent,
      OrganizationMembershipWebhookEvent,
      OrganizationMembershipWebhookEvent,
      OrganizationWebhookEvent,
      OrganizationMembershipWebhookEvent,
      OrganizationMembershipWebhookEvent,
      OrganizationWebhookEvent,
    ];
    expect(created.data).toMatchObject({ object: 'organization', id: acme.id, slug: 'acme', created_by: ada.id, members_count: 1 });
    expect(adaJoined.data).toMatchObject({ object: 'organization_membership', role: 'org:admin', public_user_data: expect.objectContaining({ user_id: ada.id }) });
    expect(graceJoined.data).toMatchObject({ role: 'org:member', organization: expect.objectContaining({ id: acme.id, members_count: 2 }), public_user_data: expect.objectContaining({ identifier: 'grace@example.com' }) });
    expect(promoted.data).toMatchObject({ id: graceJoined.data.id, role: 'org:admin' });
    expect(promoted.data.updated_at).toBeGreaterThan(graceJoined.data.updated_at);
    expect(renamed.data).toMatchObject({ name: 'Acme Corp' });
    expect((renamed.data as { updated_at: number }).updated_at).toBeGreaterThan((created.data as { updated_at: number }).updated_at);
    expect(graceLeft.data).toMatchObject({ id: graceJoined.data.id, public_user_data: expect.objectContaining({ user_id: grace.id }) });
    expect(adaLeft.data).toMatchObject({ id: adaJoined.data.id, organization: expect.objectContaining({ members_count: 0 }) });
    expect(deleted.data).toEqual({ object: 'organization', id: acme.id, slug: 'acme', deleted: true });
    const deliveries = await control().deliveries();
    expect(deliveries.find((delivery) => delivery.type === 'organizationMembership.updated')).toMatchObject({ objectId: graceJoined.data.id, userId: grace.id });
    expect(deliveries.find((delivery) => delivery.type === 'organization.deleted')).toMatchObject({ objectId: acme.id, userId: null });
  });

  it('reports a deleted user\'s memberships deleted before user.deleted, unless told not to', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    await clerk().users.deleteUser(grace.id);
    expect((await clerk().organizations.getOrganization({ organizationId: acme.id, includeMembersCount: true })).membersCount).toBe(1);
    expect((await events()).slice(-2).map((event) => event.type)).toEqual(['organizationMembership.deleted', 'user.deleted']);

    receiver.clear();
    await control().configureInstance({ cascadeMembershipEvents: false });
    await clerk().users.deleteUser(ada.id);
    await clerk().organizations.deleteOrganization(acme.id);
    expect((await events()).map((event) => event.type)).toEqual(['user.deleted', 'organization.deleted']);
  });

  it('duplicates and reorders organization events through the same fault controls as user events', async () => {
    const ada = await person('Ada');
    await settle();
    receiver.clear();
    await control().configureWebhooks({ hold: true, reorder: true, seed: 3 });
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await clerk().organizations.createOrganization({ name: `Team ${i}`, createdBy: ada.id })).id);
    expect(receiver.received).toHaveLength(0);

    await control().configureWebhooks({ hold: false, duplicates: 1 });
    expect(await control().releaseWebhooks()).toEqual({ released: 10 });
    const received = await events();
    expect(received).toHaveLength(20);
    const perSvixId = new Map<string, number>();
    for (const delivery of receiver.received) perSvixId.set(delivery.headers['svix-id']!, (perSvixId.get(delivery.headers['svix-id']!) ?? 0) + 1);
    expect([...perSvixId.values()]).toEqual(Array(10).fill(2));
    const order = [...new Set(received.filter((event) => event.type === 'organization.created').map((event) => (event.data as { id: string }).id))];
    expect([...order].sort()).toEqual([...made].sort());
    expect(order).not.toEqual(made);
  });
});

describe('the session token\'s organization claim', () => {
  it('carries the active organization as version 2 claims that the SDK reads into auth()', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const { token, cookies } = await control().signIn(ada.id, { organizationId: acme.id });
    expect(decodeJwt(token)).toMatchObject({ v: 2, sub: ada.id, o: { id: acme.id, slg: 'acme', rol: 'admin' } });
    const auth = await authOf(cookies);
    // The instance's admin holds the app's one custom permission (src/roles.ts); its system ones stay out.
    expect(auth).toMatchObject({ userId: ada.id, orgId: acme.id, orgRole: 'org:admin', orgSlug: 'acme', orgPermissions: ['org:posts:delete'] });
    expect(auth.has({ role: 'org:admin' })).toBe(true);
    expect(auth.has({ role: 'org:member' })).toBe(false);
    // As in Clerk, system permissions stay out of session tokens ("to maintain reasonable JWT sizes"):
    // the SDK's own types refuse to check one on the server, and a check that gets past them fails.
    // @ts-expect-error System permissions are not included in session claims.
    expect(auth.has({ permission: 'org:sys_memberships:manage' })).toBe(false);
  });

  it('encodes custom permissions as fea, o.per and o.fpm, which has() checks', async () => {
    await control().configureInstance({ customRolePermissions: { 'org:admin': ['org:posts:delete', 'org:posts:read', 'org:members:manage'], 'org:member': ['org:posts:read'] } });
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const joined = await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    expect(joined.permissions).toEqual(['org:sys_memberships:read', 'org:sys_billing:read', 'org:posts:read']);

    const admin = await control().signIn(ada.id, { organizationId: acme.id });
    // Features members, posts; actions delete (bit 0), manage (bit 1), read (bit 2).
    expect(decodeJwt(admin.token)).toMatchObject({ fea: 'o:members,o:posts', o: { per: 'delete,manage,read', fpm: '2,5' } });
    const adminAuth = await authOf(admin.cookies);
    expect([...adminAuth.orgPermissions!].sort()).toEqual(['org:members:manage', 'org:posts:delete', 'org:posts:read']);
    expect(adminAuth.has({ permission: 'org:posts:delete' })).toBe(true);

    const memberAuth = await authOf((await control().signIn(grace.id, { organizationId: acme.id })).cookies);
    expect(memberAuth).toMatchObject({ orgRole: 'org:member', orgPermissions: ['org:posts:read'] });
    expect(memberAuth.has({ permission: 'org:posts:delete' })).toBe(false);
    expect(memberAuth.has({ permission: 'org:posts:read' })).toBe(true);
  });

  it('keeps the personal account\'s token as it was: no organization claim', async () => {
    const ada = await person('Ada');
    const { token, cookies } = await control().signIn(ada.id);
    expect(decodeJwt(token)).not.toHaveProperty('o');
    expect(await authOf(cookies)).toMatchObject({ userId: ada.id, orgId: undefined, orgRole: undefined, orgSlug: undefined });
  });

  it('starts a new session in the organization the user last joined, as Clerk does', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    expect(decodeJwt((await control().signIn(ada.id)).token)).toMatchObject({ o: { id: acme.id } });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    expect(decodeJwt((await control().signIn(grace.id)).token)).toMatchObject({ o: { id: acme.id, rol: 'member' } });
  });

  it('drops the organization from the next token once the membership or the organization is gone', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    const graceIn = await control().signIn(grace.id, { organizationId: acme.id });
    const adaIn = await control().signIn(ada.id, { organizationId: acme.id });
    expect(await handshakeClaims(graceIn.clientId)).toMatchObject({ o: { id: acme.id } });

    await clerk().organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id });
    expect(await handshakeClaims(graceIn.clientId)).not.toHaveProperty('o');
    // Joining again does not make it active again by itself.
    await clerk().organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
    expect(await handshakeClaims(graceIn.clientId)).not.toHaveProperty('o');

    await clerk().organizations.deleteOrganization(acme.id);
    expect(await handshakeClaims(adaIn.clientId)).toMatchObject({ sub: ada.id, sid: adaIn.sessionId });
    expect(await handshakeClaims(adaIn.clientId)).not.toHaveProperty('o');
  });
});

describe('switching the active organization', () => {
  it('activates the organization a URL names through the SDK\'s handshake, and the personal account likewise', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const signedIn = await control().signIn(ada.id, { organizationId: null });

    const first = await authenticate(browserRequest('/orgs/acme/posts', signedIn.cookies));
    expect(first).toMatchObject({ status: 'handshake', reason: 'active-organization-mismatch' });
    const handshakeUrl = new URL(first.headers.get('location')!);
    expect(`${handshakeUrl.origin}${handshakeUrl.pathname}`).toBe(`${emulator.url}/v1/client/handshake`);
    expect(handshakeUrl.searchParams.get('organization_id')).toBe('acme');

    const handshake = await fetch(handshakeUrl, { redirect: 'manual', headers: { cookie: `${COOKIES.client}=${signedIn.clientId}` } });
    expect(handshake.status).toBe(307);
    expect(handshake.headers.get('location')).toBe(`${APP}/orgs/acme/posts`);
    const second = await authenticate(browserRequest('/orgs/acme/posts', [...signedIn.cookies, ...handshake.headers.getSetCookie()]));
    expect(second.status).toBe('signed-in');
    expect(second.toAuth()).toMatchObject({ orgId: acme.id, orgSlug: 'acme', orgRole: 'org:admin' });

    // Back to the personal account: the SDK sends an empty organization_id.
    const inAcme = second.headers.getSetCookie().filter((cookie) => cookie.startsWith(`${COOKIES.session}=`) || cookie.startsWith(`${COOKIES.clientUat}=`));
    const toPersonal = await authenticate(browserRequest('/me', inAcme));
    expect(toPersonal.status).toBe('handshake');
    expect(new URL(toPersonal.headers.get('location')!).searchParams.get('organization_id')).toBe('');
    expect(await handshakeClaims(signedIn.clientId, '')).not.toHaveProperty('o');
    // By id as well as by slug.
    expect(await handshakeClaims(signedIn.clientId, acme.id)).toMatchObject({ o: { id: acme.id } });
  });

  it('leaves the session as it is when the user is no member of the organization asked for', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    await clerk().organizations.createOrganization({ name: 'Globex', createdBy: grace.id });
    const signedIn = await control().signIn(ada.id, { organizationId: acme.id });
    expect(await handshakeClaims(signedIn.clientId, 'globex')).toMatchObject({ o: { id: acme.id } });
    expect(await handshakeClaims(signedIn.clientId, 'no-such-org')).toMatchObject({ o: { id: acme.id } });
    await expect(control().setActiveOrganization(signedIn.sessionId, 'globex')).rejects.toThrow(/404/);
  });

  it('switches only for a request from this machine\'s sites: a cross-site one refreshes the session and leaves the organization', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const signedIn = await control().signIn(ada.id, { organizationId: null });
    // Another site sending the browser here, by a link or a script: the session is refreshed as it was.
    const claims = await handshakeClaims(signedIn.clientId, 'acme', 'cross-site');
    expect(claims).not.toHaveProperty('o');
    expect(claims).toMatchObject({ sub: ada.id, sid: signedIn.sessionId });
    // The app (localhost on another port is the same site), the emulator's own pages, a typed address, and no browser at all.
    for (const fetchSite of ['same-site', 'same-origin', 'none', undefined]) {
      expect(await handshakeClaims(signedIn.clientId, '', fetchSite), String(fetchSite)).not.toHaveProperty('o');
      expect(await handshakeClaims(signedIn.clientId, 'acme', fetchSite), String(fetchSite)).toMatchObject({ o: { id: acme.id } });
    }
    // Nor back to the personal account from another site.
    expect(await handshakeClaims(signedIn.clientId, '', 'cross-site')).toMatchObject({ o: { id: acme.id } });
  });

  it('opens a cross-site link to an organization\'s page signed in after one handshake, and switches at the next navigation', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const signedIn = await control().signIn(ada.id, { organizationId: null });
    const browser = new CookieJar(signedIn.cookies);
    const page = `${APP}/orgs/acme/posts`;
    const load = async () => {
      const state = await authenticate(new Request(page, { headers: { cookie: browser.header(), 'sec-fetch-dest': 'document', accept: 'text/html' } }));
      browser.apply(state.headers.getSetCookie());
      return state;
    };
    /** The page, through as many handshakes as the SDK asks for; each hop with the browser's Sec-Fetch-Site. */
    const navigation = async (fetchSite: string) => {
      let handshakes = 0;
      let state = await load();
      while (state.status === 'handshake' && handshakes < 10) {
        handshakes++;
        const handshake = await fetch(state.headers.get('location')!, { redirect: 'manual', headers: { cookie: `${COOKIES.client}=${signedIn.clientId}`, 'sec-fetch-site': fetchSite } });
        expect(handshake.status).toBe(307);
        expect(handshake.headers.get('location')).toBe(page);
        browser.apply(handshake.headers.getSetCookie());
        state = await load();
      }
      return { state, handshakes };
    };
    // Every hop of a navigation begun on another site is cross-site, the app's own redirects included.
    const fromElsewhere = await navigation('cross-site');
    expect(fromElsewhere.handshakes).toBe(1);
    expect(fromElsewhere.state.status).toBe('signed-in');
    expect(fromElsewhere.state.toAuth()).toMatchObject({ userId: ada.id, orgId: undefined });
    // A click on the app's own page: the same site, and the organization becomes active.
    const fromTheApp = await navigation('same-site');
    expect(fromTheApp.handshakes).toBe(1);
    expect(fromTheApp.state.toAuth()).toMatchObject({ userId: ada.id, orgId: acme.id });
  });

  it('stops asking after the SDK\'s three tries should every handshake be refused its switch', async () => {
    const ada = await person('Ada');
    await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const signedIn = await control().signIn(ada.id, { organizationId: null });
    const browser = new CookieJar(signedIn.cookies);
    const page = `${APP}/orgs/acme/posts`;
    let redirects = 0;
    for (; redirects < 10; redirects++) {
      const state = await authenticate(new Request(page, { headers: { cookie: browser.header(), 'sec-fetch-dest': 'document', accept: 'text/html' } }));
      browser.apply(state.headers.getSetCookie());
      if (state.status !== 'handshake') {
        expect(state.toAuth()).toMatchObject({ userId: ada.id, orgId: undefined });
        break;
      }
      // Each time the page itself again, cross-site, and the handshake's answer: still no switch.
      const handshake = await fetch(state.headers.get('location')!, { redirect: 'manual', headers: { cookie: `${COOKIES.client}=${signedIn.clientId}`, 'sec-fetch-site': 'cross-site' } });
      browser.apply(handshake.headers.getSetCookie().filter((cookie) => !cookie.startsWith(`${COOKIES.handshake}=`)));
    }
    expect(redirects).toBe(3);
  });

  it('switches through the Frontend API\'s session touch, as clerk-js\'s setActive does', async () => {
    const ada = await person('Ada');
    const acme = await clerk().organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
    const signedIn = await control().signIn(ada.id, { organizationId: null });
    const touch = (body: string, clientId = signedIn.clientId) =>
      fetch(`${emulator.url}/v1/client/sessions/${signedIn.sessionId}/touch`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: APP, cookie: `${COOKIES.client}=${clientId}` },
        body,
      });
    const touched = await touch(`active_organization_id=${acme.id}`);
    expect(touched.status).toBe(200);
    const { response: session } = (await touched.json()) as { response: { last_active_organization_id: string | null; last_active_token: { jwt: string } } };
    expect(session.last_active_organization_id).toBe(acme.id);
    expect(await authOf(sessionCookie(session.last_active_token.jwt))).toMatchObject({ orgId: acme.id });
    expect(await handshakeClaims(signedIn.clientId)).toMatchObject({ o: { id: acme.id } });

    expect((await touch('active_organization_id=')).status).toBe(200);
    expect(await handshakeClaims(signedIn.clientId)).not.toHaveProperty('o');
    // Another browser's client cannot touch this session.
    expect((await touch(`active_organization_id=${acme.id}`, 'client_someone_else')).status).toBe(404);
  });
});

describe('the admin page\'s organizations', () => {
  const form = (pathname: string, fields: Record<string, string> = {}) =>
    fetch(`${emulator.url}${pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: emulator.url },
      body: new URLSearchParams(fields).toString(),
    });

  it('creates, renames and deletes organizations and manages members, each with its webhook', async () => {
    const [ada, grace] = [await person('Ada'), await person('Grace')];
    expect((await form('/admin/organizations', { name: 'Acme', slug: 'acme', email: 'ada@example.com' })).status).toBe(303);
    const acme = await clerk().organizations.getOrganization({ slug: 'acme' });
    expect(acme.createdBy).toBe(ada.id);
    await form(`/admin/organizations/${acme.id}/memberships`, { email: 'grace@example.com', role: 'org:member' });
    await form(`/admin/organizations/${acme.id}/memberships/${grace.id}`, { role: 'org:admin' });
    await form(`/admin/organizations/${acme.id}`, { name: 'Acme Corp' });

    const page = await (await fetch(`${emulator.url}/admin`)).text();
    expect(page).toContain('value="Acme Corp"');
    expect(page).toMatch(/grace@example\.com<\/td><td><form[^>]*><select[^>]*>.*<option value="org:admin" selected>/s);

    const refused = await form(`/admin/organizations/${acme.id}/memberships`, { email: 'nobody@example.com', role: 'org:member' });
    expect(decodeURIComponent(refused.headers.get('location')!)).toContain('No user has the email address nobody@example.com.');
    await form(`/admin/organizations/${acme.id}/memberships/${grace.id}/delete`);
    await form(`/admin/organizations/${acme.id}/delete`);
    await expect(clerk().organizations.getOrganization({ organizationId: acme.id })).rejects.toMatchObject({ status: 404 });

    expect((await events()).filter((event) => !event.type.startsWith('user.')).map((event) => event.type)).toEqual(LIFE_OF_AN_ORGANIZATION);
  });
});

describe('organizations for load tests', () => {
  it('creates organizations in bulk from existing users, without webhooks, and exports them compactly', async () => {
    await control().bulkUsers(30, 'bulk');
    expect(await control().bulkOrganizations(40, 5, 'team')).toEqual({ created: 40, memberships: 200, total: 40 });
    expect(emulator.webhooks.deliveries).toHaveLength(0);
    const organizations = await control().exportOrganizations();
    expect(organizations).toHaveLength(40);
    expect(organizations.every(([id, slug, , members]) => id.startsWith('org_') && /^team-\d+$/.test(slug) && members === 5)).toBe(true);
    const memberships = await control().exportMemberships();
    expect(memberships).toHaveLength(200);
    expect(memberships.filter(([, , , role]) => role === 'org:admin')).toHaveLength(40);
    expect((await clerk().organizations.getOrganizationList({ limit: 1 })).totalCount).toBe(40);

    await control().reset();
    expect(await control().exportOrganizations()).toEqual([]);
  });

  it('keeps organizations and memberships in the state file across restarts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'clerk-emulator-orgs-'));
    try {
      const first = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      const firstControl = new EmulatorControl(first.url, first.keys.secretKey, first.controlToken);
      const ada = await firstControl.createUser({ email: 'ada@example.com' });
      const acme = await firstControl.createOrganization({ name: 'Acme', createdBy: ada.id });
      const { sessionId } = await firstControl.signIn(ada.id, { organizationId: acme.id });
      await first.close();

      const second = await startEmulator({ dataDir, appUrl: APP, webhookUrl: null, tokenTtlSeconds: 60 });
      try {
        const secondControl = new EmulatorControl(second.url, second.keys.secretKey, second.controlToken);
        expect(await secondControl.exportOrganizations()).toEqual([[acme.id, 'acme', 'Acme', 1, acme.updated_at]]);
        expect((await secondControl.exportMemberships()).map(([, organizationId, userId, role]) => [organizationId, userId, role])).toEqual([[acme.id, ada.id, 'org:admin']]);
        expect(await secondControl.setActiveOrganization(sessionId, 'acme')).toMatchObject({ activeOrganizationId: acme.id });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
