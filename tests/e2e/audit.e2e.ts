/**
 * The audit log in a real browser against `next start` and the Clerk
 * emulator: an organization's admin removes a member through the Members
 * page (the real server action, its actor from the session) and sees it in
 * the organization's audit log, with who did it to whom; a member who does
 * not manage members has no such tab, and gets a 404 for the page.
 */
import { describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser';
import { browserJourneys } from '../helpers/journeys';
import { prisma } from '../helpers/prisma';

const journeys = browserJourneys();

describe("an organization's audit log", () => {
  it('shows its admin the member they just removed, and is a 404 for a member', async () => {
    const slug = `audited-${Date.now().toString(36)}`;
    const admin = await journeys.newPage();
    const adminEmail = await journeys.signUp(admin, 'Ada', 'Lovelace');
    const member = await journeys.newPage();
    const memberEmail = await journeys.signUp(member, 'Grace', 'Hopper');
    const [ada, grace] = await Promise.all([adminEmail, memberEmail].map((email) => prisma().user.findUniqueOrThrow({ where: { email } })));

    // An organization with Ada as its admin and Grace as a member who joined (the invitation journey: organizations.e2e.ts).
    const { control } = journeys.stack;
    const organization = await control.createOrganization({ name: 'Analytical Engines', slug, createdBy: ada!.clerkId });
    await control.addMembership(organization.id, grace!.clerkId);
    await control.settleWebhooks();

    // A member who does not manage members: no tab, and the page is a 404.
    await member.goto(`${journeys.stack.app.url}/orgs/${slug}`);
    expect(await member.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    journeys.expectError(new RegExp(`status of 404 \\(Not Found\\) \\(${journeys.stack.app.url}/orgs/${slug}/audit\\)`));
    expect((await member.goto(`${journeys.stack.app.url}/orgs/${slug}/audit`))?.status()).toBe(404);
    await member.getByRole('heading', { name: 'Not found' }).waitFor();

    // The admin removes Grace from the Members page.
    await admin.goto(`${journeys.stack.app.url}/orgs/${slug}/members`);
    const row = admin.getByTestId('member-list').getByRole('listitem').filter({ hasText: memberEmail });
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(() => admin.getByTestId('member-list').getByText(memberEmail).count()).toBe(0);

    // And sees it in the organization's audit log: who, what, to whom, when.
    await admin.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Audit log' }).click();
    await admin.waitForURL(`${journeys.stack.app.url}/orgs/${slug}/audit`);
    const entries = admin.getByTestId('audit-log').getByRole('listitem');
    await expect.poll(() => entries.count()).toBe(1);
    expect(await entries.first().getAttribute('data-action')).toBe('membership.removed');
    expect((await entries.first().textContent())?.replace(/\s+/g, ' ')).toMatch(/^Ada Lovelace removed Grace Hopper \(member\)\w{3} \d{1,2}, \d{4}, .* UTC$/);
    expect(await admin.getByTestId('audit-impersonator').count()).toBe(0);
    // Names come from our rows at read time: the log itself holds ids, never an address or a name.
    expect(await admin.getByTestId('audit-log').textContent()).not.toContain(memberEmail);
    expect(await prisma().auditEvent.findMany({ where: { organizationClerkId: organization.id }, select: { action: true, actorClerkUserId: true, impersonatorClerkUserId: true, targetId: true } })).toEqual([
      { action: 'membership.removed', actorClerkUserId: ada!.clerkId, impersonatorClerkUserId: null, targetId: grace!.clerkId },
    ]);
    await screenshot(admin, 'organization-audit-log');
  });
});
