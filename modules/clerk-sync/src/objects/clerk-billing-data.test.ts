import { describe, expect, it } from 'vitest';
import { clerkSubscriptionDataSchema, clerkSubscriptionItemDataSchema, payerFields, subscriptionFields, subscriptionItemFields, unknownBillingStatuses } from './clerk-billing-data';

const item = {
  id: 'csub_item_1',
  status: 'active',
  is_free_trial: false,
  created_at: 1_000,
  updated_at: 2_000,
  period_start: 1_000,
  period_end: 3_000,
  plan_id: 'cplan_pro',
  plan: { id: 'cplan_pro', slug: ' pro ', name: ' Pro ', amount: 2000 },
  subscription_id: null,
};

describe('Clerk Billing data', () => {
  it("takes an organization payer, else a user; Clerk's empty strings are no one", () => {
    expect(payerFields({ organization_id: 'org_1', user_id: 'user_1' })).toEqual({ organizationClerkId: 'org_1', userClerkId: null });
    expect(payerFields({ organization_id: null, user_id: 'user_1' })).toEqual({ organizationClerkId: null, userClerkId: 'user_1' });
    expect(payerFields(null)).toEqual({ organizationClerkId: null, userClerkId: null });
    const parsed = clerkSubscriptionItemDataSchema.parse({ ...item, payer: { id: 'cpayer_1', user_id: '', organization_id: 'org_1', email: 'a@b.c', first_name: 'A' } });
    expect(parsed.payer).toEqual({ id: 'cpayer_1', user_id: null, organization_id: 'org_1' });
  });

  it("reads an item: its plan trimmed, times as dates, a default plan's item without an end, `pastDue` as `past_due`", () => {
    expect(subscriptionItemFields(clerkSubscriptionItemDataSchema.parse(item))).toEqual({
      clerkId: 'csub_item_1',
      subscriptionClerkId: null,
      organizationClerkId: null,
      userClerkId: null,
      planClerkId: 'cplan_pro',
      planSlug: 'pro',
      planName: 'Pro',
      status: 'active',
      isFreeTrial: false,
      periodStart: new Date(1_000),
      periodEnd: new Date(3_000),
      created: new Date(1_000),
      version: new Date(2_000),
    });
    const free = subscriptionItemFields(clerkSubscriptionItemDataSchema.parse({ ...item, status: 'pastDue', period_end: null, plan: null, plan_id: 'cplan_free', is_free_trial: undefined }));
    expect(free).toMatchObject({ status: 'past_due', periodEnd: null, planClerkId: 'cplan_free', planSlug: null, isFreeTrial: false });
  });

  it("gives a subscription's items their subscription and payer", () => {
    const subscription = clerkSubscriptionDataSchema.parse({
      id: 'csub_1',
      status: 'past_due',
      created_at: 1,
      updated_at: 5,
      past_due_at: 5,
      payer_id: 'cpayer_1',
      payer: { user_id: 'user_1', organization_id: '' },
      items: [item],
    });
    const fields = subscriptionFields(subscription);
    expect(fields).toMatchObject({ clerkId: 'csub_1', payerClerkId: 'cpayer_1', userClerkId: 'user_1', organizationClerkId: null, status: 'past_due', pastDueAt: new Date(5), version: new Date(5) });
    expect(fields.items).toEqual([expect.objectContaining({ clerkId: 'csub_item_1', subscriptionClerkId: 'csub_1' })]);
    expect(subscriptionFields({ ...subscription, past_due_at: undefined }).pastDueAt).toBeNull();
  });

  it('keeps no payment details and refuses what is not Billing data', () => {
    const parsed = clerkSubscriptionItemDataSchema.parse({ ...item, payment_source: { last4: '4242' }, amount: { amount: 2000 } });
    expect(JSON.stringify(parsed)).not.toMatch(/4242|amount/);
    for (const broken of [{ ...item, status: 'not a status!' }, { ...item, id: 'x y' }, { ...item, updated_at: 'later' }, { ...item, plan: { id: 'cplan_1', slug: 'a\u0000b', name: 'x' } }]) {
      expect(clerkSubscriptionItemDataSchema.safeParse(broken).success, JSON.stringify(broken)).toBe(false);
    }
  });

  it('names the statuses this code does not know, once each', () => {
    expect(unknownBillingStatuses({ status: 'active', items: [{ status: 'ended' }, { status: 'past_due' }] })).toEqual([]);
    expect(unknownBillingStatuses({ status: 'on_hold', items: [{ status: 'paused' }, { status: 'paused' }, { status: 'active' }] })).toEqual(['on_hold', 'paused']);
    expect(unknownBillingStatuses({ status: 'frozen' })).toEqual(['frozen']);
  });
});
