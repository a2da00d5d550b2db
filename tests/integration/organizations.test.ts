/**
 * Team workspaces against `next start` and the Clerk emulator: an
 * organization's pages are for its members only (our Membership row
 * decides; 404 for anyone else, and for organizations that do not exist),
 * with no Backend API call per render; the one exception (the session's
 * claim names an organization whose membership has not reached us) costs
 * one call. Every action's happy path and refusals; removals and deletions
 * take effect on the next request, before any webhook; and a member of one
 * organization replaying actions or URLs against another changes nothing and
 * sees nothing.
 */
import { randomUUID } from 'node:crypto';
import type { OrganizationJSON, UserJSON } from '@clerk/backend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
afterEach(async () => {
  await stack.control.configureWebhooks({ hold: false });
  await stack.control.releaseWebhooks();
});

const ACTIONS = 'app/orgs/actions.ts';
const action = (name: string) => ({ file: ACTIONS, name });
const suffix = () => randomUUID().slice(0, 8);

interface Person {
  clerk: UserJSON;
  id: string;
  email: string;
  jar: CookieJar;
  sessionId: string;
}

/** A Clerk user with our row (provisioned by a first visit) and a signed-in session, in `organizationId` if given. */
async function person(firstName: string, organizationId: string | null = null): Promise<Person> {
  const email = `${firstName.toLowerCase()}-${suffix()}@example.com`;
  const clerk = await stack.control.createUser({ email, firstName, lastName: 'Tester' });
  const { cookies, sessionId } = await stack.control.signIn(clerk.id, { organizationId });
  const jar = new CookieJar(cookies);
  // A first visit provisions our row if user.created has not landed yet.
  expect((await fetchPage('/organizations/new', jar)).status).toBe(200);
  const id = (await prisma().user.findUniqueOrThrow({ where: { clerkId: clerk.id } })).id;
  return { clerk, id, email, jar, sessionId };
}

/** Sign `who` in again with the session in `organizationId` (the claim), as after a switch. */
async function inOrganization(who: Person, organizationId: string | null): Promise<Person> {
  const { cookies, sessionId } = await stack.control.signIn(who.clerk.id, { organizationId });
  return { ...who, jar: new CookieJar(cookies), sessionId };
}

interface Team {
  clerk: OrganizationJSON;
  id: string;
  slug: string;
  name: string;
}

/** An organization in Clerk with `admin` as its admin and `members` as members, synced to us through the webhooks. */
async function team(admin: Person, members: Person[] = []): Promise<Team> {
  const name = `Team ${suffix()}`;
  const clerk = await stack.control.createOrganization({ name, slug: `team-${suffix()}`, createdBy: admin.clerk.id });
  for (const member of members) await stack.control.addMembership(clerk.id, member.clerk.id);
  await stack.control.settleWebhooks();
  await expect.poll(() => prisma().membership.count({ where: { organization: { clerkId: clerk.id } } })).toBe(members.length + 1);
  const row = await prisma().organization.findUniqueOrThrow({ where: { clerkId: clerk.id } });
  return { clerk, id: row.id, slug: row.slug, name };
}

const postIn = (organization: Team, author: Person, title = `Post ${suffix()}`) =>
  prisma().post.create({ data: { userId: author.id, organizationId: organization.id, title, content: `Content of ${title}` } });

/** A GET as a browser navigates, following redirects (Clerk's handshake included), with the session's cookies. */
async function browse(pathOrUrl: string, jar: CookieJar): Promise<{ status: number; html: string }> {
  let url = new URL(pathOrUrl, stack.app.url).toString();
  for (let hops = 0; hops < 12; hops++) {
    const response = await navigate(url, jar);
    if (response.status < 300 || response.status >= 400) return { status: response.status, html: await response.text() };
    url = new URL(response.headers.get('location')!, url).toString();
  }
  throw new Error(`too many redirects from ${pathOrUrl}`);
}

/** A GET that is not a document navigation (no handshake): what the session's claim says right now is what the page sees. */
async function fetchPage(path: string, jar: CookieJar): Promise<{ status: number; html: string }> {
  const response = await fetch(`${stack.app.url}${path}`, { headers: { cookie: jar.header(), accept: '*/*' }, redirect: 'manual' });
  return { status: response.status, html: await response.text() };
}

const calls = async () => (await stack.control.backendApiCalls()).total;
const holdWebhooks = () => stack.control.configureWebhooks({ hold: true });

