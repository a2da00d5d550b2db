/**
 * The product in a real browser against `next start` and the Clerk emulator:
 * posts from creation to deletion, validation, other people's posts, the
 * account page, and deleting an account.
 */
import type { Page, Request } from 'playwright-core';
import { Prisma } from '@/generated/prisma/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser';
import { withinOneDatabaseMinute } from '../helpers/clock';
import { prisma } from '../helpers/prisma';
import { browserJourneys, publish } from '../helpers/journeys';
import type { Stack } from '../helpers/stack';

const journeys = browserJourneys();
let stack: Stack;
beforeAll(() => {
  stack = journeys.stack;
});
const newPage = () => journeys.newPage();
const signUp = (page: Page, first: string, last: string) => journeys.signUp(page, first, last);

/** The last server-action POST a page sends, as an attacker with a proxy would capture it. */
function captureActions(page: Page): () => Request {
  let last: Request | undefined;
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.headers()['next-action']) last = request;
  });
  return () => {
    if (!last) throw new Error('no server action request was captured');
    return last;
  };
}

/** Send a captured action request again from `from`'s session, with its body edited and any Origin. */
function replayAction(from: Page, request: Request, edit: (body: string) => string, origin = stack.app.url) {
  const headers = request.headers();
  return from.context().request.post(request.url(), {
    headers: { 'next-action': headers['next-action']!, 'content-type': headers['content-type']!, origin, accept: 'text/x-component' },
    data: Buffer.from(edit(request.postDataBuffer()!.toString('latin1')), 'latin1'),
  });
}

