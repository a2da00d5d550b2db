/**
 * The emulator's organization invitations as the real `@clerk/backend`
 * client, Clerk's webhook verification and a browser following the email's
 * link see them: the Backend API's answers and refusals, the events and their
 * order, the mailbox, the accept link's redirect, accepting on the account
 * portal's sign-up and sign-in pages, and expiry on the control clock.
 */
import { createClerkClient, type OrganizationInvitation } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../tools/clerk-emulator/src/server';
import { COOKIES } from '../../tools/clerk-emulator/src/tokens';
import { EmulatorControl, verifiedEvent, WebhookReceiver } from '../helpers/emulator-control';

const APP = 'http://localhost:3000';
const DAY = 24 * 3600 * 1000;

let emulator: RunningEmulator;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  emulator = await startEmulator({ dataDir: null, appUrl: APP, webhookUrl: await receiver.start(), tokenTtlSeconds: 60, webhookRetryBaseMs: 20 });
});

afterAll(async () => {
  await emulator?.close();
  await receiver.close();
});

const control = () => new EmulatorControl(emulator.url, emulator.keys.secretKey, emulator.controlToken);
const clerk = () => createClerkClient({ secretKey: emulator.keys.secretKey, apiUrl: emulator.url });

afterEach(async () => {
  await control().reset();
  receiver.clear();
});

/** The type of every event sent so far, in the order the emulator sent them (deliveries may arrive in another). */
async function eventTypes(): Promise<string[]> {
  return (await control().settleWebhooks()).map((delivery) => delivery.type);
}

/** An organization with its admin (its creator). */
async function organizationWithAdmin(name = 'Acme') {
  const admin = await clerk().users.createUser({ emailAddress: [`admin-${name.toLowerCase()}@example.com`], firstName: 'Ada', lastName: 'Admin' });
  const organization = await clerk().organizations.createOrganization({ name, createdBy: admin.id });
  return { admin, organization };
}

/** The SDK's parameters, and `notify`, which it passes through to the Backend API though its type leaves it out. */
type InviteParams = Parameters<ReturnType<typeof clerk>['organizations']['createOrganizationInvitation']>[0] & { notify?: boolean };

function invite(organizationId: string, emailAddress: string, extra: Partial<InviteParams> = {}) {
  return clerk().organizations.createOrganizationInvitation({ organizationId, emailAddress, role: 'org:member', ...extra });
}

const ticketOf = (invitation: OrganizationInvitation) => new URL(invitation.url!).searchParams.get('ticket')!;

