/**
 * A typed client for the emulator's control API, and a webhook endpoint for
 * it to deliver to, for tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeletedObjectJSON, OrganizationJSON, OrganizationMembershipJSON, UserJSON } from '@clerk/backend';
import { verifyWebhook } from '@clerk/nextjs/webhooks';
import { NextRequest } from 'next/server';
import { type BackendApiRequest, CONTROL_TOKEN_HEADER } from '../../tools/clerk-emulator/src/server';
import type { BillingSettings } from '../../tools/clerk-emulator/src/billing';
import type { Subscription } from '../../tools/clerk-emulator/src/contract/schemas';
import type { MailboxMessage } from '../../tools/clerk-emulator/src/invitations';
import type { DeliverySettings, EmulatorWebhookEvent } from '../../tools/clerk-emulator/src/webhooks';

export interface ReceivedDelivery {
  headers: Record<string, string>;
  body: string;
}

/** A webhook endpoint on loopback: keeps every delivery, and answers 500 to the next `failNext` of them. */
export class WebhookReceiver {
  received: ReceivedDelivery[] = [];
  failNext = 0;
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      this.received.push({ headers: request.headers as Record<string, string>, body });
      response.writeHead(this.failNext > 0 ? (this.failNext--, 500) : 200).end();
    });
  });

  /** Listen, and return the URL to give the emulator as its webhook endpoint. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  clear(): void {
    this.received = [];
    this.failNext = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A delivery as the app's endpoint sees it: verified with Clerk's own `verifyWebhook`. */
export async function verifiedEvent(delivery: ReceivedDelivery, signingSecret: string): Promise<EmulatorWebhookEvent> {
  const request = new NextRequest('http://localhost/api/webhooks/clerk', { method: 'POST', headers: delivery.headers, body: delivery.body });
  return (await verifyWebhook(request, { signingSecret })) as EmulatorWebhookEvent;
}

export interface DeliveryRecord {
  id: string;
  type: string;
  /** The user, organization or membership the event is about. */
  objectId: string;
  /** The user it concerns (the member, for a membership); null for an organization. */
  userId: string | null;
  status: 'held' | 'scheduled' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  lastStatus: number | null;
}

export class EmulatorControl {
  constructor(
    readonly url: string,
    private readonly secretKey: string,
    private readonly controlToken: string,
  ) {}

  /** Any control API call (`/_control/…`), with the run's token. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: this.controlToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  configureWebhooks(settings: Partial<DeliverySettings>) {
    return this.request<DeliverySettings>('PUT', '/_control/webhooks', settings);
  }

  releaseWebhooks() {
    return this.request<{ released: number }>('POST', '/_control/webhooks/release', {});
  }

  /**
   * Instance settings, as the Clerk dashboard would change them: `{ names: false }`;
   * custom permissions by role, applied onto the instance's roles without webhooks, making the roles and
   * permissions named that it lacks (`{ customRolePermissions: { 'org:admin': ['org:posts:delete'] } }`);
   * `{ cascadeMembershipEvents: false }` for no `organizationMembership.deleted` when an organization or user goes.
   */
  configureInstance(settings: { names?: boolean; allowPersonalAccounts?: boolean; customRolePermissions?: Record<string, string[]>; cascadeMembershipEvents?: boolean; billing?: BillingSettings }) {
    return this.request<unknown>('PUT', '/_control/config', { settings });
  }

  /** Delay every Backend API answer by this much, as the network to Clerk would. */
  backendApiLatency(ms: number) {
    return this.request<{ backendApiLatencyMs: number }>('PUT', '/_control/config', { backendApiLatencyMs: ms });
  }

  /** Backend API calls the emulator has answered since its last reset: in all, and by route (ids as `:id`). */
  backendApiCalls() {
    return this.request<{ total: number; byRoute: Record<string, number> }>('GET', '/_control/stats/backend-api');
  }

  /**
   * The Backend API requests the emulator received after the one numbered
   * `since` (its latest 10,000), oldest first: route, query string, arrival
   * and answer times, how many were in flight.
   */
  async backendApiRequests(since = 0): Promise<BackendApiRequest[]> {
    return (await this.request<{ requests: BackendApiRequest[] }>('GET', `/_control/stats/backend-api/requests?since=${since}`)).requests;
  }

