/**
 * The product in a real browser against `next start` and the Clerk emulator:
 * posts from creation to deletion, validation, other people's posts, the
 * account page, and deleting an account.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { POST_CONTENT_MAX, POST_TITLE_MAX } from '@/modules/posts/src/interfaces/post.schema';
import { launchBrowser, screenshot, signUpInBrowser } from '../helpers/browser';
import { prisma } from '../helpers/prisma';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context.newPage();
}

const signUp = (page: Page, first: string, last: string) => signUpInBrowser(page, stack.app.url, stack.emulator.url, first, last);

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

async function publish(page: Page, title: string, content: string) {
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill(content);
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('status').filter({ hasText: 'Post published.' }).waitFor();
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
    expect(await page.getByText('Notes, revised').count()).toBe(0);
  });

  it('sees field errors for empty and oversized input, keeping what was typed', async () => {
    const page = await newPage();
    await signUp(page, 'Grace', 'Hopper');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Enter a title.').waitFor();
    await page.getByText('Write something.').waitFor();
    expect(await page.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Title').fill('x'.repeat(POST_TITLE_MAX + 1));
    await page.getByLabel('Content').fill('y'.repeat(POST_CONTENT_MAX + 1));
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(`Keep the title to ${POST_TITLE_MAX} characters or fewer.`).waitFor();
    await page.getByText(`Keep the post to ${POST_CONTENT_MAX.toLocaleString('en-US')} characters or fewer.`).waitFor();
    expect(await page.getByLabel('Title').inputValue()).toHaveLength(POST_TITLE_MAX + 1);
    await screenshot(page, 'form-with-errors');
    expect(await prisma().post.count({ where: { user: { name: 'Grace Hopper' } } })).toBe(0);
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
    const edit = await intruder.goto(`${stack.app.url}/posts/${post.id}/edit`);
    expect(edit?.status()).toBe(404);
    await intruder.goto(`${stack.app.url}/posts/${post.id}`);
    expect(await intruder.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await intruder.getByRole('button', { name: 'Delete' }).count()).toBe(0);

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
  it('changes the name through Clerk; it shows once the webhook brings it back', async () => {
    const page = await newPage();
    await signUp(page, 'Ada', 'Byron');
    await page.goto(`${stack.app.url}/account`);
    await page.getByLabel('First name').fill('Augusta');
    await page.getByLabel('Last name').fill('King');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await stack.control.settleWebhooks();
    await page.reload();
    expect(await page.getByTestId('account-name').textContent()).toBe('Augusta King');
    await page.goto(`${stack.app.url}/dashboard`);
    expect(await page.getByTestId('profile-name').textContent()).toBe('Augusta King');
  });

  it('deletes the account after a typed confirmation: signed out, user and posts gone', async () => {
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

    await page.getByLabel('Type delete my account to confirm').fill('delete my account');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(`${stack.app.url}/?account=deleted`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto(`${stack.app.url}/dashboard`);
    await page.waitForURL(`${stack.emulator.url}/sign-in**`);

    await stack.control.settleWebhooks();
    expect(await prisma().user.count({ where: { id: user.id } })).toBe(0);
    expect(await prisma().post.count({ where: { userId: user.id } })).toBe(0);
    await witness.goto(`${stack.app.url}/posts`);
    expect(await witness.getByText('A farewell post').count()).toBe(0);
  });
});