/** A Backend API request by hand, for what the SDK has no call for (or to send what it would not). */
async function backend<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${emulator.keys.secretKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** A browser following a link: no redirects followed. */
const follow = (url: string) => fetch(url, { redirect: 'manual' });

/** A form posted from the emulator's own page, as a browser would. */
function post(path: string, fields: Record<string, string>) {
  return fetch(`${emulator.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: emulator.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

function sessionClaims(response: Response) {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith(`${COOKIES.session}=`))!;
  return decodeJwt(cookie.split(';')[0]!.slice(COOKIES.session.length + 1));
}

describe('creating, reading and listing invitations', () => {
  it("answers in Clerk's shape: the address lowercased, 30 days by default, the inviter's public data, an accept link", async () => {
    const { admin, organization } = await organizationWithAdmin();
    const invitation = await invite(organization.id, ' Ben@Example.COM ', { inviterUserId: admin.id, publicMetadata: { team: 'core' }, redirectUrl: `${APP}/invitations` });
    expect(invitation).toMatchObject({ emailAddress: 'ben@example.com', role: 'org:member', roleName: 'Member', organizationId: organization.id, status: 'pending', publicMetadata: { team: 'core' } });
    expect(invitation.id).toMatch(/^orginv_/);
    expect(invitation.expiresAt - invitation.createdAt).toBe(30 * DAY);
    expect(invitation.url).toMatch(new RegExp(`^${emulator.url}/v1/tickets/accept\\?ticket=`));
    expect(invitation.raw).toMatchObject({ inviter_id: admin.id, public_inviter_data: { user_id: admin.id, first_name: 'Ada', identifier: 'admin-acme@example.com' } });

    const week = await invite(organization.id, 'cy@example.com', { expiresInDays: 7 });
    expect(week.expiresAt - week.createdAt).toBe(7 * DAY);
    expect(week.raw).toMatchObject({ inviter_id: null, public_inviter_data: null });
    expect(await clerk().organizations.getOrganizationInvitation({ organizationId: organization.id, invitationId: week.id })).toMatchObject({ id: week.id, emailAddress: 'cy@example.com' });
  });

  it("lists an organization's invitations newest first, by status, in pages; another organization's is not found", async () => {
    const { organization } = await organizationWithAdmin();
    const { organization: other } = await organizationWithAdmin('Other');
    const made = [];
    for (const name of ['a', 'b', 'c']) made.push(await invite(organization.id, `${name}@example.com`));
    await clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: made[0]!.id });

    const all = await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id });
    expect(all.totalCount).toBe(3);
    expect(all.data.map((i) => i.emailAddress)).toEqual(['c@example.com', 'b@example.com', 'a@example.com']);
    const pending = await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id, status: ['pending'], limit: 1, offset: 1 });
    expect({ total: pending.totalCount, page: pending.data.map((i) => i.emailAddress) }).toEqual({ total: 2, page: ['b@example.com'] });
    const both = await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id, status: ['pending', 'revoked'] });
    expect(both.totalCount).toBe(3);
    const byEmail = await backend<{ data: { email_address: string }[] }>('GET', `/v1/organizations/${organization.id}/invitations?order_by=email_address`);
    expect(byEmail.body.data.map((i) => i.email_address)).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    const deprecated = await backend<{ data: { id: string }[]; total_count: number }>('GET', `/v1/organizations/${organization.id}/invitations/pending`);
    expect(deprecated.body).toMatchObject({ total_count: 2, data: [{ id: made[2]!.id }, { id: made[1]!.id }] });

    await expect(clerk().organizations.getOrganizationInvitation({ organizationId: other.id, invitationId: made[1]!.id })).rejects.toMatchObject({ status: 404 });
    expect(await control().exportInvitations()).toEqual(
      expect.arrayContaining([[made[0]!.id, organization.id, 'a@example.com', 'org:member', 'revoked', expect.any(Number)]]),
    );
  });

  it("lists the instance's invitations with their organization's public data, filtered by status and address", async () => {
    const { organization } = await organizationWithAdmin();
    const { organization: other } = await organizationWithAdmin('Other');
    await invite(organization.id, 'dee@example.com');
    await invite(other.id, 'eli@example.com', { role: 'org:admin' });
    const listed = await backend<{ data: Record<string, unknown>[]; total_count: number }>('GET', '/v1/organization_invitations?status=pending&order_by=email_address');
    expect(listed.body.total_count).toBe(2);
    expect(listed.body.data).toMatchObject([
      { email_address: 'dee@example.com', public_organization_data: { id: organization.id, name: 'Acme', slug: organization.slug } },
      { email_address: 'eli@example.com', role: 'org:admin', public_organization_data: { id: other.id, name: 'Other' } },
    ]);
    const queried = await backend<{ total_count: number }>('GET', '/v1/organization_invitations?query=eli');
    expect(queried.body.total_count).toBe(1);
  });

  it('creates in bulk all or none, at most ten at a time', async () => {
    const { organization } = await organizationWithAdmin();
    const made = await clerk().organizations.createOrganizationInvitationBulk(organization.id, [
      { emailAddress: 'f@example.com', role: 'org:member' },
      { emailAddress: 'g@example.com', role: 'org:admin', notify: false } as { emailAddress: string; role: string },
    ]);
    expect({ total: made.totalCount, emails: made.data.map((i) => i.emailAddress) }).toEqual({ total: 2, emails: ['f@example.com', 'g@example.com'] });
    await expect(
      clerk().organizations.createOrganizationInvitationBulk(organization.id, [
        { emailAddress: 'h@example.com', role: 'org:member' },
        { emailAddress: 'not-an-address', role: 'org:member' },
      ]),
    ).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ code: 'form_param_format_invalid' })] });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ email_address: `n${i}@example.com`, role: 'org:member' }));
    expect((await backend('POST', `/v1/organizations/${organization.id}/invitations/bulk`, eleven)).status).toBe(422);
    expect((await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id })).totalCount).toBe(2);
  });

  it('refuses as Clerk does, in ClerkErrors', async () => {
    const { admin, organization } = await organizationWithAdmin();
    const member = await clerk().users.createUser({ emailAddress: ['member@example.com'] });
    await clerk().organizations.createOrganizationMembership({ organizationId: organization.id, userId: member.id, role: 'org:member' });
    await invite(organization.id, 'pending@example.com');
    const code = (status: number, value: string) => ({ status, errors: [expect.objectContaining({ code: value })] });

    await expect(invite(organization.id, 'x@example.com', { role: 'org:owner' })).rejects.toMatchObject(code(422, 'form_param_value_invalid'));
    await expect(invite(organization.id, 'Member@example.com')).rejects.toMatchObject(code(400, 'already_a_member_in_organization'));
    await expect(invite(organization.id, admin.emailAddresses[0]!.emailAddress)).rejects.toMatchObject(code(400, 'already_a_member_in_organization'));
    await expect(invite(organization.id, 'PENDING@example.com')).rejects.toMatchObject(code(400, 'duplicate_record'));
    await expect(invite(organization.id, 'nope')).rejects.toMatchObject(code(422, 'form_param_format_invalid'));
    await expect(invite('org_missing', 'x@example.com')).rejects.toMatchObject(code(404, 'resource_not_found'));
    await expect(invite(organization.id, 'x@example.com', { inviterUserId: member.id })).rejects.toMatchObject(code(403, 'authorization_invalid'));
    await expect(invite(organization.id, 'x@example.com', { expiresInDays: 366 })).rejects.toMatchObject(code(422, 'form_param_value_invalid'));
    // The same address may be invited to another organization.
    const { organization: other } = await organizationWithAdmin('Other');
    await expect(invite(other.id, 'pending@example.com')).resolves.toMatchObject({ status: 'pending' });
  });
});

describe("held to the spec's parameters", () => {
  type Errors = { errors: { code: string; message: string; long_message: string; meta?: { param_name?: string } }[]; clerk_trace_id: string };
  const refused = (status: number, code: string, param: string) => ({ status, body: { errors: [expect.objectContaining({ code, meta: { param_name: param } })], clerk_trace_id: expect.any(String) } });

  it('refuses a body field of the wrong type, a missing one and an unknown one, making nothing', async () => {
    const { organization } = await organizationWithAdmin();
    const path = `/v1/organizations/${organization.id}/invitations`;
    const base = { email_address: 'x@example.com', role: 'org:member' };
    expect(await backend<Errors>('POST', path, { ...base, email_address: 42 })).toMatchObject(refused(422, 'form_param_type_invalid', 'email_address'));
    expect(await backend<Errors>('POST', path, { email_address: 'x@example.com' })).toMatchObject(refused(422, 'form_param_missing', 'role'));
    for (const [field, value] of [['inviter_user_id', 7], ['redirect_url', true], ['notify', 'no'], ['expires_in_days', '7'], ['public_metadata', [1]]] as const) {
      expect(await backend<Errors>('POST', path, { ...base, [field]: value })).toMatchObject(refused(422, 'form_param_type_invalid', field));
    }
    expect(await backend<Errors>('POST', path, { ...base, organization_id: organization.id })).toMatchObject(refused(422, 'form_param_unknown', 'organization_id'));
    expect(await backend<Errors>('POST', `${path}/bulk`, [{ ...base, notify: 'yes' }])).toMatchObject(refused(422, 'form_param_type_invalid', 'notify'));
    // Every nullable field may be null.
    const made = await backend<{ id: string }>('POST', path, { ...base, inviter_user_id: null, redirect_url: null, notify: null, expires_in_days: null, public_metadata: null, private_metadata: null });
    expect(made.status).toBe(200);
    expect((await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id })).totalCount).toBe(1);
    // Revoke lists no 422: its bad body is a 400.
    const revoke = `${path}/${made.body.id}/revoke`;
    expect(await backend<Errors>('POST', revoke, { requesting_user_id: 5 })).toMatchObject(refused(400, 'form_param_type_invalid', 'requesting_user_id'));
    expect(await backend<Errors>('POST', revoke, { user_id: 'user_x' })).toMatchObject(refused(400, 'form_param_unknown', 'user_id'));
    expect((await backend<{ status: string }>('POST', revoke, { requesting_user_id: null })).body.status).toBe('revoked');
  });

  it('pages within 1..500 and from 0, orders only by created_at or email_address, and reads only the filters each list takes', async () => {
    const { admin, organization } = await organizationWithAdmin();
    await invite(organization.id, 'a@example.com');
    await invite(organization.id, 'b@example.com');
    const org = `/v1/organizations/${organization.id}/invitations`;
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'offset=-1']) {
      const param = query.split('=')[0]!;
      expect(await backend<Errors>('GET', `${org}?${query}`)).toMatchObject(refused(422, 'form_param_value_invalid', param));
      expect(await backend<Errors>('GET', `/v1/organization_invitations?${query}`)).toMatchObject(refused(422, 'form_param_value_invalid', param));
      expect(await backend<Errors>('GET', `${org}/pending?${query}`)).toMatchObject(refused(400, 'form_param_value_invalid', param));
      expect(await backend<Errors>('GET', `/v1/users/${admin.id}/organization_invitations?${query}`)).toMatchObject(refused(400, 'form_param_value_invalid', param));
    }
    expect(await backend<Errors>('GET', `${org}?order_by=-updated_at`)).toMatchObject(refused(422, 'form_param_value_invalid', 'order_by'));
    expect(await backend<Errors>('GET', `${org}?status=gone`)).toMatchObject(refused(422, 'form_param_value_invalid', 'status'));
    expect(await backend<Errors>('GET', `/v1/users/${admin.id}/organization_invitations?status=gone`)).toMatchObject(refused(400, 'form_param_value_invalid', 'status'));
    expect((await backend<{ total_count: number }>('GET', `${org}?limit=500&offset=0`)).body.total_count).toBe(2);
    // `query` is the instance list's, `email_address` the organization's: each list ignores the other's.
    expect((await backend<{ total_count: number }>('GET', `${org}?query=a@`)).body.total_count).toBe(2);
    expect((await backend<{ total_count: number }>('GET', `${org}?email_address=A@example.com`)).body.total_count).toBe(1);
    expect((await backend<{ total_count: number }>('GET', '/v1/organization_invitations?email_address=a@example.com')).body.total_count).toBe(2);
    expect((await backend<{ total_count: number }>('GET', '/v1/organization_invitations?query=a@')).body.total_count).toBe(1);
  });
});

describe('revoking', () => {
  it('revokes a pending invitation once, with a later updated_at', async () => {
    const { admin, organization } = await organizationWithAdmin();
    const invitation = await invite(organization.id, 'ivy@example.com');
    const revoked = await clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id, requestingUserId: admin.id });
    expect(revoked.status).toBe('revoked');
    expect(revoked.updatedAt).toBeGreaterThan(invitation.updatedAt);
    await expect(clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 'organization_invitation_not_pending' })],
    });
  });
});

describe('events', () => {
  it('sends organizationInvitation.created (bulk too) and .revoked, and on acceptance .accepted with user_id, then the membership', async () => {
    const { organization } = await organizationWithAdmin();
    await invite(organization.id, 'jo@example.com');
    const [toRevoke, toAccept] = (await clerk().organizations.createOrganizationInvitationBulk(organization.id, [
      { emailAddress: 'kim@example.com', role: 'org:member' },
      { emailAddress: 'lee@example.com', role: 'org:admin' },
    ])).data;
    await clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: toRevoke!.id });
    expect((await post('/sign-up', { __clerk_ticket: ticketOf(toAccept!), redirect_url: `${APP}/` })).status).toBe(303);

    expect(await eventTypes()).toEqual([
      'user.created',
      'organization.created',
      'organizationMembership.created',
      'organizationInvitation.created',
      'organizationInvitation.created',
      'organizationInvitation.created',
      'organizationInvitation.revoked',
      'user.created',
      'organizationInvitation.accepted',
      'organizationMembership.created',
    ]);
    const accepted = (await Promise.all(receiver.received.map((d) => verifiedEvent(d, emulator.keys.webhookSecret)))).find((e) => e.type === 'organizationInvitation.accepted')!;
    const joined = (await clerk().users.getUserList({ emailAddress: ['lee@example.com'] })).data[0]!;
    expect(accepted.data).toMatchObject({ id: toAccept!.id, status: 'accepted', user_id: joined.id, role: 'org:admin' });
  });
});

describe('the mailbox', () => {
  it('holds each notified invitation, newest first, with its accept link; none for notify: false', async () => {
    const { organization } = await organizationWithAdmin();
    const first = await invite(organization.id, 'mo@example.com');
    const second = await invite(organization.id, 'ned@example.com');
    await invite(organization.id, 'quiet@example.com', { notify: false });

    const messages = await control().mailbox();
    expect(messages.map((m) => [m.to, m.subject, m.acceptUrl])).toEqual([
      ['ned@example.com', "You're invited to join Acme", second.url],
      ['mo@example.com', "You're invited to join Acme", first.url],
    ]);
    expect((await control().mailbox('MO@example.com')).map((m) => m.invitationId)).toEqual([first.id]);
    const page = await fetch(`${emulator.url}/mailbox`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('You&#39;re invited to join Acme');
    expect(html.indexOf('ned@example.com')).toBeLessThan(html.indexOf('mo@example.com'));
    expect(html).toContain(`href="${second.url!.replace(/&/g, '&amp;')}"`);
  });
});

describe('the accept link', () => {
  it('sends a new address to sign up and a verified holder to sign in, with the ticket, to the app or else our own page', async () => {
    const { organization } = await organizationWithAdmin();
    await clerk().users.createUser({ emailAddress: ['known@example.com'] });
    const toApp = await invite(organization.id, 'new@example.com', { redirectUrl: `${APP}/invitations/accept?from=mail` });
    const response = await follow(toApp.url!);
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${APP}/invitations/accept`);
    expect(Object.fromEntries(location.searchParams)).toEqual({ from: 'mail', __clerk_ticket: ticketOf(toApp), __clerk_status: 'sign_up' });

    const own = await invite(organization.id, 'known@example.com');
    const toOwn = new URL((await follow(own.url!)).headers.get('location')!);
    expect(`${toOwn.origin}${toOwn.pathname}`).toBe(`${emulator.url}/sign-in`);
    expect(Object.fromEntries(toOwn.searchParams)).toEqual({ redirect_url: `${APP}/`, __clerk_ticket: ticketOf(own), __clerk_status: 'sign_in' });

    // Off the app's origin, the redirect_url is not followed.
    const elsewhere = await invite(organization.id, 'far@example.com', { redirectUrl: 'https://evil.example/steal' });
    expect(new URL((await follow(elsewhere.url!)).headers.get('location')!).origin).toBe(APP);
  });

  it('treats an address held only unverified as no one\'s: sign_up, and that user neither sees the invitation nor can accept it', async () => {
    const { organization } = await organizationWithAdmin();
    const squatter = await clerk().users.createUser({ emailAddress: ['squatter@example.com'] });
    await clerk().emailAddresses.createEmailAddress({ userId: squatter.id, emailAddress: 'target@example.com', verified: false });
    const invitation = await invite(organization.id, 'target@example.com');
    expect(new URL((await follow(invitation.url!)).headers.get('location')!).searchParams.get('__clerk_status')).toBe('sign_up');
    expect((await clerk().users.getOrganizationInvitationList({ userId: squatter.id })).totalCount).toBe(0);

    const signIn = await post('/sign-in', { __clerk_ticket: ticketOf(invitation), redirect_url: `${APP}/` });
    expect(signIn.status).toBe(422);
    expect(await signIn.text()).toContain('No account has target@example.com as a verified address');
    expect((await clerk().users.getOrganizationMembershipList({ userId: squatter.id })).totalCount).toBe(0);
    expect((await clerk().organizations.getOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id })).status).toBe('pending');
  });

  it('lists a user\'s invitations by their verified addresses, with status filter', async () => {
    const { organization } = await organizationWithAdmin();
    const user = await clerk().users.createUser({ emailAddress: ['pat@example.com'] });
    const first = await invite(organization.id, 'pat@example.com');
    await clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: first.id });
    const second = await invite(organization.id, 'pat@example.com');
    const all = await clerk().users.getOrganizationInvitationList({ userId: user.id });
    expect(all.data.map((i) => [i.id, i.status])).toEqual([
      [second.id, 'pending'],
      [first.id, 'revoked'],
    ]);
    expect(all.data[0]!.publicOrganizationData).toMatchObject({ id: organization.id, name: 'Acme' });
    expect((await clerk().users.getOrganizationInvitationList({ userId: user.id, status: 'revoked' })).data.map((i) => i.id)).toEqual([first.id]);
    await expect(clerk().users.getOrganizationInvitationList({ userId: 'user_missing' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('accepting on the account portal', () => {
  it('signs up with the ticket: the address fixed and verified, the membership with its role and metadata, a session in the organization', async () => {
    const { organization } = await organizationWithAdmin();
    const invitation = await invite(organization.id, 'quinn@example.com', { role: 'org:admin', publicMetadata: { seat: 3 }, redirectUrl: `${APP}/orgs/${organization.slug}` });
    const ticket = ticketOf(invitation);
    const form = await fetch(`${emulator.url}/sign-up?__clerk_ticket=${encodeURIComponent(ticket)}&redirect_url=${encodeURIComponent(`${APP}/orgs/${organization.slug}`)}`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toMatch(/<input id="email" name="email" type="email" autocomplete="email" required readonly aria-readonly="true" value="quinn@example.com"/);
    expect(html).toContain(`name="__clerk_ticket" value="${ticket}"`);

    // A different address in the form changes nothing: the ticket names the address.
    const response = await post('/sign-up', { __clerk_ticket: ticket, email: 'other@example.com', first_name: 'Quinn', redirect_url: `${APP}/orgs/${organization.slug}` });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP}/orgs/${organization.slug}`);
    expect(sessionClaims(response)).toMatchObject({ sts: 'active', o: { id: organization.id, rol: 'admin' } });

    const user = (await clerk().users.getUserList({ emailAddress: ['quinn@example.com'] })).data[0]!;
    expect(user).toMatchObject({ firstName: 'Quinn' });
    expect(user.emailAddresses[0]!.verification?.status).toBe('verified');
    expect((await clerk().users.getUserList({ emailAddress: ['other@example.com'] })).totalCount).toBe(0);
    const memberships = await clerk().users.getOrganizationMembershipList({ userId: user.id });
    expect(memberships.data.map((m) => [m.organization.id, m.role, m.publicMetadata])).toEqual([[organization.id, 'org:admin', { seat: 3 }]]);
    const accepted = await clerk().organizations.getOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id });
    expect(accepted.status).toBe('accepted');
    expect(accepted.updatedAt).toBeGreaterThan(invitation.updatedAt);
  });

  it('signs in the verified holder with the ticket and accepts', async () => {
    const { organization } = await organizationWithAdmin();
    const rae = await clerk().users.createUser({ emailAddress: ['rae@example.com'] });
    const invitation = await invite(organization.id, 'rae@example.com');
    const form = await fetch(`${emulator.url}/sign-in?__clerk_ticket=${encodeURIComponent(ticketOf(invitation))}`);
    expect(await form.text()).toContain('value="rae@example.com"');
    const response = await post('/sign-in', { __clerk_ticket: ticketOf(invitation), redirect_url: 'https://evil.example/' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP}/`);
    expect(sessionClaims(response)).toMatchObject({ sub: rae.id, o: { id: organization.id, rol: 'member' } });
    expect((await clerk().organizations.getOrganizationMembershipList({ organizationId: organization.id })).data.map((m) => m.publicUserData?.userId)).toContain(rae.id);
  });

  it('refuses revoked, accepted and expired tickets at the link and on both pages, making nothing', async () => {
    const { organization } = await organizationWithAdmin();
    const revoked = await invite(organization.id, 'rev@example.com');
    await clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: revoked.id });
    const used = await invite(organization.id, 'used@example.com');
    expect((await post('/sign-up', { __clerk_ticket: ticketOf(used), redirect_url: `${APP}/` })).status).toBe(303);
    const old = await invite(organization.id, 'old@example.com', { expiresInDays: 1 });
    await control().advanceClock(DAY);
    const usersBefore = await clerk().users.getCount();

    for (const [invitation, words] of [
      [revoked, 'was revoked'],
      [used, 'was already used'],
      [old, 'has expired'],
    ] as const) {
      const link = await follow(invitation.url!);
      expect(link.status).toBe(400);
      expect(await link.text()).toContain(words);
      for (const path of ['/sign-up', '/sign-in']) {
        expect((await fetch(`${emulator.url}${path}?__clerk_ticket=${encodeURIComponent(ticketOf(invitation))}`)).status).toBe(400);
        const submitted = await post(path, { __clerk_ticket: ticketOf(invitation), redirect_url: `${APP}/` });
        expect(submitted.status).toBe(400);
        expect(submitted.headers.getSetCookie()).toEqual([]);
      }
    }
    expect((await follow(`${emulator.url}/v1/tickets/accept?ticket=forged`)).status).toBe(404);
    expect(await clerk().users.getCount()).toBe(usersBefore);
    expect((await clerk().organizations.getOrganizationMembershipList({ organizationId: organization.id })).totalCount).toBe(2);
  });
});