  /** The number of the latest Backend API request: `backendApiRequests(mark)` gives the ones after it. */
  async backendApiMark(): Promise<number> {
    return (await this.request<{ last: number }>('GET', `/_control/stats/backend-api/requests?since=${Number.MAX_SAFE_INTEGER}`)).last;
  }

  /** Delete a user as the Clerk dashboard would (the emulator's admin page posts the same). */
  async deleteUser(userId: string): Promise<void> {
    const response = await fetch(`${this.url}/v1/users/${userId}`, { method: 'DELETE', headers: { authorization: `Bearer ${this.secretKey}` } });
    if (!response.ok) throw new Error(`delete user: ${response.status} ${await response.text()}`);
  }

  /** Users in bulk (load tests), without webhooks unless `notify`. */
  bulkUsers(count: number, prefix: string, notify = false) {
    return this.request<{ created: number; total: number }>('POST', '/_control/users/bulk', { count, prefix, notify });
  }

  /** The emulator's truth for large comparisons: [id, primary email, first name, last name, updated_at]. */
  exportUsers() {
    return this.request<[string, string | null, string | null, string | null, number][]>('GET', '/_control/users/export');
  }

  /** Inject `count` 429 answers with this Retry-After. */
  rateLimit(count: number, retryAfter: number) {
    return this.request<unknown>('POST', '/_control/rate-limit', { count, retryAfter });
  }

  /** Answer the next `count` Backend API calls (of one route, e.g. `GET /v1/users/:id`, if given) with this server error. */
  serverErrors(count: number, status = 503, route?: string) {
    return this.request<unknown>('POST', '/_control/server-errors', { count, status, route });
  }

  /** Leave these users out of the user list (only), as offset paging does when others are deleted meanwhile. */
  hideFromList(userIds: string[]) {
    return this.request<unknown>('PUT', '/_control/list-hides', { userIds });
  }

  reset() {
    return this.request<unknown>('POST', '/_control/reset', {});
  }

  deliveries() {
    return this.request<DeliveryRecord[]>('GET', '/_control/webhooks/deliveries');
  }

