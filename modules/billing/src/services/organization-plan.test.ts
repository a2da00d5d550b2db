import { describe, expect, it } from 'vitest';
import { FREE_MEMBER_LIMIT, FREE_POST_CONTENT_MAX, FREE_POST_LIMIT } from '../interfaces/billing.limits';
import { atMemberLimit, atPostLimit, organizationPlanOf, type PlanColumns, seatsTaken } from './organization-plan';

const none: PlanColumns = {
  planName: null,
  planSlug: null,
  planItemStatus: null,
  planIsFreeTrial: null,
  planPeriodEnd: null,
  planIsDefault: null,
  planKnown: null,
  planFeatures: null,
  pastDue: false,
  members: 1,
  pendingInvitations: 0,
  posts: 0,
};
const free: PlanColumns = { ...none, planName: 'Free', planSlug: 'free_org', planIsDefault: true, planKnown: true, planFeatures: [] };
const pro: PlanColumns = {
  ...none,
  planName: 'Pro',
  planSlug: 'pro',
  planItemStatus: 'active',
  planIsFreeTrial: false,
  planPeriodEnd: new Date(Date.UTC(2027, 0, 1)),
  planIsDefault: false,
  planKnown: true,
  planFeatures: ['unlimited_members', 'unlimited_posts', 'long_posts'],
};

describe('organizationPlanOf', () => {
  it('is Free with its limits when nothing is known, or on the default plan', () => {
    for (const columns of [none, free]) {
      expect(organizationPlanOf(columns)).toEqual({
        name: 'Free',
        slug: columns.planSlug,
        state: 'free',
        periodEnd: null,
        features: [],
        usage: { members: 1, pendingInvitations: 0, posts: 0 },
        memberLimit: FREE_MEMBER_LIMIT,
        postLimit: FREE_POST_LIMIT,
        postContentMax: FREE_POST_CONTENT_MAX,
      });
    }
  });

  it('lifts each limit by its feature only', () => {
    expect(organizationPlanOf(pro)).toMatchObject({ name: 'Pro', state: 'active', memberLimit: null, postLimit: null, postContentMax: null });
    expect(organizationPlanOf({ ...pro, planFeatures: ['unlimited_posts'] })).toMatchObject({ memberLimit: FREE_MEMBER_LIMIT, postLimit: null, postContentMax: FREE_POST_CONTENT_MAX });
    expect(organizationPlanOf({ ...pro, planFeatures: ['long_posts'] })).toMatchObject({ memberLimit: FREE_MEMBER_LIMIT, postLimit: FREE_POST_LIMIT, postContentMax: null });
  });

  it('says trial, canceling, and past due (the default plan live while a payment is overdue)', () => {
    expect(organizationPlanOf({ ...pro, planIsFreeTrial: true }).state).toBe('trial');
    expect(organizationPlanOf({ ...pro, planItemStatus: 'canceled' })).toMatchObject({ state: 'canceling', periodEnd: pro.planPeriodEnd });
    expect(organizationPlanOf({ ...free, pastDue: true }).state).toBe('past_due');
    expect(organizationPlanOf({ ...none, pastDue: true }).state).toBe('past_due');
    // A paid plan live beside an old past-due item (paid since): not past due.
    expect(organizationPlanOf({ ...pro, pastDue: true }).state).toBe('active');
  });

  it('counts pending invitations as seats, and stops at the limits', () => {
    const plan = organizationPlanOf({ ...free, members: 2, pendingInvitations: 1, posts: FREE_POST_LIMIT - 1 });
    expect(seatsTaken(plan)).toBe(3);
    expect(atMemberLimit(plan)).toBe(true);
    expect(atMemberLimit(organizationPlanOf({ ...free, members: 2 }))).toBe(false);
    expect(atPostLimit(plan)).toBe(false);
    expect(atPostLimit(organizationPlanOf({ ...free, posts: FREE_POST_LIMIT }))).toBe(true);
    expect(atMemberLimit(organizationPlanOf({ ...pro, members: 100 }))).toBe(false);
    expect(atPostLimit(organizationPlanOf({ ...pro, posts: 1000 }))).toBe(false);
  });
});
