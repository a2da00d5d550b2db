/**
 * An organization's plan limits, enforced inside the statements that would
 * pass them (docs/decisions/023), on real PostgreSQL and, for invitations,
 * the emulator through the real `@clerk/backend` client: N parallel writers
 * against a limit store exactly the limit; Pro lifts the limits; past due,
 * cancellation past its period and a downgrade bring back Free's, deleting
 * nothing and refusing writes over the limit; the plan a page shows comes
 * with the space, in the same statement.
 */
import { describe, expect, it } from 'vitest';
import { FREE_MEMBER_LIMIT, FREE_POST_CONTENT_MAX, FREE_POST_LIMIT } from '@/modules/billing/src/interfaces/billing.limits';
import { processClerkWebhook } from '@/modules/clerk-sync/src/webhook/clerk-webhook.service';
import { verifyClerkWebhook } from '@/modules/clerk-sync/src/webhook/webhook-verification';
import { findOrganizationSpace } from '@/modules/organizations/src/services/organization-access.service';
import { invite, MEMBER_LIMIT_REACHED, revokeInvitation } from '@/modules/organizations/src/services/organizations.service';
import { createOrganizationPost, PostLimitError, updateOrganizationPost } from '@/modules/posts/src/services/posts.service';
import { emulatorAsAppsClerk } from '../helpers/app-emulator';
import { createDefaultPlans, itemAt, itemDelivery, onPro, subscriptionAt, subscriptionDelivery } from '../helpers/billing-events';
import { createDefaultRoles, createPost } from '../helpers/factories';
import { organizationFixtures, rejection, suffix } from '../helpers/organization-services';
import { prisma } from '../helpers/prisma';
import { type Delivery, signedHeaders, TEST_SIGNING_SECRET } from '../helpers/webhooks';

const emulated = emulatorAsAppsClerk();
const { person, team, joined } = organizationFixtures(emulated);

const receive = (d: Delivery) => processClerkWebhook(verifyClerkWebhook(d.body, new Headers(signedHeaders(d)), TEST_SIGNING_SECRET));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const post = { title: 'A post', content: 'Within the plan.' };
const postsOf = (organizationId: string) => prisma().post.count({ where: { organizationId } });

const space = async (user: Awaited<ReturnType<typeof person>>, slug: string) => (await findOrganizationSpace(user, slug, async () => ({})))!;

describe('posts within the plan', () => {
  it(`${12} parallel posts against the ${FREE_POST_LIMIT} of a Free organization, ${FREE_POST_LIMIT - 5} there already: exactly 5 are stored`, async () => {
    await createDefaultPlans();
    await createDefaultRoles();
    const admin = await person('Ada');
    const organization = await team(admin);
    for (let i = 0; i < FREE_POST_LIMIT - 5; i++) await createPost(admin.id, { organizationId: organization.id });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => createOrganizationPost(admin.id, organization.id, post)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const { reason } of refused) expect(reason).toEqual(new PostLimitError('posts'));
    expect(await postsOf(organization.id)).toBe(FREE_POST_LIMIT);
    expect((await space(admin, organization.slug)).plan).toMatchObject({ name: 'Free', state: 'free', postLimit: FREE_POST_LIMIT, usage: { posts: FREE_POST_LIMIT } });
  });

  it('Pro lifts the post limit and the length; past due brings Free back: nothing deleted, writes over the limit refused until paid', async () => {
    await createDefaultPlans();
    const admin = await person('Ada');
    const organization = await team(admin);
    for (let i = 0; i < FREE_POST_LIMIT; i++) await createPost(admin.id, { organizationId: organization.id });
    const long = { title: 'Long', content: 'x'.repeat(FREE_POST_CONTENT_MAX + 1) };
    await expect(createOrganizationPost(admin.id, organization.id, post)).rejects.toEqual(new PostLimitError('posts'));

    const { subscription, pro } = await onPro(organization.clerkId);
    const written = await createOrganizationPost(admin.id, organization.id, long);
    expect(await postsOf(organization.id)).toBe(FREE_POST_LIMIT + 1);
    expect((await space(admin, organization.slug)).plan).toMatchObject({ name: 'Pro', state: 'active', postLimit: null, memberLimit: null, postContentMax: null });

    await receive(subscriptionDelivery('subscription.pastDue', subscriptionAt(subscription, 'past_due', [itemAt(pro, 'past_due', Date.now())], Date.now())));
    expect((await space(admin, organization.slug)).plan).toMatchObject({ name: 'Free', state: 'past_due', postLimit: FREE_POST_LIMIT });
    await expect(createOrganizationPost(admin.id, organization.id, post)).rejects.toEqual(new PostLimitError('posts'));
    // Editing a long post longer is a write over the limit; editing it shorter is not.
    await expect(updateOrganizationPost(admin.id, organization.id, written.id, { title: 'Longer', content: long.content + 'y' })).rejects.toEqual(new PostLimitError('length'));
    await updateOrganizationPost(admin.id, organization.id, written.id, { title: 'Shorter', content: 'short now' });
    expect(await postsOf(organization.id)).toBe(FREE_POST_LIMIT + 1);

    await receive(subscriptionDelivery('subscription.active', subscriptionAt(subscription, 'active', [itemAt(pro, 'active', Date.now() + 1)], Date.now() + 1)));
    await createOrganizationPost(admin.id, organization.id, post);
    expect(await postsOf(organization.id)).toBe(FREE_POST_LIMIT + 2);
  });

  it('canceled at period end: Pro holds until the end, then Free, even before the `ended` event arrives', async () => {
    await createDefaultPlans();
    const admin = await person('Ada');
    const organization = await team(admin);
    const { subscription, pro } = await onPro(organization.clerkId);
    const canceled = (periodEnd: number, at: number) => subscriptionDelivery('subscription.updated', subscriptionAt(subscription, 'active', [itemAt(pro, 'canceled', at, { period_end: periodEnd })], at));
    await receive(canceled(Date.now() + DAY, Date.now()));
    expect((await space(admin, organization.slug)).plan).toMatchObject({ name: 'Pro', state: 'canceling', memberLimit: null });
    await receive(canceled(Date.now() - 1000, Date.now() + 5));
    expect((await space(admin, organization.slug)).plan).toMatchObject({ name: 'Free', state: 'free', memberLimit: FREE_MEMBER_LIMIT });
    await createOrganizationPost(admin.id, organization.id, { title: 'Short', content: 'fine' });
    await expect(createOrganizationPost(admin.id, organization.id, { title: 'Long', content: 'x'.repeat(FREE_POST_CONTENT_MAX + 1) })).rejects.toEqual(new PostLimitError('length'));
  });
});