  /** Wait until no delivery is held, scheduled or in flight. */
  async settleWebhooks(timeoutMs = 20_000): Promise<DeliveryRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const deliveries = await this.deliveries();
      if (deliveries.every((delivery) => delivery.status !== 'scheduled')) return deliveries;
      if (Date.now() > deadline) throw new Error(`webhooks did not settle: ${JSON.stringify(deliveries)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * The cookies a browser would hold after signing in as this user; the
   * session starts in `organizationId` (null: the personal account) if given,
   * else where Clerk starts it (the organization the user last joined or chose).
   */
  signIn(userId: string, options: { organizationId?: string | null } = {}) {
    return this.request<{ sessionId: string; clientId: string; token: string; cookies: string[] }>('POST', '/_control/sessions', { userId, ...options });
  }

  /** Switch a session's active organization (by id or slug; null: the personal account), as clerk-js's setActive does; returns its next token. */
  setActiveOrganization(sessionId: string, organizationId: string | null) {
    return this.request<{ sessionId: string; activeOrganizationId: string | null; token: string }>('PUT', '/_control/sessions/active-organization', { sessionId, organizationId });
  }

  /** An organization, with `createdBy` as its admin; its webhooks unless `notify` is false. */
  createOrganization(input: { name: string; slug?: string; createdBy?: string; maxAllowedMemberships?: number }, notify = true) {
    return this.request<OrganizationJSON>('POST', '/_control/organizations', { ...input, notify });
  }

  /** Delete an organization (its memberships go with it). */
  deleteOrganization(organizationId: string) {
    return this.request<DeletedObjectJSON>('POST', '/_control/organizations/delete', { organizationId });
  }

  addMembership(organizationId: string, userId: string, role = 'org:member', notify = true) {
    return this.request<OrganizationMembershipJSON>('POST', '/_control/memberships', { organizationId, userId, role, notify });
  }

  updateMembership(organizationId: string, userId: string, role: string) {
    return this.request<OrganizationMembershipJSON>('PUT', '/_control/memberships', { organizationId, userId, role });
  }

  /** Remove a member; returns the membership as it was. */
  removeMembership(organizationId: string, userId: string) {
    return this.request<OrganizationMembershipJSON>('POST', '/_control/memberships/delete', { organizationId, userId });
  }

  /**
   * Organizations in bulk (load tests), each with `membersPerOrg` of the
   * existing users taken in turn (the first its admin), slugs `${prefix}-${i}`,
   * without webhooks unless `notify`.
   */
  bulkOrganizations(count: number, membersPerOrg: number, prefix: string, notify = false) {
    return this.request<{ created: number; memberships: number; total: number }>('POST', '/_control/organizations/bulk', { count, membersPerOrg, prefix, notify });
  }

  /** The emulator's organizations for large comparisons: [id, slug, name, members count, updated_at]. */
  exportOrganizations() {
    return this.request<[string, string, string, number, number][]>('GET', '/_control/organizations/export');
  }

  /** Its memberships: [id, organization id, user id, role, updated_at]. */
  exportMemberships() {
    return this.request<[string, string, string, string, number][]>('GET', '/_control/memberships/export');
  }

  /** The instance's organization roles: [id, key, name, its permission keys sorted, updated_at]. */
  exportRoles() {
    return this.request<[string, string, string, string[], number][]>('GET', '/_control/roles/export');
  }

  /** The instance's organization permissions, system ones included: [id, key, updated_at]. */
  exportPermissions() {
    return this.request<[string, string, number][]>('GET', '/_control/permissions/export');
  }

  mintToken(claims: { sub: string; sid?: string; azp?: string; ttlSeconds?: number; issuedAt?: number }) {
    return this.request<{ token: string }>('POST', '/_control/tokens', claims);
  }

  /** Move the emulator's clock for object times on (invitations expire); session tokens keep the wall clock. */
  advanceClock(ms: number) {
    return this.request<{ offsetMs: number; now: number }>('POST', '/_control/clock', { advanceMs: ms });
  }

  clock() {
    return this.request<{ offsetMs: number; now: number }>('GET', '/_control/clock');
  }

  /** The emails Clerk would have sent (invitations, with their accept links), newest first; only those to `to` if given. */
  async mailbox(to?: string): Promise<MailboxMessage[]> {
    return (await this.request<{ messages: MailboxMessage[] }>('GET', `/_control/mailbox${to ? `?to=${encodeURIComponent(to)}` : ''}`)).messages;
  }

  /** Its organization invitations: [id, organization id, email, role, status, updated_at]. */
  exportInvitations() {
    return this.request<[string, string, string, string, 'pending' | 'accepted' | 'revoked' | 'expired', number][]>('GET', '/_control/invitations/export');
  }

  /** Check out a paid plan (slug or id) for an organization or a user without the browser; `paid` false when the payment failed. */
  subscribe(input: { organizationId?: string; userId?: string; plan: string; period?: 'month' | 'annual' }) {
    return this.request<{ paid: boolean; subscription: Subscription }>('POST', '/_control/billing/subscribe', {
      organization_id: input.organizationId,
      user_id: input.userId,
      plan: input.plan,
      period: input.period,
    });
  }

  /** The payer's next payment attempt (checkout, renewal or a trial's end) fails, once. */
  failNextPayment(payer: { organizationId?: string; userId?: string; payerId?: string }) {
    return this.request<{ payer_id: string; fail_next_payment: true }>('POST', '/_control/billing/fail-next-payment', { organization_id: payer.organizationId, user_id: payer.userId, payer_id: payer.payerId });
  }

  /** Settle a past-due payer: a paid attempt, and its item and subscription active again. */
  pay(payer: { organizationId?: string; userId?: string; payerId?: string }) {
    return this.request<Subscription>('POST', '/_control/billing/pay', { organization_id: payer.organizationId, user_id: payer.userId, payer_id: payer.payerId });
  }

  /** Every subscription with its items (each with its payer), in the Backend API's shape, oldest first. */
  exportBilling() {
    return this.request<{ data: Subscription[]; total_count: number }>('GET', '/_control/billing/export');
  }

  /** Create a user through the Backend API, as Clerk's dashboard or SDK would. */
  async createUser(input: { email: string; firstName?: string; lastName?: string }): Promise<UserJSON> {
    const response = await fetch(`${this.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.secretKey}` },
      body: JSON.stringify({ email_address: [input.email], first_name: input.firstName, last_name: input.lastName }),
    });
    if (!response.ok) throw new Error(`create user: ${response.status} ${await response.text()}`);
    return (await response.json()) as UserJSON;
  }
}
