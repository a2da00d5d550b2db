/**
 * The write limits of the organization spaces and of account deletion, as a
 * person replaying a form over HTTP meets them (the posts' and names' limits
 * are met the same way in a browser, tests/e2e/product.e2e.ts): each action
 * lets through exactly its number of attempts in a minute, then refuses
 * saying how long to wait, without calling Clerk. The numbers are the
 * README's, written out. Against `next start` and the emulator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withinOneDatabaseMinute } from '../helpers/clock';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { prisma } from '../helpers/prisma';
import { callAction } from '../helpers/server-actions';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const suffix = () => randomUUID().slice(0, 8);

/** A Clerk user, signed in, with our row (provisioned by a first visit). */
async function signedIn(): Promise<{ clerkId: string; jar: CookieJar }> {
  const clerk = await stack.control.createUser({ email: `writer-${suffix()}@example.com`, firstName: 'Rapid', lastName: 'Writer' });
  const jar = new CookieJar((await stack.control.signIn(clerk.id)).cookies);
  expect((await navigate(`${stack.app.url}/dashboard`, jar)).status).toBe(200);
  return { clerkId: clerk.id, jar };
}

/**
 * Sends the action's form until it is refused with `refusal`; returns how
 * many attempts were let through before that (Infinity: never refused).
 */
async function attemptsBeforeRefusal(jar: CookieJar, action: { file: string; name: string }, fields: () => Record<string, string>, refusal: string, upTo: number) {
  for (let sent = 0; sent <= upTo; sent++) {
    const answer = await callAction(stack.app.url, jar, action, fields());
    expect(answer.status, answer.text).toBeLessThan(500);
    if (answer.text.includes(refusal)) return sent;
  }
  return Infinity;
}

const orgs = (name: string) => ({ file: 'app/orgs/actions.ts', name });
/** An organization and a membership that are nobody's: the attempt is counted, then refused by the service. */
const nobodys = { organizationId: 'cnobody0000000000000000000', membershipId: 'cnobody0000000000000000001' };
const backendApiCalls = async () => (await stack.control.backendApiCalls()).total;
/** A test may first wait for the database's next minute, then send its attempts. */
const ONE_MINUTE_AND_MORE = 120_000;