/** Everything of an organization's rows, to compare before and after an attempt. */
async function snapshot(organizationId: string) {
  return {
    organization: await prisma().organization.findUnique({ where: { id: organizationId }, select: { id: true, name: true, slug: true, clerkUpdatedAt: true } }),
    memberships: await prisma().membership.findMany({ where: { organizationId }, select: { id: true, userId: true, role: true, clerkUpdatedAt: true }, orderBy: { id: 'asc' } }),
    posts: await prisma().post.findMany({ where: { organizationId }, select: { id: true, userId: true, title: true, content: true }, orderBy: { id: 'asc' } }),
  };
}

describe('an organization\'s pages', () => {
  it('render for a member with no Backend API call, with its posts and members', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    const post = await postIn(organization, member, 'Shared with the team');
    const reader = await inOrganization(member, organization.clerk.id);
    await browse(`/orgs/${organization.slug}`, reader.jar); // any first-visit work (provisioning) done
    const before = await calls();
    for (const path of [`/orgs/${organization.slug}`, `/orgs/${organization.slug}/members`, `/orgs/${organization.slug}/posts/${post.id}`, `/orgs/${organization.slug}/posts/${post.id}/edit`]) {
      const page = await browse(path, reader.jar);
      expect(page.status, path).toBe(200);
      expect(page.html, path).toContain(organization.name);
    }
    expect(await calls()).toBe(before);
    const home = await browse(`/orgs/${organization.slug}`, reader.jar);
    expect(home.html).toContain('Shared with the team');
    const members = await browse(`/orgs/${organization.slug}/members`, reader.jar);
    expect(members.html).toContain(admin.email);
    expect(members.html).toContain(member.email);
    // A member (not an admin) sees no admin controls.
    expect(members.html).not.toContain('Add member');
  });

  it('keep an organization\'s posts out of the personal feed, the personal post pages and the author\'s dashboard', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const post = await postIn(organization, admin, `Team only ${suffix()}`);
    for (const path of ['/posts', '/dashboard']) expect((await browse(path, admin.jar)).html, path).not.toContain(post.title);
    for (const path of [`/posts/${post.id}`, `/posts/${post.id}/edit`]) expect((await browse(path, admin.jar)).status, path).toBe(404);
  });

  it('answer 404 to a non-member, and for an organization that does not exist, with nothing of it in the page and no Backend API call', async () => {
    const admin = await person('Ada');
    const outsider = await person('Mallory');
    const organization = await team(admin);
    const post = await postIn(organization, admin, `Secret ${suffix()}`);
    const before = await calls();
    for (const path of [
      `/orgs/${organization.slug}`,
      `/orgs/${organization.slug}/members`,
      `/orgs/${organization.slug}/posts/${post.id}`,
      `/orgs/${organization.slug}/posts/${post.id}/edit`,
      '/orgs/no-such-team',
      '/orgs/no-such-team/members',
      `/orgs/no-such-team/posts/${post.id}`,
      '/orgs/NOT%20A%20SLUG',
    ]) {
      const page = await browse(path, outsider.jar);
      expect(page.status, path).toBe(404);
      expect(page.html, path).toContain('There is nothing here, or it is not yours to see.');
      for (const secret of [organization.name, post.title, admin.email]) expect(page.html, path).not.toContain(secret);
    }
    expect(await calls()).toBe(before);
  });

  it('are decided by our row when the session\'s claim lags: a member whose claim names another space sees the page', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const other = await team(admin);
    const lagging = await inOrganization(admin, other.clerk.id);
    const before = await calls();
    const page = await fetchPage(`/orgs/${organization.slug}`, lagging.jar);
    expect(page.status).toBe(200);
    expect(page.html).toContain(organization.name);
    expect(await calls()).toBe(before);
  });

  it('let in a member whose membership has not reached us yet when the claim names the organization: one Backend API call, then the row', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const late = await person('Late');
    await stack.control.addMembership(organization.clerk.id, late.clerk.id, 'org:member', false);
    const signedIn = await inOrganization(late, organization.clerk.id);
    expect(await prisma().membership.count({ where: { organizationId: organization.id, userId: late.id } })).toBe(0);

    const before = await calls();
    const page = await fetchPage(`/orgs/${organization.slug}`, signedIn.jar);
    expect(page.status).toBe(200);
    expect(await calls()).toBe(before + 1);
    expect(await prisma().membership.findFirst({ where: { organizationId: organization.id, userId: late.id }, select: { role: true } })).toEqual({ role: 'org:member' });
    expect((await fetchPage(`/orgs/${organization.slug}`, signedIn.jar)).status).toBe(200);
    expect(await calls()).toBe(before + 1);
  });

  it('let in the creator of an organization none of whose webhooks has landed, when the claim names it', async () => {
    const creator = await person('Early');
    const clerk = await stack.control.createOrganization({ name: `Fresh ${suffix()}`, slug: `fresh-${suffix()}`, createdBy: creator.clerk.id }, false);
    const signedIn = await inOrganization(creator, clerk.id);
    const page = await fetchPage(`/orgs/${clerk.slug}`, signedIn.jar);
    expect(page.status).toBe(200);
    expect(page.html).toContain(clerk.name);
    expect(await prisma().membership.findFirst({ where: { organization: { clerkId: clerk.id }, userId: creator.id }, select: { role: true } })).toEqual({ role: 'org:admin' });
  });

  it('stay 404 when the claim names another organization and there is no row: no Backend API call', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const outsider = await person('Mallory');
    const elsewhere = await team(outsider);
    const signedIn = await inOrganization(outsider, elsewhere.clerk.id);
    const before = await calls();
    expect((await fetchPage(`/orgs/${organization.slug}`, signedIn.jar)).status).toBe(404);
    expect(await calls()).toBe(before);
  });
});