describe('members within the plan', () => {
  it(`parallel invitations against ${FREE_MEMBER_LIMIT} seats, one taken: exactly two are sent; the next is refused with the upgrade link, and a revocation frees a seat`, async () => {
    await createDefaultPlans();
    const admin = await person('Ada');
    const organization = await team(admin);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => invite(admin, organization.id, { email: `guest-${suffix()}@example.com`, role: 'org:member' })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(FREE_MEMBER_LIMIT - 1);
    expect(await prisma().invitation.count({ where: { organizationClerkId: organization.clerkId, status: 'pending' } })).toBe(FREE_MEMBER_LIMIT - 1);
    expect((await emulated.clerk.organizations.getOrganizationInvitationList({ organizationId: organization.clerkId, status: ['pending'] })).totalCount).toBe(FREE_MEMBER_LIMIT - 1);
    const refusal = await rejection(invite(admin, organization.id, { email: `one-more-${suffix()}@example.com`, role: 'org:member' }));
    expect(refusal).toEqual({ message: MEMBER_LIMIT_REACHED, field: undefined });
    expect((await space(admin, organization.slug)).plan).toMatchObject({ usage: { members: 1, pendingInvitations: 2 }, memberLimit: FREE_MEMBER_LIMIT });

    const [pending] = await prisma().invitation.findMany({ where: { organizationClerkId: organization.clerkId, status: 'pending' }, take: 1 });
    await revokeInvitation(admin, organization.id, pending!.id);
    await invite(admin, organization.id, { email: `after-revoke-${suffix()}@example.com`, role: 'org:member' });
  });

  it('the refusal links to the billing page; Pro lifts the limit; a downgrade keeps every member and refuses the next invitation', async () => {
    await createDefaultPlans();
    const admin = await person('Ada');
    const organization = await team(admin);
    for (const name of ['Bo', 'Cy']) await joined(organization, await person(name), 'org:member');
    const error = await invite(admin, organization.id, { email: `x-${suffix()}@example.com`, role: 'org:member' }).catch((caught: { link?: unknown }) => caught);
    expect(error).toMatchObject({ link: { href: `/orgs/${organization.slug}/billing` } });

    const { subscription, pro } = await onPro(organization.clerkId);
    await invite(admin, organization.id, { email: `fourth-${suffix()}@example.com`, role: 'org:member' });
    await joined(organization, await person('Di'), 'org:member');
    expect((await space(admin, organization.slug)).plan).toMatchObject({ usage: { members: 4, pendingInvitations: 1 }, memberLimit: null });

    await receive(itemDelivery('subscriptionItem.ended', itemAt(pro, 'ended', Date.now()), subscription));
    expect(await prisma().membership.count({ where: { organizationId: organization.id } })).toBe(4);
    expect(await rejection(invite(admin, organization.id, { email: `fifth-${suffix()}@example.com`, role: 'org:member' }))).toEqual({ message: MEMBER_LIMIT_REACHED, field: undefined });
  });
});
