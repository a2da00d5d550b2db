/**
 * Team workspaces against `next start` and the Clerk emulator: an
 * organization's pages are for its members only (our Membership row
 * decides; 404 for anyone else, and for organizations that do not exist),
 * with no Backend API call per render; the one exception (the session's
 * claim names an organization whose membership has not reached us) costs
 * one call. People join by invitation only: the same answer whoever holds
 * the address, nobody a member before accepting through the email's link,
 * an address held unverified belonging to no one, a revoked link refused.
 * What a member may do is their role's permissions (a custom Editor deletes
 * posts but manages no one). Every action's happy path and refusals;
 * removals and deletions take effect on the next request, before any
 * webhook; and a member of one organization replaying actions or URLs
 * against another changes nothing and sees nothing.
 */
import { randomUUID } from 'node:crypto';
import { createClerkClient, type OrganizationJSON, type UserJSON } from '@clerk/backend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, navigate } from '../helpers/cookie-jar';
import { onPro } from '../helpers/billing-events';
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

/**
 * An organization in Clerk with `admin` as its admin and `members` as members (`org:member`, or the role
 * given beside one), synced to us through the webhooks. Joining is by invitation in the product; here the
 * memberships are made through the emulator's control, as a test's setup.
 */
async function team(admin: Person, members: (Person | [Person, string])[] = []): Promise<Team> {
  const name = `Team ${suffix()}`;
  const clerk = await stack.control.createOrganization({ name, slug: `team-${suffix()}`, createdBy: admin.clerk.id });
  for (const entry of members) {
    const [member, role] = Array.isArray(entry) ? entry : [entry, 'org:member'];
    await stack.control.addMembership(clerk.id, member.clerk.id, role);
  }
  await stack.control.settleWebhooks();
  await expect.poll(() => prisma().membership.count({ where: { organization: { clerkId: clerk.id } } })).toBe(members.length + 1);
  const row = await prisma().organization.findUniqueOrThrow({ where: { clerkId: clerk.id } });
  // The admin's first visit, as after creating it: our copy of the instance's roles (what every action's permission is read from) is fetched then if this database has none yet.
  expect((await fetchPage(`/orgs/${row.slug}`, admin.jar)).status).toBe(200);
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
/** The Backend API as Clerk's dashboard or another backend would use it (an address added unverified). */
const clerkApi = () => createClerkClient({ secretKey: stack.emulator.secretKey, apiUrl: stack.emulator.url });

const invite = (admin: Person, organization: Team, email: string, role = 'org:member') =>
  callAction(stack.app.url, admin.jar, action('inviteAction'), { organizationId: organization.id, email, role });

/** The action's answer, as its form shows it: the confirmation, the error above the form, or the first beside a field. */
function messageOf(answer: { text: string }): string | undefined {
  const found = /"(?:message|formError)":"((?:[^"\\]|\\.)*)"|"fieldErrors":\{"[^"]+":\["((?:[^"\\]|\\.)*)"/.exec(answer.text);
  return found ? (JSON.parse(`"${found[1] ?? found[2]}"`) as string) : undefined;
}

/** A heading with its count as React renders it (`Pending invitations (<!-- -->2<!-- -->)`). */
const counted = (heading: string, count: number) => new RegExp(`${heading} \\((<!-- -->)?${count}(<!-- -->)?\\)`);

const sent = (email: string) => `Invitation sent to ${email}. They join when they accept it.`;

/** The one invitation email `to` received (the emulator's mailbox), with its accept link. */
async function invitationEmailTo(to: string) {
  const messages = await stack.control.mailbox(to);
  expect(messages, `mail to ${to}`).toHaveLength(1);
  return messages[0]!;
}

/** Follow an invitation email's link as a browser does, one hop: Clerk's redirect to our accept page, with the ticket. */
async function followInvitationLink(acceptUrl: string) {
  const response = await fetch(acceptUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, html: location ? '' : await response.text(), location: location ? new URL(location) : null };
}