describe('creating an organization', () => {
  it('makes the creator its admin in Clerk and here at once, and goes to its page', async () => {
    const creator = await person('Ada');
    await holdWebhooks();
    const slug = `made-${suffix()}`;
    const answer = await callAction(stack.app.url, creator.jar, action('createOrganizationAction'), { name: 'Analytical Engines', slug });
    expect(answer.redirect).toBe(`/orgs/${slug}?created=1`);
    const row = await prisma().organization.findUniqueOrThrow({ where: { slug }, select: { name: true, memberships: { select: { userId: true, role: true } } } });
    expect(row).toEqual({ name: 'Analytical Engines', memberships: [{ userId: creator.id, role: 'org:admin' }] });
    expect((await browse(`/orgs/${slug}`, creator.jar)).status).toBe(200);
  });

  it('refuses a taken slug beside its field, and a malformed one before asking Clerk', async () => {
    const creator = await person('Ada');
    const existing = await team(creator);
    const taken = await callAction(stack.app.url, creator.jar, action('createOrganizationAction'), { name: 'Again', slug: existing.slug });
    expect(taken.redirect).toBeNull();
    expect(taken.status).toBeLessThan(500);
    expect(taken.text).toContain('That slug is taken. Please try another.');
    const before = await calls();
    const malformed = await callAction(stack.app.url, creator.jar, action('createOrganizationAction'), { name: 'Bad', slug: 'Not A Slug' });
    expect(malformed.text).toContain('Use lowercase letters, digits and dashes');
    const blank = await callAction(stack.app.url, creator.jar, action('createOrganizationAction'), { name: '   ', slug: '' });
    expect(blank.text).toContain('Enter a name.');
    expect(await calls()).toBe(before);
  });

  it('answers Clerk\'s outage or rate limit with a message, never a 500, and changes nothing', async () => {
    const creator = await person('Ada');
    const organization = await team(creator);
    const known = await person('Known');
    await stack.control.serverErrors(1, 503);
    const down = await callAction(stack.app.url, creator.jar, action('createOrganizationAction'), { name: 'Down', slug: `down-${suffix()}` });
    expect(down.status).toBeLessThan(500);
    expect(down.text).toContain('Clerk could not be reached, so nothing changed.');
    await stack.control.rateLimit(1, 7);
    const busy = await callAction(stack.app.url, creator.jar, action('addMemberAction'), { organizationId: organization.id, email: known.email, role: 'org:member' });
    expect(busy.status).toBeLessThan(500);
    expect(busy.text).toContain('Clerk is busy, so nothing changed. Try again in 7 seconds.');
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
  });
});

