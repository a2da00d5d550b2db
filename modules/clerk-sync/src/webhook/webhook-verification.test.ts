/**
 * `verifyClerkWebhook` in-process, every answer pinned: the HTTP tests
 * (webhook-endpoint, webhook-fuzz) reach it through `next start`, where a
 * mutation test cannot see it. Signed with `standardwebhooks`, shaped by the
 * emulator's builders.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { delivery, newClerkUser, rawDelivery, signedHeaders, TEST_SIGNING_SECRET } from '@/tests/helpers/webhooks';
import { WEBHOOK_MAX_BODY_BYTES, WebhookRejection } from './webhook';
import { parseHandledEvent, verifyClerkWebhook } from './webhook-verification';

const SVIX_ID = 'msg_2abcDEF123';

function signed(body: string, options: { svixId?: string; timestamp?: Date } = {}) {
  return new Headers(signedHeaders({ svixId: options.svixId ?? SVIX_ID, body }, options));
}

/** The rejection `verify` throws, as status, reason and whether it is recorded as signed. */
function rejection(verify: () => unknown) {
  try {
    verify();
  } catch (error) {
    if (!(error instanceof WebhookRejection)) throw error;
    return { status: error.status, reason: error.reason, signed: error.signed ?? null };
  }
  throw new Error('expected a rejection');
}

const envelope = (fields: Record<string, unknown>) => JSON.stringify({ data: { object: 'event' }, object: 'event', type: 'email.created', ...fields });

