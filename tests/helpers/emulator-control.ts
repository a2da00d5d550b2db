/** A typed client for the emulator's control API and its sign-up form, for tests. */
import type { UserJSON } from '@clerk/backend';
import { CONTROL_TOKEN_HEADER } from '../../tools/clerk-emulator/src/server';
import type { DeliverySettings } from '../../tools/clerk-emulator/src/webhooks';

export interface DeliveryRecord {
  id: string;
  type: string;
  userId: string;
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

  /** Instance settings, as the Clerk dashboard would change them (e.g. `{ names: false }`). */
  configureInstance(settings: { names?: boolean }) {
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

  /** The cookies a browser would hold after signing in as this user. */
  signIn(userId: string) {
    return this.request<{ sessionId: string; token: string; cookies: string[] }>('POST', '/_control/sessions', { userId });
  }

  mintToken(claims: { sub: string; sid?: string; azp?: string; ttlSeconds?: number; issuedAt?: number }) {
    return this.request<{ token: string }>('POST', '/_control/tokens', claims);
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