describe('the organization spaces\' write limits', () => {
  it('let a person create 5 organizations a minute', async () => {
    const { clerkId, jar } = await signedIn();
    await withinOneDatabaseMinute(30);
    const create = () => ({ name: `Team ${suffix()}`, slug: `team-${suffix()}` });
    expect(await attemptsBeforeRefusal(jar, orgs('createOrganizationAction'), create, 'You are creating organizations too fast. Try again in', 10)).toBe(5);
    const before = await backendApiCalls();
    expect((await callAction(stack.app.url, jar, orgs('createOrganizationAction'), create())).text).toContain('You are creating organizations too fast.');
    expect(await backendApiCalls()).toBe(before);
    expect(await prisma().rateLimitWindow.findMany({ where: { key: `${clerkId}:organization.create` }, select: { count: true } })).toEqual([{ count: 7 }]);
  }, ONE_MINUTE_AND_MORE);

  it('let a person make 30 membership changes a minute, revoking invitations, changing roles and removing counted together', async () => {
    const { clerkId, jar } = await signedIn();
    await withinOneDatabaseMinute(30);
    let turn = 0;
    // In turn: a revocation, a role change, a removal (of nobody's invitation and membership: each is counted, then refused).
    const changes: { name: string; fields: Record<string, string> }[] = [
      { name: 'revokeInvitationAction', fields: { organizationId: nobodys.organizationId, invitationId: nobodys.membershipId } },
      { name: 'changeRoleAction', fields: { ...nobodys, role: 'org:admin' } },
      { name: 'removeMemberAction', fields: nobodys },
    ];
    let sent = 0;
    for (; sent <= 40; sent++) {
      const change = changes[turn++ % changes.length]!;
      const answer = await callAction(stack.app.url, jar, orgs(change.name), change.fields);
      expect(answer.status).toBeLessThan(500);
      if (answer.text.includes('You are changing members too fast. Try again in')) break;
    }
    expect(sent).toBe(30);
    for (const change of changes) expect((await callAction(stack.app.url, jar, orgs(change.name), change.fields)).text).toContain('You are changing members too fast.');
    expect(await prisma().rateLimitWindow.findMany({ where: { key: `${clerkId}:organization.members` }, select: { count: true } })).toEqual([{ count: 34 }]);
  }, ONE_MINUTE_AND_MORE);

  it('let a person send 20 invitations a minute (each is an email someone receives), counted apart from other membership changes', async () => {
    const { clerkId, jar } = await signedIn();
    await withinOneDatabaseMinute(30);
    const invitation = () => ({ organizationId: nobodys.organizationId, email: `invitee-${suffix()}@example.com`, role: 'org:member' });
    const before = await backendApiCalls();
    expect(await attemptsBeforeRefusal(jar, orgs('inviteAction'), invitation, 'You are sending invitations too fast. Try again in', 30)).toBe(20);
    expect(await backendApiCalls()).toBe(before);
    expect(await prisma().rateLimitWindow.findMany({ where: { key: `${clerkId}:organization.invite` }, select: { count: true } })).toEqual([{ count: 21 }]);
    // Other membership changes still have their own 30.
    expect(await prisma().rateLimitWindow.count({ where: { key: `${clerkId}:organization.members` } })).toBe(0);
    expect((await callAction(stack.app.url, jar, orgs('removeMemberAction'), nobodys)).text).toContain('That organization does not exist, or you may not manage its members.');
    expect(await stack.control.mailbox()).toEqual([]);
  }, ONE_MINUTE_AND_MORE);

  it('let a person try to leave 10 times a minute, and to delete an organization 3 times', async () => {
    const { jar } = await signedIn();
    await withinOneDatabaseMinute(30);
    expect(await attemptsBeforeRefusal(jar, orgs('leaveOrganizationAction'), () => ({ organizationId: nobodys.organizationId }), 'Too many attempts to leave. Try again in', 20)).toBe(10);
    const deletion = () => ({ organizationId: nobodys.organizationId, confirmation: 'team' });
    expect(await attemptsBeforeRefusal(jar, orgs('deleteOrganizationAction'), deletion, 'Too many attempts to delete an organization. Try again in', 10)).toBe(3);
  }, ONE_MINUTE_AND_MORE);

  it('count an organization\'s posts with the person\'s own: 30 created, 60 edited, 60 deleted a minute in all', async () => {
    const { clerkId, jar } = await signedIn();
    await withinOneDatabaseMinute(40);
    const post = { title: 'Hello', content: 'world' };
    // 10 personal posts, then the organization's form has 20 left.
    for (let i = 0; i < 10; i++) expect((await callAction(stack.app.url, jar, { file: 'app/posts/actions.ts', name: 'createPostAction' }, post)).text).toContain('Post published.');
    expect(await attemptsBeforeRefusal(jar, orgs('createOrganizationPostAction'), () => ({ ...post, organizationId: nobodys.organizationId }), 'You are posting too fast. Try again in', 40)).toBe(20);
    const edit = () => ({ ...post, organizationId: nobodys.organizationId, postId: nobodys.membershipId });
    expect(await attemptsBeforeRefusal(jar, orgs('updateOrganizationPostAction'), edit, 'You are editing too fast. Try again in', 70)).toBe(60);
    const remove = () => ({ organizationId: nobodys.organizationId, postId: nobodys.membershipId });
    expect(await attemptsBeforeRefusal(jar, orgs('deleteOrganizationPostAction'), remove, 'You are deleting too fast. Try again in', 70)).toBe(60);
    // Shared with the personal forms: those are refused now too.
    expect((await callAction(stack.app.url, jar, { file: 'app/posts/actions.ts', name: 'createPostAction' }, post)).text).toContain('You are posting too fast.');
    const windows = await prisma().rateLimitWindow.findMany({ where: { key: { startsWith: `${clerkId}:post.` } }, select: { key: true, count: true }, orderBy: { key: 'asc' } });
    expect(windows).toEqual([
      { key: `${clerkId}:post.create`, count: 32 },
      { key: `${clerkId}:post.delete`, count: 61 },
      { key: `${clerkId}:post.edit`, count: 61 },
    ]);
  }, ONE_MINUTE_AND_MORE);
});

describe('account deletion', () => {
  it('is tried 3 times a minute at most (here Clerk fails each time, and nothing is deleted)', async () => {
    const { clerkId, jar } = await signedIn();
    await withinOneDatabaseMinute(30);
    await stack.control.serverErrors(3, 503);
    const account = { file: 'app/account/actions.ts', name: 'deleteAccountAction' };
    expect(await attemptsBeforeRefusal(jar, account, () => ({ confirmation: 'delete my account' }), 'Too many attempts to delete your account. Try again in', 10)).toBe(3);
    expect(await prisma().user.count({ where: { clerkId } })).toBe(1);
  }, ONE_MINUTE_AND_MORE);
});