describe('managing members', () => {
  it('adds a member by email (ours, or only Clerk\'s), refusing unknown emails and existing members', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const known = await person('Known');
    const add = (email: string, role = 'org:member') => callAction(stack.app.url, admin.jar, action('addMemberAction'), { organizationId: organization.id, email, role });

    expect((await add(known.email.toUpperCase())).text).toContain(`${known.email} is now a member.`);
    expect(await prisma().membership.findFirst({ where: { organizationId: organization.id, userId: known.id }, select: { role: true } })).toEqual({ role: 'org:member' });

    await holdWebhooks();
    const onlyInClerk = await stack.control.createUser({ email: `clerk-only-${suffix()}@example.com`, firstName: 'Clerk', lastName: 'Only' });
    const email = onlyInClerk.email_addresses[0]!.email_address;
    expect((await add(email, 'org:admin')).text).toContain(`${email} is now a member.`);
    expect(await prisma().membership.findFirst({ where: { organizationId: organization.id, user: { clerkId: onlyInClerk.id } }, select: { role: true } })).toEqual({ role: 'org:admin' });

    expect((await add(`nobody-${suffix()}@example.com`)).text).toContain('Nobody has an account with nobody-');
    const again = await add(known.email);
    expect(again.status).toBeLessThan(500);
    expect(again.text).toContain(`${known.email} is already a member.`);
    expect((await add('not an email')).text).toContain('Enter an email address.');
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(3);
  });

  it('changes roles, and never takes away the last admin (demoting, removing or leaving)', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    const membershipOf = (who: Person) => prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: who.id } });
    const adminMembership = await membershipOf(admin);
    const role = (membershipId: string, newRole: string) => callAction(stack.app.url, admin.jar, action('changeRoleAction'), { organizationId: organization.id, membershipId, role: newRole });

    expect((await role(adminMembership.id, 'org:member')).text).toContain('An organization needs at least one admin');
    expect((await callAction(stack.app.url, admin.jar, action('removeMemberAction'), { organizationId: organization.id, membershipId: adminMembership.id })).text).toContain('An organization needs at least one admin');
    expect((await callAction(stack.app.url, admin.jar, action('leaveOrganizationAction'), { organizationId: organization.id })).text).toContain('You are its only admin');
    expect((await membershipOf(admin)).role).toBe('org:admin');

    await holdWebhooks();
    const memberMembership = await membershipOf(member);
    expect((await role(memberMembership.id, 'org:admin')).text).toContain('Role changed.');
    expect((await membershipOf(member)).role).toBe('org:admin');
    // Two admins: one may step down now.
    expect((await role(adminMembership.id, 'org:member')).text).toContain('Role changed.');
    expect((await membershipOf(admin)).role).toBe('org:member');
    expect((await role(memberMembership.id, 'org:owner')).text).toContain('Choose a role.');
  });

  it('refuses every admin action to a member who is not an admin, changing nothing', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const outsider = await person('Other');
    const organization = await team(admin, [member]);
    await postIn(organization, admin);
    const adminMembership = await prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: admin.id } });
    const before = await snapshot(organization.id);
    const attempts: [string, Record<string, string>][] = [
      ['addMemberAction', { organizationId: organization.id, email: outsider.email, role: 'org:admin' }],
      ['changeRoleAction', { organizationId: organization.id, membershipId: adminMembership.id, role: 'org:member' }],
      ['removeMemberAction', { organizationId: organization.id, membershipId: adminMembership.id }],
      ['deleteOrganizationAction', { organizationId: organization.id, confirmation: organization.slug }],
    ];
    for (const [name, fields] of attempts) {
      const answer = await callAction(stack.app.url, member.jar, action(name), fields);
      expect(answer.status, name).toBeLessThan(500);
      expect(answer.text, name).toContain('That organization does not exist, or you are not its admin.');
    }
    expect(await snapshot(organization.id)).toEqual(before);
    expect((await browse(`/orgs/${organization.slug}/members`, member.jar)).html).not.toContain('Delete organization');
  });
});