/** A form of the emulator's own pages (its sign-up and sign-in), posted as a browser would from them. */
function postToEmulator(path: string, fields: Record<string, string>) {
  return fetch(`${stack.emulator.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: stack.emulator.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Everything of an organization's rows (its invitations too), to compare before and after an attempt. */
async function snapshot(organization: Team) {
  const organizationId = organization.id;
  return {
    organization: await prisma().organization.findUnique({ where: { id: organizationId }, select: { id: true, name: true, slug: true, clerkUpdatedAt: true } }),
    memberships: await prisma().membership.findMany({ where: { organizationId }, select: { id: true, userId: true, role: true, clerkUpdatedAt: true }, orderBy: { id: 'asc' } }),
    posts: await prisma().post.findMany({ where: { organizationId }, select: { id: true, userId: true, title: true, content: true }, orderBy: { id: 'asc' } }),
    invitations: await prisma().invitation.findMany({
      where: { organizationClerkId: organization.clerk.id },
      select: { id: true, email: true, role: true, status: true, clerkUpdatedAt: true },
      orderBy: { id: 'asc' },
    }),
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
    expect(home.html).toMatch(/Your role: <strong data-testid="organization-role">Member<\/strong>/);
    const members = await browse(`/orgs/${organization.slug}/members`, reader.jar);
    expect(members.html).toContain(admin.email);
    expect(members.html).toContain(member.email);
    // A member (who may not manage members) sees no invitation form, no pending invitations and no member controls.
    for (const control of ['Invite someone', 'Send invitation', 'id="invite-email"', 'Pending invitations', 'Change role', 'Delete organization']) expect(members.html, control).not.toContain(control);
    // An admin sees them all.
    const managed = await browse(`/orgs/${organization.slug}/members`, admin.jar);
    for (const control of ['Invite someone', 'Send invitation', 'id="invite-email"', 'Change role', 'Delete organization']) expect(managed.html, control).toContain(control);
    expect(managed.html).toMatch(counted('Pending invitations', 0));
    expect(managed.html).toMatch(/Your role: <strong data-testid="organization-role">Admin<\/strong>/);
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
    const busy = await invite(creator, organization, known.email);
    expect(busy.status).toBeLessThan(500);
    expect(busy.text).toContain('Clerk is busy, so nothing changed. Try again in 7 seconds.');
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
    expect(await prisma().invitation.count({ where: { organizationClerkId: organization.clerk.id } })).toBe(0);
    expect(await stack.control.mailbox(known.email)).toEqual([]);
  });
});

describe('inviting', () => {
  it('answers the same for an address with an account and one without; nobody is a member until they accept', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const known = await person('Known');
    const unknown = `nobody-${suffix()}@example.com`;
    await holdWebhooks();

    const toKnown = await invite(admin, organization, known.email.toUpperCase());
    const toUnknown = await invite(admin, organization, unknown);
    expect(messageOf(toKnown)).toBe(sent(known.email));
    expect(messageOf(toUnknown)).toBe(sent(unknown));
    // Nothing in either answer says whether the address has an account.
    for (const answer of [toKnown, toUnknown]) for (const tell of ['account', 'sign up', 'already', known.clerk.id, 'Known']) expect(answer.text).not.toContain(tell);

    // Stored at once (webhooks held), pending, and emailed; no membership for anyone.
    const rows = await prisma().invitation.findMany({ where: { organizationClerkId: organization.clerk.id }, select: { email: true, role: true, status: true }, orderBy: { email: 'asc' } });
    expect(rows).toEqual(
      [known.email, unknown].sort().map((email) => ({ email, role: 'org:member', status: 'pending' })),
    );
    for (const email of [known.email, unknown]) expect((await invitationEmailTo(email)).subject).toBe(`You're invited to join ${organization.name}`);
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
    expect((await clerkApi().organizations.getOrganizationMembershipList({ organizationId: organization.clerk.id })).totalCount).toBe(1);
    expect((await fetchPage(`/orgs/${organization.slug}`, known.jar)).status).toBe(404);

    // The admin sees both waiting, with their role.
    const page = await browse(`/orgs/${organization.slug}/members`, admin.jar);
    expect(page.html).toMatch(counted('Pending invitations', 2));
    for (const email of [known.email, unknown]) expect(page.html).toContain(email);
  });

  it('refuses a malformed address or role before asking Clerk, and says what Clerk refuses: a role it lacks, a second invitation, a member', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    // More invitations than Free's seats.
    await onPro(organization.clerk.id);
    const before = await calls();
    expect((await invite(admin, organization, 'not an email')).text).toContain('Enter an email address.');
    expect((await invite(admin, organization, `x-${suffix()}@example.com`, 'owner')).text).toContain('Choose a role.');
    expect(await calls()).toBe(before);

    expect(messageOf(await invite(admin, organization, `x-${suffix()}@example.com`, 'org:owner'))).toMatch(/org:owner/);
    const email = `twice-${suffix()}@example.com`;
    expect(messageOf(await invite(admin, organization, email))).toBe(sent(email));
    expect(messageOf(await invite(admin, organization, email))).toMatch(/already a pending invitation/);
    expect(messageOf(await invite(admin, organization, member.email))).toMatch(/already a member/);
    expect(await prisma().invitation.count({ where: { organizationClerkId: organization.clerk.id } })).toBe(1);
  });

  it('gives an address held unverified by another account to no one: that account is not a member, and cannot accept with the link', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const squatter = await person('Squatter');
    const target = `target-${suffix()}@example.com`;
    await clerkApi().emailAddresses.createEmailAddress({ userId: squatter.clerk.id, emailAddress: target, verified: false });

    expect(messageOf(await invite(admin, organization, target))).toBe(sent(target));
    // The link treats the address as no one's: sign up, not sign in.
    const link = await followInvitationLink((await invitationEmailTo(target)).acceptUrl);
    expect(link.status).toBe(303);
    expect(`${link.location!.origin}${link.location!.pathname}`).toBe(`${stack.app.url}/invitations/accept`);
    expect(link.location!.searchParams.get('__clerk_status')).toBe('sign_up');
    const ticket = link.location!.searchParams.get('__clerk_ticket')!;
    // Signing in with the ticket finds no account holding the address verified; signing up cannot take the address from its holder.
    for (const path of ['/sign-in', '/sign-up']) {
      const attempt = await postToEmulator(path, { __clerk_ticket: ticket, first_name: 'Squatter', redirect_url: `${stack.app.url}/orgs/${organization.slug}` });
      expect(attempt.status, path).toBe(422);
      expect(attempt.headers.getSetCookie(), path).toEqual([]);
    }
    await stack.control.settleWebhooks();
    expect((await clerkApi().users.getOrganizationMembershipList({ userId: squatter.clerk.id })).totalCount).toBe(0);
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
    expect(await prisma().invitation.findFirst({ where: { organizationClerkId: organization.clerk.id }, select: { email: true, status: true } })).toEqual({ email: target, status: 'pending' });
    expect((await browse(`/orgs/${organization.slug}`, squatter.jar)).status).toBe(404);
  });

  it('an invitee without an account follows the link, signs up through our accept page and lands in the space with the invited role', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const email = `newcomer-${suffix()}@example.com`;
    expect(messageOf(await invite(admin, organization, email, 'org:editor'))).toBe(sent(email));

    const link = await followInvitationLink((await invitationEmailTo(email)).acceptUrl);
    expect(link.location!.searchParams.get('org')).toBe(organization.slug);
    // Our page hands the ticket on to Clerk's sign-up, headed for the organization's space.
    const accept = await navigate(link.location!.toString(), new CookieJar());
    expect(accept.status).toBe(307);
    const signUp = new URL(accept.headers.get('location')!);
    expect(`${signUp.origin}${signUp.pathname}`).toBe(`${stack.emulator.url}/sign-up`);
    expect(Object.fromEntries(signUp.searchParams)).toEqual({ __clerk_ticket: link.location!.searchParams.get('__clerk_ticket'), redirect_url: `${stack.app.url}/orgs/${organization.slug}` });

    const signedUp = await postToEmulator('/sign-up', { __clerk_ticket: signUp.searchParams.get('__clerk_ticket')!, first_name: 'Nia', last_name: 'Newcomer', redirect_url: signUp.searchParams.get('redirect_url')! });
    expect(signedUp.status).toBe(303);
    expect(signedUp.headers.get('location')).toBe(`${stack.app.url}/orgs/${organization.slug}`);
    const jar = new CookieJar(signedUp.headers.getSetCookie());
    const space = await browse(`/orgs/${organization.slug}`, jar);
    expect(space.status).toBe(200);
    expect(space.html).toMatch(/Your role: <strong data-testid="organization-role">Editor<\/strong>/);

    await stack.control.settleWebhooks();
    const user = await prisma().user.findUniqueOrThrow({ where: { email }, select: { id: true, clerkId: true } });
    expect(await prisma().membership.findFirst({ where: { organizationId: organization.id, userId: user.id }, select: { role: true } })).toEqual({ role: 'org:editor' });
    expect(await prisma().invitation.findFirst({ where: { organizationClerkId: organization.clerk.id }, select: { status: true, acceptedClerkUserId: true } })).toEqual({ status: 'accepted', acceptedClerkUserId: user.clerkId });
    // Used once: the link now refuses.
    const again = await followInvitationLink((await invitationEmailTo(email)).acceptUrl);
    expect(again.status).toBe(400);
    expect(again.html).toContain('This invitation was already used');
  });

  it('an invitee with an account is sent to sign in with the ticket, and joins', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const known = await person('Known');
    expect(messageOf(await invite(admin, organization, known.email))).toBe(sent(known.email));
    const link = await followInvitationLink((await invitationEmailTo(known.email)).acceptUrl);
    expect(link.location!.searchParams.get('__clerk_status')).toBe('sign_in');
    const accept = await navigate(link.location!.toString(), new CookieJar());
    const signIn = new URL(accept.headers.get('location')!);
    expect(`${signIn.origin}${signIn.pathname}`).toBe(`${stack.emulator.url}/sign-in`);
    const signedIn = await postToEmulator('/sign-in', { __clerk_ticket: signIn.searchParams.get('__clerk_ticket')!, redirect_url: signIn.searchParams.get('redirect_url')! });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe(`${stack.app.url}/orgs/${organization.slug}`);
    expect((await browse(`/orgs/${organization.slug}`, new CookieJar(signedIn.headers.getSetCookie()))).status).toBe(200);
    await stack.control.settleWebhooks();
    expect(await prisma().membership.findFirst({ where: { organizationId: organization.id, userId: known.id }, select: { role: true } })).toEqual({ role: 'org:member' });
  });

  it('a link without its ticket gets words, not an error, and joins no one', async () => {
    for (const path of ['/invitations/accept', '/invitations/accept?org=team-x', '/invitations/accept?__clerk_ticket=abc&__clerk_status=bogus']) {
      const page = await navigate(`${stack.app.url}${path}`, new CookieJar());
      expect(page.status, path).toBe(200);
      expect(await page.text(), path).toContain('This invitation link is incomplete');
    }
  });
});

