/**
 * Team workspaces in a real browser against `next start` and the Clerk
 * emulator: create an organization, invite a second person (who has an
 * account) by email, who accepts through the emailed link by signing in,
 * then switches to it from the header and sees its posts; a non-member gets a 404;
 * an admin deletes a member's post; removing the member cuts their access on
 * their next request, before the webhook lands.
 */
import { describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser';
import { prisma } from '../helpers/prisma';
import { browserJourneys, publish } from '../helpers/journeys';

const journeys = browserJourneys();

/** A 404 the journey asks for: the browser logs it as a console error. */
function expect404(path: string) {
  journeys.expectError(new RegExp(`status of 404 \\(Not Found\\) \\(${journeys.stack.app.url}${path.replaceAll('/', '\\/')}\\)`));
}

describe('a team workspace', () => {
  it('is created, shared with a second person by invitation, private to its members, moderated by its admin, and closed to a removed member at once', async () => {
    const slug = `engines-${Date.now().toString(36)}`;
    const admin = await journeys.newPage();
    await journeys.signUp(admin, 'Ada', 'Lovelace');
    const member = await journeys.newPage();
    const memberEmail = await journeys.signUp(member, 'Grace', 'Hopper');

    // Create an organization from the header's space switcher.
    await admin.getByTestId('space-switcher').click();
    await admin.getByRole('link', { name: '+ New organization' }).click();
    await admin.waitForURL(`${journeys.stack.app.url}/organizations/new`);
    await admin.getByLabel('Name').fill('Analytical Engines');
    await admin.getByLabel('Address (optional)').fill(slug);
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await admin.waitForURL(`${journeys.stack.app.url}/orgs/${slug}?created=1`);
    await admin.getByRole('status').filter({ hasText: 'Organization created.' }).waitFor();
    expect(await admin.getByTestId('organization-role').textContent()).toBe('Admin');
    await publish(admin, 'Welcome to the team', 'Posts here are for members only.');

    // Invite the second person by email: nobody is a member until they accept.
    await admin.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Members' }).click();
    await admin.waitForURL(`${journeys.stack.app.url}/orgs/${slug}/members`);
    await admin.getByLabel('Email address', { exact: true }).fill(memberEmail);
    await admin.getByRole('button', { name: 'Send invitation' }).click();
    await admin.getByRole('status').filter({ hasText: `Invitation sent to ${memberEmail}. They join when they accept it.` }).waitFor();
    await admin.getByTestId('invitation-list').getByText(memberEmail).waitFor();
    expect(await admin.getByTestId('member-list').getByText(memberEmail).count()).toBe(0);

    // They have an account: the emailed link (the emulator's mailbox) has them sign in, and they join.
    await member.goto(`${journeys.stack.emulator.url}/mailbox`);
    await member.getByRole('row').filter({ hasText: memberEmail }).getByRole('link', { name: 'Accept invitation' }).click();
    await member.waitForURL(`${journeys.stack.emulator.url}/sign-in?**`);
    expect(await member.getByLabel('Email address').inputValue()).toBe(memberEmail);
    await member.getByRole('button', { name: 'Continue' }).click();
    await member.waitForURL(`${journeys.stack.app.url}/orgs/${slug}`);
    await admin.reload();
    await admin.getByTestId('member-list').getByText(memberEmail).waitFor();
    await screenshot(admin, 'organization-members');

    // The member switches to it from the header and sees its posts.
    await member.goto(`${journeys.stack.app.url}/dashboard`);
    await member.getByTestId('space-switcher').click();
    await member.getByRole('link', { name: 'Analytical Engines' }).click();
    await member.waitForURL(`${journeys.stack.app.url}/orgs/${slug}`);
    await member.getByTestId('post-list').getByRole('link', { name: 'Welcome to the team' }).waitFor();
    expect(await member.getByTestId('space-switcher').textContent()).toContain('Analytical Engines');
    expect(await member.getByTestId('organization-role').textContent()).toBe('Member');
    await publish(member, 'Notes from Grace', 'A member\'s post.');
    await screenshot(member, 'organization-dashboard');

    // A non-member gets a 404 on every page of it, and sees none of its posts.
    const post = await prisma().post.findFirstOrThrow({ where: { title: 'Notes from Grace' } });
    const outsider = await journeys.newPage();
    await journeys.signUp(outsider, 'Mallory', 'Outsider');
    for (const path of [`/orgs/${slug}`, `/orgs/${slug}/members`, `/orgs/${slug}/posts/${post.id}`]) {
      expect404(path);
      const response = await outsider.goto(`${journeys.stack.app.url}${path}`);
      expect(response?.status(), path).toBe(404);
      await outsider.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(await outsider.content(), path).not.toContain('Notes from Grace');
    }
    await outsider.goto(`${journeys.stack.app.url}/posts`);
    await outsider.getByRole('heading', { name: 'All posts' }).waitFor();
    await expect.poll(() => outsider.getByText('Welcome to the team').count()).toBe(0);

    // The admin deletes the member's post.
    await admin.goto(`${journeys.stack.app.url}/orgs/${slug}/posts/${post.id}`);
    await expect.poll(() => admin.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await admin.getByRole('button', { name: 'Delete' }).click();
    await admin.getByRole('button', { name: 'Yes, delete' }).click();
    await admin.waitForURL(`${journeys.stack.app.url}/orgs/${slug}?deleted=1`);
    await admin.getByRole('status').filter({ hasText: 'Post deleted.' }).waitFor();
    expect(await prisma().post.count({ where: { id: post.id } })).toBe(0);

    // Removing the member cuts their access on their next request, with the webhook still held back.
    await journeys.stack.control.configureWebhooks({ hold: true });
    try {
      await admin.goto(`${journeys.stack.app.url}/orgs/${slug}/members`);
      const row = admin.getByTestId('member-list').getByRole('listitem').filter({ hasText: memberEmail });
      await row.getByRole('button', { name: 'Remove' }).click();
      await row.getByRole('button', { name: 'Yes, remove' }).click();
      // The page re-renders without them (their row, and its confirmation, are gone).
      await expect.poll(() => admin.getByTestId('member-list').getByText(memberEmail).count()).toBe(0);

      expect404(`/orgs/${slug}`);
      const after = await member.reload();
      expect(after?.status()).toBe(404);
      await member.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(await member.content()).not.toContain('Welcome to the team');
      await member.goto(`${journeys.stack.app.url}/dashboard`);
      await member.getByTestId('space-switcher').click();
      await expect.poll(() => member.getByRole('link', { name: 'Analytical Engines' }).count()).toBe(0);
    } finally {
      await journeys.stack.control.configureWebhooks({ hold: false });
      await journeys.stack.control.releaseWebhooks();
    }
    await journeys.stack.control.settleWebhooks();
    expect(await prisma().membership.count({ where: { organization: { slug }, user: { email: memberEmail } } })).toBe(0);
  });
});
