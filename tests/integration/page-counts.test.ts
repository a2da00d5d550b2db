/**
 * What each page costs per render, counted where it lands: statements by
 * PostgreSQL itself (tests/helpers/statements.ts) and Backend API calls by
 * the emulator (its request log). Against `next start` with the emulator,
 * the app's hourly prune off so that nothing else reaches the database.
 */
import { randomUUID } from 'node:crypto';
import type { UserJSON } from '@clerk/backend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/cookie-jar';
import { prisma } from '../helpers/prisma';
import { callsOf, listStatements, StatementCounter } from '../helpers/statements';
import { startStack, type Stack } from '../helpers/stack';

const counter = await StatementCounter.open();

let stack: Stack;
const suffix = () => randomUUID().slice(0, 8);

interface Person {
  clerk: UserJSON;
  id: string;
  jar: CookieJar;
}

/** A Clerk user whose row arrived through user.created, signed in (in their personal account). */
async function person(firstName: string): Promise<Person> {
  const clerk = await stack.control.createUser({ email: `${firstName.toLowerCase()}-${suffix()}@example.com`, firstName, lastName: 'Tester' });
  await stack.control.settleWebhooks();
  const id = (await prisma().user.findUniqueOrThrow({ where: { clerkId: clerk.id } })).id;
  const { cookies } = await stack.control.signIn(clerk.id, { organizationId: null });
  return { clerk, id, jar: new CookieJar(cookies) };
}

/** An organization with `admin` as its admin and `members`, synced through the webhooks; its slug and row id. */
async function team(admin: Person, members: Person[] = []) {
  const clerk = await stack.control.createOrganization({ name: `Team ${suffix()}`, slug: `team-${suffix()}`, createdBy: admin.clerk.id });
  for (const member of members) await stack.control.addMembership(clerk.id, member.clerk.id);
  await stack.control.settleWebhooks();
  const row = await prisma().organization.findUniqueOrThrow({ where: { clerkId: clerk.id } });
  expect(await prisma().membership.count({ where: { organizationId: row.id } })).toBe(members.length + 1);
  return { slug: row.slug, id: row.id };
}

/** One GET of `path` by `who` (not a document navigation: no handshake, the session as it is): its status and what it cost. */
async function render(path: string, who: Person) {
  const calls = await stack.control.backendApiMark();
  const { result: status, counts } = await counter!.measure(async () => {
    const response = await fetch(`${stack.app.url}${path}`, { headers: { cookie: who.jar.header(), accept: '*/*' }, redirect: 'manual' });
    await response.text();
    return response.status;
  });
  const backendApi = (await stack.control.backendApiRequests(calls)).map((request) => request.route);
  return { status, counts, backendApi };
}

/** A render after a first one (the pool's connections, the route's first load): the steady state. */
async function steady(path: string, who: Person) {
  await render(path, who);
  return render(path, who);
}

/**
 * Each page's statements per render, the same for a member of an
 * organization and for someone in none (the header lists their spaces
 * either way): the user's row (once per request, shared by the page and the
 * header), the header's organizations (one join), and the page's own. Prisma
 * loads a relation in a statement of its own: a post's author. An
 * organization's pages read the membership, its organization and its role's
 * permissions (our copy of Clerk's roles) in one raw statement, found or not.
 */
type Cost = [status: number, topLevel: number, nested?: number];
const PAGES: { page: string; path: (slug: string, postId: string) => string; member: Cost; admin: Cost; outsider: Cost }[] = [
  // One indexed page of the user's posts.
  { page: 'the dashboard', path: () => '/dashboard', member: [200, 3], admin: [200, 3], outsider: [200, 3] },
  // A page of everyone's posts, then their authors' names.
  { page: 'the feed', path: () => '/posts', member: [200, 4], admin: [200, 4], outsider: [200, 4] },
  // The post, then its author's name.
  { page: 'a post', path: (_, postId) => `/posts/${postId}`, member: [200, 4], admin: [200, 4], outsider: [200, 4] },
  // The membership with its organization and permissions (one statement; it was two, the organization a relation of its own); the
  // organization's posts and their authors. Not a member: no membership, a 404.
  { page: "an organization's page", path: (slug) => `/orgs/${slug}`, member: [200, 5], admin: [200, 5], outsider: [404, 3] },
  // The membership as above; the members with their users and role names (one statement; it was two). Who manages members (the
  // admin) also gets the pending invitations and the instance's roles for the forms: two more, the invitations' statement checking
  // the permission inside it (clerk_member_has_permission: one nested read).
  { page: 'its members page', path: (slug) => `/orgs/${slug}/members`, member: [200, 4], admin: [200, 6, 1], outsider: [404, 3] },
  // The membership as above, which carries the organization's plan and its use (clerk_organization_plan and three counts inside the
  // one statement: no statement of their own on any page). Who may manage billing (the admin) also gets the plans for the cards.
  { page: 'its billing page', path: (slug) => `/orgs/${slug}/billing`, member: [200, 3], admin: [200, 4], outsider: [404, 3] },
  // The membership as above, then (who manages members: the admin) one page of the organization's audit log with the names of the
  // people it names (one statement, its permission checked inside: clerk_member_has_permission, one nested read). A member who does
  // not manage members gets a 404, as an outsider does, with nothing read but the membership.
  { page: 'its audit log', path: (slug) => `/orgs/${slug}/audit`, member: [404, 3], admin: [200, 4, 1], outsider: [404, 3] },
];