describe('revoking an invitation', () => {
  it('takes it off the pending list at once; its link then refuses, and nobody can join with it', async () => {
    const admin = await person('Ada');
    const organization = await team(admin);
    const other = await team(admin);
    const email = `revoked-${suffix()}@example.com`;
    expect(messageOf(await invite(admin, organization, email))).toBe(sent(email));
    expect(messageOf(await invite(admin, other, email))).toBe(sent(email));
    const row = await prisma().invitation.findFirstOrThrow({ where: { organizationClerkId: organization.clerk.id } });
    const elsewhere = await prisma().invitation.findFirstOrThrow({ where: { organizationClerkId: other.clerk.id } });
    const revoke = (invitationId: string) => callAction(stack.app.url, admin.jar, action('revokeInvitationAction'), { organizationId: organization.id, invitationId });

    await holdWebhooks();
    // Another organization's invitation is not this one's to revoke, even for an admin of both.
    expect(messageOf(await revoke(elsewhere.id))).toBe('That invitation is no longer pending.');
    expect(messageOf(await revoke(row.id))).toBe('Invitation revoked.');
    expect(await prisma().invitation.findUniqueOrThrow({ where: { id: row.id }, select: { status: true } })).toEqual({ status: 'revoked' });
    expect(await prisma().invitation.findUniqueOrThrow({ where: { id: elsewhere.id }, select: { status: true } })).toEqual({ status: 'pending' });
    expect((await browse(`/orgs/${organization.slug}/members`, admin.jar)).html).toMatch(counted('Pending invitations', 0));
    expect(messageOf(await revoke(row.id))).toBe('That invitation is no longer pending.');

    const [mail] = (await stack.control.mailbox(email)).filter((message) => message.organizationId === organization.clerk.id);
    const link = await followInvitationLink(mail!.acceptUrl);
    expect(link.status).toBe(400);
    expect(link.html).toContain('This invitation was revoked');
    const ticket = new URL(mail!.acceptUrl).searchParams.get('ticket')!;
    expect((await postToEmulator('/sign-up', { __clerk_ticket: ticket, first_name: 'Late', redirect_url: `${stack.app.url}/` })).status).toBe(400);
    expect((await clerkApi().users.getUserList({ emailAddress: [email] })).totalCount).toBe(0);
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(1);
  });
});