describe('a person writing posts', () => {
  it('creates, sees, edits and deletes a post, everywhere it shows', async () => {
    const page = await newPage();
    await signUp(page, 'Ada', 'Lovelace');
    await page.getByText('You have not written anything yet').waitFor();

    await publish(page, 'Notes on the Analytical Engine', 'It might act upon other things besides number.\n<script>alert(1)</script>');
    const list = page.getByTestId('post-list');
    await list.getByRole('link', { name: 'Notes on the Analytical Engine' }).waitFor();
    expect(await list.textContent()).toContain('<script>alert(1)</script>'); // shown as text, not run
    await screenshot(page, 'dashboard-with-a-post');

    await page.getByRole('link', { name: 'All posts' }).click();
    await page.waitForURL(`${stack.app.url}/posts`);
    await page.getByTestId('post-list').getByText('by Ada Lovelace').first().waitFor();
    await screenshot(page, 'feed');

    await page.getByRole('link', { name: 'Notes on the Analytical Engine' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Title').fill('Notes, revised');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Post saved.' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Notes, revised');

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard?deleted=1`);
    await page.getByRole('status').filter({ hasText: 'Post deleted.' }).waitFor();
    await page.getByText('You have not written anything yet').waitFor();
    await page.goto(`${stack.app.url}/posts`);
    // Absence means something only once the page is known to have rendered.
    await page.getByRole('heading', { name: 'All posts' }).waitFor();
    await expect.poll(() => page.getByText('Notes, revised').count()).toBe(0);
  });

  it('sees field errors for empty and oversized input, keeping what was typed', async () => {
    const page = await newPage();
    await signUp(page, 'Grace', 'Hopper');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Enter a title.').waitFor();
    await page.getByText('Write something.').waitFor();
    expect(await page.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Title').fill('x'.repeat(201));
    await page.getByLabel('Content').fill('y'.repeat(20_001));
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Keep the title to 200 characters or fewer.').waitFor();
    await page.getByText('Keep the post to 20,000 characters or fewer.').waitFor();
    expect(await page.getByLabel('Title').inputValue()).toHaveLength(201);
    await screenshot(page, 'form-with-errors');
    expect(await prisma().post.count({ where: { user: { name: 'Grace Hopper' } } })).toBe(0);
  });

  it('sees a field error for a NUL character, and nothing reaches the database', async () => {
    const page = await newPage();
    await signUp(page, 'Nul', 'Character');
    await page.getByLabel('Title').fill('A title with a \u0000 in it');
    await page.getByLabel('Content').fill('Fine content');
    expect(await page.getByLabel('Title').inputValue()).toContain('\u0000');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Remove the invisible control characters (such as NUL) from this field.').waitFor();
    expect(await page.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Content').getAttribute('aria-invalid')).toBe('false');
    expect(await prisma().post.count({ where: { user: { name: 'Nul Character' } } })).toBe(0);
  });
});

describe('limits on every write', () => {
  it('refuse post creation, edits, deletions and name changes past their limit, counted in the database', async () => {
    const page = await newPage();
    await signUp(page, 'Rapid', 'Writer');
    const user = await prisma().user.findFirstOrThrow({ where: { name: 'Rapid Writer' } });
    const lastAction = captureActions(page);
    // Limits count in one-minute windows on the database's clock: all of this must fit in one.
    await withinOneDatabaseMinute(40);

    await publish(page, 'First', 'one');
    const create = lastAction();
    const post = await prisma().post.findFirstOrThrow({ where: { userId: user.id } });
    await page.goto(`${stack.app.url}/posts/${post.id}/edit`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Post saved.' }).waitFor();
    const edit = lastAction();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.waitForURL(`${stack.app.url}/dashboard?deleted=1`);
    const remove = lastAction();
    await page.goto(`${stack.app.url}/account`);
    await page.getByLabel('First name').fill('Rapid');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const rename = lastAction();

    /** Replays `request` until the limit answers, returning how many were let through. */
    const replayUntilRefused = async (request: Request, refusal: string, max: number) => {
      for (let sent = 1; sent <= max + 1; sent++) {
        const text = await (await replayAction(page, request, (body) => body)).text();
        if (text.includes(refusal)) return sent;
      }
      return Infinity;
    };
    // Each action already ran once above; the limit lets through max - 1 more.
    expect(await replayUntilRefused(create, 'You are posting too fast. Try again in', 30)).toBe(30);
    expect(await prisma().post.count({ where: { userId: user.id } })).toBe(29);
    expect(await replayUntilRefused(edit, 'You are editing too fast. Try again in', 60)).toBe(60);
    expect(await replayUntilRefused(remove, 'You are deleting too fast. Try again in', 60)).toBe(60);
    expect(await replayUntilRefused(rename, 'You are changing your name too often. Try again in', 5)).toBe(5);
    // Counted per user in the database.
    expect(await prisma().rateLimitWindow.findMany({ where: { key: { startsWith: `${user.clerkId}:` } }, select: { key: true, count: true }, orderBy: { key: 'asc' } })).toEqual([
      { key: `${user.clerkId}:account.name`, count: 6 },
      { key: `${user.clerkId}:post.create`, count: 31 },
      { key: `${user.clerkId}:post.delete`, count: 61 },
      { key: `${user.clerkId}:post.edit`, count: 61 },
    ]);
  });
});

describe('someone else\'s post', () => {
  it('cannot be edited or deleted by another user, neither by URL nor by replaying the action', async () => {
    const author = await newPage();
    await signUp(author, 'Mary', 'Jackson');
    await publish(author, 'Wind tunnels', 'original text');
    const post = await prisma().post.findFirstOrThrow({ where: { title: 'Wind tunnels' } });

    // Capture the author's own edit request, as an attacker with a proxy would.
    const lastAction = captureActions(author);
    await author.goto(`${stack.app.url}/posts/${post.id}/edit`);
    await author.getByLabel('Content').fill('edited by the author');
    await author.getByRole('button', { name: 'Save' }).click();
    await author.getByRole('status').filter({ hasText: 'Post saved.' }).waitFor();
    const editRequest = lastAction();

    const intruder = await newPage();
    await signUp(intruder, 'Mallory', 'Intruder');
    journeys.expectError(new RegExp(`status of 404 \\(Not Found\\) \\(${stack.app.url}/posts/${post.id}/edit\\)`));
    const edit = await intruder.goto(`${stack.app.url}/posts/${post.id}/edit`);
    expect(edit?.status()).toBe(404);
    await intruder.goto(`${stack.app.url}/posts/${post.id}`);
    await intruder.getByRole('heading', { level: 1 }).waitFor();
    await expect.poll(() => intruder.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await expect.poll(() => intruder.getByRole('button', { name: 'Delete' }).count()).toBe(0);

    // Replay the author's request with the intruder's session, changing the content.
    const replay = await replayAction(intruder, editRequest, (body) => body.replace('edited by the author', 'defaced by mallory'));
    expect(replay.status()).toBeLessThan(500);
    expect(await replay.text()).toContain('That post does not exist, or it is not yours.');
    expect(await prisma().post.findUnique({ where: { id: post.id } })).toMatchObject({ content: 'edited by the author' });

    // The same with the author's own delete request, aimed at the first post.
    await author.goto(`${stack.app.url}/dashboard`);
    await publish(author, 'Throwaway', 'to be deleted');
    const throwaway = await prisma().post.findFirstOrThrow({ where: { title: 'Throwaway' } });
    await author.goto(`${stack.app.url}/posts/${throwaway.id}`);
    await author.getByRole('button', { name: 'Delete' }).click();
    await author.getByRole('button', { name: 'Yes, delete' }).click();
    await author.waitForURL(`${stack.app.url}/dashboard?deleted=1`);
    const deleteReplay = await replayAction(intruder, lastAction(), (body) => body.replaceAll(throwaway.id, post.id));
    expect(deleteReplay.status()).toBeLessThan(500);
    expect(await deleteReplay.text()).toContain('That post does not exist, or it is not yours.');
    expect(await prisma().post.count({ where: { id: post.id } })).toBe(1);
  });

  it('refuses a cross-origin POST to a server action', async () => {
    const page = await newPage();
    await signUp(page, 'Katherine', 'Johnson');
    await publish(page, 'Orbits', 'original');
    const post = await prisma().post.findFirstOrThrow({ where: { title: 'Orbits' } });
    const lastAction = captureActions(page);
    await page.goto(`${stack.app.url}/posts/${post.id}/edit`);
    await page.getByLabel('Content').fill('edited');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Post saved.' }).waitFor();

    const forged = await replayAction(page, lastAction(), (body) => body.replace('edited', 'forged from elsewhere'), 'https://evil.example');
    expect(forged.ok()).toBe(false);
    expect(await prisma().post.findUnique({ where: { id: post.id } })).toMatchObject({ content: 'edited' });
  });
});

describe('the account page', () => {
  it('changes the name through Clerk and shows it at once, first and last name as typed', async () => {
    const page = await newPage();
    await signUp(page, 'Ada', 'Byron');
    await stack.control.configureWebhooks({ hold: true });
    try {
      await page.goto(`${stack.app.url}/account`);
      await page.getByLabel('First name').fill('Mary Ann');
      await page.getByLabel('Last name').fill('Smith');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      // Shown without a reload, and before the webhook (held back) has landed.
      await expect.poll(() => page.getByTestId('account-name').textContent()).toBe('Mary Ann Smith');
      expect(await prisma().user.findFirst({ where: { name: 'Mary Ann Smith' }, select: { firstName: true, lastName: true } })).toEqual({ firstName: 'Mary Ann', lastName: 'Smith' });
      await page.goto(`${stack.app.url}/account`);
      expect(await page.getByLabel('First name').inputValue()).toBe('Mary Ann');
      expect(await page.getByLabel('Last name').inputValue()).toBe('Smith');
      await page.goto(`${stack.app.url}/dashboard`);
      expect(await page.getByTestId('profile-name').textContent()).toBe('Mary Ann Smith');
    } finally {
      await stack.control.configureWebhooks({ hold: false });
      await stack.control.releaseWebhooks();
    }
    // The webhook, when it lands, finds the change already there.
    await stack.control.settleWebhooks();
    expect(await prisma().user.count({ where: { name: 'Mary Ann Smith' } })).toBe(1);
  });

  it('shows Clerk\'s own message when Clerk refuses the change, beside the field it names', async () => {
    const page = await newPage();
    await signUp(page, 'Refused', 'Name');
    await stack.control.configureInstance({ names: false });
    try {
      await page.goto(`${stack.app.url}/account`);
      await page.getByLabel('First name').fill('Other');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByText('first_name is not a valid parameter for this request.').waitFor();
      expect(await page.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
      await expect.poll(() => page.getByText('Clerk could not be reached').count()).toBe(0);
      await screenshot(page, 'account-clerk-refused');
    } finally {
      await stack.control.configureInstance({ names: true });
    }
    expect(await prisma().user.count({ where: { name: 'Refused Name' } })).toBe(1);
  });

  it('deletes the account at once after a typed confirmation: signed out, user, posts and personal data gone before the webhook lands', async () => {
    const witness = await newPage();
    await signUp(witness, 'Witness', 'Reader');

    const page = await newPage();
    const email = await signUp(page, 'Leaving', 'Soon');
    await publish(page, 'A farewell post', 'goodbye');
    const user = await prisma().user.findUniqueOrThrow({ where: { email } });

    await page.goto(`${stack.app.url}/account`);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText('Type "delete my account" to confirm.').waitFor();
    expect(await prisma().user.count({ where: { id: user.id } })).toBe(1);

    await stack.control.configureWebhooks({ hold: true });
    try {
      await page.getByLabel('Type delete my account to confirm').fill('delete my account');
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.waitForURL(`${stack.app.url}/?account=deleted`);
      // Gone now, with user.deleted still held back by the emulator.
      expect(await prisma().user.count({ where: { id: user.id } })).toBe(0);
      expect(await prisma().post.count({ where: { userId: user.id } })).toBe(0);
      expect(await prisma().deletedClerkUser.count({ where: { clerkId: user.clerkId } })).toBe(1);
      expect(await prisma().webhookDelivery.count({ where: { clerkUserId: user.clerkId, payload: { not: Prisma.AnyNull } } })).toBe(0);
      await witness.goto(`${stack.app.url}/posts`);
      await witness.getByRole('heading', { name: 'All posts' }).waitFor();
      await expect.poll(() => witness.getByText('A farewell post').count()).toBe(0);
    } finally {
      await stack.control.configureWebhooks({ hold: false });
      await stack.control.releaseWebhooks();
    }
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);

    // The webhook, when it lands, changes nothing.
    await stack.control.settleWebhooks();
    expect(await prisma().webhookDelivery.findFirst({ where: { clerkUserId: user.clerkId, type: 'user.deleted' }, select: { outcome: true } })).toEqual({ outcome: 'stale' });
  });
});
