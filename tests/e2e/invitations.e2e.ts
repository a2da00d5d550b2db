/**
 * Joining an organization by invitation, in a real browser against `next
 * start` and the Clerk emulator: an admin invites an address that has no
 * account; the emulator's mailbox shows the email with its accept link; the
 * invitee follows it, signs up through it and lands in the organization's
 * space as a Member. A second invitation, revoked from the members page,
 * refuses its link afterwards (no account, no membership). A member with the
 * custom Editor role deletes someone else's post but manages no one: no
 * invitation form or role controls on the members page, and posting the
 * invite action by hand is refused.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser';
import { CookieJar } from '../helpers/cookie-jar';
import { browserJourneys, publish } from '../helpers/journeys';
import { prisma } from '../helpers/prisma';
import { callAction } from '../helpers/server-actions';

const journeys = browserJourneys();

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Invite `email` with `role` (the select's label) from the members page `admin` is on; waits for the confirmation and the pending row. */
async function invite(admin: Page, email: string, role = 'Member'): Promise<void> {
  await admin.getByLabel('Email address', { exact: true }).fill(email);
  await admin.getByLabel('Role', { exact: true }).selectOption({ label: role });
  await admin.getByRole('button', { name: 'Send invitation' }).click();
  await admin.getByRole('status').filter({ hasText: `Invitation sent to ${email}. They join when they accept it.` }).waitFor();
  await admin.getByTestId('invitation-list').getByRole('listitem').filter({ hasText: email }).waitFor();
}

/** The invitation email to `email` on the emulator's mailbox page, opened on `page`: its row, with the accept link. */
async function openMailbox(page: Page, email: string) {
  await page.goto(`${journeys.stack.emulator.url}/mailbox`);
  await page.getByRole('heading', { name: 'Mailbox' }).waitFor();
  return page.getByRole('row').filter({ hasText: email });
}

/** Follow the accept link in the mailbox and sign up through it with the invited address; resolves in the organization's space. */
async function acceptBySigningUp(page: Page, email: string, slug: string, firstName: string, lastName: string): Promise<void> {
  const mail = await openMailbox(page, email);
  await mail.getByRole('link', { name: 'Accept invitation' }).click();
  // Our accept page hands Clerk's ticket on to the emulator's sign-up, the invited address fixed.
  await page.waitForURL(`${journeys.stack.emulator.url}/sign-up?**`);
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  expect(await page.getByLabel('Email address').inputValue()).toBe(email);
  expect(await page.getByLabel('Email address').getAttribute('readonly')).not.toBeNull();
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`${journeys.stack.app.url}/orgs/${slug}`);
}