describe('managing members', () => {
  it('changes roles, and never takes away the last admin (demoting, removing or leaving)', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    const membershipOf = (who: Person) => prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: who.id } });
    const adminMembership = await membershipOf(admin);
    const role = (membershipId: string, newRole: string) => callAction(stack.app.url, admin.jar, action('changeRoleAction'), { organizationId: organization.id, membershipId, role: newRole });

    expect((await role(adminMembership.id, 'org:member')).text).toContain('An organization needs at least one admin');
    // An Editor manages no one: not an admin either.
    expect((await role(adminMembership.id, 'org:editor')).text).toContain('An organization needs at least one admin');
    expect((await callAction(stack.app.url, admin.jar, action('removeMemberAction'), { organizationId: organization.id, membershipId: adminMembership.id })).text).toContain('An organization needs at least one admin');
    expect((await callAction(stack.app.url, admin.jar, action('leaveOrganizationAction'), { organizationId: organization.id })).text).toContain('You are its only admin');
    expect((await membershipOf(admin)).role).toBe('org:admin');

    await holdWebhooks();
    const memberMembership = await membershipOf(member);
    // Any role of the instance, a custom one too.
    expect((await role(memberMembership.id, 'org:editor')).text).toContain('Role changed.');
    expect((await membershipOf(member)).role).toBe('org:editor');
    expect((await role(memberMembership.id, 'org:admin')).text).toContain('Role changed.');
    expect((await membershipOf(member)).role).toBe('org:admin');
    const before = await calls();
    expect((await role(memberMembership.id, 'owner')).text).toContain('Choose a role.');
    expect(await calls()).toBe(before);
    // A role key the instance lacks: Clerk's refusal, beside the role.
    expect(messageOf(await role(memberMembership.id, 'org:owner'))).toMatch(/org:owner/);
    expect((await membershipOf(member)).role).toBe('org:admin');
    // Two admins: one may step down now.
    expect((await role(adminMembership.id, 'org:member')).text).toContain('Role changed.');
    expect((await membershipOf(admin)).role).toBe('org:member');
  });

  it('refuses every member-management action, and deleting the organization, to members whose role lacks the permission, changing nothing', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const editor = await person('Edie');
    const outsider = await person('Other');
    const organization = await team(admin, [member, [editor, 'org:editor']]);
    // More invitations than Free's seats.
    await onPro(organization.clerk.id);
    await postIn(organization, admin);
    const pendingEmail = `pending-${suffix()}@example.com`;
    expect(messageOf(await invite(admin, organization, pendingEmail))).toBe(sent(pendingEmail));
    const pending = await prisma().invitation.findFirstOrThrow({ where: { organizationClerkId: organization.clerk.id } });
    const adminMembership = await prisma().membership.findFirstOrThrow({ where: { organizationId: organization.id, userId: admin.id } });
    const before = await snapshot(organization);
    const manage = 'That organization does not exist, or you may not manage its members.';
    const attempts: [string, Record<string, string>, string][] = [
      ['inviteAction', { organizationId: organization.id, email: outsider.email, role: 'org:admin' }, manage],
      ['inviteAction', { organizationId: organization.id, email: `fresh-${suffix()}@example.com`, role: 'org:member' }, manage],
      ['revokeInvitationAction', { organizationId: organization.id, invitationId: pending.id }, manage],
      ['changeRoleAction', { organizationId: organization.id, membershipId: adminMembership.id, role: 'org:member' }, manage],
      ['removeMemberAction', { organizationId: organization.id, membershipId: adminMembership.id }, manage],
      ['deleteOrganizationAction', { organizationId: organization.id, confirmation: organization.slug }, 'That organization does not exist, or you may not delete it.'],
    ];
    for (const who of [member, editor]) {
      const callsBefore = await calls();
      for (const [name, fields, refusal] of attempts) {
        const answer = await callAction(stack.app.url, who.jar, action(name), fields);
        expect(answer.status, name).toBeLessThan(500);
        expect(messageOf(answer), `${who.clerk.first_name} ${name}`).toBe(refusal);
      }
      // Refused from our rows, before any Backend API call.
      expect(await calls()).toBe(callsBefore);
      const page = (await browse(`/orgs/${organization.slug}/members`, who.jar)).html;
      for (const control of ['Send invitation', 'Pending invitations', 'Change role', 'Delete organization', pendingEmail]) expect(page, control).not.toContain(control);
    }
    expect(await snapshot(organization)).toEqual(before);
    expect(await stack.control.mailbox(outsider.email)).toEqual([]);
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

  it('deleting an organization removes it, its memberships, posts and invitations at once, for every member', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const organization = await team(admin, [member]);
    await postIn(organization, member);
    const invited = `invited-${suffix()}@example.com`;
    expect(messageOf(await invite(admin, organization, invited))).toBe(sent(invited));
    const reader = await inOrganization(member, organization.clerk.id);
    await holdWebhooks();
    const wrong = await callAction(stack.app.url, admin.jar, action('deleteOrganizationAction'), { organizationId: organization.id, confirmation: 'yes' });
    expect(wrong.text).toContain(`Type \\"${organization.slug}\\" to confirm.`);
    expect(await prisma().organization.count({ where: { id: organization.id } })).toBe(1);

    const deleted = await callAction(stack.app.url, admin.jar, action('deleteOrganizationAction'), { organizationId: organization.id, confirmation: organization.slug });
    expect(deleted.redirect).toBe('/dashboard?organization=deleted');
    expect(await snapshot(organization)).toEqual({ organization: null, memberships: [], posts: [], invitations: [] });
    expect(await prisma().deletedClerkOrganization.count({ where: { clerkId: organization.clerk.id } })).toBe(1);
    for (const who of [admin, reader]) expect((await fetchPage(`/orgs/${organization.slug}`, who.jar)).status).toBe(404);
  });
});