describe('verifyClerkWebhook', () => {
  it('returns the delivery reduced to what the sync reads', () => {
    const user = newClerkUser({ emailAddresses: ['ada@example.com'] }, 1_700_000_000_123);
    const d = delivery('user.created', user, 1_700_000_000_456, 'ins_2xyz');
    const verified = verifyClerkWebhook(d.body, signed(d.body, { svixId: d.svixId }), TEST_SIGNING_SECRET);
    expect(verified).toEqual({
      svixId: d.svixId,
      type: 'user.created',
      event: { type: 'user.created', data: expect.objectContaining({ id: user.id, updated_at: 1_700_000_000_123 }) },
      eventAt: new Date(1_700_000_000_456),
      instanceId: 'ins_2xyz',
    });
    expect(Object.keys(verified.event!.data).sort()).toEqual(['email_addresses', 'first_name', 'id', 'last_name', 'primary_email_address_id', 'updated_at', 'username']);
  });

  it('answers an event type it does not handle with no event, its type kept', () => {
    const d = rawDelivery({ type: 'session.created', object: 'event', data: { id: 'sess_1' }, timestamp: 1_700_000_000_000 });
    expect(verifyClerkWebhook(d.body, signed(d.body), TEST_SIGNING_SECRET)).toMatchObject({ type: 'session.created', event: null, instanceId: null });
  });

  it('refuses a body over the limit with 413 before anything else', () => {
    const body = 'x'.repeat(WEBHOOK_MAX_BODY_BYTES + 1);
    expect(rejection(() => verifyClerkWebhook(body, new Headers(), TEST_SIGNING_SECRET))).toEqual({ status: 413, reason: `body over ${WEBHOOK_MAX_BODY_BYTES} bytes`, signed: null });
    // Counted in bytes, not characters.
    const multibyte = 'é'.repeat(WEBHOOK_MAX_BODY_BYTES / 2 + 1);
    expect(rejection(() => verifyClerkWebhook(multibyte, new Headers(), TEST_SIGNING_SECRET)).status).toBe(413);
  });

  it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('refuses a request without %s', (name) => {
    const body = envelope({});
    const headers = signed(body);
    headers.delete(name);
    expect(rejection(() => verifyClerkWebhook(body, headers, TEST_SIGNING_SECRET))).toEqual({ status: 400, reason: `missing ${name} header`, signed: null });
  });

  it.each(['msg 1', 'x'.repeat(256), 'msg_1/..', '<msg_1>', '/msg_1', 'msg_1/'])('refuses svix-id %j, which Svix never sends', (svixId) => {
    const body = envelope({});
    const headers = signed(body, { svixId });
    expect(rejection(() => verifyClerkWebhook(body, headers, TEST_SIGNING_SECRET))).toEqual({ status: 400, reason: 'invalid svix-id header', signed: null });
  });

  it('refuses an empty body', () => {
    expect(rejection(() => verifyClerkWebhook('', signed(''), TEST_SIGNING_SECRET))).toEqual({ status: 400, reason: 'empty body', signed: null });
  });

  it('names why a signature does not verify', () => {
    const body = envelope({});
    const wrong = signedHeaders({ svixId: SVIX_ID, body }, {});
    wrong['svix-signature'] = new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).sign(SVIX_ID, new Date(), body);
    expect(rejection(() => verifyClerkWebhook(body, new Headers(wrong), TEST_SIGNING_SECRET))).toEqual({ status: 400, reason: 'invalid signature', signed: null });
    const old = signed(body, { timestamp: new Date(Date.now() - 10 * 60_000) });
    expect(rejection(() => verifyClerkWebhook(body, old, TEST_SIGNING_SECRET)).reason).toBe('timestamp too old');
    const future = signed(body, { timestamp: new Date(Date.now() + 10 * 60_000) });
    expect(rejection(() => verifyClerkWebhook(body, future, TEST_SIGNING_SECRET)).reason).toBe('timestamp too new');
    const garbled = signed(body);
    garbled.set('svix-timestamp', 'soon');
    expect(rejection(() => verifyClerkWebhook(body, garbled, TEST_SIGNING_SECRET)).reason).toBe('invalid svix-timestamp header');
  });

  describe('the timestamp tolerance', () => {
    // The clock stands still, so "now" is exact to the second.
    const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
    afterEach(() => {
      vi.useRealTimers();
    });

    /** The outcome of a delivery signed `offsetSeconds` from now (negative: in the past). */
    const signedAt = (offsetSeconds: number) => {
      vi.useFakeTimers({ toFake: ['Date'], now: NOW });
      const body = envelope({});
      const headers = signed(body, { timestamp: new Date(NOW + offsetSeconds * 1000) });
      try {
        return verifyClerkWebhook(body, headers, TEST_SIGNING_SECRET).type;
      } catch (error) {
        if (error instanceof WebhookRejection) return error.reason;
        throw error;
      }
    };

    it('is 5 minutes into the past: 300 s old passes, 301 s old does not', () => {
      expect(signedAt(-300)).toBe('email.created');
      expect(signedAt(-301)).toBe('timestamp too old');
    });

    it('is 5 minutes into the future: 300 s ahead passes, 301 s ahead does not', () => {
      expect(signedAt(300)).toBe('email.created');
      expect(signedAt(301)).toBe('timestamp too new');
    });
  });

  it('records a signed body that is not JSON, or not a Clerk event, as signed by Clerk', () => {
    const signedRefusal = (body: string) => rejection(() => verifyClerkWebhook(body, signed(body), TEST_SIGNING_SECRET));
    const asSigned = { svixId: SVIX_ID, type: 'unknown' };
    expect(signedRefusal('{"type":')).toEqual({ status: 400, reason: 'body is not JSON', signed: asSigned });
    expect(signedRefusal('[1,2]')).toEqual({ status: 400, reason: 'not a Clerk event', signed: asSigned });
    expect(signedRefusal('"text"')).toEqual({ status: 400, reason: 'not a Clerk event', signed: asSigned });
    expect(signedRefusal(JSON.stringify({ type: 'user.created' }))).toEqual({ status: 400, reason: 'not a Clerk event', signed: asSigned });
    expect(signedRefusal(JSON.stringify({ type: 7, data: {} }))).toEqual({ status: 400, reason: 'not a Clerk event', signed: asSigned });
    for (const type of ['', '1user.created', 'user created', 'user.created;drop', `a${'b'.repeat(100)}`]) {
      expect(signedRefusal(JSON.stringify({ type, data: {} }))).toEqual({ status: 400, reason: 'not a Clerk event type', signed: asSigned });
    }
    expect(signedRefusal(JSON.stringify({ type: 'user.created', data: { id: 'user_1' } }))).toEqual({
      status: 400,
      reason: 'malformed user.created payload',
      signed: { svixId: SVIX_ID, type: 'user.created' },
    });
  });

  describe('the event time', () => {
    /** The eventAt of an envelope with this timestamp, signed now. */
    const at = (timestamp: unknown) => {
      const body = envelope({ timestamp });
      return verifyClerkWebhook(body, signed(body), TEST_SIGNING_SECRET).eventAt.getTime();
    };

    it('is the envelope timestamp in milliseconds, or in seconds', () => {
      expect(at(1_700_000_000_456)).toBe(1_700_000_000_456);
      expect(at(1_700_000_000)).toBe(1_700_000_000_000);
      expect(at(Date.UTC(2015, 0, 1) + 1)).toBe(Date.UTC(2015, 0, 1) + 1);
    });

    it('falls back to the signed svix-timestamp (whole seconds) when the envelope has none, or an impossible one', () => {
      const impossible = [undefined, '1700000000000', Date.UTC(2014, 11, 31), Date.UTC(2015, 0, 1), Date.now() + 2 * 86_400_000, 99_999_999_999, -5, 0];
      for (const timestamp of impossible) {
        const before = Math.floor(Date.now() / 1000) * 1000;
        const eventAt = at(timestamp);
        expect(eventAt % 1000, String(timestamp)).toBe(0);
        expect(eventAt, String(timestamp)).toBeGreaterThanOrEqual(before);
        expect(eventAt, String(timestamp)).toBeLessThanOrEqual(Date.now());
      }
    });
  });

  it('keeps the envelope instance id only when it looks like one', () => {
    const instanceOf = (instance_id: unknown) => {
      const body = envelope({ instance_id });
      return verifyClerkWebhook(body, signed(body), TEST_SIGNING_SECRET).instanceId;
    };
    expect(instanceOf('ins_2abc-DEF')).toBe('ins_2abc-DEF');
    for (const bad of ['', 'ins 1', 'ins_1\n', '/ins_1', 'ins_1/', 'x'.repeat(129), 42, null]) expect(instanceOf(bad), JSON.stringify(bad)).toBeNull();
  });
});