describe('removals and deletions take effect on the next request, before any webhook', () => {
  it('a removed member loses the organization\'s pages at once, even with a claim that still names it', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    const post = await postIn(organization, member);
    const reader = await inOrganization(member, organization.clerk.id);
    expect((await browse(`/orgs/${organization.slug}`, reader.jar)).status).toBe(200);

    await holdWebhooks();
    const membership = await prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: member.id } });
    expect((await callAction(stack.app.url, admin.jar, action('removeMemberAction'), { organizationId: organization.id, membershipId: membership.id })).text).toContain('Removed.');
    expect(await prisma().membership.count({ where: { id: membership.id } })).toBe(0);
    for (const path of [`/orgs/${organization.slug}`, `/orgs/${organization.slug}/posts/${post.id}`]) {
      const page = await fetchPage(path, reader.jar);
      expect(page.status, path).toBe(404);
      expect(page.html, path).not.toContain(post.title);
    }
    // Nor can they write in it any more.
    expect((await callAction(stack.app.url, reader.jar, action('createOrganizationPostAction'), { organizationId: organization.id, title: 'Still here?', content: 'x' })).text).toContain('You are not a member of this organization.');
    expect((await callAction(stack.app.url, reader.jar, action('updateOrganizationPostAction'), { organizationId: organization.id, postId: post.id, title: 'Still mine?', content: 'x' })).text).toContain('That post does not exist, or it is not yours.');
    // The webhook, when it lands, changes nothing.
    await stack.control.configureWebhooks({ hold: false });
    await stack.control.releaseWebhooks();
    await stack.control.settleWebhooks();
    expect(await prisma().membership.count({ where: { organizationId: organization.id, userId: member.id } })).toBe(0);
  });

  it('removing a member Clerk already removed (its webhook not here yet) ends our row at once too', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    await holdWebhooks();
    await stack.control.removeMembership(organization.clerk.id, member.clerk.id);
    const membership = await prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: member.id } });
    expect((await callAction(stack.app.url, admin.jar, action('removeMemberAction'), { organizationId: organization.id, membershipId: membership.id })).text).toContain('Removed.');
    expect(await prisma().membership.count({ where: { id: membership.id } })).toBe(0);
    expect(await prisma().deletedClerkMembership.count({ where: { clerkId: membership.clerkId } })).toBe(1);
    expect((await fetchPage(`/orgs/${organization.slug}`, member.jar)).status).toBe(404);
  });

  it('a member who leaves loses access at once', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    await holdWebhooks();
    const left = await callAction(stack.app.url, member.jar, action('leaveOrganizationAction'), { organizationId: organization.id });
    expect(left.redirect).toBe('/dashboard?left=1');
    expect((await fetchPage(`/orgs/${organization.slug}`, member.jar)).status).toBe(404);
  });

  it('deleting an organization removes it, its memberships and posts at once, for every member', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    await postIn(organization, member);
    const reader = await inOrganization(member, organization.clerk.id);
    await holdWebhooks();
    const wrong = await callAction(stack.app.url, admin.jar, action('deleteOrganizationAction'), { organizationId: organization.id, confirmation: 'yes' });
    expect(wrong.text).toContain(`Type \\"${organization.slug}\\" to confirm.`);
    expect(await prisma().organization.count({ where: { id: organization.id } })).toBe(1);

    const deleted = await callAction(stack.app.url, admin.jar, action('deleteOrganizationAction'), { organizationId: organization.id, confirmation: organization.slug });
    expect(deleted.redirect).toBe('/dashboard?organization=deleted');
    expect(await snapshot(organization.id)).toEqual({ organization: null, memberships: [], posts: [] });
    expect(await prisma().deletedClerkOrganization.count({ where: { clerkId: organization.clerk.id } })).toBe(1);
    for (const who of [admin, reader]) expect((await fetchPage(`/orgs/${organization.slug}`, who.jar)).status).toBe(404);
  });
});

describe('posts in an organization', () => {
  it('members write and edit their own; admins delete anyone\'s; members cannot touch others\'', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    const created = await callAction(stack.app.url, member.jar, action('createOrganizationPostAction'), { organizationId: organization.id, title: 'From a member', content: 'Hello team' });
    expect(created.text).toContain('Post published.');
    const post = await prisma().post.findFirstOrThrow({ where: { organizationId: organization.id, userId: member.id } });
    expect(post).toMatchObject({ title: 'From a member' });

    const edited = await callAction(stack.app.url, member.jar, action('updateOrganizationPostAction'), { organizationId: organization.id, postId: post.id, title: 'Edited', content: 'Hello again' });
    expect(edited.redirect).toBe(`/orgs/${organization.slug}/posts/${post.id}?saved=1`);
    // An admin may not edit someone else's post, nor may a member delete the admin's.
    expect((await callAction(stack.app.url, admin.jar, action('updateOrganizationPostAction'), { organizationId: organization.id, postId: post.id, title: 'By the admin', content: 'x' })).text).toContain('That post does not exist, or it is not yours.');
    expect((await browse(`/orgs/${organization.slug}/posts/${post.id}/edit`, admin.jar)).status).toBe(404);
    const adminPost = await postIn(organization, admin);
    expect((await callAction(stack.app.url, member.jar, action('deleteOrganizationPostAction'), { organizationId: organization.id, postId: adminPost.id })).text).toContain('That post does not exist, or it is not yours.');
    expect(await prisma().post.count({ where: { id: adminPost.id } })).toBe(1);

    const removed = await callAction(stack.app.url, admin.jar, action('deleteOrganizationPostAction'), { organizationId: organization.id, postId: post.id });
    expect(removed.redirect).toBe(`/orgs/${organization.slug}?deleted=1`);
    expect(await prisma().post.count({ where: { id: post.id } })).toBe(0);
    // The personal actions do not reach an organization's posts.
    expect((await callAction(stack.app.url, admin.jar, { file: 'app/posts/actions.ts', name: 'deletePostAction' }, { postId: adminPost.id })).text).toContain('That post does not exist, or it is not yours.');
    expect(await prisma().post.count({ where: { id: adminPost.id } })).toBe(1);
  });
});

