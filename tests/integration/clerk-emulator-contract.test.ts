/**
 * The emulator held to Clerk's published contract (tools/clerk-emulator/src/contract):
 * every Backend API route of its table and every webhook type it sends is
 * driven through the real `@clerk/backend` client and checked against its
 * schema; a drift is refused where it happens and named; the API version is
 * checked; the app's client speaks the version it was built against.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLERK_API_VERSION } from '@/modules/cores/clerk/clerk-client';
import { API_VERSIONS, WEBHOOK_SCHEMAS } from '../../tools/clerk-emulator/src/contract/contract';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { EmulatorControl, WebhookReceiver } from '../helpers/emulator-control';

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: 'http://localhost:3000', webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20, contract: 'enforce' });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });
const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
/** A Backend API request by hand (for what the SDK has no call for, or to send what it would not), and its JSON answer. */
async function backend<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; expectStatus?: number } = {}): Promise<T> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${emulator.keys.secretKey}`, 'content-type': 'application/json', 'clerk-api-version': CLERK_API_VERSION, ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  expect(response.status).toBe(options.expectStatus ?? 200);
  return (await response.json()) as T;
}

const settle = () => expect.poll(() => emulator.webhooks.pending(), { timeout: 10_000, interval: 20 }).toBe(0);

/** Every Backend API operation the emulator serves, with its answers and errors, through the SDK where it has a call. */
async function driveEveryOperation(): Promise<void> {
  const api = clerk();
  const ada = await api.users.createUser({ emailAddress: ['ada@example.com'], firstName: 'Ada', lastName: 'Lovelace' });
  const grace = await api.users.createUser({ emailAddress: ['grace@example.com'], phoneNumber: ['+15555550100'] });
  await api.users.getUser(ada.id);
  await api.users.getUserList({ limit: 10, orderBy: '-created_at' });
  await api.users.getCount();
  await api.users.updateUser(ada.id, { firstName: 'Augusta' });
  const added = await api.emailAddresses.createEmailAddress({ userId: ada.id, emailAddress: 'ada@work.example.com', verified: false });
  await api.emailAddresses.deleteEmailAddress(added.id);
  const acme = await api.organizations.createOrganization({ name: 'Acme', createdBy: ada.id });
  await api.organizations.getOrganization({ organizationId: acme.id });
  await api.organizations.getOrganization({ slug: acme.slug });
  await api.organizations.getOrganizationList({ limit: 5, includeMembersCount: true });
  await api.organizations.updateOrganization(acme.id, { name: 'Acme Corp' });
  await api.organizations.updateOrganizationMetadata(acme.id, { publicMetadata: { plan: 'free' } });
  await backend('PUT', `/v1/organizations/${acme.id}/metadata`, { body: { public_metadata: { plan: 'pro' } } });
  await api.organizations.createOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:member' });
  await api.organizations.getOrganizationMembershipList({ organizationId: acme.id });
  await api.organizations.updateOrganizationMembership({ organizationId: acme.id, userId: grace.id, role: 'org:admin' });
  await api.organizations.updateOrganizationMembershipMetadata({ organizationId: acme.id, userId: grace.id, publicMetadata: { team: 'core' } });
  await api.users.getOrganizationMembershipList({ userId: grace.id });
  await api.organizations.getInstanceOrganizationMembershipList({ limit: 10 });
  await api.organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id });
  // Invitations: made, listed, revoked, and one accepted by signing up with its ticket (organizationInvitation.accepted).
  const invited = await api.organizations.createOrganizationInvitation({ organizationId: acme.id, emailAddress: 'Invitee@Example.com', role: 'org:member', inviterUserId: ada.id, redirectUrl: 'http://localhost:3000/invitations' });
  await api.organizations.getOrganizationInvitation({ organizationId: acme.id, invitationId: invited.id });
  await api.organizations.getOrganizationInvitationList({ organizationId: acme.id, status: ['pending'], limit: 5 });
  const bulk = await api.organizations.createOrganizationInvitationBulk(acme.id, [
    { emailAddress: 'grace@example.com', role: 'org:member' },
    { emailAddress: 'bulk@example.com', role: 'org:admin' },
  ]);
  await backend('GET', `/v1/organizations/${acme.id}/invitations/pending`);
  await backend('GET', '/v1/organization_invitations?status=pending&order_by=email_address');
  await api.users.getOrganizationInvitationList({ userId: grace.id, status: 'pending' });
  await api.organizations.revokeOrganizationInvitation({ organizationId: acme.id, invitationId: bulk.data[0]!.id, requestingUserId: ada.id });
  const ticket = new URL(bulk.data[1]!.url!).searchParams.get('ticket')!;
  const accepted = await fetch(`${emulator.url}/sign-up`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: emulator.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ __clerk_ticket: ticket, redirect_url: 'http://localhost:3000/' }).toString(),
  });
  expect(accepted.status).toBe(303);
  await expect(api.organizations.createOrganizationInvitation({ organizationId: acme.id, emailAddress: 'invitee@example.com', role: 'org:member' })).rejects.toMatchObject({ status: 400 });
  await expect(api.organizations.createOrganizationInvitation({ organizationId: acme.id, emailAddress: 'not-an-address', role: 'org:member' })).rejects.toMatchObject({ status: 422 });
  // Roles and permissions: every operation, each change a role.* or permission.* event, and their refusals.
  const pin = await api.organizationPermissions.createOrganizationPermission({ name: 'Pin posts', key: 'org:posts:pin', description: 'Pin a post to the top' });
  await api.organizationPermissions.getOrganizationPermission(pin.id);
  const { data: [postsDelete] } = await api.organizationPermissions.getOrganizationPermissionList({ query: 'org:posts:delete', orderBy: '+key', limit: 5 });
  await api.organizationPermissions.updateOrganizationPermission({ permissionId: pin.id, name: 'Pin any post' });
  const pinner = await api.organizationRoles.createOrganizationRole({ name: 'Pinner', key: 'org:pinner', permissions: [pin.id] });
  await api.organizationRoles.getOrganizationRole(pinner.id);
  await api.organizationRoles.getOrganizationRoleList({ orderBy: 'name', limit: 5 });
  await api.organizationRoles.updateOrganizationRole({ organizationRoleId: pinner.id, description: 'Pins posts' });
  await api.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: pinner.id, permissionId: postsDelete!.id });
  await expect(api.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: pinner.id, permissionId: postsDelete!.id })).rejects.toMatchObject({ status: 409 });
  await api.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: pinner.id, permissionId: postsDelete!.id });
  await api.organizationPermissions.deleteOrganizationPermission(pin.id);
  await api.organizationRoles.deleteOrganizationRole(pinner.id);
  const { data: [system] } = await api.organizationPermissions.getOrganizationPermissionList({ query: 'org:sys_profile:delete' });
  await expect(api.organizationPermissions.deleteOrganizationPermission(system!.id)).rejects.toMatchObject({ status: 403 });
  await expect(api.organizationRoles.createOrganizationRole({ name: 'Pinner', key: 'pinner' })).rejects.toMatchObject({ status: 422 });
  // Billing: every operation, and every event type over a subscription's life on the control clock.
  const DAY = 24 * 3600 * 1000;
  const toPeriodEnd = async (end: number) => control().advanceClock(end - (await control().clock()).now + 1000);
  await api.billing.getPlanList({ payerType: 'org' });
  await api.billing.getUserBillingSubscription(ada.id);
  await control().failNextPayment({ organizationId: acme.id });
  expect((await control().subscribe({ organizationId: acme.id, plan: 'pro' })).paid).toBe(false);
  await control().subscribe({ organizationId: acme.id, plan: 'pro' });
  const pro = (await api.billing.getOrganizationBillingSubscription(acme.id)).subscriptionItems.find((item) => item.status === 'active' && item.plan?.slug === 'pro')!;
  await api.billing.cancelSubscriptionItem(pro.id);
  await control().subscribe({ organizationId: acme.id, plan: 'pro' });
  await toPeriodEnd(pro.periodEnd!);
  await control().failNextPayment({ organizationId: acme.id });
  await toPeriodEnd((await api.billing.getOrganizationBillingSubscription(acme.id)).nextPayment!.date);
  await control().pay({ organizationId: acme.id });
  await backend('GET', '/v1/billing/subscription_items?include_free=true&status=active&payer_type=org&limit=5');
  const [statement] = (await backend<{ data: { id: string }[] }>('GET', '/v1/billing/statements')).data;
  await backend('GET', `/v1/billing/statements/${statement!.id}`);
  await backend('GET', `/v1/billing/statements/${statement!.id}/payment_attempts`);
  await api.billing.cancelSubscriptionItem(pro.id, { endNow: true });
  await control().configureInstance({ billing: { freeTrialDays: { pro: 14 } } });
  const trialing = await api.organizations.createOrganization({ name: 'Trialing', createdBy: ada.id });
  await control().subscribe({ organizationId: trialing.id, plan: 'pro' });
  const trial = (await api.billing.getOrganizationBillingSubscription(trialing.id)).subscriptionItems.find((item) => item.isFreeTrial)!;
  await control().advanceClock(12 * DAY);
  await api.billing.extendSubscriptionItemFreeTrial(trial.id, { extendTo: new Date(trial.periodEnd! + 7 * DAY) });
  await control().configureInstance({ billing: {} });
  await expect(api.billing.getOrganizationBillingSubscription('org_missing')).rejects.toMatchObject({ status: 404 });
  await expect(api.billing.cancelSubscriptionItem(trial.id, { endNow: true }).then(() => backend('GET', '/v1/billing/subscription_items?status=gone', { expectStatus: 422 }))).resolves.toBeDefined();
  await api.organizations.deleteOrganization(trialing.id);
  await api.jwks.getJwks();
  await backend('GET', '/v1/instance');
  const { sessionId, cookies } = await control().request<{ sessionId: string; cookies: string[] }>('POST', '/_control/sessions', { userId: ada.id });
  const refresh = cookies.find((cookie) => cookie.startsWith('__refresh_'))!.split(';')[0]!.split('=')[1]!;
  const token = cookies.find((cookie) => cookie.startsWith('__session='))!.split(';')[0]!.slice('__session='.length);
  await backend('POST', `/v1/sessions/${sessionId}/refresh`, { body: { expired_token: token, refresh_token: refresh, request_origin: 'http://localhost:3000' } });
  // Errors: each in Clerk's ClerkErrors shape.
  await expect(api.users.getUser('user_missing')).rejects.toMatchObject({ status: 404 });
  await expect(api.users.createUser({ emailAddress: ['ada@example.com'] })).rejects.toMatchObject({ status: 422 });
  await expect(api.organizations.deleteOrganizationMembership({ organizationId: acme.id, userId: grace.id })).rejects.toMatchObject({ status: 404 });
  await expect(createClerkClient({ secretKey: 'sk_test_wrong', apiUrl: emulator.url }).users.getCount()).rejects.toMatchObject({ status: 401 });
  await control().rateLimit(1, 7);
  await expect(api.users.getUser(ada.id)).rejects.toMatchObject({ status: 429 });
  await api.organizations.deleteOrganization(acme.id);
  await api.users.deleteUser(grace.id);
  await api.users.deleteUser(ada.id);
  await settle();
}

describe("the emulator against Clerk's contract", () => {
  it('answers every route of its table and sends every webhook type on contract', async () => {
    await driveEveryOperation();
    const report = emulator.contract.report();
    expect(report.violations).toEqual([]);
    const backendRoutes = (await control().request<{ routes: { kind: string; method: string; path: string }[] }>('GET', '/_control/routes')).routes.filter((route) => route.kind === 'backend');
    const answered = backendRoutes.map((route) => `${route.method} ${route.path} 200`);
    expect(answered.filter((subject) => !report.checked[subject])).toEqual([]);
    expect(Object.keys(WEBHOOK_SCHEMAS).filter((type) => !report.checked[`webhook ${type}`])).toEqual([]);
    // The errors were checked too, against ClerkErrors.
    for (const status of [401, 404, 422, 429]) expect(Object.keys(report.checked).some((subject) => subject.endsWith(` ${status}`))).toBe(true);
  });

  it('refuses an off-contract answer and webhook where they happen, naming the field', async () => {
    const api = clerk();
    const user = await api.users.createUser({ emailAddress: ['drift@example.com'] });
    await settle();
    const received = receiver.received.length;
    // A drift: the stored user loses a field Clerk's contract requires.
    const stored = emulator.store.getUser(user.id) as unknown as Record<string, unknown>;
    delete stored.passkeys;
    const answer = await backend<{ errors: { code: string }[] }>('GET', `/v1/users/${user.id}`, { expectStatus: 500 });
    expect(answer.errors[0]!.code).toBe('emulator_contract_violation');
    await api.users.updateUser(user.id, { firstName: 'Drift' }).catch(() => undefined);
    await settle();
    expect(receiver.received.length).toBe(received);
    const { violations } = emulator.contract.report();
    expect(violations.map((violation) => violation.subject)).toEqual(['GET /v1/users/:id 200', 'webhook user.updated', 'PATCH /v1/users/:id 200']);
    expect(violations[0]!.issues).toEqual(['passkeys: Invalid input: expected tuple, received undefined']);
    // Provoked on purpose: cleared, so that the emulator's close (which fails on any) passes.
    emulator.contract.reset();
  });

  it('speaks the Backend API version the SDK sends, and says which it speaks to any other', async () => {
    const answer = await backend<{ errors: { code: string; meta: { supported_versions: string[] } }[] }>('GET', '/v1/users/count', {
      headers: { 'Clerk-API-Version': '2021-02-05' },
      expectStatus: 400,
    });
    expect(answer.errors[0]).toMatchObject({ code: 'api_version_invalid', meta: { supported_versions: ['2026-05-12'] } });
    expect(API_VERSIONS).toEqual(['2026-05-12']);
  });
});

describe("the app's Clerk client", () => {
  it('sends the Backend API version the app was built against, which the emulator speaks', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers['clerk-api-version'] as string | undefined);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'total_count', total_count: 0 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await createClerkClient({ secretKey: 'sk_test_x', apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }).users.getCount();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toEqual([CLERK_API_VERSION]);
    expect(API_VERSIONS).toContain(CLERK_API_VERSION);
  });
});
