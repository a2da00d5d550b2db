/**
 * Clerk Billing in a real browser against `next start` and the Clerk
 * emulator: an organization on Free fills its three seats and the next
 * invitation is refused with a link to its Billing page; it upgrades to Pro
 * through the emulator's checkout and invites on; a renewal fails and Free's
 * limits apply while it is past due, with nothing deleted, until it is paid;
 * canceled, Pro holds until the period's end and then the organization is on
 * Free again, every member, invitation and post still there and writes over
 * Free's limits refused. Webhooks land when they land: the pages are
 * reloaded until they show the change.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser';
import { browserJourneys, publish } from '../helpers/journeys';

const journeys = browserJourneys();

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Past any monthly period's end (a month is at most 31 days). */
const PAST_A_PERIOD_MS = 32 * DAY_MS;

const MEMBER_LIMIT_REACHED = "This organization's plan has room for 3 members, pending invitations included, and they are taken.";
const POST_TOO_LONG_FOR_PLAN = "On this organization's plan a post is at most 2,000 characters. Upgrade for longer posts.";

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

/** Reload `page` until the element `testId` reads `expected` (a webhook landed), within a bounded wait. */
async function reloadUntil(page: Page, testId: string, expected: string | RegExp, timeout = 20_000): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.reload();
        return (await page.getByTestId(testId).first().textContent({ timeout: 5_000 })) ?? '';
      },
      { timeout, interval: 200 },
    )
    .toMatch(expected);
}

/** Fill the invitation form on the members page `admin` is on and send it. */
async function sendInvitation(admin: Page, email: string): Promise<void> {
  await admin.getByLabel('Email address', { exact: true }).fill(email);
  await admin.getByRole('button', { name: 'Send invitation' }).click();
}

/** Invite `email` as a Member; waits for the confirmation and the pending row. */
async function invite(admin: Page, email: string): Promise<void> {
  await sendInvitation(admin, email);
  await admin.getByRole('status').filter({ hasText: `Invitation sent to ${email}. They join when they accept it.` }).waitFor();
  await admin.getByTestId('invitation-list').getByRole('listitem').filter({ hasText: email }).waitFor();
}

/** Invite `email` and see it refused for the seats, with the upgrade link to the Billing page; nothing pending for it. */
async function inviteRefused(admin: Page, email: string, slug: string): Promise<void> {
  await sendInvitation(admin, email);
  const refusal = admin.getByRole('alert').filter({ hasText: MEMBER_LIMIT_REACHED });
  await refusal.waitFor();
  expect(await refusal.getByTestId('form-error-link').getAttribute('href')).toBe(`/orgs/${slug}/billing`);
  expect(await admin.getByTestId('invitation-list').getByText(email).count()).toBe(0);
  expect(await journeys.stack.control.mailbox(email)).toEqual([]);
}

/** Follow the mailbox's accept link for `email` and sign up through it; resolves in the organization's space. */
async function acceptBySigningUp(page: Page, email: string, slug: string, firstName: string, lastName: string): Promise<void> {
  await page.goto(`${journeys.stack.emulator.url}/mailbox`);
  await page.getByRole('row').filter({ hasText: email }).getByRole('link', { name: 'Accept invitation' }).click();
  await page.waitForURL(`${journeys.stack.emulator.url}/sign-up?**`);
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`${journeys.stack.app.url}/orgs/${slug}`);
}