describe('parseHandledEvent', () => {
  it('reads user.deleted as Clerk sends it, and refuses a malformed one', () => {
    expect(parseHandledEvent('user.deleted', { id: 'user_1', deleted: true, object: 'user' })).toEqual({ type: 'user.deleted', data: { id: 'user_1', deleted: true } });
    expect(() => parseHandledEvent('user.deleted', { id: 'user 1' })).toThrow('malformed user.deleted payload');
    expect(() => parseHandledEvent('user.updated', { id: 'user_1' })).toThrow('malformed user.updated payload');
  });

  it('has nothing to say about other types', () => {
    expect(parseHandledEvent('session.created', { id: 'sess_1' })).toBeNull();
    expect(parseHandledEvent('organizationDomain.created', { id: 'orgdmn_1' })).toBeNull();
    // Not an own property of the table of handled types either.
    expect(parseHandledEvent('constructor', {})).toBeNull();
  });

  it('checks organizations and memberships, keeping only what the sync reads', () => {
    const organization = { id: 'org_1', name: 'Acme', slug: 'acme', updated_at: 1, members_count: 3, private_metadata: { secret: 1 } };
    expect(parseHandledEvent('organization.updated', organization)).toEqual({ type: 'organization.updated', data: { id: 'org_1', name: 'Acme', slug: 'acme', updated_at: 1 } });
    expect(() => parseHandledEvent('organization.created', { ...organization, slug: ' ' })).toThrow('malformed organization.created payload');
    expect(() => parseHandledEvent('organization.created', { ...organization, name: ' \t' })).toThrow('malformed organization.created payload');
    expect(parseHandledEvent('organization.deleted', { object: 'organization', id: 'org_1', slug: 'acme', deleted: true })).toEqual({
      type: 'organization.deleted',
      data: { id: 'org_1', deleted: true },
    });
    const membership = {
      id: 'orgmem_1',
      role: 'org:admin',
      created_at: 1,
      updated_at: 2,
      organization,
      public_user_data: { user_id: 'user_1', identifier: 'ada@example.com', first_name: 'Ada' },
    };
    expect(parseHandledEvent('organizationMembership.deleted', membership)).toEqual({
      type: 'organizationMembership.deleted',
      data: { id: 'orgmem_1', role: 'org:admin', created_at: 1, updated_at: 2, organization: { id: 'org_1', name: 'Acme', slug: 'acme', updated_at: 1 }, public_user_data: { user_id: 'user_1' } },
    });
    expect(() => parseHandledEvent('organizationMembership.created', { ...membership, role: 'admin' })).toThrow('malformed');
    // Anchored at both ends: nothing before the prefix, nothing after the key.
    expect(() => parseHandledEvent('organizationMembership.created', { ...membership, role: 'xorg:admin' })).toThrow('malformed');
    expect(() => parseHandledEvent('organizationMembership.created', { ...membership, role: 'org:admin; DROP TABLE' })).toThrow('malformed');
    expect(parseHandledEvent('organizationMembership.created', { ...membership, role: 'org:billing_manager' })?.data).toMatchObject({ role: 'org:billing_manager' });
    expect(() => parseHandledEvent('organizationMembership.created', { ...membership, public_user_data: {} })).toThrow('malformed');
  });
});