describe('a member of one organization against another', () => {
  it('changes nothing by replaying any action with the other\'s ids, and sees nothing of it by URL', async () => {
    const mallory = await person('Mallory');
    const alice = await person('Alice');
    const bob = await person('Bob');
    const mine = await team(mallory);
    const theirs = await team(alice, [bob]);
    const theirPost = await postIn(theirs, bob, `Their plans ${suffix()}`);
    const myPost = await postIn(mine, mallory);
    const bobsMembership = await prisma().membership.findFirstOrThrow({ where: { organizationId: theirs.id, userId: bob.id } });
    const alicesMembership = await prisma().membership.findFirstOrThrow({ where: { organizationId: theirs.id, userId: alice.id } });
    const before = await snapshot(theirs.id);
    const mineBefore = await snapshot(mine.id);

    const attempts: [string, Record<string, string>][] = [];
    for (const organizationId of [theirs.id, mine.id]) {
      attempts.push(
        ['updateOrganizationPostAction', { organizationId, postId: theirPost.id, title: 'Defaced', content: 'by mallory' }],
        ['deleteOrganizationPostAction', { organizationId, postId: theirPost.id }],
        ['removeMemberAction', { organizationId, membershipId: bobsMembership.id }],
        ['changeRoleAction', { organizationId, membershipId: alicesMembership.id, role: 'org:member' }],
        ['changeRoleAction', { organizationId, membershipId: bobsMembership.id, role: 'org:admin' }],
      );
    }
    attempts.push(
      ['createOrganizationPostAction', { organizationId: theirs.id, title: 'Planted', content: 'by mallory' }],
      ['addMemberAction', { organizationId: theirs.id, email: mallory.email, role: 'org:admin' }],
      ['deleteOrganizationAction', { organizationId: theirs.id, confirmation: theirs.slug }],
      ['leaveOrganizationAction', { organizationId: theirs.id }],
    );
    for (const [name, fields] of attempts) {
      const answer = await callAction(stack.app.url, mallory.jar, action(name), fields);
      expect(answer.status, `${name} ${JSON.stringify(fields)}`).toBeLessThan(500);
      expect(answer.redirect, name).toBeNull();
      expect(answer.text, name).toMatch(/does not exist|not a member|not its admin|not yours/);
      expect(answer.text, name).not.toContain(theirPost.title);
    }
    expect(await snapshot(theirs.id)).toEqual(before);
    expect(await snapshot(mine.id)).toEqual(mineBefore);
    expect(await prisma().membership.count({ where: { organizationId: theirs.id, userId: mallory.id } })).toBe(0);

    for (const path of [
      `/orgs/${theirs.slug}`,
      `/orgs/${theirs.slug}/members`,
      `/orgs/${theirs.slug}/posts/${theirPost.id}`,
      `/orgs/${theirs.slug}/posts/${theirPost.id}/edit`,
      `/orgs/${mine.slug}/posts/${theirPost.id}`,
      `/orgs/${mine.slug}/posts/${theirPost.id}/edit`,
      `/posts/${theirPost.id}`,
      `/posts/${theirPost.id}/edit`,
    ]) {
      const page = await browse(path, mallory.jar);
      expect(page.status, path).toBe(404);
      for (const secret of [theirs.name, theirPost.title, alice.email, bob.email]) expect(page.html, path).not.toContain(secret);
    }
    // Their own space still works.
    expect((await browse(`/orgs/${mine.slug}/posts/${myPost.id}`, mallory.jar)).status).toBe(200);
  });
});