describe.runIf(counter)('statements and Backend API calls per render', () => {
  let member: Person;
  let outsider: Person;
  let admin: Person;
  let organization: { slug: string; id: string };
  let postId: string;

  beforeAll(async () => {
    stack = await startStack({ env: { DATA_PRUNE_INTERVAL_MINUTES: '0' } });
    [admin, member, outsider] = [await person('Admin'), await person('Member'), await person('Outsider')];
    organization = await team(admin, [member]);
    postId = (await prisma().post.create({ data: { userId: admin.id, title: 'A personal post', content: 'Everyone sees it' } })).id;
    await prisma().post.create({ data: { userId: admin.id, organizationId: organization.id, title: 'A team post', content: 'Members see it' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    await stack.control.configureWebhooks({ hold: false });
    await stack.control.releaseWebhooks();
    // Deliveries landing during the next test's measurement would be counted with it.
    await stack.control.settleWebhooks();
  });

  it.each(PAGES)('$page: $member.1 statements for a member, $admin.1 for its admin, $outsider.1 for someone outside, no Backend API call', async ({ path, member: forMember, admin: forAdmin, outsider: forOutsider }) => {
    for (const [who, [status, statements, nested = 0]] of [[member, forMember], [admin, forAdmin], [outsider, forOutsider]] as const) {
      const rendered = await steady(path(organization.slug, postId), who);
      expect({ status: rendered.status, topLevel: rendered.counts.topLevel, nested: rendered.counts.nested, backendApi: rendered.backendApi }, listStatements(rendered.counts)).toEqual({
        status,
        topLevel: statements,
        nested,
        backendApi: [],
      });
    }
  });

  it("the header's space switcher lists a person's organizations with one indexed statement, however many there are", async () => {
    const joiner = await person('Joiner');
    for (let i = 0; i < 3; i++) await team(admin, [joiner]);
    const spaces = 'FROM "Membership" m JOIN "Organization" o';
    for (const [who, organizations] of [[joiner, 3], [outsider, 0]] as const) {
      const { counts } = await steady('/dashboard', who);
      expect(counts.topLevel).toBe(3);
      expect(callsOf(counts, spaces)).toEqual({ calls: 1, rows: organizations });
    }
    // Indexed: with sequential scans off (tables this small are scanned whatever the indexes), the plan reads the index on "userId".
    const plan = await prisma().$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT o."name", o."slug", m."role" ${spaces} ON o."id" = m."organizationId" WHERE m."userId" = $1 ORDER BY o."name", o."slug"`,
        joiner.id,
      );
    });
    expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan using "Membership_userId_idx" on "Membership"|Bitmap Index Scan on "Membership_userId_idx"/);
  });

  it("a first visit to an organization's page with no copy of the instance's roles fetches them once: one GET /v1/organization_roles, then the steady state", async () => {
    await render(`/orgs/${organization.slug}`, member); // the pool warm
    // A database that holds none of Clerk's roles yet, as a fresh one (the emulator's seeded roles send no webhook).
    await prisma().organizationRole.deleteMany();
    await prisma().organizationPermission.deleteMany();
    const first = await render(`/orgs/${organization.slug}`, member);
    // The user's row and the header's spaces; the membership, its role unknown; each of the instance's three roles through the sync
    // function (its statements inside); the membership again, now with its permissions; the posts and their authors.
    expect({ status: first.status, topLevel: first.counts.topLevel, backendApi: first.backendApi }, listStatements(first.counts)).toEqual({
      status: 200,
      topLevel: 9,
      backendApi: ['GET /v1/organization_roles'],
    });
    expect(callsOf(first.counts, 'clerk_apply_change').calls).toBe(3);
    expect(await prisma().organizationRole.count()).toBe(3);
    for (const who of [member, admin]) {
      const next = await render(`/orgs/${organization.slug}/members`, who);
      expect({ status: next.status, backendApi: next.backendApi }).toEqual({ status: 200, backendApi: [] });
    }
    const again = await render(`/orgs/${organization.slug}`, member);
    expect({ status: again.status, topLevel: again.counts.topLevel, backendApi: again.backendApi }).toEqual({ status: 200, topLevel: 5, backendApi: [] });
  });

  it('a signed-in user with no row yet is fetched once from the Backend API and stored: one GET /v1/users/:id, then the steady state', async () => {
    await render('/dashboard', outsider); // the pool warm
    await stack.control.configureWebhooks({ hold: true });
    const clerk = await stack.control.createUser({ email: `late-${suffix()}@example.com`, firstName: 'Late' });
    const { cookies } = await stack.control.signIn(clerk.id, { organizationId: null });
    const late: Person = { clerk, id: '', jar: new CookieJar(cookies) };
    const first = await render('/dashboard', late);
    // No row, no tombstone; the Clerk user through the sync function (its five statements inside), the row read back; the header's spaces; the posts.
    expect({ status: first.status, topLevel: first.counts.topLevel, nested: first.counts.nested, backendApi: first.backendApi }, listStatements(first.counts)).toEqual({
      status: 200,
      topLevel: 6,
      nested: 5,
      backendApi: ['GET /v1/users/:id'],
    });
    expect(callsOf(first.counts, 'clerk_apply_user_version')).toEqual({ calls: 1, rows: 1 });
    const next = await render('/dashboard', late);
    expect({ status: next.status, topLevel: next.counts.topLevel, backendApi: next.backendApi }).toEqual({ status: 200, topLevel: 3, backendApi: [] });
  });
});