describe('an organization on Clerk Billing', () => {
  it('is held to Free, upgrades through checkout, falls back to Free while past due and after a cancellation ends, and loses nothing', async () => {
    const app = journeys.stack.app.url;
    const emulator = journeys.stack.emulator.url;
    const slug = `billing-${unique()}`;
    const billing = `${app}/orgs/${slug}/billing`;
    const members = `${app}/orgs/${slug}/members`;
    const address = (name: string) => `${name}-${unique()}@example.com`;
    const admin = await journeys.newPage();
    const adminEmail = await journeys.signUp(admin, 'Ada', 'Lovelace');

    // 1. An organization starts on Free: 3 seats, pending invitations included.
    await admin.getByTestId('space-switcher').click();
    await admin.getByRole('link', { name: '+ New organization' }).click();
    await admin.getByLabel('Name').fill('Counting Houses');
    await admin.getByLabel('Address (optional)').fill(slug);
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await admin.waitForURL(`${app}/orgs/${slug}?created=1`);
    expect(await admin.getByTestId('organization-plan').textContent()).toBe('Free');
    await publish(admin, 'Ledger rules', 'Every entry twice.');
    await admin.goto(billing);
    await reloadUntil(admin, 'billing-usage', '1 of 3 members');
    expect(await admin.getByTestId('billing-plan').textContent()).toBe('Free');
    expect(await admin.getByTestId('billing-usage').textContent()).toContain('1 of 50 posts');

    const [first, second, third, fourth, fifth] = ['babbage', 'somerville', 'herschel', 'boole', 'jacquard'].map(address);
    await admin.goto(members);
    await invite(admin, first!);
    await invite(admin, second!);
    await admin.getByTestId('seat-usage').filter({ hasText: '3 of 3 members on Free' }).waitFor();
    await admin.getByTestId('seat-usage').getByRole('link', { name: 'Upgrade to invite more' }).waitFor();
    await inviteRefused(admin, third!, slug);
    await admin.getByRole('alert').getByTestId('form-error-link').click();
    await admin.waitForURL(billing);

    // 2. Upgrade through the emulator's checkout: back on the Billing page, Pro, and the next invitation goes out.
    await admin.getByTestId('subscribe-pro').click();
    await admin.waitForURL(`${emulator}/billing/checkout?**`);
    // The organization's Clerk id, as the checkout link carries it, for the emulator's controls below.
    const organizationId = new URL(admin.url()).searchParams.get('organization_id')!;
    expect(organizationId).toMatch(/^org_/);
    await admin.getByTestId('checkout-subscribe').click();
    await admin.waitForURL(`${billing}?checkout=1`);
    expect(await admin.getByTestId('billing-plan').textContent()).toBe('Pro');
    expect(await admin.getByTestId('organization-plan').textContent()).toBe('Pro');
    expect(await admin.getByTestId('billing-usage').textContent()).toContain('3 members (pending invitations included)');
    await admin.goto(members);
    expect(await admin.getByTestId('organization-plan').textContent()).toBe('Pro');
    await invite(admin, third!);
    await admin.getByTestId('seat-usage').filter({ hasText: '4 members on Pro' }).waitFor();
    // Pro's long posts, before any downgrade.
    await admin.goto(`${app}/orgs/${slug}`);
    await publish(admin, 'The long ledger', 'L'.repeat(2_500));
    // The first invitee accepts through the emailed link and is a member.
    const invitee = await journeys.newPage();
    await acceptBySigningUp(invitee, first!, slug, 'Charles', 'Babbage');
    expect(await invitee.getByTestId('organization-plan').textContent()).toBe('Pro');
    await publish(invitee, 'Difference tables', 'A member\'s post.');
    await admin.goto(members);
    await reloadUntil(admin, 'member-list', first!);

    // 3. The renewal fails: past due, Free's limits apply, nothing is deleted; paid, Pro again.
    await journeys.stack.control.failNextPayment({ organizationId });
    await journeys.stack.control.advanceClock(PAST_A_PERIOD_MS);
    await admin.goto(billing);
    await reloadUntil(admin, 'organization-plan', 'Payment past due: Free limits apply');
    await admin.getByTestId('billing-past-due').waitFor();
    expect(await admin.getByTestId('billing-plan').textContent()).toBe('Payment past due: Free limits apply');
    expect(await admin.getByTestId('billing-usage').textContent()).toContain('4 of 3 members');
    await screenshot(admin, 'billing-past-due');
    await admin.goto(members);
    await inviteRefused(admin, fourth!, slug);
    await admin.getByRole('heading', { name: 'Members (2)' }).waitFor();
    for (const email of [adminEmail, first!]) await admin.getByTestId('member-list').getByText(email).waitFor();
    await admin.getByRole('heading', { name: 'Pending invitations (2)' }).waitFor();
    for (const email of [second!, third!]) await admin.getByTestId('invitation-list').getByText(email).waitFor();

    await journeys.stack.control.pay({ organizationId });
    await admin.goto(billing);
    await reloadUntil(admin, 'billing-plan', /^Pro$/);
    expect(await admin.getByTestId('billing-past-due').count()).toBe(0);
    await admin.goto(members);
    expect(await admin.getByTestId('organization-plan').textContent()).toBe('Pro');
    await invite(admin, fourth!);

    // 4. Canceled at the period's end, through the emulator's subscription page: Pro until then.
    await admin.goto(billing);
    await admin.getByTestId('manage-subscription').click();
    await admin.waitForURL(`${emulator}/billing/subscription?**`);
    expect(await admin.getByTestId('subscription-status').textContent()).toBe('active');
    await admin.getByTestId('subscription-cancel').click();
    await admin.getByTestId('subscription-status').filter({ hasText: 'canceled' }).waitFor();
    const periodEnd = dateFormat.format(new Date(`${await admin.getByTestId('subscription-period-end').textContent()}T00:00:00Z`));
    await admin.getByTestId('subscription-back').click();
    await admin.waitForURL(`${billing}?checkout=1`);
    await admin.goto(billing);
    await reloadUntil(admin, 'billing-plan', `Pro, until ${periodEnd}`);
    expect(await admin.getByTestId('organization-plan').textContent()).toBe(`Pro, until ${periodEnd}`);
    await admin.getByText(`Canceled: Pro holds until ${periodEnd}, then the organization is on Free (nothing is deleted).`).waitFor();

    // The period ends: Free, every member, invitation and post still there, writes over Free's limits refused.
    await journeys.stack.control.advanceClock(PAST_A_PERIOD_MS);
    await reloadUntil(admin, 'billing-plan', /^Free$/);
    expect(await admin.getByTestId('organization-plan').textContent()).toBe('Free');
    const usage = await admin.getByTestId('billing-usage').textContent();
    expect(usage).toContain('5 of 3 members');
    expect(usage).toContain('3 of 50 posts');
    await admin.goto(members);
    await admin.getByRole('heading', { name: 'Members (2)' }).waitFor();
    for (const email of [adminEmail, first!]) await admin.getByTestId('member-list').getByText(email).waitFor();
    await admin.getByRole('heading', { name: 'Pending invitations (3)' }).waitFor();
    for (const email of [second!, third!, fourth!]) await admin.getByTestId('invitation-list').getByText(email).waitFor();
    await inviteRefused(admin, fifth!, slug);

    await admin.goto(`${app}/orgs/${slug}`);
    for (const title of ['Ledger rules', 'The long ledger', 'Difference tables']) await admin.getByTestId('post-list').getByRole('link', { name: title }).waitFor();
    await admin.getByTestId('post-usage').filter({ hasText: '3 of 50 posts on Free, each up to 2,000 characters.' }).waitFor();
    await admin.getByLabel('Title').fill('Too long for Free');
    await admin.getByLabel('Content').fill('F'.repeat(2_001));
    await admin.getByRole('button', { name: 'Publish' }).click();
    // The refusal beside the content, and the upgrade link above the form; the text as sent, to shorten and try again.
    await admin.getByText(POST_TOO_LONG_FOR_PLAN).waitFor();
    expect(await admin.getByRole('alert').getByTestId('form-error-link').getAttribute('href')).toBe(`/orgs/${slug}/billing`);
    expect((await admin.getByLabel('Content').inputValue()).length).toBe(2_001);
    await admin.reload();
    expect(await admin.getByTestId('post-list').getByRole('link', { name: 'Too long for Free' }).count()).toBe(0);
  });
});