describe('joining an organization by invitation', () => {
  it('brings in an address with no account through the emailed link, refuses a revoked one, and gives an Editor posts but no member management', async () => {
    const app = journeys.stack.app.url;
    const slug = `invites-${unique()}`;
    const name = 'Difference Engines';
    const admin = await journeys.newPage();
    const adminEmail = await journeys.signUp(admin, 'Ada', 'Lovelace');
    const adminRow = await prisma().user.findUniqueOrThrow({ where: { email: adminEmail } });
    await journeys.stack.control.createOrganization({ name, slug, createdBy: adminRow.clerkId });
    await journeys.stack.control.settleWebhooks();
    const organization = await prisma().organization.findUniqueOrThrow({ where: { slug } });

    // The admin invites an address that has no account.
    const inviteeEmail = `babbage-${unique()}@example.com`;
    await admin.goto(`${app}/orgs/${slug}/members`);
    expect(await admin.getByTestId('organization-role').textContent()).toBe('Admin');
    await invite(admin, inviteeEmail);
    await admin.getByRole('heading', { name: 'Pending invitations (1)' }).waitFor();
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
    await screenshot(admin, 'organization-invitation-pending');

    // The emulator's mailbox shows the email, with its accept link; the invitee signs up through it and lands as a Member.
    const invitee = await journeys.newPage();
    const mail = await openMailbox(invitee, inviteeEmail);
    expect(await mail.textContent()).toContain(`You're invited to join ${name}`);
    const [message] = await journeys.stack.control.mailbox(inviteeEmail);
    expect(await mail.getByRole('link', { name: 'Accept invitation' }).getAttribute('href')).toBe(message!.acceptUrl);
    await screenshot(invitee, 'emulator-mailbox');
    await acceptBySigningUp(invitee, inviteeEmail, slug, 'Charles', 'Babbage');
    await invitee.getByTestId('organization-name').filter({ hasText: name }).waitFor();
    expect(await invitee.getByTestId('organization-role').textContent()).toBe('Member');
    // The switcher follows the session's active organization, which can settle a moment after the page shows it.
    await invitee.getByTestId('space-switcher').filter({ hasText: name }).waitFor();
    expect(await invitee.getByTestId('space-switcher').textContent()).toContain(name);
    await publish(invitee, 'Notes from Charles', 'A member\'s post.');
    await screenshot(invitee, 'organization-joined-by-invitation');
    // The admin's list: a member now, no invitation waiting.
    await admin.reload();
    await admin.getByTestId('member-list').getByText(inviteeEmail).waitFor();
    await admin.getByRole('heading', { name: 'Pending invitations (0)' }).waitFor();

    // A second invitation, revoked from the members page: its link then refuses, and nothing is made.
    const revokedEmail = `revoked-${unique()}@example.com`;
    await invite(admin, revokedEmail);
    await admin.getByTestId('invitation-list').getByRole('listitem').filter({ hasText: revokedEmail }).getByRole('button', { name: 'Revoke' }).click();
    // The page re-renders without it (its row, and the row's confirmation, are gone), as after removing a member.
    await admin.getByRole('heading', { name: 'Pending invitations (0)' }).waitFor();
    await admin.getByText('No invitation is waiting for an answer.').waitFor();
    expect(await prisma().invitation.findFirst({ where: { organizationClerkId: organization.clerkId, status: 'revoked' }, select: { status: true } })).toEqual({ status: 'revoked' });
    const latecomer = await journeys.newPage();
    const revokedMail = await openMailbox(latecomer, revokedEmail);
    journeys.expectError(/status of 400 \(Bad Request\) \(.*\/v1\/tickets\/accept\?ticket=/);
    await revokedMail.getByRole('link', { name: 'Accept invitation' }).click();
    await latecomer.getByRole('heading', { name: 'This invitation was revoked' }).waitFor();
    expect(new URL(latecomer.url()).origin).toBe(journeys.stack.emulator.url);
    await screenshot(latecomer, 'invitation-revoked');
    expect((await journeys.stack.control.exportUsers()).filter(([, email]) => email === revokedEmail)).toEqual([]);
    expect(await prisma().user.count({ where: { email: revokedEmail } })).toBe(0);

    // An Editor (a custom role: org:posts:delete, members read only) joins by invitation too.
    const editorEmail = `editor-${unique()}@example.com`;
    await invite(admin, editorEmail, 'Editor');
    const editor = await journeys.newPage();
    await acceptBySigningUp(editor, editorEmail, slug, 'Edith', 'Editor');
    expect(await editor.getByTestId('organization-role').textContent()).toBe('Editor');

    // The Editor deletes someone else's post: Delete shows on it (Edit does not).
    const post = await prisma().post.findFirstOrThrow({ where: { organizationId: organization.id, title: 'Notes from Charles' } });
    await editor.goto(`${app}/orgs/${slug}/posts/${post.id}`);
    await editor.getByRole('heading', { name: 'Notes from Charles' }).waitFor();
    await expect.poll(() => editor.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await editor.getByRole('button', { name: 'Delete' }).click();
    await editor.getByRole('button', { name: 'Yes, delete' }).click();
    await editor.waitForURL(`${app}/orgs/${slug}?deleted=1`);
    await editor.getByRole('status').filter({ hasText: 'Post deleted.' }).waitFor();
    expect(await prisma().post.count({ where: { id: post.id } })).toBe(0);
    // A Member has no Delete on someone else's post.
    const adminPost = await prisma().post.create({ data: { userId: adminRow.id, organizationId: organization.id, title: 'From the admin', content: 'Hello' } });
    await invitee.goto(`${app}/orgs/${slug}/posts/${adminPost.id}`);
    await invitee.getByRole('heading', { name: 'From the admin' }).waitFor();
    await expect.poll(() => invitee.getByRole('button', { name: 'Delete' }).count()).toBe(0);

    // The Editor sees the members, but no invitation form, no pending invitations and no member controls.
    await editor.goto(`${app}/orgs/${slug}/members`);
    await editor.getByTestId('member-list').getByText(inviteeEmail).waitFor();
    for (const control of [
      editor.getByRole('heading', { name: 'Invite someone' }),
      editor.getByLabel('Email address', { exact: true }),
      editor.getByRole('button', { name: 'Send invitation' }),
      editor.getByRole('heading', { name: /Pending invitations/ }),
      editor.getByRole('button', { name: 'Change role' }),
      editor.getByRole('button', { name: 'Remove' }),
      editor.getByRole('button', { name: 'Delete organization' }),
    ]) {
      expect(await control.count()).toBe(0);
    }
    await screenshot(editor, 'organization-members-as-editor');

    // Posting the invite action by hand, with the Editor's session, is refused and sends nothing.
    const jar = new CookieJar();
    for (const cookie of await editor.context().cookies(app)) jar.set(cookie.name, cookie.value);
    const sneaked = `sneaked-${unique()}@example.com`;
    const answer = await callAction(app, jar, { file: 'app/orgs/actions.ts', name: 'inviteAction' }, { organizationId: organization.id, email: sneaked, role: 'org:admin' }, `/orgs/${slug}/members`);
    expect(answer.status).toBeLessThan(500);
    expect(answer.text).toContain('That organization does not exist, or you may not manage its members.');
    expect(await journeys.stack.control.mailbox(sneaked)).toEqual([]);
    expect(await prisma().invitation.count({ where: { email: sneaked } })).toBe(0);

    // In the end: the admin, the Member and the Editor, with their roles; the revoked address nowhere.
    await journeys.stack.control.settleWebhooks();
    const members = await prisma().membership.findMany({ where: { organizationId: organization.id }, select: { role: true, user: { select: { email: true } } } });
    expect(members.map((member) => [member.user.email, member.role]).sort()).toEqual(
      [
        [adminEmail, 'org:admin'],
        [inviteeEmail, 'org:member'],
        [editorEmail, 'org:editor'],
      ].sort(),
    );
    expect(await prisma().invitation.findMany({ where: { organizationClerkId: organization.clerkId }, select: { email: true, status: true }, orderBy: { clerkCreatedAt: 'asc' } })).toEqual([
      { email: null, status: 'accepted' },
      { email: null, status: 'revoked' },
      { email: null, status: 'accepted' },
    ]);
  });
});