describe('expiry on the control clock', () => {
  it('reports an invitation expired once expires_at passes, sends no event, and lets the address be invited again', async () => {
    const { organization } = await organizationWithAdmin();
    const invitation = await invite(organization.id, 'sam@example.com', { expiresInDays: 1 });
    await control().advanceClock(DAY - 1_000);
    expect((await clerk().organizations.getOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id })).status).toBe('pending');
    const { offsetMs } = await control().advanceClock(1_000);
    expect(offsetMs).toBe(DAY);

    const expired = await clerk().organizations.getOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id });
    expect(expired).toMatchObject({ status: 'expired', updatedAt: invitation.updatedAt });
    expect((await clerk().organizations.getOrganizationInvitationList({ organizationId: organization.id, status: ['expired'] })).data.map((i) => i.id)).toEqual([invitation.id]);
    await expect(clerk().organizations.revokeOrganizationInvitation({ organizationId: organization.id, invitationId: invitation.id })).rejects.toMatchObject({ status: 400 });
    const again = await invite(organization.id, 'sam@example.com');
    expect(again.createdAt).toBeGreaterThanOrEqual(invitation.createdAt + DAY);
    expect((await eventTypes()).filter((type) => type.startsWith('organizationInvitation.'))).toEqual(['organizationInvitation.created', 'organizationInvitation.created']);

    // Session tokens keep the wall clock, which the app verifies them by.
    const { token } = await control().signIn((await clerk().users.createUser({ emailAddress: ['tok@example.com'] })).id);
    expect(Math.abs(decodeJwt(token).iat! * 1000 - Date.now())).toBeLessThan(60_000);
    await expect(control().advanceClock(-1)).rejects.toThrow(/422/);
    await control().reset();
    expect((await control().clock()).offsetMs).toBe(0);
  });
});