describe('posts in an organization', () => {
  it('members write and edit their own; admins and editors (org:posts:delete) delete anyone\'s; members cannot touch others\'', async () => {
    const admin = await person('Ada');
    const member = await person('Grace');
    const editor = await person('Edie');
    const organization = await team(admin, [member, [editor, 'org:editor']]);
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
    // The Editor role grants org:posts:delete: an editor deletes someone else's post (but edits none).
    const another = await postIn(organization, member);
    expect((await callAction(stack.app.url, editor.jar, action('updateOrganizationPostAction'), { organizationId: organization.id, postId: another.id, title: 'By the editor', content: 'x' })).text).toContain('That post does not exist, or it is not yours.');
    const byEditor = await callAction(stack.app.url, editor.jar, action('deleteOrganizationPostAction'), { organizationId: organization.id, postId: another.id });
    expect(byEditor.redirect).toBe(`/orgs/${organization.slug}?deleted=1`);
    expect(await prisma().post.count({ where: { id: another.id } })).toBe(0);
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
    const theirInvitee = `their-invitee-${suffix()}@example.com`;
    expect(messageOf(await invite(alice, theirs, theirInvitee))).toBe(sent(theirInvitee));
    const theirInvitation = await prisma().invitation.findFirstOrThrow({ where: { organizationClerkId: theirs.clerk.id } });
    const before = await snapshot(theirs);
    const mineBefore = await snapshot(mine);

    const attempts: [string, Record<string, string>][] = [];
    for (const organizationId of [theirs.id, mine.id]) {
      attempts.push(
        ['updateOrganizationPostAction', { organizationId, postId: theirPost.id, title: 'Defaced', content: 'by mallory' }],
        ['deleteOrganizationPostAction', { organizationId, postId: theirPost.id }],
        ['removeMemberAction', { organizationId, membershipId: bobsMembership.id }],
        ['changeRoleAction', { organizationId, membershipId: alicesMembership.id, role: 'org:member' }],
        ['changeRoleAction', { organizationId, membershipId: bobsMembership.id, role: 'org:admin' }],
        ['revokeInvitationAction', { organizationId, invitationId: theirInvitation.id }],
      );
    }
    attempts.push(
      ['createOrganizationPostAction', { organizationId: theirs.id, title: 'Planted', content: 'by mallory' }],
      ['inviteAction', { organizationId: theirs.id, email: mallory.email, role: 'org:admin' }],
      ['deleteOrganizationAction', { organizationId: theirs.id, confirmation: theirs.slug }],
      ['leaveOrganizationAction', { organizationId: theirs.id }],
    );
    for (const [name, fields] of attempts) {
      const answer = await callAction(stack.app.url, mallory.jar, action(name), fields);
      expect(answer.status, `${name} ${JSON.stringify(fields)}`).toBeLessThan(500);
      expect(answer.redirect, name).toBeNull();
      expect(answer.text, name).toMatch(/does not exist|not a member|may not|not yours|no longer pending/);
      for (const secret of [theirPost.title, theirInvitee]) expect(answer.text, name).not.toContain(secret);
    }
    expect(await snapshot(theirs)).toEqual(before);
    expect(await snapshot(mine)).toEqual(mineBefore);
    expect(await prisma().membership.count({ where: { organizationId: theirs.id, userId: mallory.id } })).toBe(0);
    expect(await stack.control.mailbox(mallory.email)).toEqual([]);

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
      for (const secret of [theirs.name, theirPost.title, alice.email, bob.email, theirInvitee]) expect(page.html, path).not.toContain(secret);
    }
    // Their own space still works.
    expect((await browse(`/orgs/${mine.slug}/posts/${myPost.id}`, mallory.jar)).status).toBe(200);
  });
});
